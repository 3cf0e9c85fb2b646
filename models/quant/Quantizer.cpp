#include "models/quant/Quantizer.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/core/Gemm.h"
#include "models/llm/Kernels.h"

namespace fpgallm {

namespace {

constexpr int kMinBits = 2;  // symmetric mode needs 2^(bits-1) - 1 > 0
constexpr int kMaxBits = 8;  // codes are stored one per byte
// AutoAWQ's guards in the scale formula: s = x^a / (w^(1-a) + eps), clamped below at eps.
constexpr float kAwqScaleEps = 1e-4f;
// AutoAWQ's guard in w_mean: |w| / (max |w| of its group + 1e-6).
constexpr float kAwqWMeanEps = 1e-6f;
// AutoAWQ's pseudo_quantize_tensor: scale = (max - min).clamp(min=1e-5) / max_int.
constexpr float kAwqMinRange = 1e-5f;
// Smallest positive fp16 (a subnormal): the scale of an all-zero group, so nothing divides by 0.
constexpr uint16_t kF16MinPositiveBits = 0x0001;
constexpr uint64_t kRandomSeqMultiplier = 0x2545F4914F6CDD1Dull;
// Below this many multiply-adds a parallel region costs more than it saves (threads sleep/wake,
// and on a loaded machine a spinning team is much worse).
constexpr int64_t kParallelMinMacs = int64_t{1} << 24;
// Quantizing a weight costs a few dozen operations: threads pay from this many weights on.
constexpr int64_t kParallelMinWeights = int64_t{1} << 18;
// Query rows per attention block of the search's forward (causal: each block stops at its last key).
constexpr int64_t kAttnRowBlock = 128;

// Half-to-even like torch.round; std::nearbyint follows the (default) round-to-nearest-even mode.
inline float round_even(float v) { return std::nearbyint(v); }

/**
 * Quantizes one group of `len` weights; false when the weights are not finite or too large.
 * clip_ratio < 1 clamps the weights to [-c, c], c = ratio * absmax (AutoAWQ), or with
 * clip_codes only shrinks min/max and lets the codes saturate.
 */
bool quantize_group(const float* w, int64_t len, float clip_ratio, int bits, bool zero_point, bool clip_codes,
                    uint8_t* codes, uint16_t* scale_out, uint8_t* zero_out) {
  const int qmax = (1 << bits) - 1;
  float mn = w[0], mx = w[0];
  bool finite = true;
  for (int64_t i = 0; i < len; ++i) {
    finite = finite && std::isfinite(w[i]);
    mn = std::min(mn, w[i]);
    mx = std::max(mx, w[i]);
  }
  if (!finite) return false;
  const float absmax = std::max(std::fabs(mn), std::fabs(mx));
  const bool clip = clip_ratio < 1.0f;
  const float c = absmax * clip_ratio;
  if (clip) {
    mx = std::min(mx, c);
    mn = std::max(mn, -c);
  }
  const bool clamp_w = clip && !clip_codes;
  float scale;
  int zero;
  const int half = 1 << (bits - 1);
  if (zero_point) {
    float range = mx - mn;
    // A constant group has no range; spanning [0, |v|] makes its value exactly representable.
    if (!(range > 0.0f)) range = std::max(std::fabs(mx), std::fabs(mn));
    else range = std::max(range, kAwqMinRange);
    scale = range / static_cast<float>(qmax);
  } else {
    scale = std::max(std::fabs(mn), std::fabs(mx)) / static_cast<float>(half - 1);
  }
  uint16_t s16 = f32_to_f16(scale);
  float s = f16_to_f32(s16);
  if (!std::isfinite(s)) return false;
  if (s == 0.0f) {
    s16 = kF16MinPositiveBits;
    s = f16_to_f32(s16);
  }
  if (zero_point) zero = static_cast<int>(std::clamp(-round_even(mn / s), 0.0f, static_cast<float>(qmax)));
  else zero = half;
  for (int64_t i = 0; i < len; ++i) {
    const float wi = clamp_w ? std::clamp(w[i], -c, c) : w[i];
    const float q = round_even(wi / s) + static_cast<float>(zero);
    codes[i] = static_cast<uint8_t>(std::clamp(q, 0.0f, static_cast<float>(qmax)));
  }
  *scale_out = s16;
  *zero_out = static_cast<uint8_t>(zero);
  return true;
}

int64_t group_len(int64_t in, int64_t G, int64_t g) { return std::min(G, in - g * G); }

/**
 * dst = dequant(Q(W diag(s))) diag(1/s), [out, in]: what the folded, quantized layer computes, seen
 * from x (s = nullptr: plain RTN). The same numbers as quantize_rtn then dequantize, one row at a
 * time into a reused buffer (the scale search calls it 20 times per linear).
 */
void fake_quant(const float* w, int64_t out, int64_t in, const float* s, const QuantOptions& o, float* dst) {
  const int64_t G = o.group_size, ng = (in + G - 1) / G;
  int64_t bad_row = -1;  // exceptions must not leave the parallel region: record, then throw
#pragma omp parallel if (out * in >= kParallelMinWeights)
  {
    std::vector<uint8_t> codes(static_cast<size_t>(G));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < out; ++r) {
      float* row = dst + r * in;
      for (int64_t i = 0; i < in; ++i) row[i] = s ? w[r * in + i] * s[i] : w[r * in + i];
      for (int64_t g = 0; g < ng; ++g) {
        const int64_t b = g * G, len = group_len(in, G, g);
        uint16_t s16;
        uint8_t z;
        if (!quantize_group(row + b, len, 1.0f, o.bits, o.zero_point, o.clip_codes, codes.data(), &s16, &z)) {
#pragma omp critical
          bad_row = bad_row < 0 ? r : std::min(bad_row, r);
          break;
        }
        const float sc = f16_to_f32(s16);
        for (int64_t i = 0; i < len; ++i)
          row[b + i] = static_cast<float>(static_cast<int>(codes[i]) - static_cast<int>(z)) * sc;
      }
      if (s)
        for (int64_t i = 0; i < in; ++i) row[i] /= s[i];
    }
  }
  if (bad_row >= 0)
    fail("quantize: row {} has weights that are not finite or exceed the fp16 scale range", bad_row);
}

/** Mean squared difference; fixed chunks summed in order, so the value is the same for any thread count. */
double mse(const std::vector<float>& a, const std::vector<float>& b) {
  constexpr int64_t kChunk = int64_t{1} << 16;
  const int64_t n = static_cast<int64_t>(a.size()), n_chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> part(static_cast<size_t>(n_chunks), 0.0);
#pragma omp parallel for schedule(static) if (n >= kParallelMinWeights)
  for (int64_t c = 0; c < n_chunks; ++c) {
    double acc = 0.0;
    for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
      const double d = static_cast<double>(a[i]) - b[i];
      acc += d * d;
    }
    part[static_cast<size_t>(c)] = acc;
  }
  double acc = 0.0;
  for (double v : part) acc += v;
  return n == 0 ? 0.0 : acc / static_cast<double>(n);
}

/** out = silu(gate) * up, shared out by OpenMP (element-wise, so the same numbers for any thread count). */
void silu_mul_parallel(const float* gate, const float* up, int64_t count, float* out) {
  constexpr int64_t kChunk = int64_t{1} << 16;
  const int64_t n_chunks = (count + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (count >= kParallelMinWeights)
  for (int64_t c = 0; c < n_chunks; ++c)
    kernels::silu_mul(gate + c * kChunk, up + c * kChunk, std::min(kChunk, count - c * kChunk), out + c * kChunk);
}

/** Per-input-channel mean |x| over n tokens. */
std::vector<float> mean_abs_x(const float* x, int64_t n, int64_t in) {
  std::vector<double> acc(static_cast<size_t>(in), 0.0);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < in; ++i) acc[i] += std::fabs(x[t * in + i]);
  std::vector<float> m(static_cast<size_t>(in));
  for (int64_t i = 0; i < in; ++i) m[i] = static_cast<float>(acc[i] / std::max<int64_t>(n, 1));
  return m;
}

/**
 * Per-input-channel mean of |w| normalised by its (row, group) |w| max, over the rows of all the
 * group's linears: AutoAWQ's w_mean, so channels compare on the scale the quantizer sees.
 */
std::vector<float> mean_abs_w_normalised(const std::vector<const float*>& ws, const std::vector<int64_t>& outs,
                                         int64_t in, int64_t G) {
  std::vector<double> acc(static_cast<size_t>(in), 0.0);
  int64_t rows = 0;
  const int64_t ng = (in + G - 1) / G;
  for (size_t k = 0; k < ws.size(); ++k) {
    for (int64_t r = 0; r < outs[k]; ++r) {
      const float* row = ws[k] + r * in;
      for (int64_t g = 0; g < ng; ++g) {
        const int64_t b = g * G, len = group_len(in, G, g);
        float amax = 0.0f;
        for (int64_t i = 0; i < len; ++i) amax = std::max(amax, std::fabs(row[b + i]));
        const float denom = amax + kAwqWMeanEps;
        for (int64_t i = 0; i < len; ++i) acc[b + i] += std::fabs(row[b + i]) / denom;
      }
    }
    rows += outs[k];
  }
  std::vector<float> m(static_cast<size_t>(in));
  for (int64_t i = 0; i < in; ++i) m[i] = static_cast<float>(acc[i] / std::max<int64_t>(rows, 1));
  return m;
}

std::vector<float> awq_scales_for_alpha(const std::vector<float>& x_mean, const std::vector<float>& w_mean,
                                        double alpha) {
  const size_t n = x_mean.size();
  std::vector<float> s(n);
  for (size_t i = 0; i < n; ++i) {
    const float v = std::pow(x_mean[i], static_cast<float>(alpha)) /
                    (std::pow(w_mean[i], static_cast<float>(1.0 - alpha)) + kAwqScaleEps);
    s[i] = std::max(v, kAwqScaleEps);
  }
  const auto [mn, mx] = std::minmax_element(s.begin(), s.end());
  const float norm = std::sqrt(*mn * *mx);
  for (auto& v : s) {
    v /= norm;
    if (!std::isfinite(v)) v = 1.0f;  // AutoAWQ resets inf and nan scales to 1
  }
  return s;
}

/**
 * Maps a scaling group's weights (one pointer per linear, each [out_k, in]) to the inspected block
 * output; the result lives in the block's own buffer, reused from call to call.
 */
using BlockFn = std::function<const std::vector<float>&(const std::vector<const float*>&)>;

/**
 * The grid search shared by every scaling group: `block` maps the group's pseudo-quantized
 * weights to the inspected output, compared with its output on the fp weights `ws` (computed
 * once). As AutoAWQ's _compute_best_scale: the first alpha with the smallest loss wins. With
 * o.rtn_candidate the identity (plain RTN) competes too and wins ties.
 */
AwqScaleSearch search_scales(const std::vector<const float*>& ws, const std::vector<int64_t>& outs, int64_t in,
                             const std::vector<float>& x_mean, const BlockFn& block, const QuantOptions& o,
                             bool measure_rtn) {
  const std::vector<float> ref = block(ws);
  std::vector<std::vector<float>> wq(ws.size());  // [outs[k] * in] each, reused for every candidate
  std::vector<const float*> wq_ptr(ws.size());
  for (size_t k = 0; k < ws.size(); ++k) {
    wq[k].resize(static_cast<size_t>(outs[k] * in));
    wq_ptr[k] = wq[k].data();
  }
  auto loss_of = [&](const float* s) {
    for (size_t k = 0; k < ws.size(); ++k) fake_quant(ws[k], outs[k], in, s, o, wq[k].data());
    return mse(block(wq_ptr), ref);
  };
  AwqScaleSearch r;
  r.loss_rtn = measure_rtn || o.rtn_candidate ? loss_of(nullptr) : std::numeric_limits<double>::quiet_NaN();
  r.loss_best = o.rtn_candidate ? r.loss_rtn : std::numeric_limits<double>::infinity();
  r.scales.assign(static_cast<size_t>(in), 1.0f);
  const std::vector<float> w_mean = mean_abs_w_normalised(ws, outs, in, o.group_size);
  for (int step = 0; step < o.scale_grid; ++step) {
    const double alpha = static_cast<double>(step) / o.scale_grid;
    std::vector<float> s = awq_scales_for_alpha(x_mean, w_mean, alpha);
    const double loss = loss_of(s.data());
    if (loss < r.loss_best) {
      r.loss_best = loss;
      r.alpha = alpha;
      r.scales = std::move(s);
    }
  }
  return r;
}

/** y = x wᵀ + b through Eigen (gemm::xwt): deterministic, not bit-equal to kernels::linear_f32. */
std::vector<float> linear_out(const float* x, int64_t n, const float* w, const float* bias, int64_t in, int64_t out) {
  std::vector<float> y(static_cast<size_t>(n * out));
  gemm::xwt(x, n, w, bias, in, out, y.data());
  return y;
}

/** linear_out into a buffer that keeps its allocation from call to call. */
const std::vector<float>& linear_into(const float* x, int64_t n, const float* w, const float* bias, int64_t in,
                                      int64_t out, std::vector<float>& y) {
  y.resize(static_cast<size_t>(n * out));
  gemm::xwt(x, n, w, bias, in, out, y.data());
  return y;
}

/**
 * Causal self-attention of one sequence at positions 0..n-1 (q, k rotated in place), each head's
 * scores and values as matrix products (gemm::), heads shared out by OpenMP. Same math as the
 * inference kernels, not the same summation order: the search only compares its own outputs.
 */
void attention_core(const ModelConfig& c, float* q, float* k, const float* v, int64_t n, float* att) {
  kernels::rope(q, n, c.num_heads, c.head_dim, 0, c.rope_theta, c.rope_layout);
  kernels::rope(k, n, c.num_kv_heads, c.head_dim, 0, c.rope_theta, c.rope_layout);
  const int64_t hd = c.head_dim, Q = c.q_dim(), KV = c.kv_dim(), group = c.num_heads / c.num_kv_heads;
  const float inv_sqrt = 1.0f / std::sqrt(static_cast<float>(hd));
#pragma omp parallel for schedule(static) if (n * n * hd * c.num_heads >= kParallelMinMacs)
  for (int64_t h = 0; h < c.num_heads; ++h) {
    const int64_t kvh = h / group;
    std::vector<float> p(static_cast<size_t>(std::min(n, kAttnRowBlock) * n));
    // Causal: a block of query rows only needs the keys up to its last row (about half the products).
    for (int64_t r0 = 0; r0 < n; r0 += kAttnRowBlock) {
      const int64_t rows = std::min(kAttnRowBlock, n - r0), keys = r0 + rows;
      gemm::abt_strided(q + r0 * Q + h * hd, Q, k + kvh * hd, KV, rows, keys, hd, p.data(), keys);
      for (int64_t t = 0; t < rows; ++t) {
        float* row = p.data() + t * keys;
        const int64_t seen = r0 + t + 1;
        for (int64_t j = 0; j < seen; ++j) row[j] *= inv_sqrt;
        kernels::softmax(row, seen);
        std::fill(row + seen, row + keys, 0.0f);  // later keys weigh nothing
      }
      gemm::ab_strided(p.data(), keys, v + kvh * hd, KV, rows, keys, hd, att + r0 * Q + h * hd, Q);
    }
  }
}

const float* ptr_or_null(const TensorPtr& t) { return t ? t->ptr() : nullptr; }

/** Calibration tokens grouped in sequences: [begin, end) token offsets into the flat activations. */
struct SeqSpans {
  std::vector<int64_t> begin;
  int64_t total = 0;
  int64_t size(size_t i) const {
    return (i + 1 < begin.size() ? begin[i + 1] : total) - begin[i];
  }
};

/** One layer's fp activations over the calibration tokens (sequences concatenated). */
struct LayerActs {
  std::vector<float> xn1;  ///< [T, H] q/k/v input
  std::vector<float> att;  ///< [T, Q] o_proj input
  std::vector<float> xn2;  ///< [T, H] gate/up input
  std::vector<float> act;  ///< [T, I] down input
};

/** Runs one fp layer on every sequence: fills `acts` and the next layer's input `x_out`. */
void run_layer(const ModelConfig& c, const LayerWeights& L, const SeqSpans& spans, const std::vector<float>& x_in,
               LayerActs& acts, std::vector<float>& x_out) {
  const int64_t H = c.hidden_size, Q = c.q_dim(), KV = c.kv_dim(), I = c.intermediate_size, T = spans.total;
  const float eps = static_cast<float>(c.rms_norm_eps);
  acts.xn1.assign(static_cast<size_t>(T * H), 0.0f);
  acts.att.assign(static_cast<size_t>(T * Q), 0.0f);
  acts.xn2.assign(static_cast<size_t>(T * H), 0.0f);
  acts.act.assign(static_cast<size_t>(T * I), 0.0f);
  x_out = x_in;
  kernels::rmsnorm(x_in.data(), L.attn_norm.ptr(), T, H, eps, acts.xn1.data());
  std::vector<float> q = linear_out(acts.xn1.data(), T, L.q.weight->ptr(), ptr_or_null(L.q.bias), H, Q);
  std::vector<float> k = linear_out(acts.xn1.data(), T, L.k.weight->ptr(), ptr_or_null(L.k.bias), H, KV);
  std::vector<float> v = linear_out(acts.xn1.data(), T, L.v.weight->ptr(), ptr_or_null(L.v.bias), H, KV);
  for (size_t s = 0; s < spans.begin.size(); ++s) {
    const int64_t b = spans.begin[s], n = spans.size(s);
    attention_core(c, q.data() + b * Q, k.data() + b * KV, v.data() + b * KV, n, acts.att.data() + b * Q);
  }
  std::vector<float> o = linear_out(acts.att.data(), T, L.o.weight->ptr(), nullptr, Q, H);
  kernels::add(x_out.data(), o.data(), T * H);
  kernels::rmsnorm(x_out.data(), L.mlp_norm.ptr(), T, H, eps, acts.xn2.data());
  std::vector<float> g = linear_out(acts.xn2.data(), T, L.gate.weight->ptr(), nullptr, H, I);
  std::vector<float> u = linear_out(acts.xn2.data(), T, L.up.weight->ptr(), nullptr, H, I);
  kernels::silu_mul(g.data(), u.data(), T * I, acts.act.data());
  std::vector<float> d = linear_out(acts.act.data(), T, L.down.weight->ptr(), nullptr, I, H);
  kernels::add(x_out.data(), d.data(), T * H);
}

std::shared_ptr<Tensor> copy_tensor(const TensorPtr& t) { return t ? std::make_shared<Tensor>(*t) : nullptr; }

/** A deep copy of a layer's fp32 linears so scales can be folded without touching the source. */
LayerWeights deep_copy_layer(const LayerWeights& L) {
  LayerWeights c = L;
  for (Linear* lin : {&c.q, &c.k, &c.v, &c.o, &c.gate, &c.up, &c.down}) {
    lin->weight = copy_tensor(lin->weight);
    lin->bias = copy_tensor(lin->bias);
  }
  return c;
}

float* mut(const TensorPtr& t) { return const_cast<float*>(t->ptr()); }  // only on deep copies

void check_linear_fp(const Linear& lin, int64_t layer, const char* which) {
  if (!lin.weight)
    fail("quantize: {} has no fp32 weights (the model is already quantized?)", hf_linear_name(layer, which));
}

void scale_columns(Linear& lin, const std::vector<float>& s) {
  float* w = mut(lin.weight);
  for (int64_t r = 0; r < lin.out_features; ++r)
    for (int64_t i = 0; i < lin.in_features; ++i) w[r * lin.in_features + i] *= s[i];
}

void divide_rows(Linear& lin, const std::vector<float>& s) {
  float* w = mut(lin.weight);
  for (int64_t r = 0; r < lin.out_features; ++r)
    for (int64_t i = 0; i < lin.in_features; ++i) w[r * lin.in_features + i] /= s[r];
  if (lin.bias) {
    float* b = mut(lin.bias);
    for (int64_t r = 0; r < lin.out_features; ++r) b[r] /= s[r];
  }
}

void divide_columns(std::vector<float>& x, int64_t cols, const std::vector<float>& s) {
  const int64_t rows = static_cast<int64_t>(x.size()) / cols;
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t i = 0; i < cols; ++i) x[t * cols + i] /= s[i];
}

/** First whole sequences covering at least `tokens` tokens (all for tokens <= 0): the scale search's tokens. */
int64_t search_token_count(const SeqSpans& spans, int64_t tokens, size_t* n_seqs) {
  if (tokens <= 0) {
    *n_seqs = spans.begin.size();
    return spans.total;
  }
  size_t k = 0;
  int64_t covered = 0;
  while (k < spans.begin.size() && covered < tokens) covered += spans.size(k++);
  *n_seqs = k;
  return covered;
}

}  // namespace

void QuantOptions::validate() const {
  if (method != "awq" && method != "rtn") fail("quantize: method must be awq or rtn (got '{}')", method);
  if (bits < kMinBits || bits > kMaxBits) fail("quantize: bits must be in [{}, {}] (got {})", kMinBits, kMaxBits, bits);
  if (group_size <= 0) fail("quantize: group size must be > 0 (got {})", group_size);
  if (scale_grid <= 0) fail("quantize: scale grid must be > 0 (got {})", scale_grid);
  if (clip_grid <= 0) fail("quantize: clip grid must be > 0 (got {})", clip_grid);
  if (!(max_shrink >= 0.0 && max_shrink < 1.0)) fail("quantize: max shrink must be in [0, 1) (got {})", max_shrink);
  if (calib_samples <= 0) fail("quantize: calibration samples must be > 0 (got {})", calib_samples);
  if (calib_seq_len <= 0) fail("quantize: calibration sequence length must be > 0 (got {})", calib_seq_len);
  if (search_tokens < 0) fail("quantize: search tokens must be >= 0 (0: all; got {})", search_tokens);
  if (clip_sample_tokens < 0) fail("quantize: clip sample tokens must be >= 0 (0: all; got {})", clip_sample_tokens);
}

QuantLinear quantize_rtn(const float* w, int64_t out, int64_t in, const QuantOptions& o,
                         const float* clip_ratio_per_group) {
  o.validate();
  if (out <= 0 || in <= 0) fail("quantize: linear shape [{}, {}] must be positive", out, in);
  QuantLinear q;
  q.in_features = in;
  q.out_features = out;
  q.group_size = o.group_size;
  q.bits = o.bits;
  q.has_zero = o.zero_point;
  const int64_t ng = q.n_groups();
  q.q.resize(static_cast<size_t>(out * in));
  q.scales.resize(static_cast<size_t>(out * ng));
  q.zeros.resize(static_cast<size_t>(out * ng));
  int64_t bad_row = -1;  // exceptions must not leave the parallel region: record, then throw
#pragma omp parallel for schedule(static) if (out * in >= kParallelMinWeights)
  for (int64_t r = 0; r < out; ++r) {
    for (int64_t g = 0; g < ng; ++g) {
      const int64_t b = g * o.group_size;
      const float clip = clip_ratio_per_group ? clip_ratio_per_group[r * ng + g] : 1.0f;
      if (!quantize_group(w + r * in + b, group_len(in, o.group_size, g), clip, o.bits, o.zero_point, o.clip_codes,
                          q.q.data() + r * in + b, &q.scales[r * ng + g], &q.zeros[r * ng + g])) {
#pragma omp critical
        bad_row = bad_row < 0 ? r : std::min(bad_row, r);
      }
    }
  }
  if (bad_row >= 0)
    fail("quantize: row {} has weights that are not finite or exceed the fp16 scale range", bad_row);
  return q;
}

void dequantize(const QuantLinear& q, float* w_out) {
  const int64_t in = q.in_features, ng = q.n_groups();
#pragma omp parallel for schedule(static) if (q.out_features * in >= kParallelMinWeights)
  for (int64_t r = 0; r < q.out_features; ++r)
    for (int64_t i = 0; i < in; ++i) {
      const int64_t g = i / q.group_size;
      w_out[r * in + i] = static_cast<float>(static_cast<int>(q.q[r * in + i]) - static_cast<int>(q.zeros[r * ng + g])) *
                          f16_to_f32(q.scales[r * ng + g]);
    }
}

bool awq_can_fold_o_into_v(const ModelConfig& c) { return c.kv_dim() == c.q_dim(); }

void apply_awq_scales(LayerWeights& L, const ModelConfig& c, const AwqLayerScales& s) {
  auto check = [](const std::vector<float>& v, int64_t want, const char* what) {
    if (!v.empty() && static_cast<int64_t>(v.size()) != want)
      fail("awq scales: {} has {} entries, the layer needs {}", what, v.size(), want);
  };
  check(s.qkv, c.hidden_size, "qkv");
  check(s.o, c.q_dim(), "o");
  check(s.mlp, c.hidden_size, "mlp");
  check(s.down, c.intermediate_size, "down");
  if (!s.o.empty() && !awq_can_fold_o_into_v(c))
    fail("awq scales: o_proj scales cannot fold into v_proj (v out {} != o in {}, grouped-query attention)",
         c.kv_dim(), c.q_dim());
  if (!s.qkv.empty()) {
    for (int64_t i = 0; i < c.hidden_size; ++i) L.attn_norm.data[i] /= s.qkv[i];
    for (Linear* lin : {&L.q, &L.k, &L.v}) scale_columns(*lin, s.qkv);
  }
  if (!s.o.empty()) {
    divide_rows(L.v, s.o);
    scale_columns(L.o, s.o);
  }
  if (!s.mlp.empty()) {
    for (int64_t i = 0; i < c.hidden_size; ++i) L.mlp_norm.data[i] /= s.mlp[i];
    for (Linear* lin : {&L.gate, &L.up}) scale_columns(*lin, s.mlp);
  }
  if (!s.down.empty()) {
    divide_rows(L.up, s.down);
    scale_columns(L.down, s.down);
  }
}

AwqScaleSearch awq_search_scale_linear(const float* w, int64_t out, int64_t in, const float* x, int64_t n_tokens,
                                       const QuantOptions& o) {
  o.validate();
  std::vector<float> y;
  auto block = [&](const std::vector<const float*>& wq) -> const std::vector<float>& {
    return linear_into(x, n_tokens, wq[0], nullptr, in, out, y);
  };
  return search_scales({w}, {out}, in, mean_abs_x(x, n_tokens, in), block, o, /*measure_rtn=*/true);
}

std::vector<float> awq_search_clip(const float* w, int64_t out, int64_t in, const float* x, int64_t n_tokens,
                                   const QuantOptions& o) {
  o.validate();
  const int64_t G = o.group_size, ng = (in + G - 1) / G;
  std::vector<float> best(static_cast<size_t>(out * ng), 1.0f);
  // AutoAWQ: for i_s in range(int(max_shrink * n_grid)); the extra also tries i_s = that bound.
  const int n_ratios = static_cast<int>(o.max_shrink * o.clip_grid + 1e-9) + (o.clip_include_max_shrink ? 1 : 0);
  if (n_ratios <= 1 || n_tokens == 0) return best;
  // AutoAWQ's input_feat[:, ::max(1, T // n_sample_token)]: every step-th token from the first.
  const int64_t step = o.clip_sample_tokens > 0 ? std::max<int64_t>(1, n_tokens / o.clip_sample_tokens) : 1;
  const int64_t ns = (n_tokens + step - 1) / step;
  std::vector<float> xs(static_cast<size_t>(ns * in));
  for (int64_t t = 0; t < ns; ++t) std::copy_n(x + t * step * in, in, xs.data() + t * in);
  std::vector<float> ratios(static_cast<size_t>(n_ratios));
  for (int i = 0; i < n_ratios; ++i) ratios[i] = static_cast<float>(1.0 - static_cast<double>(i) / o.clip_grid);
  // The error of a group's partial sum, mean over tokens of (x·d)² with d = w_q - w, equals
  // dᵀ (XᵀX / T) d: one Gram matrix per group, then all rows and ratios of the group in one GEMM.
#pragma omp parallel for schedule(dynamic, 1) if (out * in * G * n_ratios >= kParallelMinMacs)
  for (int64_t g = 0; g < ng; ++g) {
    const int64_t b = g * G, len = group_len(in, G, g);
    std::vector<float> gram(static_cast<size_t>(len * len));
    gemm::ata(xs.data() + b, ns, len, in, gram.data());
    for (auto& v : gram) v /= static_cast<float>(ns);
    std::vector<float> d(static_cast<size_t>(out * n_ratios * len), 0.0f), dg(d.size());
    std::vector<uint8_t> ok(static_cast<size_t>(out * n_ratios), 0), codes(static_cast<size_t>(len));
    for (int64_t r = 0; r < out; ++r) {
      const float* wr = w + r * in + b;
      for (int k = 0; k < n_ratios; ++k) {
        uint16_t s16;
        uint8_t z;
        if (!quantize_group(wr, len, ratios[k], o.bits, o.zero_point, o.clip_codes, codes.data(), &s16, &z)) break;
        const float s = f16_to_f32(s16);
        float* dr = d.data() + (r * n_ratios + k) * len;
        for (int64_t i = 0; i < len; ++i) dr[i] = static_cast<float>(static_cast<int>(codes[i]) - z) * s - wr[i];
        ok[r * n_ratios + k] = 1;
      }
    }
    gemm::ab(d.data(), out * n_ratios, len, gram.data(), len, dg.data());
    for (int64_t r = 0; r < out; ++r) {
      float best_err = std::numeric_limits<float>::infinity();
      for (int k = 0; k < n_ratios && ok[r * n_ratios + k]; ++k) {
        const float* dr = d.data() + (r * n_ratios + k) * len;
        const float* gr = dg.data() + (r * n_ratios + k) * len;
        double err = 0.0;
        for (int64_t i = 0; i < len; ++i) err += static_cast<double>(dr[i]) * gr[i];
        if (static_cast<float>(err) < best_err) {  // strict: ties keep the larger ratio (AutoAWQ)
          best_err = static_cast<float>(err);
          best[r * ng + g] = ratios[k];
        }
      }
    }
  }
  return best;
}

namespace {

/** Quantizes a fp32 linear (after folding) with optional clip ratios into a quant-only Linear. */
void finish_linear(Linear& lin, const QuantOptions& o, const float* clip) {
  auto q = std::make_shared<QuantLinear>(
      quantize_rtn(lin.weight->ptr(), lin.out_features, lin.in_features, o, clip));
  lin.quant = std::move(q);
  lin.weight.reset();
}

void quantize_layer_awq(const ModelConfig& c, LayerWeights& L, LayerActs& acts, const SeqSpans& spans,
                        const QuantOptions& o, int64_t layer) {
  const int64_t H = c.hidden_size, Q = c.q_dim(), KV = c.kv_dim(), I = c.intermediate_size, T = spans.total;
  size_t n_search_seqs = 0;
  const int64_t Ts = search_token_count(spans, o.search_tokens, &n_search_seqs);
  AwqLayerScales scales;
  if (o.search_scale) {
    if (o.progress) o.progress(layer, c.num_layers, "scale search");
    // Block buffers, kept from candidate to candidate: q [Ts, Q], k and v [Ts, KV], att [Ts, Q],
    // g and u [Ts, I], y [Ts, H].
    std::vector<float> q, k, v, att, g, u, y;
    // q, k, v inspected at the attention block output (o_proj in fp32), as AutoAWQ does.
    auto attn_block = [&](const std::vector<const float*>& wq) -> const std::vector<float>& {
      linear_into(acts.xn1.data(), Ts, wq[0], ptr_or_null(L.q.bias), H, Q, q);
      linear_into(acts.xn1.data(), Ts, wq[1], ptr_or_null(L.k.bias), H, KV, k);
      linear_into(acts.xn1.data(), Ts, wq[2], ptr_or_null(L.v.bias), H, KV, v);
      att.resize(static_cast<size_t>(Ts * Q));
      for (size_t s = 0; s < n_search_seqs; ++s) {
        const int64_t b = spans.begin[s];
        attention_core(c, q.data() + b * Q, k.data() + b * KV, v.data() + b * KV, spans.size(s), att.data() + b * Q);
      }
      return linear_into(att.data(), Ts, L.o.weight->ptr(), nullptr, Q, H, y);
    };
    scales.qkv = search_scales({L.q.weight->ptr(), L.k.weight->ptr(), L.v.weight->ptr()}, {Q, KV, KV}, H,
                               mean_abs_x(acts.xn1.data(), T, H), attn_block, o, false)
                     .scales;

    if (awq_can_fold_o_into_v(c)) {
      auto o_block = [&](const std::vector<const float*>& wq) -> const std::vector<float>& {
        return linear_into(acts.att.data(), Ts, wq[0], nullptr, Q, H, y);
      };
      scales.o = search_scales({L.o.weight->ptr()}, {H}, Q, mean_abs_x(acts.att.data(), T, Q), o_block, o, false)
                     .scales;
    }

    // gate and up inspected at the MLP output (down_proj in fp32).
    auto mlp_block = [&](const std::vector<const float*>& wq) -> const std::vector<float>& {
      linear_into(acts.xn2.data(), Ts, wq[0], nullptr, H, I, g);
      linear_into(acts.xn2.data(), Ts, wq[1], nullptr, H, I, u);
      silu_mul_parallel(g.data(), u.data(), Ts * I, g.data());
      return linear_into(g.data(), Ts, L.down.weight->ptr(), nullptr, I, H, y);
    };
    scales.mlp =
        search_scales({L.gate.weight->ptr(), L.up.weight->ptr()}, {I, I}, H, mean_abs_x(acts.xn2.data(), T, H),
                      mlp_block, o, false)
            .scales;
    g = std::vector<float>();  // [Ts, I] buffers are the largest: free them before the next search
    u = std::vector<float>();

    auto down_block = [&](const std::vector<const float*>& wq) -> const std::vector<float>& {
      return linear_into(acts.act.data(), Ts, wq[0], nullptr, I, H, y);
    };
    scales.down = search_scales({L.down.weight->ptr()}, {H}, I, mean_abs_x(acts.act.data(), T, I), down_block, o,
                                false)
                      .scales;

    apply_awq_scales(L, c, scales);
    // The captured inputs now see the folded 1/s, as the folded model would produce them.
    divide_columns(acts.xn1, H, scales.qkv);
    if (!scales.o.empty()) divide_columns(acts.att, Q, scales.o);
    divide_columns(acts.xn2, H, scales.mlp);
    divide_columns(acts.act, I, scales.down);
  }

  std::vector<float> clip_v, clip_o, clip_gate, clip_up, clip_down;
  if (o.search_clip) {
    if (o.progress) o.progress(layer, c.num_layers, "clip search");
    // q and k are left unclipped: their errors pass through softmax, not the MSE measured here.
    clip_v = awq_search_clip(L.v.weight->ptr(), KV, H, acts.xn1.data(), T, o);
    clip_o = awq_search_clip(L.o.weight->ptr(), H, Q, acts.att.data(), T, o);
    clip_gate = awq_search_clip(L.gate.weight->ptr(), I, H, acts.xn2.data(), T, o);
    clip_up = awq_search_clip(L.up.weight->ptr(), I, H, acts.xn2.data(), T, o);
    clip_down = awq_search_clip(L.down.weight->ptr(), H, I, acts.act.data(), T, o);
  }
  auto clip_ptr = [](const std::vector<float>& v) { return v.empty() ? nullptr : v.data(); };
  if (o.progress) o.progress(layer, c.num_layers, "quantize");
  finish_linear(L.q, o, nullptr);
  finish_linear(L.k, o, nullptr);
  finish_linear(L.v, o, clip_ptr(clip_v));
  finish_linear(L.o, o, clip_ptr(clip_o));
  finish_linear(L.gate, o, clip_ptr(clip_gate));
  finish_linear(L.up, o, clip_ptr(clip_up));
  finish_linear(L.down, o, clip_ptr(clip_down));
}

}  // namespace

std::shared_ptr<ModelWeights> quantize_model(const ModelWeights& fp, const QuantOptions& o,
                                             const std::vector<std::vector<int32_t>>& calib_sequences) {
  o.validate();
  fp.validate("quantize");
  const ModelConfig& c = fp.config;
  auto out = std::make_shared<ModelWeights>();
  out->config = c;
  out->embed = fp.embed;
  out->final_norm = fp.final_norm;
  out->lm_head = fp.lm_head;
  out->layers.reserve(fp.layers.size());
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const auto& L = fp.layers[static_cast<size_t>(l)];
    for (auto [lin, name] : {std::pair{&L.q, "q_proj"}, {&L.k, "k_proj"}, {&L.v, "v_proj"}, {&L.o, "o_proj"},
                             {&L.gate, "gate_proj"}, {&L.up, "up_proj"}, {&L.down, "down_proj"}})
      check_linear_fp(*lin, l, name);
  }

  if (o.method == "rtn") {
    for (int64_t l = 0; l < c.num_layers; ++l) {
      if (o.progress) o.progress(l, c.num_layers, "quantize");
      LayerWeights L = fp.layers[static_cast<size_t>(l)];
      for (Linear* lin : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) finish_linear(*lin, o, nullptr);
      out->layers.push_back(std::move(L));
    }
  } else {
    if (calib_sequences.empty()) fail("quantize: awq needs calibration sequences (got none)");
    SeqSpans spans;
    for (size_t s = 0; s < calib_sequences.size(); ++s) {
      const auto& seq = calib_sequences[s];
      if (seq.empty()) fail("quantize: calibration sequence {} is empty", s);
      if (static_cast<int64_t>(seq.size()) > c.max_context)
        fail("quantize: calibration sequence {} has {} tokens, more than the model's context of {}", s, seq.size(),
             c.max_context);
      for (int32_t t : seq)
        if (t < 0 || t >= c.vocab_size)
          fail("quantize: calibration sequence {} holds token id {}, outside the vocabulary [0, {})", s, t,
               c.vocab_size);
      spans.begin.push_back(spans.total);
      spans.total += static_cast<int64_t>(seq.size());
    }
    const int64_t H = c.hidden_size;
    std::vector<float> x(static_cast<size_t>(spans.total * H)), x_next;
    int64_t row = 0;
    for (const auto& seq : calib_sequences)
      for (int32_t t : seq) {
        std::copy_n(fp.embed->ptr() + static_cast<int64_t>(t) * H, H, x.data() + row * H);
        ++row;
      }
    for (int64_t l = 0; l < c.num_layers; ++l) {
      if (o.progress) o.progress(l, c.num_layers, "capture");
      LayerActs acts;
      // Inputs of the next layer come from this layer in fp32, before any scaling or rounding.
      run_layer(c, fp.layers[static_cast<size_t>(l)], spans, x, acts, x_next);
      LayerWeights L = deep_copy_layer(fp.layers[static_cast<size_t>(l)]);
      quantize_layer_awq(c, L, acts, spans, o, l);
      out->layers.push_back(std::move(L));
      x.swap(x_next);
    }
  }
  if (o.quantize_lm_head) {
    if (!fp.lm_head.weight) fail("quantize: lm_head has no fp32 weights");
    // lm_head gets plain RTN: with tied embeddings no previous op can absorb AWQ scales.
    finish_linear(out->lm_head, o, nullptr);
  }
  if (o.progress) o.progress(c.num_layers, c.num_layers, "done");
  return out;
}

namespace {

/** Each blank-line-separated document of `text`, stripped and encoded with BOS where the tokenizer has one. */
std::vector<std::vector<int32_t>> encode_each_document(const Tokenizer& tok, const std::string& text) {
  std::vector<std::vector<int32_t>> docs;
  std::string doc;
  auto flush = [&] {
    const auto b = doc.find_first_not_of(" \t\r\n");
    if (b != std::string::npos) {
      const auto e = doc.find_last_not_of(" \t\r\n");
      docs.push_back(tok.encode(doc.substr(b, e - b + 1), true));
    }
    doc.clear();
  };
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      flush();
    } else {
      if (!doc.empty()) doc += '\n';
      doc += line;
    }
  }
  flush();
  return docs;
}

}  // namespace

std::vector<int32_t> encode_documents(const Tokenizer& tok, const std::string& text) {
  std::vector<int32_t> stream;
  // Each document starts with BOS like the model's training data.
  for (const auto& ids : encode_each_document(tok, text)) stream.insert(stream.end(), ids.begin(), ids.end());
  return stream;
}

std::vector<std::vector<int32_t>> make_calibration_blocks(const std::vector<std::vector<int32_t>>& samples,
                                                          int64_t n_samples, int64_t block_len,
                                                          int64_t max_sample_len) {
  if (n_samples <= 0) fail("calibration: number of samples must be > 0 (got {})", n_samples);
  if (block_len <= 0) fail("calibration: block length must be > 0 (got {})", block_len);
  if (max_sample_len < 0) fail("calibration: longest sample must be >= 0 (got {}; 0: the block length)", max_sample_len);
  const int64_t longest = max_sample_len == 0 ? block_len : max_sample_len;
  std::vector<int32_t> cat;
  int64_t kept = 0, skipped = 0;
  for (const auto& s : samples) {
    if (kept == n_samples) break;
    if (static_cast<int64_t>(s.size()) > longest) {
      ++skipped;  // AutoAWQ skips samples longer than max_seq_len rather than cutting them
      continue;
    }
    if (s.empty()) continue;
    cat.insert(cat.end(), s.begin(), s.end());
    ++kept;
  }
  const int64_t n_blocks = static_cast<int64_t>(cat.size()) / block_len;
  if (n_blocks == 0)
    fail("calibration: {} samples of at most {} tokens give {} tokens ({} longer samples skipped), not one block of "
         "{}; give more text or a shorter block length", kept, longest, cat.size(), skipped, block_len);
  std::vector<std::vector<int32_t>> blocks(static_cast<size_t>(n_blocks));
  for (int64_t i = 0; i < n_blocks; ++i)
    blocks[static_cast<size_t>(i)].assign(cat.begin() + i * block_len, cat.begin() + (i + 1) * block_len);
  return blocks;
}

std::vector<std::vector<int32_t>> make_calibration_sequences(const Tokenizer& tok, const std::string& text,
                                                             int64_t n_samples, int64_t seq_len,
                                                             int64_t max_sample_len) {
  return make_calibration_blocks(encode_each_document(tok, text), n_samples, seq_len, max_sample_len);
}

std::vector<std::vector<int32_t>> read_token_samples(const std::string& path) {
  std::istringstream in(read_text_file(path));
  std::vector<std::vector<int32_t>> samples;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream ls(line);
    std::vector<int32_t> ids;
    std::string tok;
    while (ls >> tok) {
      size_t used = 0;
      long long v = -1;
      try {
        v = std::stoll(tok, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != tok.size() || v < 0 || v > std::numeric_limits<int32_t>::max())
        fail("{}:{}: '{}' is not a token id (non-negative integer)", path, line_no, tok);
      ids.push_back(static_cast<int32_t>(v));
    }
    if (!ids.empty()) samples.push_back(std::move(ids));
  }
  return samples;
}

std::vector<std::vector<int32_t>> make_random_sequences(int64_t vocab, int64_t n_samples, int64_t seq_len,
                                                        uint64_t seed) {
  if (vocab <= 0 || n_samples <= 0 || seq_len <= 0)
    fail("random sequences: vocab ({}), samples ({}) and length ({}) must be > 0", vocab, n_samples, seq_len);
  uint64_t state = seed ? seed : 1;
  std::vector<std::vector<int32_t>> seqs(static_cast<size_t>(n_samples));
  for (auto& s : seqs)
    for (int64_t i = 0; i < seq_len; ++i) {
      // xorshift64*: portable, unlike std::uniform_int_distribution.
      state ^= state >> 12;
      state ^= state << 25;
      state ^= state >> 27;
      s.push_back(static_cast<int32_t>(((state * kRandomSeqMultiplier) >> 32) % static_cast<uint64_t>(vocab)));
    }
  return seqs;
}

std::string read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open text file", path);
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.find_first_not_of(" \t\r\n") == std::string::npos) fail("{}: text file is empty", path);
  return s;
}

}  // namespace fpgallm
