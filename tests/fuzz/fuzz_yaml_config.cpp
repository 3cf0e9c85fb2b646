// libFuzzer target: arbitrary bytes as a configs/model YAML file, through the real file loader.
// A clean fpgallm::Error is the expected outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "models/core/Error.h"
#include "models/llm/ModelConfig.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fpgallm::fuzz::write_scratch("model.yaml", {reinterpret_cast<const char*>(data), size});
  try {
    (void)fpgallm::load_model_config_yaml(path);
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
