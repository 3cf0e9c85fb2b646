#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "models/core/Error.h"
#include "models/quant/Footprint.h"

using namespace fpgallm;

namespace {

Footprint qwen_g64(bool quantize_lm_head = false, bool zero_point = true) {
  return estimate_footprint(model_config_preset("qwen2.5-0.5b"), 64, 4, zero_point, quantize_lm_head, MacroLayout());
}

double round_to(double x, int decimals) {
  const double p = std::pow(10.0, decimals);
  return std::round(x * p) / p;
}

}  // namespace

TEST(Footprint, Qwen25HalfBillionAtG64MatchesThePublishedFigures) {
  const Footprint f = qwen_g64();
  // 357,826,560 decoder linear weights at 4 bits; 5,591,040 groups of 64 with fp16 scale + 4-bit zero.
  EXPECT_EQ(f.weight_code_bytes, 178'913'280);
  EXPECT_EQ(f.scale_bytes, 11'182'080);
  EXPECT_EQ(f.zero_bytes, 2'795'520);
  EXPECT_EQ(f.embedding_bytes, 151'936LL * 896 * 2);
  EXPECT_EQ(f.norm_bias_bytes, (49 * 896 + 24 * (896 + 128 + 128)) * 2);
  EXPECT_EQ(f.lm_head_bytes, 0);  // tied: the embedding table serves as lm_head
  EXPECT_EQ(f.fp16_linear_bytes, 0);

  EXPECT_EQ(f.model_bytes(), 465'303'296);
  EXPECT_EQ(round_to(f.model_bytes() / kBytesPerMB, 1), 465.3);
  EXPECT_EQ(round_to(f.model_bytes() / kBytesPerMiB, 2), 443.75);
  EXPECT_EQ(f.fp16_baseline_bytes, 988'065'536);
  EXPECT_EQ(round_to(f.fp16_baseline_bytes / kBytesPerMB, 1), 988.1);
  EXPECT_EQ(round_to(f.fp16_baseline_bytes / kBytesPerMiB, 1), 942.3);
}

TEST(Footprint, MacroPaddingForEightRowTilesAnd128BitBeats) {
  const Footprint f = qwen_g64();
  // Every Qwen linear tiles exactly (out % 8 == 0, in % 64 == 0): 698,880 blocks, each 276 payload
  // bytes padded to 288, so padding is 12 bytes a block.
  EXPECT_EQ(f.macro_padding_bytes, 698'880LL * 12);
  EXPECT_EQ(f.macro_stream_bytes(), 698'880LL * 288);
  EXPECT_GT(f.header_bytes, 0);
  EXPECT_EQ(f.header_bytes % 64, 0);
  EXPECT_LT(f.alignment_bytes, 64 * 400);  // under one alignment gap per tensor
  EXPECT_EQ(f.total_bytes(), f.model_bytes() + f.macro_padding_bytes + f.header_bytes + f.alignment_bytes);

  // 256-bit beats: 276 -> 288 still (9 beats of 32); 512-bit beats: 276 -> 320.
  MacroLayout wide;
  wide.beat_bytes = 64;
  const Footprint w = estimate_footprint(model_config_preset("qwen2.5-0.5b"), 64, 4, true, false, wide);
  EXPECT_EQ(w.macro_padding_bytes, 698'880LL * (320 - 276));
  EXPECT_EQ(w.model_bytes(), f.model_bytes());
}

TEST(Footprint, OptionsMoveTheRightClasses) {
  const Footprint base = qwen_g64();
  const Footprint head = qwen_g64(true);
  const int64_t V = 151'936, H = 896;
  EXPECT_EQ(head.weight_code_bytes - base.weight_code_bytes, V * H / 2);
  EXPECT_EQ(head.scale_bytes - base.scale_bytes, V * (H / 64) * 2);
  EXPECT_EQ(head.embedding_bytes, base.embedding_bytes);  // still needed for the lookup

  const Footprint sym = qwen_g64(false, false);
  EXPECT_EQ(sym.zero_bytes, 0);
  EXPECT_EQ(sym.weight_code_bytes, base.weight_code_bytes);

  ModelConfig untied = model_config_preset("qwen2.5-0.5b");
  untied.tie_word_embeddings = false;
  const Footprint u = estimate_footprint(untied, 64, 4, true, false, MacroLayout());
  EXPECT_EQ(u.lm_head_bytes, V * H * 2);
  EXPECT_EQ(u.fp16_baseline_bytes, base.fp16_baseline_bytes + V * H * 2);
}

TEST(Footprint, TableShowsBytesMBAndMiB) {
  const std::string t = qwen_g64().table();
  EXPECT_NE(t.find("465,303,296"), std::string::npos) << t;
  EXPECT_NE(t.find("465.303"), std::string::npos) << t;
  EXPECT_NE(t.find("443.748"), std::string::npos) << t;
  EXPECT_NE(t.find("988,065,536"), std::string::npos) << t;
  EXPECT_NE(t.find("MACRO beat padding"), std::string::npos) << t;
  const auto j = qwen_g64().to_json();
  EXPECT_EQ(j["model_bytes"], 465'303'296);
  EXPECT_EQ(format_bytes_grouped(1234567), "1,234,567");
  EXPECT_EQ(format_bytes_grouped(12), "12");
}

TEST(Footprint, EstimateRejectsBadLayout) {
  EXPECT_THROW(estimate_footprint(model_config_preset("tiny"), 64, 9, true, false, MacroLayout()), Error);
  EXPECT_THROW(estimate_footprint(model_config_preset("tiny"), 0, 4, true, false, MacroLayout()), Error);
}
