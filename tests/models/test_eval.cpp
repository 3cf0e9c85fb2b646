#include <unistd.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "models/llm/AwqBackend.h"
#include "models/core/Error.h"
#include "models/eval/Eval.h"
#include "models/checkpoint/Llama2c.h"
#include "models/quant/Quantizer.h"
#include "models/llm/Qwen2Model.h"
#include "models/checkpoint/Synthetic.h"
#include "models/tokenizer/Tokenizer.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

const std::string kData = FPGALLM_DATA_DIR;
const std::string kSrc = FPGALLM_SOURCE_DIR;

struct Stories {
  std::shared_ptr<ModelWeights> w = load_llama2c(kData + "/stories260K/stories260K.bin");
  Llama2cTokenizer tok{kData + "/stories260K/tok512.bin", 512};
};

std::string write_temp(const std::string& name, const std::string& text) {
  const fs::path p = fs::path(FPGALLM_BINARY_DIR) / "test_tmp" / ("eval_" + std::to_string(::getpid()) + "_" + name);
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

void expect_error_mentions(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    FAIL() << "expected an fpgallm::Error";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

/** Reference log-softmax value computed directly, independent of Eval.cpp. */
double log_prob(const float* logits, int64_t n, int32_t token) {
  double mx = logits[0], sum = 0;
  for (int64_t i = 1; i < n; ++i) mx = std::max<double>(mx, logits[i]);
  for (int64_t i = 0; i < n; ++i) sum += std::exp(double(logits[i]) - mx);
  return double(logits[token]) - mx - std::log(sum);
}

}  // namespace

TEST(EvalPerplexity, MatchesHandSummedNllOverWindows) {
  Stories s;
  const auto toks = s.tok.encode("Once upon a time, there was a little girl named Lily.", true);
  ReferenceBackend be;
  const auto r = eval_perplexity(s.w, be, toks, 8);  // windows of 8: each window's first token is context
  Qwen2Model m(s.w, be);
  double nll = 0;
  int64_t n = 0;
  for (size_t b = 0; b < toks.size(); b += 8) {
    const std::vector<int32_t> win(toks.begin() + b, toks.begin() + std::min(toks.size(), b + 8));
    if (win.size() < 2) continue;
    m.reset();
    const auto lg = m.forward(win, Phase::Prefill, true);
    for (size_t t = 0; t + 1 < win.size(); ++t) nll -= log_prob(lg.data() + t * 512, 512, win[t + 1]), ++n;
  }
  EXPECT_EQ(r.n_predicted, n);
  EXPECT_NEAR(r.nll_mean, nll / n, 1e-9);
  EXPECT_GT(r.perplexity(), 1.0);
  EXPECT_LT(r.perplexity(), 20.0);  // a trained model on its own kind of text
}

TEST(EvalPerplexity, RejectsBadContextAndTooShortText) {
  Stories s;
  ReferenceBackend be;
  const auto toks = s.tok.encode("The dog ran.", true);
  expect_error_mentions([&] { eval_perplexity(s.w, be, toks, 0); }, {"--ctx"});
  expect_error_mentions([&] { eval_perplexity(s.w, be, toks, 100000); }, {"--ctx", "512"});
  expect_error_mentions([&] { eval_perplexity(s.w, be, {1}, 8); }, {"tokens"});
  expect_error_mentions([&] { eval_perplexity(s.w, be, {1, 600}, 8); }, {"600", "vocabulary"});
}

TEST(EvalCompare, IdenticalModelsHaveZeroKlAndFullAgreement) {
  Stories s;
  ReferenceBackend a, b;
  const auto toks = s.tok.encode("Tom had a red ball. He liked to play.", true);
  const auto r = eval_compare(s.w, a, s.w, b, toks, 16);
  EXPECT_EQ(r.n_positions, static_cast<int64_t>(toks.size()));
  EXPECT_NEAR(r.kl_mean, 0.0, 1e-12);
  EXPECT_EQ(r.top1_agreement, 1.0);
}

TEST(EvalCompare, QuantizedModelHasPositiveKlThatShrinksWithMoreBits) {
  Stories s;
  const auto toks = s.tok.encode("Lily and Ben went to the park to play with the big dog.", true);
  ReferenceBackend ref;
  AwqBackend awq;
  QuantOptions o;
  o.method = "rtn";
  o.bits = 3;
  const auto r3 = eval_compare(s.w, ref, quantize_model(*s.w, o, {}), awq, toks, 64);
  o.bits = 8;
  const auto r8 = eval_compare(s.w, ref, quantize_model(*s.w, o, {}), awq, toks, 64);
  EXPECT_GT(r3.kl_mean, 0.0);
  EXPECT_LT(r8.kl_mean, r3.kl_mean);
  EXPECT_GE(r8.top1_agreement, r3.top1_agreement);
}

TEST(EvalWnli, FixtureLoadsInGlueFormat) {
  const auto ex = load_wnli_tsv(kSrc + "/tests/fixtures/wnli/dev.tsv");
  ASSERT_EQ(ex.size(), 6u);
  EXPECT_EQ(ex[0].index, 0);
  EXPECT_EQ(ex[0].label, 1);
  EXPECT_EQ(ex[1].label, 0);
  EXPECT_EQ(wnli_prompt(ex[2]),
            "Lily gave the ball to Tom because he asked for it.\nQuestion: Tom asked for it. True or False?\nAnswer:");
}

TEST(EvalWnli, LogLikelihoodIsTheSumOverContinuationTokens) {
  Stories s;
  ReferenceBackend be;
  const auto ex = load_wnli_tsv(kSrc + "/tests/fixtures/wnli/dev.tsv");
  const std::string prompt = wnli_prompt(ex[0]);
  // By hand: the continuation is what " True" adds after the prompt's tokens.
  const auto ctx = s.tok.encode(prompt, true);
  const auto full = s.tok.encode(prompt + " True", true);
  ASSERT_GT(full.size(), ctx.size());
  ASSERT_TRUE(std::equal(ctx.begin(), ctx.end(), full.begin()));
  Qwen2Model m(s.w, be);
  const auto lg = m.forward(full, Phase::Prefill, true);
  double want = 0;
  for (size_t j = ctx.size(); j < full.size(); ++j) want += log_prob(lg.data() + (j - 1) * 512, 512, full[j]);
  const double got = continuation_loglik(s.w, be, s.tok, prompt, " True");
  EXPECT_NEAR(got, want, 1e-9);
  EXPECT_LT(got, 0.0);

  const auto r = eval_wnli(s.w, be, s.tok, ex);
  ASSERT_EQ(r.n, 6);
  EXPECT_NEAR(r.ll_true[0], got, 1e-12);
  for (int64_t i = 0; i < r.n; ++i) {
    EXPECT_EQ(r.predicted[i], r.ll_true[i] > r.ll_false[i] ? 1 : 0);
    EXPECT_NE(r.ll_true[i], r.ll_false[i]);
  }
  // Pinned: stories260K (a 260K-parameter story model) prefers " True" everywhere, by ~18 nats,
  // so it scores exactly the 3 True-labelled examples of the fixture.
  EXPECT_NEAR(r.ll_true[0], -5.4994, 1e-3);
  EXPECT_NEAR(r.ll_false[0], -23.8685, 1e-3);
  EXPECT_EQ(r.predicted, (std::vector<int>{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(r.correct, 3);
  int64_t correct = 0;
  for (int64_t i = 0; i < r.n; ++i) correct += r.predicted[i] == ex[i].label;
  EXPECT_EQ(r.correct, correct);
}

TEST(EvalWnli, BadTsvGivesErrorsNamingFileAndLine) {
  expect_error_mentions([] { load_wnli_tsv("/nonexistent/dev.tsv"); }, {"/nonexistent/dev.tsv"});
  const auto unlabelled = write_temp("test.tsv", "index\tsentence1\tsentence2\n0\ta\tb\n");
  expect_error_mentions([&] { load_wnli_tsv(unlabelled); }, {"label", "dev.tsv"});
  const auto bad_label = write_temp("bad_label.tsv", "index\tsentence1\tsentence2\tlabel\n0\ta\tb\t2\n");
  expect_error_mentions([&] { load_wnli_tsv(bad_label); }, {"line 2", "label"});
  const auto short_row = write_temp("short.tsv", "index\tsentence1\tsentence2\tlabel\n0\ta\t1\n");
  expect_error_mentions([&] { load_wnli_tsv(short_row); }, {"line 2", "4 tab-separated"});
  const auto empty = write_temp("empty.tsv", "index\tsentence1\tsentence2\tlabel\n");
  expect_error_mentions([&] { load_wnli_tsv(empty); }, {"no examples"});
}
