// libFuzzer target: a HF checkpoint folder, input "config.json<sep>model.safetensors"
// (FuzzInput.h kFileSeparator): config.json parsing and the tensor checks against it. A clean
// fpgallm::Error is the expected outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "models/checkpoint/HfCheckpoint.h"
#include "models/core/Error.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto dir = fpgallm::fuzz::write_folder("hf", {"config.json", "model.safetensors"},
                                               fpgallm::fuzz::split_files(data, size, 2));
  try {
    (void)fpgallm::load_hf_checkpoint(dir);
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
