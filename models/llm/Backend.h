#pragma once
#include <cstdint>
#include <string>

#include "models/llm/Kernels.h"
#include "models/llm/Weights.h"

namespace fpgallm {

enum class Phase { Prefill, Decode };

/** Every op the model issues; a backend may place, time or trace each kind differently. */
enum class OpKind {
  Embedding, AttnNorm, QProj, KProj, VProj, Rope, AttnScore, Softmax, AttnValue, OProj,
  ResidualAdd, MlpNorm, GateProj, UpProj, SiluMul, DownProj, FinalNorm, LmHead, Sampling,
};
constexpr int kNumOpKinds = static_cast<int>(OpKind::Sampling) + 1;
const char* op_name(OpKind k);
const char* phase_name(Phase p);
bool op_is_linear(OpKind k);

/** Where in the model an op runs: the simulated backend keys its statistics on this. */
struct OpContext {
  OpKind op = OpKind::Embedding;
  int64_t layer = -1;  ///< -1 for ops outside the decoder layers
  Phase phase = Phase::Prefill;
  int64_t n_tokens = 0;
  int64_t pos0 = 0;
};

/**
 * The seam between the functional model and whatever executes it. The model never does arithmetic
 * itself; each op goes through here. The base class runs the fp32 reference kernels for the
 * non-linear ops; backends override what they place elsewhere (and `linear`, which they must
 * provide since weights may be fp32 or AWQ).
 */
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  /** True for backends that only charge time and can run shapes-only weights (timing-only runs). */
  virtual bool runs_without_weights() const { return false; }

  virtual void linear(const OpContext& ctx, const Linear& lin, const float* x, int64_t n, float* y) = 0;

  virtual void embed(const OpContext& ctx, const Tensor& table, const int32_t* tokens, int64_t n, float* out);
  virtual void rmsnorm(const OpContext& ctx, const float* x, const Tensor& w, int64_t rows, float eps, float* out);
  virtual void rope(const OpContext& ctx, float* x, int64_t rows, int64_t n_heads, int64_t head_dim,
                    double theta, RopeLayout layout);
  virtual void attn_scores(const OpContext& ctx, const kernels::AttnShape& s, const float* q,
                           const float* k_cache, float* scores);
  virtual void softmax(const OpContext& ctx, const kernels::AttnShape& s, float* scores);
  virtual void attn_values(const OpContext& ctx, const kernels::AttnShape& s, const float* probs,
                           const float* v_cache, float* out);
  virtual void silu_mul(const OpContext& ctx, const float* gate, const float* up, int64_t count, float* out);
  virtual void add(const OpContext& ctx, float* x, const float* y, int64_t count);
};

/** fp32 reference: linear layers with fp32 weights (fails on quantized-only layers). */
class ReferenceBackend : public Backend {
 public:
  std::string name() const override { return "reference-fp32"; }
  void linear(const OpContext& ctx, const Linear& lin, const float* x, int64_t n, float* y) override;
};

}  // namespace fpgallm
