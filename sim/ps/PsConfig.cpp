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

const char* buffer_mapping_name(BufferMapping m) { return m == BufferMapping::Cached ? "cached" : "write_combine"; }

const PsSoftwareProfile* PsConfig::find_profile(const std::string& name) const {
  for (const auto& p : profiles)
    if (p.name == name) return &p;
  return nullptr;
}

namespace {

CompletionMode parse_completion(YamlMap& m) {
  const auto mode = m.require<std::string>("completion");
  if (mode == "interrupt") return CompletionMode::Interrupt;
  if (mode == "polling") return CompletionMode::Polling;
  m.error("completion", fmt::format("must be 'interrupt' or 'polling' (got '{}')", mode));
}

BufferMapping parse_mapping(YamlMap& m) {
  const auto mode = m.require<std::string>("mapping");
  if (mode == "cached") return BufferMapping::Cached;
  if (mode == "write_combine") return BufferMapping::WriteCombine;
  m.error("mapping", fmt::format("must be 'cached' or 'write_combine' (got '{}')", mode));
}

double non_negative(YamlMap& m, const std::string& key) {
  const auto v = m.require<double>(key);
  if (v < 0) m.error(key, fmt::format("must be >= 0 (got {})", v));
  return v;
}

/** `ps.software`: every listed profile is parsed and checked; the selected one is returned. */
PsSoftwareProfile parse_software(YamlMap& sw, std::vector<PsSoftwareProfile>& all) {
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
    s.register_read_ns = non_negative(p, "register_read_ns");
    s.syscall_ns = non_negative(p, "syscall_ns");
    s.copy_gbps = non_negative(p, "copy_gbps");
    s.mapping = parse_mapping(p);
    if (s.mapping == BufferMapping::WriteCombine && s.copy_gbps == 0)
      p.error("copy_gbps", "is 0 (zero-copy) but the mapping is write_combine: the model's own buffers cannot live "
                           "in non-cacheable memory; use mapping: cached or a copy rate");
    s.completion = parse_completion(p);
    p.finish();
    all.push_back(s);
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

  YamlMap nc = ps.child("noncached", true);
  c.write_combine_store_gbps = positive(nc, "write_combine_store_gbps");
  c.noncached_load_gbps = positive(nc, "load_gbps");
  nc.finish();

  YamlMap hs = ps.child("handshake", true);
  c.axilite_write_ns = non_negative(hs, "axilite_write_ns");
  c.axilite_read_ns = non_negative(hs, "axilite_read_ns");
  c.barrier_ns = non_negative(hs, "barrier_ns");
  c.interrupt_latency_ns = non_negative(hs, "interrupt_latency_ns");
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
  c.software = parse_software(sw, c.profiles);

  ps.finish();
  return c;
}

}  // namespace fpgallm::sim
