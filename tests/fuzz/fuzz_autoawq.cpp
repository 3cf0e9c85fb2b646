// libFuzzer target: an AutoAWQ GEMM folder, input "config.json<sep>model.safetensors"
// (FuzzInput.h kFileSeparator). A clean fpgallm::Error is the expected outcome for bad input;
// anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "models/checkpoint/AutoAwq.h"
#include "models/core/Error.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto dir = fpgallm::fuzz::write_folder("awq", {"config.json", "model.safetensors"},
                                               fpgallm::fuzz::split_files(data, size, 2));
  try {
    if (fpgallm::looks_like_autoawq(dir)) (void)fpgallm::load_autoawq(dir);
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
