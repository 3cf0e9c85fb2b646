#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "models/llm/AwqBackend.h"
#include "models/quant/AwqKernels.h"
#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/checkpoint/Llama2c.h"
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
  o.calib_samples = 8;
  o.calib_seq_len = 64;
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

TEST(Calibration, SequencesAreDeterministicWindowsThatWrapAround) {
  Llama2cTokenizer tok(kData + "/stories260K/tok512.bin", 512);
  const std::string text = "Once upon a time there was a cat.\n\nThe dog ran home.";
  auto a = make_calibration_sequences(tok, text, 5, 16);
  auto b = make_calibration_sequences(tok, text, 5, 16);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 5u);
  for (const auto& s : a) EXPECT_EQ(s.size(), 16u);
  EXPECT_EQ(a[0][0], tok.bos_id());  // every document starts with BOS
  std::vector<int32_t> stream = tok.encode("Once upon a time there was a cat.", true);
  const auto second = tok.encode("The dog ran home.", true);
  stream.insert(stream.end(), second.begin(), second.end());
  for (size_t i = 0; i < 5 * 16; ++i) EXPECT_EQ(a[i / 16][i % 16], stream[i % stream.size()]) << i;
  EXPECT_THROW(make_calibration_sequences(tok, "  \n\n ", 2, 8), Error);
  EXPECT_THROW(make_calibration_sequences(tok, text, 0, 8), Error);
}
