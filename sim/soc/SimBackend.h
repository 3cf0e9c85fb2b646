#pragma once
#include <map>

#include "models/llm/Backend.h"
#include "models/llm/OpTraffic.h"
#include "models/quant/Macro.h"
#include "sim/soc/OpLedger.h"
#include "sim/soc/PackedWeights.h"
#include "sim/soc/SocTop.h"
#include "sim/stats/Trace.h"

namespace fpgallm::sim {

/**
 * The simulated KV260 as a model backend. Each op runs where the accelerator config puts it:
 * offloaded linears go to the PL (activations written to DDR, descriptor, the PE array computing
 * from the MACRO bytes it fetched, results read back), everything else runs on the PS with the fp32
 * kernels while PsCore charges its time and traffic. Arithmetic is the host AWQ backend's, so the
 * logits are bit-identical to it. Must be called from an SC_THREAD.
 */
class SimBackend : public Backend {
 public:
  SimBackend(SocTop& soc, OpLedger& ledger, stats::TraceRecorder* trace = nullptr);
  std::string name() const override { return "kv260-sim"; }
  bool runs_without_weights() const override { return true; }

  /** Packs every quantized linear with the accelerator's MACRO layout into DDR (no simulated time).
   *  For shapes-only weights (timing-only runs) it reserves the same space and computes nothing
   *  from then on: every op charges the same time and traffic, no arithmetic runs. Streams found
   *  in `packed` (packed for the accelerator's layout) are copied, not packed again. */
  void place_weights(const ModelWeights& w, const PackedWeights* packed = nullptr);
  int64_t placed_weight_bytes() const { return placed_bytes_; }

  void linear(const OpContext& ctx, const Linear& lin, const float* x, int64_t n, float* y) override;
  void embed(const OpContext& ctx, const Tensor& table, const int32_t* tokens, int64_t n, float* out) override;
  void rmsnorm(const OpContext& ctx, const float* x, const Tensor& w, int64_t rows, float eps, float* out) override;
  void rope(const OpContext& ctx, float* x, int64_t rows, int64_t n_heads, int64_t head_dim, double theta,
            RopeLayout layout) override;
  void attn_scores(const OpContext& ctx, const kernels::AttnShape& s, const float* q, const float* k_cache,
                   float* scores) override;
  void softmax(const OpContext& ctx, const kernels::AttnShape& s, float* scores) override;
  void attn_values(const OpContext& ctx, const kernels::AttnShape& s, const float* probs, const float* v_cache,
                   float* out) override;
  void silu_mul(const OpContext& ctx, const float* gate, const float* up, int64_t count, float* out) override;
  void add(const OpContext& ctx, float* x, const float* y, int64_t count) override;
  /** Sampling runs on the PS over the vocabulary: charged here, computed by the caller. */
  void charge_sampling(const OpContext& ctx, int64_t vocab);
  /** The host loop's fixed cost of one forward pass (ps.software.forward_overhead_ns). */
  void charge_forward_overhead(Phase phase);
  bool numerics() const { return numerics_; }

 private:
  struct Placement {
    uint64_t weight_addr = 0, bias_addr = 0;
    int64_t weight_bytes = 0;
  };
  void ps_op(const OpContext& ctx, const OpTraffic& t);
  void pl_linear(const OpContext& ctx, const Linear& lin, const Placement& p, const float* x, int64_t n, float* y);
  void trace_op(const OpContext& ctx, Unit u, sc_core::sc_time start);
  /** Books a software-stack cost that just took `took` (ledger row + "PS software" trace track). */
  void software(Phase phase, SwCost c, sc_core::sc_time took);

  SocTop& soc_;
  OpLedger& ledger_;
  stats::TraceRecorder* trace_;
  std::map<const void*, Placement> placed_;  ///< by QuantLinear, or by Linear when timing-only
  bool numerics_ = true;
  uint64_t act_addr_ = 0, out_addr_ = 0;  ///< the DMA buffers (SocConfig's, or after large weights)
  int64_t placed_bytes_ = 0;
};

}  // namespace fpgallm::sim
