#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "models/llm/AwqBackend.h"
#include "models/quant/AwqKernels.h"
#include "models/core/Error.h"
#include "models/checkpoint/Llama2c.h"
#include "models/quant/Quantizer.h"
#include "models/llm/Qwen2Model.h"
#include "models/checkpoint/Synthetic.h"

using namespace fpgallm;

namespace {

const std::string kData = FPGALLM_DATA_DIR;

/** The same model with every quantized linear replaced by its dequantized fp32 weights. */
std::shared_ptr<ModelWeights> dequantized_copy(const ModelWeights& q) {
  auto d = std::make_shared<ModelWeights>(q);
  auto fix = [](Linear& l) {
    if (!l.quant) return;
    auto t = std::make_shared<Tensor>(std::vector<int64_t>{l.out_features, l.in_features});
    dequantize(*l.quant, t->ptr());
    l.weight = t;
    l.quant.reset();
  };
  for (auto& L : d->layers)
    for (Linear* l : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) fix(*l);
  fix(d->lm_head);
  return d;
}

void expect_logits_close(const std::shared_ptr<ModelWeights>& q, const std::vector<int32_t>& toks) {
  AwqBackend awq;
  ReferenceBackend ref;
  Qwen2Model a(q, awq), b(dequantized_copy(*q), ref);
  const auto la = a.forward(toks, Phase::Prefill, true), lb = b.forward(toks, Phase::Prefill, true);
  ASSERT_EQ(la.size(), lb.size());
  double max_abs = 0;
  for (float v : lb) max_abs = std::max(max_abs, double(std::fabs(v)));
  for (size_t i = 0; i < la.size(); ++i) ASSERT_NEAR(la[i], lb[i], 1e-4 * (1 + max_abs)) << i;
}

}  // namespace

TEST(AwqBackend, LogitsMatchDequantizeThenFp32OnStories260K) {
  auto fp = load_llama2c(kData + "/stories260K/stories260K.bin");
  QuantOptions o;
  o.method = "rtn";
  o.group_size = 64;  // down_proj's 172 inputs leave a partial last group
  o.quantize_lm_head = true;
  expect_logits_close(quantize_model(*fp, o, {}), {1, 403, 261, 378, 300, 263, 297, 410, 42});
}

TEST(AwqBackend, LogitsMatchDequantizeThenFp32OnTinyQwen2WithBias) {
  auto fp = make_synthetic_weights(model_config_preset("tiny"), 5);
  QuantOptions o;
  o.method = "rtn";
  o.group_size = 32;
  expect_logits_close(quantize_model(*fp, o, {}), {3, 17, 250, 99, 4, 7});
}

TEST(AwqBackend, FallsBackToFp32ForUnquantizedLinearsAndNamesItself) {
  auto fp = load_llama2c(kData + "/stories260K/stories260K.bin");
  AwqBackend awq;
  ReferenceBackend ref;
  EXPECT_EQ(awq.name(), "host-awq");
  Qwen2Model a(fp, awq), b(fp, ref);
  EXPECT_EQ(a.forward({1, 50, 60}, Phase::Prefill, true), b.forward({1, 50, 60}, Phase::Prefill, true));
}

TEST(AwqBackend, QuantizedModelRefusedByTheFp32Backend) {
  auto fp = load_llama2c(kData + "/stories260K/stories260K.bin");
  QuantOptions o;
  o.method = "rtn";
  auto q = quantize_model(*fp, o, {});
  ReferenceBackend ref;
  Qwen2Model m(q, ref);
  EXPECT_THROW(m.forward({1, 2}, Phase::Prefill), Error);
}

TEST(AwqBackend, KernelIsIndependentOfThreadCount) {
  // Large enough to run threaded; every output must equal the single-row computation.
  const int64_t out = 300, in = 512;
  std::vector<float> w(out * in), x(2 * in);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * float(i));
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.11f * float(i));
  QuantOptions o;
  const QuantLinear q = quantize_rtn(w.data(), out, in, o);
  std::vector<float> y(2 * out), y1(2);
  awq_linear(q, x.data(), 2, nullptr, y.data());
  for (int64_t r = 0; r < out; ++r) {
    QuantLinear row;
    row.in_features = in;
    row.out_features = 1;
    row.group_size = q.group_size;
    row.q.assign(q.q.begin() + r * in, q.q.begin() + (r + 1) * in);
    row.scales.assign(q.scales.begin() + r * q.n_groups(), q.scales.begin() + (r + 1) * q.n_groups());
    row.zeros.assign(q.zeros.begin() + r * q.n_groups(), q.zeros.begin() + (r + 1) * q.n_groups());
    awq_linear(row, x.data(), 2, nullptr, y1.data());
    ASSERT_EQ(y[r], y1[0]);
    ASSERT_EQ(y[out + r], y1[1]);
  }
}

TEST(AwqBackend, MacroTileKernelsEqualAwqLinearBitForBit) {
  // Tail tile (out % 8 != 0), tail group (in % 64 != 0, and a tail shorter than 8 lanes), GEMV and GEMM:
  // the PE array's kernels (awq_macro_tiles over awq_block_accumulate) must reproduce awq_linear exactly.
  for (const auto& [out, in, ntok] : {std::tuple<int64_t, int64_t, int64_t>{300, 512, 1}, {37, 200, 3},
                                      {13, 131, 2}, {64, 64, 5}}) {
    std::vector<float> w(out * in), x(ntok * in);
    for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * float(i) + 0.1f * float(out));
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.11f * float(i));
    QuantOptions o;
    const QuantLinear q = quantize_rtn(w.data(), out, in, o);
    std::vector<float> ref(ntok * out), acc(out * ntok);
    awq_linear(q, x.data(), ntok, nullptr, ref.data());
    const MacroLayout L;  // 8 x 64, 4 bits, zero points
    const MacroStream s = pack_macro(q, L);
    std::vector<const uint8_t*> tiles;
    for (int64_t t = 0; t < s.n_tiles(); ++t) tiles.push_back(s.block(t, 0));
    awq_macro_tiles(tiles.data(), L, in, out, x.data(), ntok, acc.data());
    for (int64_t r = 0; r < out; ++r)
      for (int64_t t = 0; t < ntok; ++t)
        ASSERT_EQ(acc[r * ntok + t], ref[t * out + r]) << out << "x" << in << " row " << r << " token " << t;
  }
}
