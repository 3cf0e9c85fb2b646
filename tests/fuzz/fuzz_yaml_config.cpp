// libFuzzer target: arbitrary bytes as a configs/model YAML file, through the real file loader.
// A clean fpgallm::Error is the expected outcome for bad input; anything else is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "models/core/Error.h"
#include "models/llm/ModelConfig.h"

namespace {

/** One scratch file per fuzzing process, in RAM when /dev/shm exists. */
const std::string& scratch_path() {
  static const std::string p = [] {
    const std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                           : std::filesystem::temp_directory_path();
    return (dir / ("fpgallm_fuzz_yaml_" + std::to_string(::getpid()) + ".yaml")).string();
  }();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(scratch_path().c_str(), "wb");
  if (!f) return 0;
  const bool written = std::fwrite(data, 1, size, f) == size;
  std::fclose(f);
  if (!written) return 0;
  try {
    (void)fpgallm::load_model_config_yaml(scratch_path());
  } catch (const fpgallm::Error&) {
  }
  return 0;
}
