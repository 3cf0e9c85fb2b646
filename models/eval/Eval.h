#pragma once
#include "models/quant/Quantizer.h"
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/llm/Backend.h"
#include "models/llm/ModelConfig.h"
#include "models/tokenizer/Tokenizer.h"
#include "models/llm/Weights.h"

namespace fpgallm {

/** Default evaluation window when --ctx is not given (capped by the model's context). */
constexpr int64_t kDefaultEvalContext = 512;

/** Next-token negative log-likelihood over a token stream. */
struct PerplexityResult {
  double nll_mean = 0.0;     ///< nats per predicted token
  int64_t n_predicted = 0;   ///< tokens scored
  double perplexity() const;
};

/**
 * Scores `tokens` in non-overlapping windows of `ctx` tokens (each window starts a fresh KV
 * cache; its first token is context only), running the model on `backend`.
 */
PerplexityResult eval_perplexity(std::shared_ptr<const ModelWeights> w, Backend& backend,
                                 const std::vector<int32_t>& tokens, int64_t ctx);

/** How far a quantized model's next-token distributions are from the reference's. */
struct CompareResult {
  double kl_mean = 0.0;         ///< mean over positions of KL(p_ref || p_test), nats
  double kl_max = 0.0;
  double top1_agreement = 0.0;  ///< fraction of positions with the same argmax
  int64_t n_positions = 0;
};

/** Runs both models over `tokens` in windows of `ctx` and compares every position's logits. */
CompareResult eval_compare(std::shared_ptr<const ModelWeights> ref, Backend& ref_backend,
                           std::shared_ptr<const ModelWeights> test, Backend& test_backend,
                           const std::vector<int32_t>& tokens, int64_t ctx);

/** One row of GLUE's WNLI dev.tsv: index, sentence1, sentence2, label (1 = entailment = True). */
struct WnliExample {
  int64_t index = 0;
  std::string sentence1, sentence2;
  int label = 0;
};

/** Reads a GLUE WNLI TSV (header index/sentence1/sentence2/label); errors name file and line. */
std::vector<WnliExample> load_wnli_tsv(const std::string& path);

/** lm-evaluation-harness prompt: "{s1}\nQuestion: {s2} True or False?\nAnswer:". */
std::string wnli_prompt(const WnliExample& e);

/**
 * Sum of log P(continuation tokens | context) where the continuation is what encoding
 * context + continuation adds after the longest common prefix with encoding the context alone.
 */
double continuation_loglik(std::shared_ptr<const ModelWeights> w, Backend& backend, const Tokenizer& tok,
                           const std::string& context, const std::string& continuation);

struct WnliResult {
  int64_t n = 0;
  int64_t correct = 0;
  std::vector<double> ll_true, ll_false;  ///< per example
  std::vector<int> predicted;             ///< 1 when " True" is more likely
  double accuracy() const { return n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0; }
};

WnliResult eval_wnli(std::shared_ptr<const ModelWeights> w, Backend& backend, const Tokenizer& tok,
                     const std::vector<WnliExample>& examples);

/** Inputs of the RTN vs AWQ quality table (docs/quantization_table.md). */
struct AwqTableOptions {
  std::string stories_model;      ///< llama2.c stories260K.bin
  std::string stories_tokenizer;  ///< its tok512.bin
  std::string stories_text;       ///< evaluation text (perplexity)
  std::string calib_text;         ///< calibration text for AWQ
  std::vector<int64_t> group_sizes = {32, 64, 128};
  ModelConfig synthetic;          ///< reduced qwen2-structured config for the outlier model
  uint64_t synthetic_seed = 0;
  int64_t calib_samples = kDefaultCalibSamples;      ///< AutoAWQ's n_samples (documents of calib_text)
  int64_t calib_seq_len = kDefaultCalibBlockTokens;  ///< AutoAWQ's block length (capped at the model's context)
  int64_t synthetic_calib_blocks = kDefaultRandomCalibBlocks;  ///< random-id blocks for the synthetic model
  int64_t synthetic_eval_samples = 8;
  int64_t synthetic_eval_seq_len = 128;
  std::function<void(const std::string&)> log;
};

/** The reduced Qwen2-structured config the table uses for the synthetic outlier model. */
ModelConfig awq_table_synthetic_config();

/** Quantizes with RTN and AWQ for every group size and returns the markdown table. */
std::string make_awq_table(const AwqTableOptions& o);

}  // namespace fpgallm
