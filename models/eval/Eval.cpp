#include "models/eval/Eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "models/llm/AwqBackend.h"
#include "models/core/Error.h"
#include "models/checkpoint/Llama2c.h"
#include "models/quant/Quantizer.h"
#include "models/llm/Qwen2Model.h"
#include "models/llm/Sampler.h"
#include "models/checkpoint/Synthetic.h"

namespace fpgallm {

namespace {

/** log-softmax of one row in double, so tiny probabilities keep their precision. */
void log_softmax(const float* logits, int64_t n, std::vector<double>& out) {
  out.resize(static_cast<size_t>(n));
  double mx = logits[0];
  for (int64_t i = 1; i < n; ++i) mx = std::max(mx, static_cast<double>(logits[i]));
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - mx);
  const double lse = mx + std::log(sum);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(logits[i]) - lse;
}

int64_t check_ctx(const ModelConfig& c, int64_t ctx) {
  if (ctx <= 0) fail("--ctx must be > 0 (got {})", ctx);
  if (ctx > c.max_context) fail("--ctx {} exceeds the model's context of {}", ctx, c.max_context);
  return ctx;
}

void check_tokens(const ModelConfig& c, const std::vector<int32_t>& tokens, int64_t min_tokens) {
  if (static_cast<int64_t>(tokens.size()) < min_tokens)
    fail("evaluation text encodes to {} tokens; at least {} are needed", tokens.size(), min_tokens);
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= c.vocab_size)
      fail("token {} of the evaluation stream is id {}, outside the vocabulary [0, {})", i, tokens[i], c.vocab_size);
}

/** Calls fn(window_begin, window tokens) for non-overlapping windows of ctx tokens. */
template <typename Fn>
void for_windows(const std::vector<int32_t>& tokens, int64_t ctx, Fn&& fn) {
  const auto n = static_cast<int64_t>(tokens.size());
  for (int64_t b = 0; b < n; b += ctx) {
    const int64_t e = std::min(n, b + ctx);
    fn(b, std::vector<int32_t>(tokens.begin() + b, tokens.begin() + e));
  }
}

std::string trim_cr(std::string s) {
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  for (char ch : line) {
    if (ch == '\t') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  f.push_back(cur);
  return f;
}

}  // namespace

double PerplexityResult::perplexity() const { return std::exp(nll_mean); }

PerplexityResult eval_perplexity(std::shared_ptr<const ModelWeights> w, Backend& backend,
                                 const std::vector<int32_t>& tokens, int64_t ctx) {
  check_ctx(w->config, ctx);
  check_tokens(w->config, tokens, 2);
  Qwen2Model m(w, backend);
  const int64_t V = w->config.vocab_size;
  double nll = 0.0;
  int64_t count = 0;
  std::vector<double> lp;
  for_windows(tokens, ctx, [&](int64_t, const std::vector<int32_t>& win) {
    if (win.size() < 2) return;  // a 1-token tail predicts nothing
    m.reset();
    const std::vector<float> logits = m.forward(win, Phase::Prefill, true);
    for (size_t t = 0; t + 1 < win.size(); ++t) {
      log_softmax(logits.data() + t * V, V, lp);
      nll -= lp[static_cast<size_t>(win[t + 1])];
      ++count;
    }
  });
  PerplexityResult r;
  r.n_predicted = count;
  r.nll_mean = count ? nll / static_cast<double>(count) : 0.0;
  return r;
}

CompareResult eval_compare(std::shared_ptr<const ModelWeights> ref, Backend& ref_backend,
                           std::shared_ptr<const ModelWeights> test, Backend& test_backend,
                           const std::vector<int32_t>& tokens, int64_t ctx) {
  const ModelConfig& a = ref->config;
  const ModelConfig& b = test->config;
  if (a.vocab_size != b.vocab_size || a.hidden_size != b.hidden_size || a.num_layers != b.num_layers)
    fail("compare: the models differ in shape (vocab {} vs {}, hidden {} vs {}, layers {} vs {})", a.vocab_size,
         b.vocab_size, a.hidden_size, b.hidden_size, a.num_layers, b.num_layers);
  check_ctx(a, ctx);
  check_ctx(b, ctx);
  check_tokens(a, tokens, 1);
  Qwen2Model mr(ref, ref_backend), mt(test, test_backend);
  const int64_t V = a.vocab_size;
  CompareResult r;
  double kl_sum = 0.0;
  int64_t agree = 0;
  std::vector<double> lp, lq;
  for_windows(tokens, ctx, [&](int64_t, const std::vector<int32_t>& win) {
    mr.reset();
    mt.reset();
    const auto lr = mr.forward(win, Phase::Prefill, true);
    const auto lt = mt.forward(win, Phase::Prefill, true);
    for (size_t t = 0; t < win.size(); ++t) {
      log_softmax(lr.data() + t * V, V, lp);
      log_softmax(lt.data() + t * V, V, lq);
      double kl = 0.0;
      for (int64_t i = 0; i < V; ++i) kl += std::exp(lp[i]) * (lp[i] - lq[i]);
      kl = std::max(kl, 0.0);  // rounding can leave -1e-17 for identical rows
      kl_sum += kl;
      r.kl_max = std::max(r.kl_max, kl);
      agree += Sampler::argmax(lr.data() + t * V, V) == Sampler::argmax(lt.data() + t * V, V);
      ++r.n_positions;
    }
  });
  r.kl_mean = kl_sum / static_cast<double>(r.n_positions);
  r.top1_agreement = static_cast<double>(agree) / static_cast<double>(r.n_positions);
  return r;
}

std::vector<WnliExample> load_wnli_tsv(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open WNLI TSV", path);
  std::string line;
  if (!std::getline(f, line)) fail("{}: empty file (expected the header index\\tsentence1\\tsentence2\\tlabel)", path);
  const auto header = split_tabs(trim_cr(line));
  const std::vector<std::string> want = {"index", "sentence1", "sentence2", "label"};
  if (header != want) {
    if (header.size() == 3 && header[0] == "index")
      fail("{}: header has no 'label' column (GLUE's test.tsv is unlabelled; use dev.tsv)", path);
    constexpr size_t kQuoteChars = 60;  // enough to recognise the line, not a whole paragraph
    fail("{}: line 1: header must be index\\tsentence1\\tsentence2\\tlabel (got '{}')", path,
         trim_cr(line).substr(0, kQuoteChars));
  }
  std::vector<WnliExample> out;
  int64_t line_no = 1;
  while (std::getline(f, line)) {
    ++line_no;
    line = trim_cr(line);
    if (line.empty()) continue;
    const auto fields = split_tabs(line);
    if (fields.size() != want.size())
      fail("{}: line {}: expected 4 tab-separated fields, got {}", path, line_no, fields.size());
    WnliExample e;
    try {
      size_t used = 0;
      e.index = std::stoll(fields[0], &used);
      if (used != fields[0].size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      fail("{}: line {}: index '{}' is not an integer", path, line_no, fields[0]);
    }
    if (fields[3] != "0" && fields[3] != "1")
      fail("{}: line {}: label must be 0 or 1 (got '{}')", path, line_no, fields[3]);
    e.sentence1 = fields[1];
    e.sentence2 = fields[2];
    if (e.sentence1.empty() || e.sentence2.empty()) fail("{}: line {}: empty sentence", path, line_no);
    e.label = fields[3] == "1";
    out.push_back(std::move(e));
  }
  if (out.empty()) fail("{}: no examples after the header", path);
  return out;
}

std::string wnli_prompt(const WnliExample& e) {
  return e.sentence1 + "\nQuestion: " + e.sentence2 + " True or False?\nAnswer:";
}

double continuation_loglik(std::shared_ptr<const ModelWeights> w, Backend& backend, const Tokenizer& tok,
                           const std::string& context, const std::string& continuation) {
  const std::vector<int32_t> ctx_ids = tok.encode(context, true);
  const std::vector<int32_t> full = tok.encode(context + continuation, true);
  size_t p = 0;
  while (p < ctx_ids.size() && p < full.size() && ctx_ids[p] == full[p]) ++p;
  if (p == 0) fail("loglik: the context encodes to no tokens in common with context + continuation");
  if (p >= full.size()) fail("loglik: continuation '{}' adds no tokens after the context", continuation);
  const auto& c = w->config;
  if (static_cast<int64_t>(full.size()) > c.max_context)
    fail("loglik: prompt and continuation are {} tokens, more than the model's context of {}", full.size(),
         c.max_context);
  for (int32_t t : full)
    if (t < 0 || t >= c.vocab_size)
      fail("loglik: token id {} is outside the model's vocabulary [0, {}) (tokenizer and model differ?)", t,
           c.vocab_size);
  Qwen2Model m(w, backend);
  const std::vector<float> logits = m.forward(full, Phase::Prefill, true);
  double ll = 0.0;
  std::vector<double> lp;
  for (size_t j = p; j < full.size(); ++j) {
    log_softmax(logits.data() + (j - 1) * c.vocab_size, c.vocab_size, lp);
    ll += lp[static_cast<size_t>(full[j])];
  }
  return ll;
}

WnliResult eval_wnli(std::shared_ptr<const ModelWeights> w, Backend& backend, const Tokenizer& tok,
                     const std::vector<WnliExample>& examples) {
  WnliResult r;
  for (const auto& e : examples) {
    const std::string prompt = wnli_prompt(e);
    double lt, lf;
    try {
      lt = continuation_loglik(w, backend, tok, prompt, " True");
      lf = continuation_loglik(w, backend, tok, prompt, " False");
    } catch (const Error& err) {
      fail("WNLI example {}: {}", e.index, err.what());
    }
    const int pred = lt > lf ? 1 : 0;
    r.ll_true.push_back(lt);
    r.ll_false.push_back(lf);
    r.predicted.push_back(pred);
    r.correct += pred == e.label;
    ++r.n;
  }
  return r;
}

ModelConfig awq_table_synthetic_config() {
  // Qwen2.5-0.5B's structure (GQA, q/k/v bias, tied embeddings, SwiGLU, RoPE 1e6, head_dim 64)
  // at a width the 6 quantizations of the table run in about a minute on two cores.
  ModelConfig c = model_config_preset("qwen2.5-0.5b");
  c.name = "qwen2";
  c.hidden_size = 256;
  c.intermediate_size = 1408;  // 5.5x hidden, as 4864/896; 11 groups of 128
  c.num_layers = 4;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 64;
  c.vocab_size = 4096;
  c.max_context = 256;
  c.validate("awq-table synthetic config");
  return c;
}

std::string make_awq_table(const AwqTableOptions& o) {
  using clock = std::chrono::steady_clock;
  auto log = [&](const std::string& s) {
    if (o.log) o.log(s);
  };
  auto seconds_since = [](clock::time_point t0) {
    return std::chrono::duration<double>(clock::now() - t0).count();
  };
  // stories260K: perplexity on the evaluation text.
  auto st_fp = load_llama2c(o.stories_model);
  Llama2cTokenizer st_tok(o.stories_tokenizer, st_fp->config.vocab_size);
  const std::vector<int32_t> st_eval = encode_documents(st_tok, read_text_file(o.stories_text));
  const auto st_calib =
      make_calibration_sequences(st_tok, read_text_file(o.calib_text), o.calib_samples,
                                 std::min(o.calib_seq_len, st_fp->config.max_context));
  const int64_t st_ctx = std::min(kDefaultEvalContext, st_fp->config.max_context);
  AwqBackend backend;
  const PerplexityResult st_base = eval_perplexity(st_fp, backend, st_eval, st_ctx);
  log(fmt::format("stories260K fp32: ppl {:.4f} over {} tokens", st_base.perplexity(), st_base.n_predicted));

  // Synthetic outlier model: KL and top-1 against fp32 on random tokens.
  auto sy_fp = make_synthetic_weights(o.synthetic, o.synthetic_seed);
  constexpr uint64_t kCalibSeed = 1, kEvalSeed = 2;  // disjoint streams for calibration and evaluation
  const auto sy_calib = make_random_sequences(o.synthetic.vocab_size, o.synthetic_calib_blocks,
                                              std::min(o.calib_seq_len, o.synthetic.max_context), kCalibSeed);
  std::vector<int32_t> sy_eval;
  for (const auto& s : make_random_sequences(o.synthetic.vocab_size, o.synthetic_eval_samples,
                                             o.synthetic_eval_seq_len, kEvalSeed))
    sy_eval.insert(sy_eval.end(), s.begin(), s.end());
  const auto outliers = synthetic_outlier_channels(o.synthetic, o.synthetic_seed);

  struct Row {
    int64_t G;
    std::string method;
    double ppl, kl, kl_max, top1;
  };
  std::vector<Row> rows;
  for (int64_t G : o.group_sizes) {
    for (const char* method : {"rtn", "awq"}) {
      QuantOptions q;
      q.method = method;
      q.group_size = G;
      q.calib_samples = o.calib_samples;
      q.calib_seq_len = o.calib_seq_len;
      const auto t0 = clock::now();
      auto st_q = quantize_model(*st_fp, q, st_calib);
      auto sy_q = quantize_model(*sy_fp, q, sy_calib);
      const double secs = seconds_since(t0);
      const PerplexityResult p = eval_perplexity(st_q, backend, st_eval, st_ctx);
      AwqBackend ref_backend;
      const CompareResult cmp =
          eval_compare(sy_fp, ref_backend, sy_q, backend, sy_eval, o.synthetic_eval_seq_len);
      rows.push_back({G, method, p.perplexity(), cmp.kl_mean, cmp.kl_max, cmp.top1_agreement});
      log(fmt::format("G={} {}: stories260K ppl {:.4f}; synthetic KL {:.5f} top-1 {:.2f}% ({:.1f} s)", G, method,
                      p.perplexity(), cmp.kl_mean, 100.0 * cmp.top1_agreement, secs));
    }
  }

  const auto& sc = o.synthetic;
  std::string md;
  md += "# RTN vs AWQ quality (generated)\n\n";
  md += "Produced by `fpgallm eval awq-table`; do not edit by hand. Method and caveats: "
        "`docs/quantization.md`.\n\n";
  md += fmt::format(
      "- 4-bit asymmetric weights, fp16 scales, 4-bit zeros; decoder linears quantized, lm_head and "
      "embeddings fp32.\n"
      "- AWQ calibration as AutoAWQ: up to {} documents, concatenated and cut into blocks of {} tokens. stories260K "
      "uses `{}` (its own tokenizer, {} blocks); the synthetic model uses {} blocks of random token ids (seed {}).\n"
      "- stories260K (dim 64, hidden 172, 5 layers, GQA 8/4): perplexity on `{}` ({} predicted tokens, windows of "
      "{}). 172 is not a multiple of any G: down_proj's last group is partial.\n"
      "- Synthetic outlier model: **reduced size** with Qwen2.5's structure (hidden {}, intermediate {}, {} layers, "
      "{} q / {} kv heads of {}, vocab {}, q/k/v bias, tied embeddings), `make_synthetic_weights` seed {} (outlier "
      "residual channels {}). KL(fp32 || quantized) per position, mean and max, and top-1 agreement over {} random "
      "sequences x {} tokens.\n\n",
      o.calib_samples, o.calib_seq_len, o.calib_text, st_calib.size(), o.synthetic_calib_blocks, kCalibSeed,
      o.stories_text, st_base.n_predicted, st_ctx,
      sc.hidden_size, sc.intermediate_size, sc.num_layers, sc.num_heads, sc.num_kv_heads, sc.head_dim, sc.vocab_size,
      o.synthetic_seed, fmt::join(outliers, ", "), o.synthetic_eval_samples, o.synthetic_eval_seq_len);
  // Quantization times go to the log only: they depend on the machine, the table must not.
  md += "| G | method | stories260K ppl | Δppl vs fp32 | synthetic KL mean | synthetic KL max | synthetic top-1 |\n";
  md += "|---|---|---|---|---|---|---|\n";
  md += fmt::format("| – | fp32 | {:.4f} | 0 | 0 | 0 | 100.00% |\n", st_base.perplexity());
  for (const auto& r : rows)
    md += fmt::format("| {} | {} | {:.4f} | {:+.4f} | {:.5f} | {:.4f} | {:.2f}% |\n", r.G, r.method, r.ppl,
                      r.ppl - st_base.perplexity(), r.kl, r.kl_max, 100.0 * r.top1);
  md += "\nAWQ vs RTN at each G (lower perplexity and KL are better):\n\n";
  for (size_t i = 0; i + 1 < rows.size(); i += 2) {
    const Row& rtn = rows[i];
    const Row& awq = rows[i + 1];
    md += fmt::format("- G = {}: stories260K ppl {} ({:.4f} vs {:.4f}); synthetic KL {} ({:.5f} vs {:.5f}).\n", rtn.G,
                      awq.ppl < rtn.ppl ? "AWQ better" : "AWQ not better", awq.ppl, rtn.ppl,
                      awq.kl < rtn.kl ? "AWQ better" : "AWQ not better", awq.kl, rtn.kl);
  }
  return md;
}

}  // namespace fpgallm
