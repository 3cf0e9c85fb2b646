#include "dse/Accuracy.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "models/checkpoint/Llama2c.h"
#include "models/checkpoint/Synthetic.h"
#include "models/core/Digest.h"
#include "models/core/Error.h"
#include "models/eval/Eval.h"
#include "models/llm/AwqBackend.h"
#include "models/quant/Quantizer.h"
#include "models/tokenizer/Tokenizer.h"
#include "sim/accel/Deployment.h"

namespace fpgallm::dse {

namespace fs = std::filesystem;

namespace {
constexpr uint64_t kSyntheticSeed = 0, kCalibSeed = 1, kEvalSeed = 2;  // as the quantization table
constexpr int64_t kCalibSamples = 8;

/** XXH3 of a cache entry's figures and recipe, so an edited or damaged entry is never read as a measurement. */
std::string entry_digest(const AccuracyFigures& f, const std::string& recipe) {
  return "xxh3_64:" + Digest::hex_of(f.to_json().dump() + '\0' + recipe);
}

/** The synthetic model the KL/top-1 figures come from. */
ModelConfig synthetic_config(const AccuracyOptions& o) {
  return o.model.empty() ? awq_table_synthetic_config() : resolve_model_config(o.model, "accuracy.model");
}
}  // namespace

std::vector<std::vector<int32_t>> stories_calibration(const AccuracyOptions& o, const Tokenizer& tok,
                                                      int64_t model_context, const std::string& spec_file) {
  if (o.method != "awq") return {};  // RTN rounds each weight on its own: no calibration
  const int64_t longest = std::min(kDefaultCalibBlockTokens, model_context);
  try {
    return make_calibration_sequences(tok, read_text_file(o.stories_text), kCalibSamples, o.eval_seq_len, longest);
  } catch (const Error& e) {
    fail("{}: sweep.accuracy: the AWQ calibration of the stories measurement is empty with eval_seq_len = {} and "
         "stories_text '{}' ({}); lower sweep.accuracy.eval_seq_len or give a longer sweep.accuracy.stories_text",
         spec_file, o.eval_seq_len, o.stories_text, e.what());
  }
}

void check_accuracy_inputs(const AccuracyOptions& o, const std::string& spec_file) {
  if (!o.enabled) return;
  const ModelConfig sc = synthetic_config(o);
  if (o.eval_seq_len > sc.max_context)
    fail("{}: sweep.accuracy.eval_seq_len = {} is longer than the accuracy model's context of {} tokens; lower it",
         spec_file, o.eval_seq_len, sc.max_context);
  if (o.stories_model.empty()) return;
  if (o.stories_tokenizer.empty() || o.stories_text.empty())
    fail("{}: sweep.accuracy.stories_model needs stories_tokenizer and stories_text too", spec_file);
  auto st = load_llama2c(o.stories_model);
  auto tok = load_tokenizer(o.stories_tokenizer, st->config.vocab_size);
  if (o.eval_seq_len > st->config.max_context)
    fail("{}: sweep.accuracy.eval_seq_len = {} is longer than the stories model's context of {} tokens; lower it",
         spec_file, o.eval_seq_len, st->config.max_context);
  stories_calibration(o, *tok, st->config.max_context, spec_file);
}

std::string QuantSetting::key() const {
  if (!quantized) return "fp32";
  return fmt::format("g{}_b{}_{}_{}", group_size, bits, zero_point ? "zp" : "sym", lm_head ? "qhead" : "fhead");
}

QuantSetting quant_setting(const sim::AccelConfig& a) {
  const QuantOptions q = sim::deployed_quant_options(a, "rtn");  // the method is the sweep's, not the design's
  QuantSetting s;
  s.quantized = a.offload_linear;
  s.group_size = q.group_size;
  s.bits = q.bits;
  s.zero_point = q.zero_point;
  s.lm_head = q.quantize_lm_head;
  return s;
}

nlohmann::json AccuracyFigures::to_json() const {
  return {{"top1", top1}, {"kl", kl}, {"stories_ppl", ppl}, {"stories_ppl_fp32", ppl_fp32}};
}

AccuracyCache::AccuracyCache(std::string cache_dir, AccuracyOptions opt, std::string spec_file)
    : dir_(std::move(cache_dir)), opt_(std::move(opt)), spec_file_(std::move(spec_file)) {
  check_accuracy_inputs(opt_, spec_file_);
}

AccuracyFigures AccuracyCache::get(const QuantSetting& s) {
  const ModelConfig sc = synthetic_config(opt_);
  // The file name carries everything the figure depends on.
  const std::string recipe = fmt::format("{}_{}_h{}i{}l{}v{}_n{}x{}{}{}", s.key(), opt_.method, sc.hidden_size,
                                         sc.intermediate_size, sc.num_layers,
                                         sc.vocab_size, opt_.eval_samples, opt_.eval_seq_len,
                                         opt_.stories_model.empty() ? "" : "_stories",
                                         // AWQ's stories calibration: documents packed into eval_seq_len blocks
                                         opt_.method == "awq" && !opt_.stories_model.empty() ? "_calpack" : "");
  const fs::path file = fs::path(dir_) / (recipe + ".json");
  if (fs::exists(file)) {
    try {
      std::ifstream in(file);
      const auto j = nlohmann::json::parse(in);
      AccuracyFigures f;
      f.top1 = j.at("top1");
      f.kl = j.at("kl");
      f.ppl = j.at("stories_ppl");
      f.ppl_fp32 = j.at("stories_ppl_fp32");
      if (j.at("recipe") != recipe) throw std::runtime_error("it holds the figures of " + j.at("recipe").dump());
      if (j.at("digest") != entry_digest(f, recipe)) throw std::runtime_error("its digest does not match its figures");
      return f;
    } catch (const std::exception& e) {
      // A torn, edited or foreign file: discard it, measure again and overwrite it.
      fmt::print(stderr, "accuracy cache: discarded {} ({}); measuring again\n", file.string(), e.what());
    }
  }
  AccuracyFigures f;
  if (s.quantized) {
    QuantOptions q;
    q.method = opt_.method;
    q.group_size = s.group_size;
    q.bits = s.bits;
    q.zero_point = s.zero_point;
    q.quantize_lm_head = s.lm_head;
    q.calib_samples = kCalibSamples;
    q.calib_seq_len = opt_.eval_seq_len;
    auto fp = make_synthetic_weights(sc, kSyntheticSeed);
    const auto calib = make_random_sequences(sc.vocab_size, kCalibSamples, std::min(opt_.eval_seq_len, sc.max_context), kCalibSeed);
    auto qm = quantize_model(*fp, q, calib);
    std::vector<int32_t> eval;
    for (const auto& x : make_random_sequences(sc.vocab_size, opt_.eval_samples, opt_.eval_seq_len, kEvalSeed))
      eval.insert(eval.end(), x.begin(), x.end());
    AwqBackend ref, test;
    const CompareResult c = eval_compare(fp, ref, qm, test, eval, opt_.eval_seq_len);
    f.top1 = c.top1_agreement;
    f.kl = c.kl_mean;
    if (!opt_.stories_model.empty()) {
      auto st = load_llama2c(opt_.stories_model);
      auto tok = load_tokenizer(opt_.stories_tokenizer, st->config.vocab_size);
      const auto tokens = encode_documents(*tok, read_text_file(opt_.stories_text));
      const int64_t ctx = std::min(kDefaultEvalContext, st->config.max_context);
      AwqBackend b;
      f.ppl_fp32 = eval_perplexity(st, b, tokens, ctx).perplexity();
      auto stq = quantize_model(*st, q, stories_calibration(opt_, *tok, st->config.max_context, spec_file_));
      f.ppl = eval_perplexity(stq, b, tokens, ctx).perplexity();
    }
  }
  ++computed_;
  fs::create_directories(dir_);
  // Write then rename, so a killed run never leaves half a file behind.
  const fs::path tmp = file.string() + ".tmp";
  nlohmann::json j = f.to_json();
  j["recipe"] = recipe;
  j["digest"] = entry_digest(f, recipe);
  std::ofstream(tmp) << j.dump(2) << "\n";
  fs::rename(tmp, file);
  return f;
}

}  // namespace fpgallm::dse
