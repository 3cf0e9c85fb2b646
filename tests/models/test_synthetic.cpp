#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "models/llm/Backend.h"
#include "models/core/Error.h"
#include "models/llm/Qwen2Model.h"
#include "models/checkpoint/Synthetic.h"

using namespace fpgallm;

namespace {

/** FNV-1a over the bytes of every tensor in a fixed order. */
uint64_t weights_hash(const ModelWeights& w) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto add = [&](const Tensor& t) {
    const auto* p = reinterpret_cast<const unsigned char*>(t.ptr());
    for (size_t i = 0; i < t.data.size() * sizeof(float); ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  };
  add(*w.embed);
  for (const auto& L : w.layers) {
    add(L.attn_norm);
    add(L.mlp_norm);
    for (const Linear* l : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) {
      add(*l->weight);
      if (l->bias) add(*l->bias);
    }
  }
  add(w.final_norm);
  if (w.lm_head.weight != w.embed) add(*w.lm_head.weight);
  return h;
}

double stddev(const Tensor& t) {
  double s = 0, s2 = 0;
  for (float x : t.data) { s += x; s2 += static_cast<double>(x) * x; }
  const double n = static_cast<double>(t.numel());
  return std::sqrt(s2 / n - (s / n) * (s / n));
}

}  // namespace

TEST(Synthetic, SameSeedGivesIdenticalBytesDifferentSeedDiffers) {
  const auto cfg = model_config_preset("tiny");
  const auto a = make_synthetic_weights(cfg, 1), b = make_synthetic_weights(cfg, 1);
  const auto c = make_synthetic_weights(cfg, 2);
  EXPECT_EQ(weights_hash(*a), weights_hash(*b));
  EXPECT_NE(weights_hash(*a), weights_hash(*c));
  EXPECT_NE(a->embed->data, c->embed->data);
}

// Pins the generator: the same bytes on every run, thread count, compiler and platform.
// Changing the generator on purpose means updating this value (and regenerating fixtures).
TEST(Synthetic, TinySeedZeroMatchesPinnedHash) {
  const auto w = make_synthetic_weights(model_config_preset("tiny"), 0);
  EXPECT_EQ(weights_hash(*w), 0x3a2809d3401c258aull) << std::hex << weights_hash(*w);
}

TEST(Synthetic, ShapesAreValidForAllVariants) {
  for (bool tied : {true, false}) {
    for (bool bias : {true, false}) {
      ModelConfig c = model_config_preset("tiny");
      c.tie_word_embeddings = tied;
      c.qkv_bias = bias;
      const auto w = make_synthetic_weights(c, 3);
      EXPECT_NO_THROW(w->validate("test"));
      EXPECT_EQ(w->lm_head.weight == w->embed, tied);
      EXPECT_EQ(static_cast<bool>(w->layers[0].q.bias), bias);
      EXPECT_EQ(static_cast<bool>(w->layers[1].v.bias), bias);
    }
  }
}

TEST(Synthetic, WeightStatisticsResembleATrainedModel) {
  const auto cfg = model_config_preset("tiny");
  const auto w = make_synthetic_weights(cfg, 5);
  EXPECT_NEAR(stddev(*w->embed), 0.02, 0.002);
  const auto& L = w->layers[0];
  EXPECT_NEAR(stddev(*L.q.weight), 0.6 / std::sqrt(64.0), 0.006);
  EXPECT_NEAR(stddev(*L.down.weight), 0.6 / std::sqrt(176.0), 0.004);
  EXPECT_LT(stddev(*L.q.bias), 0.05);
}

TEST(Synthetic, OutlierChannelsHaveLargeNormWeightsInEveryLayer) {
  for (const char* preset : {"tiny", "qwen2.5-0.5b"}) {
    const auto cfg = model_config_preset(preset);
    const auto ch = synthetic_outlier_channels(cfg, 11);
    const auto want = std::max<int64_t>(1, std::llround(0.01 * static_cast<double>(cfg.hidden_size)));
    EXPECT_EQ(static_cast<int64_t>(ch.size()), want) << preset;
    EXPECT_TRUE(std::is_sorted(ch.begin(), ch.end()));
    EXPECT_NE(ch, synthetic_outlier_channels(cfg, 12)) << "channels should depend on the seed";
  }
  const auto cfg = model_config_preset("tiny");
  const auto w = make_synthetic_weights(cfg, 11);
  const auto ch = synthetic_outlier_channels(cfg, 11);
  for (const auto& L : w->layers) {
    for (const Tensor* n : {&L.attn_norm, &L.mlp_norm}) {
      for (int64_t c = 0; c < cfg.hidden_size; ++c) {
        const float v = n->data[static_cast<size_t>(c)];
        if (std::binary_search(ch.begin(), ch.end(), c)) {
          EXPECT_GE(v, 8.0f) << c;
          EXPECT_LE(v, 120.0f) << c;
        } else {
          EXPECT_NEAR(v, 1.0f, 0.3f) << c;
        }
      }
    }
  }
}

TEST(Synthetic, ActivationsEnteringProjectionsCarryOutliers) {
  const auto cfg = model_config_preset("tiny");
  const auto w = make_synthetic_weights(cfg, 4);
  const auto ch = synthetic_outlier_channels(cfg, 4);
  ReferenceBackend be;
  // RMSNorm of embedding rows with the first layer's input norm: what q/k/v see.
  const int64_t rows = 32, h = cfg.hidden_size;
  std::vector<float> out(static_cast<size_t>(rows * h));
  be.rmsnorm({}, w->embed->ptr(), w->layers[0].attn_norm, rows, static_cast<float>(cfg.rms_norm_eps), out.data());
  double outlier = 0, normal = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < h; ++c) {
      const double a = std::abs(out[static_cast<size_t>(r * h + c)]);
      (std::binary_search(ch.begin(), ch.end(), c) ? outlier : normal) += a;
    }
  outlier /= static_cast<double>(rows * static_cast<int64_t>(ch.size()));
  normal /= static_cast<double>(rows * (h - static_cast<int64_t>(ch.size())));
  EXPECT_GT(outlier / normal, 8.0);
}

TEST(Synthetic, LogitsAreNeitherUniformNorOneHot) {
  for (bool tied : {true, false}) {
    ModelConfig cfg = model_config_preset("tiny");
    cfg.tie_word_embeddings = tied;
    const auto w = make_synthetic_weights(cfg, 9);
    ReferenceBackend be;
    Qwen2Model m(w, be);
    std::vector<float> logits = m.prefill({1, 17, 42, 99, 3});
    for (int step = 0; step < 3; ++step) {
      ASSERT_EQ(static_cast<int64_t>(logits.size()), cfg.vocab_size);
      const float mx = *std::max_element(logits.begin(), logits.end());
      double z = 0, ent = 0;
      for (float l : logits) z += std::exp(static_cast<double>(l - mx));
      for (float l : logits) {
        const double p = std::exp(static_cast<double>(l - mx)) / z;
        if (p > 0) ent -= p * std::log(p);
      }
      const double pmax = 1.0 / z;
      const double uniform_entropy = std::log(static_cast<double>(cfg.vocab_size));
      EXPECT_GT(pmax, 5.0 / static_cast<double>(cfg.vocab_size)) << "nearly uniform";
      EXPECT_LT(pmax, 0.9) << "nearly one-hot";
      EXPECT_LT(ent, 0.9 * uniform_entropy);
      EXPECT_GT(ent, 0.5);
      logits = m.decode(static_cast<int32_t>(7 + step));
    }
  }
}
