#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/llm/Weights.h"
#include "sim/soc/OpLedger.h"
#include "sim/soc/PackedWeights.h"
#include "sim/soc/SocConfig.h"
#include "sim/stats/Stats.h"
#include "sim/stats/Trace.h"

namespace fpgallm::sim {

/** A full-size cycle-fidelity decode step makes ~10^5 DMA events; this keeps trace files in the
 *  tens of MB while still covering a prefill and the first decode steps. */
constexpr size_t kDefaultTraceMaxEvents = 300000;

struct SimRunOptions {
  std::vector<int32_t> prompt;  ///< prefilled in one pass
  int64_t decode_steps = 8;     ///< decode forward passes after the prefill
  float temperature = 0.0f;     ///< 0 = greedy
  float top_p = 0.9f;
  uint64_t seed = 42;
  int32_t stop_token = -1;      ///< decoding stops early on this token (-1: never)
  bool keep_logits = false;     ///< keep every step's logits (tests, bit-identity checks)
  bool trace = false;           ///< record a Chrome-trace timeline
  size_t trace_max_events = kDefaultTraceMaxEvents;  ///< later events are counted, not kept
  /** The model's MACRO streams packed once (same model as simulated, else an error); used when its
   *  layout is the accelerator's, otherwise the run packs its own. Null: pack in this call. */
  std::shared_ptr<const PackedWeights> packed;
  /** Called after every decoder layer: phase, token index in the phase, layer, layers. */
  std::function<void(Phase, int64_t token, int64_t layer, int64_t n_layers)> progress;
};

struct SimRunResult {
  std::vector<int32_t> generated;          ///< sampled tokens (first from the prefill logits)
  std::vector<std::vector<float>> logits;  ///< prefill's last row, then each decode step (keep_logits)
  OpLedger ledger;
  stats::Group stats{"soc"};
  std::shared_ptr<stats::TraceRecorder> trace;
  double wall_seconds = 0;      ///< host time spent simulating
  double prefill_wall_seconds = 0;  ///< host time of the prefill pass (incl. first sampling)
  double decode_wall_seconds = 0;   ///< host time of all decode steps
  /** Host CPU time (this process, all threads) of the same two phases: what they cost on a shared machine. */
  double prefill_cpu_seconds = 0, decode_cpu_seconds = 0;
  int64_t placed_weight_bytes = 0;

  double prefill_ns() const { return ledger.phase_time_ns(Phase::Prefill); }
  double decode_ns() const { return ledger.phase_time_ns(Phase::Decode); }
  int64_t prefill_tokens() const { return ledger.phase_tokens(Phase::Prefill); }
  int64_t decode_tokens() const { return ledger.phase_tokens(Phase::Decode); }
  double prefill_tokens_per_s() const { return prefill_ns() > 0 ? prefill_tokens() / (prefill_ns() * 1e-9) : 0; }
  double decode_tokens_per_s() const { return decode_ns() > 0 ? decode_tokens() / (decode_ns() * 1e-9) : 0; }
};

/**
 * Runs prefill + decode of a (quantized) model on a fresh simulated KV260 and returns timing,
 * statistics and the tokens. With shapes-only weights (make_shape_only_weights) the run is
 * timing-only: the same ops, traffic and times as the full run of that shape, but no arithmetic,
 * no logits, no early stop; `generated` then repeats the last prompt token. Each call starts a new SystemC context, so calls can repeat in one
 * process; results are deterministic for the same inputs.
 */
SimRunResult simulate(const SocConfig& cfg, std::shared_ptr<const ModelWeights> weights, const SimRunOptions& opt);

}  // namespace fpgallm::sim
