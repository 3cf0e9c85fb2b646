#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "models/llm/Backend.h"
#include "models/core/Error.h"
#include "models/checkpoint/Llama2c.h"
#include "models/llm/Qwen2Model.h"
#include "models/llm/Sampler.h"
#include "models/tokenizer/Tokenizer.h"

using namespace fpgallm;

namespace {
const std::string kData = FPGALLM_DATA_DIR;
// Printed by llama2.c's reference run.c (shared/data/README.md).
const std::string kGolden =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
    "One day, she saw a big, red ball. She wanted to play with it, but it was too high.\n"
    "Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. "
    "She said, \"I want to play with your ball, but I can't find it.\"";
}  // namespace

TEST(Llama2cGolden, GreedyStoryMatchesReferenceRunC) {
  auto w = load_llama2c(kData + "/stories260K/stories260K.bin");
  Llama2cTokenizer tok(kData + "/stories260K/tok512.bin", w->config.vocab_size);
  ReferenceBackend be;
  Qwen2Model m(w, be);
  std::vector<float> logits = m.prefill({tok.bos_id()});
  std::string text;
  int32_t prev = tok.bos_id();
  for (int i = 0; i < 255; ++i) {
    const int32_t next = Sampler::argmax(logits.data(), static_cast<int64_t>(logits.size()));
    if (next == tok.bos_id()) break;
    text += tok.decode_token(prev, next);
    prev = next;
    logits = m.decode(next);
  }
  ASSERT_GE(text.size(), kGolden.size());
  EXPECT_EQ(text.substr(0, kGolden.size()), kGolden);
}

TEST(Llama2cLoader, ReadsHeaderAsLlamaConfig) {
  auto w = load_llama2c(kData + "/stories260K/stories260K.bin");
  EXPECT_EQ(w->config.hidden_size, 64);
  EXPECT_EQ(w->config.intermediate_size, 172);
  EXPECT_EQ(w->config.num_layers, 5);
  EXPECT_EQ(w->config.num_heads, 8);
  EXPECT_EQ(w->config.num_kv_heads, 4);
  EXPECT_EQ(w->config.vocab_size, 512);
  EXPECT_EQ(w->config.rope_layout, RopeLayout::AdjacentPairs);
  EXPECT_FALSE(w->config.qkv_bias);
  EXPECT_EQ(w->lm_head.weight, w->embed);  // shared classifier
}

TEST(Llama2cLoader, HeaderWhoseSizesOverflowIsAnErrorNotUndefinedBehaviour) {
  // Found by fuzz_llama2c_checkpoint: these dims overflowed the int64 expected-size sum.
  const int32_t hdr[7] = {134217736, 201326592, 33554432, 33554432, 33554432, -268435456, 83886079};
  const std::filesystem::path p = std::filesystem::path(FPGALLM_BINARY_DIR) / "test_tmp" /
                                  ("llama2c_overflow_" + std::to_string(::getpid()) + ".bin");
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(hdr), sizeof(hdr));
  try {
    load_llama2c(p.string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
  }
  std::filesystem::remove(p);
}

TEST(Llama2cLoader, RejectsMissingFileWithItsName) {
  try {
    load_llama2c("/nonexistent/model.bin");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.bin"), std::string::npos);
  }
}

TEST(Model, PromptLongerThanContextIsAnError) {
  auto w = load_llama2c(kData + "/stories260K/stories260K.bin");
  ReferenceBackend be;
  Qwen2Model m(w, be);
  std::vector<int32_t> too_long(static_cast<size_t>(w->config.max_context + 1), 5);
  EXPECT_THROW(m.prefill(too_long), Error);
}

TEST(Model, PrefillMatchesTokenByTokenDecode) {
  auto w = load_llama2c(kData + "/stories260K/stories260K.bin");
  ReferenceBackend be;
  Qwen2Model a(w, be), b(w, be);
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378, 1000 % 512};
  const auto pa = a.prefill(prompt);
  std::vector<float> pb;
  for (int32_t t : prompt) pb = b.forward({t}, Phase::Decode);
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_NEAR(pa[i], pb[i], 1e-4f * (1.0f + std::abs(pb[i])));
}
