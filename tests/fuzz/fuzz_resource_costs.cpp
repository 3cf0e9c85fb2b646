// libFuzzer target: arbitrary bytes as configs/dse/resource_costs.yaml (dse::load_resource_costs),
// then the estimate of the shipped paper accelerator with those costs, as a sweep or emit-hls uses it.
// A clean fpgallm::Error is the expected outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "dse/Resources.h"
#include "models/core/Error.h"
#include "sim/soc/SocConfig.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fpgallm::sim::SocConfig soc = fpgallm::sim::load_soc_config(
      FPGALLM_SOURCE_DIR "/configs/platform/kv260.yaml", FPGALLM_SOURCE_DIR "/configs/accel/paper_gs64_pe8x8.yaml");
  const auto path = fpgallm::fuzz::write_scratch("resource_costs.yaml", {reinterpret_cast<const char*>(data), size});
  try {
    const fpgallm::dse::ResourceCosts costs = fpgallm::dse::load_resource_costs(path);
    (void)fpgallm::dse::estimate_resources(soc.accel, soc.pl, costs, fpgallm::dse::ResourceMargins{});
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
