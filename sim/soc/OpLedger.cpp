#include "sim/soc/OpLedger.h"

#include <fmt/format.h>

namespace fpgallm::sim {

void OpLedger::record(const OpContext& ctx, Unit unit, double time_ns, int64_t bytes, int64_t macs) {
  auto& e = entries_[Key{static_cast<int>(ctx.phase), static_cast<int>(ctx.op), static_cast<int>(ctx.layer),
                         static_cast<int>(unit)}];
  e.time_ns += time_ns;
  e.bytes += bytes;
  e.macs += macs;
  e.calls += 1;
}

void OpLedger::record_software(Phase p, SwCost c, double time_ns) {
  auto& e = sw_[static_cast<int>(p)][static_cast<int>(c)];
  e.time_ns += time_ns;
  e.calls += 1;
}

OpCost OpLedger::software_total(Phase p) const {
  OpCost t;
  for (const auto& c : sw_[static_cast<int>(p)]) {
    t.time_ns += c.time_ns;
    t.calls += c.calls;
  }
  return t;
}

void OpLedger::add_phase_time(Phase p, double ns, int64_t tokens) {
  phase_ns_[static_cast<int>(p)] += ns;
  phase_tokens_[static_cast<int>(p)] += tokens;
}

template <typename Pred>
static OpCost sum_where(const std::map<OpLedger::Key, OpCost>& entries, Pred keep) {
  OpCost c;
  for (const auto& [k, v] : entries)
    if (keep(k)) {
      c.time_ns += v.time_ns;
      c.bytes += v.bytes;
      c.macs += v.macs;
      c.calls += v.calls;
    }
  return c;
}

OpCost OpLedger::total(Phase p, OpKind op) const {
  return sum_where(entries_, [&](const Key& k) { return k.phase == static_cast<int>(p) && k.op == static_cast<int>(op); });
}

OpCost OpLedger::total(Phase p, Unit u) const {
  return sum_where(entries_, [&](const Key& k) { return k.phase == static_cast<int>(p) && k.unit == static_cast<int>(u); });
}

std::string OpLedger::breakdown_table(Phase p) const {
  // Aggregate over layers, keep (op, unit) in the order the model issues ops.
  std::map<std::pair<int, int>, OpCost> rows;
  for (const auto& [k, v] : entries_) {
    if (k.phase != static_cast<int>(p)) continue;
    auto& r = rows[{k.op, k.unit}];
    r.time_ns += v.time_ns;
    r.bytes += v.bytes;
    r.macs += v.macs;
    r.calls += v.calls;
  }
  const OpCost sw = software_total(p);
  double sum_ns = sw.time_ns;
  for (const auto& [k, v] : rows) sum_ns += v.time_ns;
  std::string out = fmt::format("{:<12} {:<4} {:>7} {:>11} {:>7} {:>14} {:>8}\n", "op", "unit", "calls", "ms", "%",
                                "bytes", "GB/s");
  for (const auto& [k, v] : rows) {
    const double gbps = v.time_ns > 0 ? static_cast<double>(v.bytes) / v.time_ns : 0.0;
    out += fmt::format("{:<12} {:<4} {:>7} {:>11.3f} {:>6.1f}% {:>14} {:>8.2f}\n", op_name(static_cast<OpKind>(k.first)),
                       unit_name(static_cast<Unit>(k.second)), v.calls, v.time_ns / 1e6,
                       sum_ns > 0 ? 100.0 * v.time_ns / sum_ns : 0.0, v.bytes, gbps);
  }
  for (int c = 0; c < kNumSwCosts; ++c) {
    const OpCost& v = sw_[static_cast<int>(p)][c];
    if (v.calls == 0) continue;
    out += fmt::format("{:<12} {:<4} {:>7} {:>11.3f} {:>6.1f}% {:>14} {:>8}\n", sw_cost_name(static_cast<SwCost>(c)), "SW",
                       v.calls, v.time_ns / 1e6, sum_ns > 0 ? 100.0 * v.time_ns / sum_ns : 0.0, "-", "-");
  }
  const OpCost ps = total(p, Unit::PS), pl = total(p, Unit::PL);
  out += fmt::format("{:<12} {:<4} {:>7} {:>11.3f} {:>6.1f}% {:>14}\n", "total", "", ps.calls + pl.calls, sum_ns / 1e6,
                     sum_ns > 0 ? 100.0 : 0.0, ps.bytes + pl.bytes);
  return out;
}

void OpLedger::report_stats(stats::Group& g) const {
  for (int p = 0; p < 2; ++p) {
    auto& pg = g.child(phase_name(static_cast<Phase>(p)));
    pg.set("time_ns", phase_ns_[p], stats::Quantity::Ns, "simulated wall time of the phase");
    pg.set("tokens", static_cast<double>(phase_tokens_[p]), stats::Quantity::Count, "tokens processed");
    for (int c = 0; c < kNumSwCosts; ++c) {
      const OpCost& v = sw_[p][c];
      if (v.calls == 0) continue;
      auto& sg = pg.child("software").child(sw_cost_name(static_cast<SwCost>(c)));
      sg.set("time_ns", v.time_ns, stats::Quantity::Ns, "host software-stack time of this mechanism");
      sg.set("calls", static_cast<double>(v.calls), stats::Quantity::Count, "times charged");
    }
  }
  for (const auto& [k, v] : entries_) {
    auto& og = g.child(phase_name(static_cast<Phase>(k.phase))).child(op_name(static_cast<OpKind>(k.op)));
    og.add("time_ns", v.time_ns, stats::Quantity::Ns, "simulated time charged to the op");
    og.add("bytes", static_cast<double>(v.bytes), stats::Quantity::Bytes, "DDR bytes moved by the op");
    og.add("macs", static_cast<double>(v.macs), stats::Quantity::Count, "multiply-accumulates");
    og.add("calls", static_cast<double>(v.calls), stats::Quantity::Count, "invocations");
    og.set("unit", k.unit, stats::Quantity::Enum, "0 = PS, 1 = PL");
    if (k.layer >= 0) {
      auto& lg = og.child(fmt::format("layer{}", k.layer));
      lg.add("time_ns", v.time_ns, stats::Quantity::Ns, "simulated time charged to the op in this layer");
      lg.add("bytes", static_cast<double>(v.bytes), stats::Quantity::Bytes, "DDR bytes the op moved in this layer");
    }
  }
}

}  // namespace fpgallm::sim
