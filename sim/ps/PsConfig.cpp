#include "sim/ps/PsConfig.h"

#include <fmt/format.h>

namespace fpgallm::sim {

const char* ps_cost_class_name(PsCostClass c) {
  static const char* kNames[kNumPsCostClasses] = {"embedding", "rmsnorm",      "rope",     "softmax",
                                                  "silu_mul",  "residual_add", "sampling", "gemv"};
  return kNames[static_cast<int>(c)];
}

PsCostClass ps_cost_class(OpKind op) {
  switch (op) {
    case OpKind::Embedding: return PsCostClass::Embedding;
    case OpKind::AttnNorm: case OpKind::MlpNorm: case OpKind::FinalNorm: return PsCostClass::RmsNorm;
    case OpKind::Rope: return PsCostClass::Rope;
    case OpKind::Softmax: return PsCostClass::Softmax;
    case OpKind::SiluMul: return PsCostClass::SiluMul;
    case OpKind::ResidualAdd: return PsCostClass::ResidualAdd;
    case OpKind::Sampling: return PsCostClass::Sampling;
    default: return PsCostClass::Gemv;  // linears, attention scores and values
  }
}

PsConfig parse_ps_config(YamlMap& ps) {
  PsConfig c;
  c.file = ps.file();
  auto positive = [](YamlMap& m, const std::string& key) {
    const auto v = m.require<double>(key);
    m.check_positive(key, v);
    return v;
  };
  auto non_negative = [](YamlMap& m, const std::string& key) {
    const auto v = m.require<double>(key);
    if (v < 0) m.error(key, fmt::format("must be >= 0 (got {})", v));
    return v;
  };
  c.clock_mhz = positive(ps, "clock_mhz");
  c.cores = ps.require<int64_t>("cores");
  ps.check_positive("cores", c.cores);
  c.cores_used = ps.require<int64_t>("cores_used");
  ps.check_range<int64_t>("cores_used", c.cores_used, 1, c.cores);
  c.cache_line_bytes = ps.require<int64_t>("cache_line_bytes");
  ps.check_positive("cache_line_bytes", c.cache_line_bytes);

  YamlMap ops = ps.child("cycles_per_element", true);
  for (int k = 0; k < kNumPsCostClasses; ++k) {
    const auto cls = static_cast<PsCostClass>(k);
    if (cls == PsCostClass::Gemv) continue;
    c.cycles_per_element[k] = non_negative(ops, ps_cost_class_name(cls));
  }
  ops.finish();

  YamlMap gemv = ps.child("gemv", true);
  c.gemv_macs_per_cycle_per_core = positive(gemv, "macs_per_cycle_per_core");
  gemv.finish();
  c.stream_gbps_per_core = positive(ps, "stream_gbps_per_core");

  YamlMap cache = ps.child("cache_maintenance", true);
  c.flush_cycles_per_line = non_negative(cache, "flush_cycles_per_line");
  c.invalidate_cycles_per_line = non_negative(cache, "invalidate_cycles_per_line");
  cache.finish();

  YamlMap hs = ps.child("handshake", true);
  c.descriptor_write_ns = non_negative(hs, "descriptor_write_ns");
  const auto mode = hs.require<std::string>("completion");
  if (mode == "interrupt") c.completion = CompletionMode::Interrupt;
  else if (mode == "polling") c.completion = CompletionMode::Polling;
  else hs.error("completion", fmt::format("must be 'interrupt' or 'polling' (got '{}')", mode));
  c.interrupt_latency_ns = non_negative(hs, "interrupt_latency_ns");
  c.polling_latency_ns = non_negative(hs, "polling_latency_ns");
  hs.finish();

  YamlMap tr = ps.child("traffic", true);
  c.traffic_chunk_bytes = tr.require<int64_t>("chunk_bytes");
  tr.check_positive("chunk_bytes", c.traffic_chunk_bytes);
  c.scratch_addr = tr.require<uint64_t>("scratch_addr");
  c.scratch_bytes = tr.require<int64_t>("scratch_bytes");
  if (c.scratch_bytes < c.traffic_chunk_bytes)
    tr.error("scratch_bytes", fmt::format("must be >= chunk_bytes ({}) (got {})", c.traffic_chunk_bytes, c.scratch_bytes));
  tr.finish();

  ps.finish();
  return c;
}

}  // namespace fpgallm::sim
