#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "models/llm/Backend.h"
#include "sim/ps/PsCostModel.h"
#include "sim/stats/Stats.h"

namespace fpgallm::sim {

enum class Unit { PS, PL };
inline const char* unit_name(Unit u) { return u == Unit::PS ? "PS" : "PL"; }

/** What one op invocation cost on the simulated SoC. */
struct OpCost {
  double time_ns = 0;
  int64_t bytes = 0;  ///< DDR bytes the op moved (weights, activations, KV, results)
  int64_t macs = 0;
  int64_t calls = 0;
};

/**
 * Per op × layer × phase accounting of simulated time and traffic: the latency breakdown a user
 * reads. The SimBackend records every op here; the ledger turns it into tables and stats.
 */
class OpLedger {
 public:
  void record(const OpContext& ctx, Unit unit, double time_ns, int64_t bytes, int64_t macs);
  /** Host software-stack cost (ps.software) of one mechanism: rows of their own in the breakdown. */
  void record_software(Phase p, SwCost c, double time_ns);
  /** Phase wall time is tracked separately: ops may overlap in a pipelined SoC. */
  void add_phase_time(Phase p, double ns, int64_t tokens);

  double phase_time_ns(Phase p) const { return phase_ns_[static_cast<int>(p)]; }
  int64_t phase_tokens(Phase p) const { return phase_tokens_[static_cast<int>(p)]; }
  /** Sum over layers and units of one op kind in one phase. */
  OpCost total(Phase p, OpKind op) const;
  OpCost total(Phase p, Unit u) const;
  OpCost software(Phase p, SwCost c) const { return sw_[static_cast<int>(p)][static_cast<int>(c)]; }
  /** Sum of every software-stack row of a phase. */
  OpCost software_total(Phase p) const;

  /** Rows: op, unit, calls, ms, % of phase, bytes, GB/s — ordered as the model issues ops; then
   *  the software stack's rows (unit SW). */
  std::string breakdown_table(Phase p) const;
  /** Fills <phase>.<op>.{time_ns,bytes,...} and <phase>.<op>.layer<N>.* into the tree. */
  void report_stats(stats::Group& g) const;

  struct Key {
    int phase, op, layer, unit;
    bool operator<(const Key& o) const {
      return std::tie(phase, op, layer, unit) < std::tie(o.phase, o.op, o.layer, o.unit);
    }
  };
  const std::map<Key, OpCost>& entries() const { return entries_; }

 private:
  std::map<Key, OpCost> entries_;
  std::array<std::array<OpCost, kNumSwCosts>, 2> sw_{};
  std::array<double, 2> phase_ns_{0, 0};
  std::array<int64_t, 2> phase_tokens_{0, 0};
};

}  // namespace fpgallm::sim
