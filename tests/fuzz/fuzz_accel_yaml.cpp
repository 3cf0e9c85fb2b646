// libFuzzer target: arbitrary bytes as a configs/accel YAML, loaded with the committed KV260
// platform through load_soc_config, so the checks against the board's resources run too.
// A clean fpgallm::Error is the expected outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "models/core/Error.h"
#include "sim/soc/SocConfig.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fpgallm::fuzz::write_scratch("accel.yaml", {reinterpret_cast<const char*>(data), size});
  try {
    (void)fpgallm::sim::load_soc_config(FPGALLM_SOURCE_DIR "/configs/platform/kv260.yaml", path);
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
