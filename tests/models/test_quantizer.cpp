#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "models/llm/AwqBackend.h"
#include "models/quant/AwqKernels.h"
#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/checkpoint/Llama2c.h"
#include "models/checkpoint/Synthetic.h"
#include "models/llm/ModelConfig.h"
#include "models/quant/Quantizer.h"
#include "models/llm/Qwen2Model.h"
#include "models/llm/Sampler.h"
#include "models/tokenizer/Tokenizer.h"

using namespace fpgallm;

namespace {

const std::string kData = FPGALLM_DATA_DIR;

std::vector<float> randn(size_t n, uint32_t seed, float std = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.0f, std);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

/** Calibration inputs whose channels `outliers` are `factor` times larger, as in real LLMs. */
std::vector<float> outlier_inputs(int64_t n, int64_t in, const std::vector<int64_t>& outliers, float factor,
                                  uint32_t seed) {
  std::vector<float> x = randn(static_cast<size_t>(n * in), seed);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t c : outliers) x[t * in + c] *= factor;
  return x;
}

QuantOptions opts(int64_t G, int bits = 4, bool zero = true) {
  QuantOptions o;
  o.group_size = G;
  o.bits = bits;
  o.zero_point = zero;
  return o;
}

std::vector<float> matmul(const std::vector<float>& x, int64_t n, const std::vector<float>& w, int64_t out,
                          int64_t in) {
  std::vector<float> y(static_cast<size_t>(n * out));
  kernels::linear_f32(x.data(), n, w.data(), nullptr, in, out, y.data());
  return y;
}

double mse(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return s / double(a.size());
}

}  // namespace

TEST(QuantizeRtn, AsymmetricFormulaOnHandComputedGroup) {
  // min -1, max 2: scale 3/15 = 0.2 -> fp16 0x3266 = 0.199951171875; zero = -round(-5.0012) = 5.
  const std::vector<float> w = {-1.0f, 0.0f, 0.5f, 2.0f};
  QuantLinear q = quantize_rtn(w.data(), 1, 4, opts(4));
  EXPECT_EQ(q.scales[0], 0x3266);
  EXPECT_EQ(q.zeros[0], 5);
  EXPECT_EQ(q.q, (std::vector<uint8_t>{0, 5, 8, 15}));
  EXPECT_EQ(q.n_groups(), 1);
}

TEST(QuantizeRtn, RoundsHalfToEvenLikeTorch) {
  // scale 3.75/15 = 0.25 exactly; 0.625/0.25 = 2.5 -> 2 and 0.875/0.25 = 3.5 -> 4.
  const std::vector<float> w = {0.0f, 0.625f, 0.875f, 3.75f};
  QuantLinear q = quantize_rtn(w.data(), 1, 4, opts(4));
  EXPECT_EQ(f16_to_f32(q.scales[0]), 0.25f);
  EXPECT_EQ(q.zeros[0], 0);
  EXPECT_EQ(q.q, (std::vector<uint8_t>{0, 2, 4, 15}));
}

TEST(QuantizeRtn, SymmetricFixesZeroAtHalfRange) {
  // absmax 1.4 / 7 = 0.2 -> 0.199951171875; zero 8; -1.4 -> -7 -> 1, 0.7 -> 3.5009 -> 4 -> 12.
  const std::vector<float> w = {-1.4f, 0.7f, 0.1f, 0.0f};
  QuantLinear q = quantize_rtn(w.data(), 1, 4, opts(4, 4, false));
  EXPECT_EQ(q.zeros[0], 8);
  EXPECT_EQ(q.scales[0], 0x3266);
  EXPECT_EQ(q.q, (std::vector<uint8_t>{1, 12, 9, 8}));
  EXPECT_FALSE(q.has_zero);
}

TEST(QuantizeRtn, ConstantAndZeroGroupsReconstructExactly) {
  const std::vector<float> w = {0.75f, 0.75f, 0.75f, 0.75f, -0.5f, -0.5f, -0.5f, -0.5f, 0, 0, 0, 0};
  QuantLinear q = quantize_rtn(w.data(), 3, 4, opts(4));
  std::vector<float> d(w.size());
  dequantize(q, d.data());
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(d[i], w[i], 1e-3f * std::fabs(w[i]) + 1e-7f) << i;
}

TEST(QuantizeRtn, PartialLastGroupUsesOnlyItsOwnChannels) {
  // in = 6 with G = 4: the second group holds 2 channels (zero-padded in packed forms).
  const std::vector<float> w = {-8, 1, 2, 7, 0.1f, -0.2f};
  QuantLinear q = quantize_rtn(w.data(), 1, 6, opts(4));
  ASSERT_EQ(q.n_groups(), 2);
  ASSERT_EQ(q.q.size(), 6u);
  // Group 1 range is 0.3, not the 15 of group 0: its own scale.
  EXPECT_NEAR(f16_to_f32(q.scales[1]), 0.3f / 15, 1e-5f);
  std::vector<float> d(6);
  dequantize(q, d.data());
  EXPECT_NEAR(d[4], 0.1f, 0.011f);
  EXPECT_NEAR(d[5], -0.2f, 0.011f);
}

TEST(QuantizeRtn, DequantErrorWithinHalfStepForBitsThreeFourEight) {
  const int64_t out = 16, in = 200;
  const std::vector<float> w = randn(out * in, 7);
  for (int bits : {3, 4, 8}) {
    for (int64_t G : {32, 64, 128}) {
      QuantLinear q = quantize_rtn(w.data(), out, in, opts(G, bits));
      std::vector<float> d(w.size());
      dequantize(q, d.data());
      for (int64_t r = 0; r < out; ++r)
        for (int64_t i = 0; i < in; ++i) {
          const float s = f16_to_f32(q.scales[r * q.n_groups() + i / G]);
          // Half a step, plus the fp16 rounding of the scale (relative 2^-11) over 2^bits - 1 steps.
          const float bound = s * (0.5f + static_cast<float>((1 << bits) - 1) * std::ldexp(1.0f, -11)) * 1.0001f;
          ASSERT_LE(std::fabs(d[r * in + i] - w[r * in + i]), bound) << bits << " " << G << " " << r << " " << i;
          ASSERT_LT(q.q[r * in + i], 1 << bits);
        }
    }
  }
}

TEST(QuantizeRtn, ClipRatioShrinksTheRange) {
  const std::vector<float> w = {-1.0f, 0.1f, 0.2f, 10.0f};
  const float clip[1] = {0.5f};
  QuantLinear q = quantize_rtn(w.data(), 1, 4, opts(4), clip);
  // Range becomes [-1, 5]: scale 6/15 = 0.4.
  EXPECT_NEAR(f16_to_f32(q.scales[0]), 0.4f, 1e-3f);
  std::vector<float> d(4);
  dequantize(q, d.data());
  EXPECT_NEAR(d[3], 5.0f, 0.21f);
}

TEST(QuantizeRtn, ClipClampsTheWeightsBeforeRoundingLikeAutoAwqUnlessClipCodes) {
  // AutoAWQ clamps w to [-c, c] and then quantizes; with the fp16 scale, c itself can land on
  // qmax - 1, where the clip_codes extra (shrunk range, saturated codes) gives qmax.
  const int64_t G = 16, rows = 4000;
  const std::vector<float> w = randn(static_cast<size_t>(rows * G), 77);
  std::vector<float> ratio(static_cast<size_t>(rows), 0.7f);
  QuantOptions clamp_w = opts(G), clamp_codes = opts(G);
  clamp_codes.clip_codes = true;
  const QuantLinear a = quantize_rtn(w.data(), rows, G, clamp_w, ratio.data());
  const QuantLinear b = quantize_rtn(w.data(), rows, G, clamp_codes, ratio.data());
  int64_t differ = 0;
  for (int64_t r = 0; r < rows; ++r) {
    ASSERT_EQ(a.scales[r], b.scales[r]);  // same shrunk range either way
    ASSERT_EQ(a.zeros[r], b.zeros[r]);
    float absmax = 0;
    for (int64_t i = 0; i < G; ++i) absmax = std::max(absmax, std::fabs(w[r * G + i]));
    const float c = absmax * 0.7f, s = f16_to_f32(a.scales[r]);
    for (int64_t i = 0; i < G; ++i) {
      const float v = w[r * G + i];
      if (v <= c) continue;
      const float want = std::clamp(std::nearbyint(c / s) + a.zeros[r], 0.0f, 15.0f);
      ASSERT_EQ(a.q[r * G + i], static_cast<uint8_t>(want)) << r << " " << i;
      ASSERT_EQ(b.q[r * G + i], std::clamp(std::nearbyint(v / s) + b.zeros[r], 0.0f, 15.0f)) << r << " " << i;
      differ += a.q[r * G + i] != b.q[r * G + i];
    }
  }
  EXPECT_GT(differ, 0);  // the two forms are not the same quantizer
}

TEST(QuantizeRtn, RejectsBadOptionsAndNonFiniteWeights) {
  const std::vector<float> w = {1, 2, 3, 4};
  EXPECT_THROW(quantize_rtn(w.data(), 1, 4, opts(0)), Error);
  EXPECT_THROW(quantize_rtn(w.data(), 1, 4, opts(4, 9)), Error);
  QuantOptions bad = opts(4);
  bad.method = "gptq";
  EXPECT_THROW(quantize_rtn(w.data(), 1, 4, bad), Error);
  const std::vector<float> nan = {1, NAN, 3, 4};
  try {
    quantize_rtn(nan.data(), 1, 4, opts(4));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 0"), std::string::npos);
  }
}

TEST(AwqKernel, LinearMatchesGroupPartialOrderBitExactly) {
  const int64_t out = 5, in = 70, n = 3;  // 70: partial last group, lanes not a multiple of 8
  const std::vector<float> w = randn(out * in, 11), x = randn(n * in, 12), bias = randn(out, 13);
  QuantLinear q = quantize_rtn(w.data(), out, in, opts(32));
  std::vector<float> y(n * out);
  awq_linear(q, x.data(), n, bias.data(), y.data());
  for (int64_t t = 0; t < n; ++t)
    for (int64_t o = 0; o < out; ++o) {
      float acc = 0.0f;
      for (int64_t g = 0; g < q.n_groups(); ++g) {
        const int64_t b = g * 32, len = std::min<int64_t>(32, in - b);
        acc += awq_group_partial(q.q.data() + o * in + b, q.zeros[o * q.n_groups() + g], x.data() + t * in + b, len) *
               f16_to_f32(q.scales[o * q.n_groups() + g]);
      }
      EXPECT_EQ(y[t * out + o], acc + bias[o]);
    }
}

TEST(AwqKernel, GroupPartialUsesDotCombinationOrder) {
  std::vector<uint8_t> codes(19);
  std::vector<float> x = randn(19, 3), diff(19);
  for (int i = 0; i < 19; ++i) {
    codes[i] = static_cast<uint8_t>((i * 7) % 16);
    diff[i] = static_cast<float>(codes[i] - 6);
  }
  EXPECT_EQ(awq_group_partial(codes.data(), 6, x.data(), 19), kernels::dot(diff.data(), x.data(), 19));
  EXPECT_EQ(awq_group_partial_scalar(codes.data(), 6, x.data(), 19), kernels::dot(diff.data(), x.data(), 19));
}

TEST(AwqKernel, SimdLinearEqualsScalarPartialsOnEveryRow) {
  // awq_linear may run AVX2; the scalar partials define the arithmetic it must reproduce.
  const int64_t out = 37, in = 200, n = 2;
  const std::vector<float> w = randn(out * in, 51), x = randn(n * in, 52);
  QuantLinear q = quantize_rtn(w.data(), out, in, opts(64));
  std::vector<float> y(n * out);
  awq_linear(q, x.data(), n, nullptr, y.data());
  const int64_t ng = q.n_groups();
  for (int64_t t = 0; t < n; ++t)
    for (int64_t o = 0; o < out; ++o) {
      float acc = 0.0f;
      for (int64_t g = 0; g < ng; ++g) {
        const int64_t b = g * 64, len = std::min<int64_t>(64, in - b);
        acc += awq_group_partial_scalar(q.q.data() + o * in + b, q.zeros[o * ng + g], x.data() + t * in + b, len) *
               f16_to_f32(q.scales[o * ng + g]);
      }
      ASSERT_EQ(y[t * out + o], acc) << t << " " << o;
    }
}

TEST(AwqSearch, ScaleSearchReducesOutputErrorOnOutlierChannels) {
  const int64_t out = 48, in = 128, n = 256;
  const std::vector<float> w = randn(out * in, 21, 0.05f);
  const std::vector<float> x = outlier_inputs(n, in, {3, 40, 97}, 30.0f, 22);
  AwqScaleSearch r = awq_search_scale_linear(w.data(), out, in, x.data(), n, opts(64));
  EXPECT_GE(r.alpha, 0.0);  // some alpha beat plain RTN
  EXPECT_LT(r.loss_best, 0.7 * r.loss_rtn);
  // The reported loss is what the folded weights really give.
  std::vector<float> ws = w;
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i) ws[o * in + i] *= r.scales[i];
  QuantLinear q = quantize_rtn(ws.data(), out, in, opts(64));
  std::vector<float> d(ws.size());
  dequantize(q, d.data());
  std::vector<float> xs = x;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < in; ++i) xs[t * in + i] /= r.scales[i];
  const double folded = mse(matmul(xs, n, d, out, in), matmul(x, n, w, out, in));
  EXPECT_NEAR(folded, r.loss_best, 0.05 * r.loss_best);
}

TEST(AwqSearch, ClipSearchNeverIncreasesGroupOutputError) {
  const int64_t out = 8, in = 64, n = 128;
  std::vector<float> w = randn(out * in, 31, 0.05f);
  w[5] = 1.5f;  // one heavy weight: clipping it helps the other 63 in its group
  const std::vector<float> x = randn(n * in, 32);
  const QuantOptions o = opts(64);
  const std::vector<float> ratio = awq_search_clip(w.data(), out, in, x.data(), n, o);
  ASSERT_EQ(ratio.size(), static_cast<size_t>(out));
  for (float r : ratio) {
    EXPECT_GE(r, 0.5f - 1e-6f);
    EXPECT_LE(r, 1.0f);
  }
  std::vector<float> plain(w.size()), clipped(w.size());
  dequantize(quantize_rtn(w.data(), out, in, o), plain.data());
  dequantize(quantize_rtn(w.data(), out, in, o, ratio.data()), clipped.data());
  const auto ref = matmul(x, n, w, out, in);
  EXPECT_LE(mse(matmul(x, n, clipped, out, in), ref), mse(matmul(x, n, plain, out, in), ref) * (1 + 1e-6));
}

TEST(AwqSearch, ClipGridIsAutoAwqsTenRatiosDownTo055AndElevenWithTheExtra) {
  // One heavy weight per row on a channel whose input is always 0: its own error costs nothing,
  // while shrinking the range shrinks the step of the other 63, so strong shrinks win.
  const int64_t out = 32, in = 64, n = 256;
  std::vector<float> w = randn(out * in, 41, 0.5f);
  for (int64_t r = 0; r < out; ++r) w[r * in + 3] = 10.0f;
  std::vector<float> x = randn(n * in, 42);
  for (int64_t t = 0; t < n; ++t) x[t * in + 3] = 0.0f;
  QuantOptions o = opts(64);
  auto on_grid = [](float r, int n_ratios) {
    for (int i = 0; i < n_ratios; ++i)
      if (r == static_cast<float>(1.0 - i / 20.0)) return true;
    return false;
  };
  const auto def = awq_search_clip(w.data(), out, in, x.data(), n, o);
  for (float r : def) EXPECT_TRUE(on_grid(r, 10)) << r;
  EXPECT_FLOAT_EQ(*std::min_element(def.begin(), def.end()), 0.55f);
  o.clip_include_max_shrink = true;
  const auto extra = awq_search_clip(w.data(), out, in, x.data(), n, o);
  for (float r : extra) EXPECT_TRUE(on_grid(r, 11)) << r;
  EXPECT_FLOAT_EQ(*std::min_element(extra.begin(), extra.end()), 0.5f);
}

TEST(AwqSearch, ClipLossSubsamplesTokensWithAutoAwqsStride) {
  // T = 1500 and 512 sample tokens: stride 2, tokens 0, 2, 4, ... Zeroing the odd tokens changes
  // nothing; zeroing the even ones does.
  const int64_t out = 16, in = 64, n = 1500;
  std::vector<float> w = randn(out * in, 51, 0.05f);
  for (int64_t r = 0; r < out; ++r) w[r * in + (r * 7) % in] = 0.4f;
  const std::vector<float> x = randn(n * in, 52);
  const QuantOptions o = opts(64);
  const auto base = awq_search_clip(w.data(), out, in, x.data(), n, o);
  std::vector<float> odd_zero = x, even_scaled = x;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < in; ++i) {
      if (t % 2) odd_zero[t * in + i] = 0.0f;
      else even_scaled[t * in + i] *= (i % 3 == 0) ? 8.0f : 0.1f;
    }
  EXPECT_EQ(awq_search_clip(w.data(), out, in, odd_zero.data(), n, o), base);
  EXPECT_NE(awq_search_clip(w.data(), out, in, even_scaled.data(), n, o), base);
  QuantOptions all = o;
  all.clip_sample_tokens = 0;  // every token: the odd ones count again
  EXPECT_NE(awq_search_clip(w.data(), out, in, odd_zero.data(), n, all), awq_search_clip(w.data(), out, in, x.data(), n, all));
}

TEST(AwqSearch, ResultsAreBitIdenticalRunToRunAndAcrossThreadCounts) {
  const int64_t out = 300, in = 256, n = 700;
  const std::vector<float> w = randn(out * in, 61, 0.05f);
  const std::vector<float> x = outlier_inputs(n, in, {5, 77}, 20.0f, 62);
  const QuantOptions o = opts(64);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);  // whatever the environment says: two threads against one
  const auto s1 = awq_search_scale_linear(w.data(), out, in, x.data(), n, o);
  const auto c1 = awq_search_clip(w.data(), out, in, x.data(), n, o);
  omp_set_num_threads(1);
  const auto s2 = awq_search_scale_linear(w.data(), out, in, x.data(), n, o);
  const auto c2 = awq_search_clip(w.data(), out, in, x.data(), n, o);
  omp_set_num_threads(threads);
  EXPECT_EQ(s1.scales, s2.scales);
  EXPECT_EQ(s1.loss_best, s2.loss_best);
  EXPECT_EQ(c1, c2);
}

TEST(AwqSearch, WholeModelQuantizesToTheSameBytesWithOneAndTwoThreads) {
  // Shapes big enough that every parallel region of the search runs threaded (GQA like Qwen2.5).
  ModelConfig c = model_config_preset("tiny");
  c.hidden_size = 256;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 64;
  c.intermediate_size = 1024;
  c.num_layers = 1;
  c.max_context = 512;
  auto fp = make_synthetic_weights(c, 17);
  const auto calib = make_random_sequences(c.vocab_size, 2, 300, 5);
  const QuantOptions o = opts(64);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  const auto q2 = quantize_model(*fp, o, calib);
  omp_set_num_threads(1);
  const auto q1 = quantize_model(*fp, o, calib);
  omp_set_num_threads(threads);
  for (size_t l = 0; l < q1->layers.size(); ++l) {
    const LayerWeights &a = q1->layers[l], &b = q2->layers[l];
    EXPECT_EQ(a.attn_norm.data, b.attn_norm.data) << "layer " << l;
    EXPECT_EQ(a.mlp_norm.data, b.mlp_norm.data) << "layer " << l;
    for (auto [la, lb] : {std::pair{&a.q, &b.q}, {&a.k, &b.k}, {&a.v, &b.v}, {&a.o, &b.o}, {&a.gate, &b.gate},
                          {&a.up, &b.up}, {&a.down, &b.down}}) {
      ASSERT_TRUE(la->quant && lb->quant);
      EXPECT_EQ(la->quant->q, lb->quant->q) << "layer " << l;
      EXPECT_EQ(la->quant->scales, lb->quant->scales) << "layer " << l;
      EXPECT_EQ(la->quant->zeros, lb->quant->zeros) << "layer " << l;
      if (la->bias) {
        EXPECT_EQ(la->bias->data, lb->bias->data) << "layer " << l;
      }
    }
  }
}

TEST(AwqFold, ScalesFoldedIntoStories260KLeaveLogitsUnchanged) {
  auto fp = load_llama2c(kData + "/stories260K/stories260K.bin");
  auto folded = std::make_shared<ModelWeights>(*fp);
  const auto& c = fp->config;
  uint32_t seed = 40;
  for (auto& L : folded->layers) {
    for (Linear* lin : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down})
      lin->weight = std::make_shared<Tensor>(*lin->weight);
    auto positive = [&](int64_t n) {
      std::vector<float> s = randn(n, seed++);
      for (auto& v : s) v = std::exp(0.5f * v);
      return s;
    };
    AwqLayerScales s{positive(c.hidden_size), {}, positive(c.hidden_size), positive(c.intermediate_size)};
    apply_awq_scales(L, c, s);
  }
  ReferenceBackend be;
  Qwen2Model a(fp, be), b(folded, be);
  const std::vector<int32_t> toks = {1, 403, 261, 378, 300, 263, 297, 410};
  const auto la = a.forward(toks, Phase::Prefill, true), lb = b.forward(toks, Phase::Prefill, true);
  for (size_t i = 0; i < la.size(); ++i) ASSERT_NEAR(la[i], lb[i], 2e-4f * (1 + std::fabs(la[i]))) << i;
}

TEST(AwqFold, OProjFoldIntoVProjOnlyWithoutGroupedQueryAttention) {
  ModelConfig c = model_config_preset("tiny");
  EXPECT_FALSE(awq_can_fold_o_into_v(c));  // 4 q heads, 2 kv heads
  LayerWeights L;
  AwqLayerScales s;
  s.o.assign(static_cast<size_t>(c.q_dim()), 2.0f);
  EXPECT_THROW(apply_awq_scales(L, c, s), Error);
  c.num_kv_heads = c.num_heads;
  EXPECT_TRUE(awq_can_fold_o_into_v(c));
  // A v_proj row scaled by 1/s and the matching o_proj column by s cancel in o(v(x)).
  const int64_t H = c.hidden_size, Q = c.q_dim();
  auto lin = [&](int64_t out, int64_t in, uint32_t seed) {
    Linear l;
    l.out_features = out;
    l.in_features = in;
    l.weight = std::make_shared<Tensor>(std::vector<int64_t>{out, in}, randn(out * in, seed));
    return l;
  };
  L.attn_norm = Tensor({H});
  L.mlp_norm = Tensor({H});
  L.v = lin(Q, H, 1);
  L.v.bias = std::make_shared<Tensor>(std::vector<int64_t>{Q}, randn(Q, 9));
  L.o = lin(H, Q, 2);
  const auto x = randn(H, 3);
  auto ov = [&](const LayerWeights& l) {
    std::vector<float> v(Q), y(H);
    kernels::linear_f32(x.data(), 1, l.v.weight->ptr(), l.v.bias->ptr(), H, Q, v.data());
    kernels::linear_f32(v.data(), 1, l.o.weight->ptr(), nullptr, Q, H, y.data());
    return y;
  };
  const auto before = ov(L);
  s.o = randn(Q, 4);
  for (auto& v : s.o) v = std::exp(v);
  apply_awq_scales(L, c, s);
  const auto after = ov(L);
  for (int64_t i = 0; i < H; ++i) EXPECT_NEAR(before[i], after[i], 1e-3f * (1 + std::fabs(before[i])));
}

TEST(QuantizeModel, AwqOnStories260KQuantizesEveryDecoderLinear) {
  auto fp = load_llama2c(kData + "/stories260K/stories260K.bin");
  Llama2cTokenizer tok(kData + "/stories260K/tok512.bin", fp->config.vocab_size);
  const std::string text = read_text_file(std::string(FPGALLM_SOURCE_DIR) + "/configs/calib/default.txt");
  QuantOptions o = opts(64);
  o.calib_samples = 16;  // AutoAWQ's 512-token blocks; 16 documents keep the test quick
  int64_t progress_calls = 0;
  o.progress = [&](int64_t, int64_t n, const std::string&) {
    EXPECT_EQ(n, fp->config.num_layers);
    ++progress_calls;
  };
  auto seqs = make_calibration_sequences(tok, text, o.calib_samples, o.calib_seq_len);
  auto q = quantize_model(*fp, o, seqs);
  EXPECT_GE(progress_calls, fp->config.num_layers);
  for (const auto& L : q->layers)
    for (const Linear* lin : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) {
      ASSERT_TRUE(lin->quant);
      EXPECT_FALSE(lin->weight);
      EXPECT_EQ(lin->quant->group_size, 64);
    }
  EXPECT_EQ(q->layers[0].down.quant->n_groups(), 3);  // 172 inputs: 64 + 64 + 44
  EXPECT_EQ(q->lm_head.weight, fp->embed);           // lm_head stays fp32 by default
  // The source model is untouched (deep copies were folded and quantized).
  EXPECT_TRUE(fp->layers[0].q.weight);
  // Quantized logits stay close to fp32: same greedy token on most positions.
  AwqBackend qbe;
  ReferenceBackend fbe;
  Qwen2Model qm(q, qbe), fm(fp, fbe);
  const auto& eval = seqs[1];
  const auto lq = qm.forward(eval, Phase::Prefill, true), lf = fm.forward(eval, Phase::Prefill, true);
  const int64_t V = fp->config.vocab_size;
  int agree = 0;
  for (size_t t = 0; t < eval.size(); ++t)
    agree += Sampler::argmax(lq.data() + t * V, V) == Sampler::argmax(lf.data() + t * V, V);
  EXPECT_GT(agree, static_cast<int>(eval.size() * 6 / 10));
}

TEST(QuantizeModel, RtnNeedsNoCalibrationAndQuantizesLmHeadWhenAsked) {
  auto fp = load_llama2c(kData + "/stories260K/stories260K.bin");
  QuantOptions o = opts(32);
  o.method = "rtn";
  o.quantize_lm_head = true;
  auto q = quantize_model(*fp, o, {});
  ASSERT_TRUE(q->lm_head.quant);
  EXPECT_FALSE(q->lm_head.weight);
  EXPECT_EQ(q->embed, fp->embed);
  // RTN of a layer is exactly quantize_rtn of its weights.
  const auto& L = fp->layers[2];
  QuantLinear ref = quantize_rtn(L.up.weight->ptr(), L.up.out_features, L.up.in_features, o);
  EXPECT_EQ(q->layers[2].up.quant->q, ref.q);
  EXPECT_EQ(q->layers[2].up.quant->scales, ref.scales);
}

TEST(QuantizeModel, RejectsBadCalibration) {
  auto fp = load_llama2c(kData + "/stories260K/stories260K.bin");
  QuantOptions o = opts(64);
  EXPECT_THROW(quantize_model(*fp, o, {}), Error);
  EXPECT_THROW(quantize_model(*fp, o, {{1, 2, 9999}}), Error);
  EXPECT_THROW(quantize_model(*fp, o, {{}}), Error);
}

TEST(Calibration, BlocksConcatenateSamplesSkipLongOnesAndDropTheRemainderLikeAutoAwq) {
  const std::vector<std::vector<int32_t>> samples = {{1, 2, 3}, {4, 5, 6, 7, 8, 9}, {}, {10, 11}, {12, 13, 14, 15},
                                                     {16}};
  // Block 4, up to 3 samples: {1,2,3} kept, the 6-token one skipped, {} skipped, {10,11} and
  // {12..15} kept (3 samples, 9 tokens): 2 blocks, token 15 dropped.
  const auto b = make_calibration_blocks(samples, 3, 4);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], (std::vector<int32_t>{1, 2, 3, 10}));
  EXPECT_EQ(b[1], (std::vector<int32_t>{11, 12, 13, 14}));
  EXPECT_THROW(make_calibration_blocks({{1, 2}}, 3, 4), Error);  // not one block
  EXPECT_THROW(make_calibration_blocks(samples, 0, 4), Error);
  EXPECT_THROW(make_calibration_blocks(samples, 3, 0), Error);
}

TEST(Calibration, ASeparateSkipThresholdPacksLongerSamplesIntoShortBlocks) {
  const std::vector<std::vector<int32_t>> samples = {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12, 13}, {14, 15, 16}};
  // AutoAWQ's single length (block 4): every sample but the last is skipped, 3 tokens: no block.
  EXPECT_THROW(make_calibration_blocks(samples, 8, 4), Error);
  try {
    make_calibration_blocks(samples, 8, 4);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2 longer samples skipped"), std::string::npos) << e.what();
  }
  // Skip above 6 tokens, blocks of 4: {1..6} and {14..16} kept, 9 tokens, 2 blocks.
  const auto b = make_calibration_blocks(samples, 8, 4, 6);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], (std::vector<int32_t>{1, 2, 3, 4}));
  EXPECT_EQ(b[1], (std::vector<int32_t>{5, 6, 14, 15}));
  const std::vector<std::vector<int32_t>> short_ones = {{1, 2}, {3, 4, 5}, {6, 7}};
  EXPECT_EQ(make_calibration_blocks(short_ones, 8, 2, 0), make_calibration_blocks(short_ones, 8, 2, 2));  // 0: the block
  EXPECT_THROW(make_calibration_blocks(samples, 8, 4, -1), Error);
}

TEST(Calibration, TextDocumentsAreEncodedWithBosAndCutIntoBlocks) {
  Llama2cTokenizer tok(kData + "/stories260K/tok512.bin", 512);
  const std::string text = "Once upon a time there was a cat.\n\nThe dog ran home.\n\n  A bird sang.  ";
  const auto cat = tok.encode("Once upon a time there was a cat.", true);
  const auto dog = tok.encode("The dog ran home.", true), bird = tok.encode("A bird sang.", true);
  ASSERT_EQ(cat.size(), 11u);  // these lengths make the block below skip the first document
  ASSERT_EQ(dog.size(), 10u);
  ASSERT_EQ(bird.size(), 10u);
  const auto a = make_calibration_sequences(tok, text, 128, 10);
  EXPECT_EQ(a, make_calibration_sequences(tok, text, 128, 10));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], dog);
  EXPECT_EQ(a[1], bird);
  EXPECT_EQ(a[0][0], tok.bos_id());  // every document starts with BOS
  EXPECT_EQ(make_calibration_sequences(tok, text, 1, 10).size(), 1u);  // only the first kept sample
  EXPECT_THROW(make_calibration_sequences(tok, "  \n\n ", 2, 8), Error);
  EXPECT_THROW(make_calibration_sequences(tok, text, 0, 8), Error);
}
