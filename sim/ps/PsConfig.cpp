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

const char* completion_mode_name(CompletionMode m) { return m == CompletionMode::Interrupt ? "interrupt" : "polling"; }

namespace {

CompletionMode parse_completion(YamlMap& m) {
  const auto mode = m.require<std::string>("completion");
  if (mode == "interrupt") return CompletionMode::Interrupt;
  if (mode == "polling") return CompletionMode::Polling;
  m.error("completion", fmt::format("must be 'interrupt' or 'polling' (got '{}')", mode));
}

double non_negative(YamlMap& m, const std::string& key) {
  const auto v = m.require<double>(key);
  if (v < 0) m.error(key, fmt::format("must be >= 0 (got {})", v));
  return v;
}

/** `ps.software`: the selected profile is parsed; every listed profile is checked. */
PsSoftwareProfile parse_software(YamlMap& sw) {
  const auto selected = sw.require<std::string>("profile");
  YamlMap profiles = sw.child("profiles", true);
  PsSoftwareProfile chosen;
  bool found = false;
  std::string names;
  for (const auto& kv : profiles.node()) {
    const auto name = kv.first.as<std::string>();
    names += (names.empty() ? "" : ", ") + name;
    YamlMap p = profiles.child(name, true);
    PsSoftwareProfile s;
    s.name = name;
    s.gemv_efficiency = p.require<double>("gemv_efficiency");
    p.check_range("gemv_efficiency", s.gemv_efficiency, 1e-6, 1.0);
    s.op_dispatch_ns = non_negative(p, "op_dispatch_ns");
    s.forward_overhead_ns = non_negative(p, "forward_overhead_ns");
    s.driver_call_ns = non_negative(p, "driver_call_ns");
    s.register_write_ns = non_negative(p, "register_write_ns");
    s.copy_gbps = non_negative(p, "copy_gbps");
    s.cache_maintenance = p.require<bool>("cache_maintenance");
    s.completion = parse_completion(p);
    p.finish();
    if (name == selected) {
      chosen = s;
      found = true;
    }
  }
  profiles.finish();
  if (!found) sw.error("profile", fmt::format("names no profile under ps.software.profiles (got '{}'; have: {})", selected, names));
  sw.finish();
  return chosen;
}

}  // namespace

PsConfig parse_ps_config(YamlMap& ps) {
  PsConfig c;
  c.file = ps.file();
  auto positive = [](YamlMap& m, const std::string& key) {
    const auto v = m.require<double>(key);
    m.check_positive(key, v);
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
  c.descriptor_registers = hs.require<int64_t>("descriptor_registers");
  hs.check_positive("descriptor_registers", c.descriptor_registers);
  c.interrupt_latency_ns = non_negative(hs, "interrupt_latency_ns");
  c.polling_latency_ns = non_negative(hs, "polling_latency_ns");
  hs.finish();

  YamlMap tr = ps.child("traffic", true);
  c.traffic_chunk_bytes = tr.require<int64_t>("chunk_bytes");
  tr.check_positive("chunk_bytes", c.traffic_chunk_bytes);
  c.scratch_addr = tr.require<uint64_t>("scratch_addr");
  c.scratch_bytes = tr.require<int64_t>("scratch_bytes");
  c.traffic_detailed_bytes = tr.get<int64_t>("detailed_bytes", 0);
  if (c.traffic_detailed_bytes < 0)
    tr.error("detailed_bytes", fmt::format("must be >= 0 (0: simulate every chunk) (got {})", c.traffic_detailed_bytes));
  if (c.scratch_bytes < c.traffic_chunk_bytes)
    tr.error("scratch_bytes", fmt::format("must be >= chunk_bytes ({}) (got {})", c.traffic_chunk_bytes, c.scratch_bytes));
  tr.finish();

  YamlMap sw = ps.child("software", true);
  c.software = parse_software(sw);

  ps.finish();
  return c;
}

}  // namespace fpgallm::sim
