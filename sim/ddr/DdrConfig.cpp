#include "sim/ddr/DdrConfig.h"

#include <bit>

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"

namespace fpgallm::sim {

namespace {

/** The one name -> fidelity mapping; false for an unknown name. */
bool fidelity_named(const std::string& name, Fidelity& f) {
  if (name == "cycle") f = Fidelity::Cycle;
  else if (name == "fast") f = Fidelity::Fast;
  else return false;
  return true;
}

}  // namespace

Fidelity parse_fidelity(YamlMap& m, const std::string& key) {
  const auto s = m.get<std::string>(key, to_string(Fidelity::Cycle));
  Fidelity f;
  if (!fidelity_named(s, f)) m.error(key, fmt::format("must be cycle or fast (got '{}')", s));
  return f;
}

Fidelity parse_fidelity(const std::string& name, const std::string& what) {
  Fidelity f;
  if (!fidelity_named(name, f)) fail("{} must be cycle or fast (got '{}')", what, name);
  return f;
}

const char* to_string(Fidelity f) { return f == Fidelity::Cycle ? "cycle" : "fast"; }

namespace {

uint32_t log2_exact(uint32_t v) { return uint32_t(std::countr_zero(v)); }

template <typename T>
void read_positive(YamlMap& m, const std::string& key, T& field) {
  field = m.get<T>(key, field);
  m.check_positive(key, field);
}

// Field widths of the address map are whole bits, so organisation sizes are powers of two.
void read_pow2(YamlMap& m, const std::string& key, uint32_t& field) {
  read_positive(m, key, field);
  if (!std::has_single_bit(field)) m.error(key, fmt::format("must be a power of two (got {})", field));
}

}  // namespace

AddressMapping DdrConfig::mapping() const {
  const uint32_t bits[AddressMapping::NUM_FIELDS] = {
      log2_exact(rows), log2_exact(ranks), log2_exact(banks_per_group), log2_exact(bank_groups),
      log2_exact(uint32_t(row_bytes() / access_bytes()))};
  return AddressMapping(address_mapping, bits, log2_exact(access_bytes()));
}

DdrConfig parse_ddr_config(YamlMap& m) {
  DdrConfig c;
  read_positive(m, "data_rate_mtps", c.data_rate_mtps);
  read_pow2(m, "bus_width_bits", c.bus_width_bits);
  read_pow2(m, "burst_length", c.burst_length);
  read_pow2(m, "ranks", c.ranks);
  read_pow2(m, "bank_groups", c.bank_groups);
  read_pow2(m, "banks_per_group", c.banks_per_group);
  read_pow2(m, "rows", c.rows);
  read_pow2(m, "columns", c.columns);
  if (c.bus_width_bits % 8) m.error("bus_width_bits", fmt::format("must be a whole number of bytes (got {})", c.bus_width_bits));
  c.address_mapping = m.get<std::string>("address_mapping", c.address_mapping);

  read_positive(m, "tCL_cycles", c.tCL_cycles);
  read_positive(m, "tCWL_cycles", c.tCWL_cycles);
  read_positive(m, "tCCD_S_cycles", c.tCCD_S_cycles);
  c.tRTW_cycles = m.get<uint32_t>("tRTW_cycles", c.tRTW_cycles);
  read_positive(m, "tRCD_ns", c.tRCD_ns);
  read_positive(m, "tRP_ns", c.tRP_ns);
  read_positive(m, "tRAS_ns", c.tRAS_ns);
  read_positive(m, "tRRD_S_ns", c.tRRD_S_ns);
  read_positive(m, "tRRD_L_ns", c.tRRD_L_ns);
  read_positive(m, "tFAW_ns", c.tFAW_ns);
  read_positive(m, "tCCD_L_ns", c.tCCD_L_ns);
  read_positive(m, "tWR_ns", c.tWR_ns);
  read_positive(m, "tWTR_S_ns", c.tWTR_S_ns);
  read_positive(m, "tWTR_L_ns", c.tWTR_L_ns);
  read_positive(m, "tRTP_ns", c.tRTP_ns);
  read_positive(m, "tRFC_ns", c.tRFC_ns);
  read_positive(m, "tREFI_ns", c.tREFI_ns);
  if (c.tREFI_ns <= c.tRFC_ns)
    m.error("tREFI_ns", fmt::format("must exceed tRFC_ns ({} <= {})", c.tREFI_ns, c.tRFC_ns));

  const auto policy = m.get<std::string>("page_policy", "open");
  if (policy == "open") c.page_policy = PagePolicy::Open;
  else if (policy == "closed") c.page_policy = PagePolicy::Closed;
  else m.error("page_policy", fmt::format("must be open or closed (got '{}')", policy));
  const auto sched = m.get<std::string>("scheduler", "frfcfs");
  if (sched == "frfcfs") c.scheduler = DdrScheduler::FrFcfs;
  else if (sched == "fcfs") c.scheduler = DdrScheduler::Fcfs;
  else m.error("scheduler", fmt::format("must be frfcfs or fcfs (got '{}')", sched));
  read_positive(m, "queue_depth", c.queue_depth);
  read_positive(m, "scheduling_chunk_bytes", c.scheduling_chunk_bytes);
  c.controller_latency_ns = m.get<double>("controller_latency_ns", c.controller_latency_ns);
  if (c.controller_latency_ns < 0)
    m.error("controller_latency_ns", fmt::format("must be >= 0 (got {})", c.controller_latency_ns));
  read_positive(m, "scheduler_lookahead_ns", c.scheduler_lookahead_ns);
  c.refresh = m.get<bool>("refresh", c.refresh);
  c.fidelity = parse_fidelity(m, "fidelity");
  if (c.scheduling_chunk_bytes % c.access_bytes())
    m.error("scheduling_chunk_bytes",
            fmt::format("must be a multiple of one DRAM access ({} bytes; got {})", c.access_bytes(), c.scheduling_chunk_bytes));
  try {
    (void)c.mapping();
  } catch (const Error& e) {
    m.error("address_mapping", e.what());
  }
  m.finish();
  return c;
}

}  // namespace fpgallm::sim
