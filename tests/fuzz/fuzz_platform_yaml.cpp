// libFuzzer target: arbitrary bytes as a configs/platform YAML (ddr, axi, ps, pl), loaded with the
// committed accelerator config through load_soc_config, so the cross-component checks run too.
// A clean fpgallm::Error is the expected outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "models/core/Error.h"
#include "sim/soc/SocConfig.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fpgallm::fuzz::write_scratch("platform.yaml", {reinterpret_cast<const char*>(data), size});
  try {
    (void)fpgallm::sim::load_soc_config(path, FPGALLM_SOURCE_DIR "/configs/accel/paper_gs64_pe8x8.yaml");
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
