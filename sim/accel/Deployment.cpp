#include "sim/accel/Deployment.h"

namespace fpgallm::sim {

QuantOptions deployed_quant_options(const AccelConfig& a, const std::string& method) {
  QuantOptions o;
  o.method = method;
  o.group_size = a.macro.group_size;
  o.bits = a.macro.bits;
  o.zero_point = a.macro.zero_point;
  o.quantize_lm_head = a.offload_lm_head;
  return o;
}

Footprint deployed_footprint(const AccelConfig& a, const ModelConfig& mc) {
  return estimate_footprint(mc, a.macro.group_size, a.macro.bits, a.macro.zero_point, a.offload_lm_head, a.macro);
}

int64_t deployed_model_bytes(const AccelConfig& a, const Footprint& fp) {
  return a.offload_linear ? fp.model_bytes() : fp.fp16_baseline_bytes;
}

int64_t deployed_ddr_bytes(const AccelConfig& a, const ModelConfig& mc, const Footprint& fp, int64_t positions) {
  const int64_t weights = a.offload_linear ? fp.total_bytes() : fp.fp16_baseline_bytes;
  return weights + mc.kv_cache_bytes(positions);
}

}  // namespace fpgallm::sim
