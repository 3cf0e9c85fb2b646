// `fpgallm eval ppl|compare|wnli|awq-table`: quality of fp32 and quantized models on the host.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "apps/fpgallm/Command.h"
#include "run/Resources.h"
#include "models/llm/AwqBackend.h"
#include "models/core/Error.h"
#include "models/eval/Eval.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/quant/Quantizer.h"
#include "models/tokenizer/Tokenizer.h"

namespace {

using namespace fpgallm;
namespace fs = std::filesystem;

/** HF folders carry their tokenizer; other model forms need --tokenizer. */
std::string tokenizer_path(const std::string& given, const std::string& model) {
  if (!given.empty()) return given;
  std::error_code ec;
  if (std::filesystem::is_directory(model, ec)) return model;
  fail("--tokenizer is required for model '{}' (only HF folders carry their own tokenizer)", model);
}

int64_t ctx_or_default(int64_t ctx, const ModelConfig& c) {
  return ctx > 0 ? ctx : std::min(kDefaultEvalContext, c.max_context);
}

struct PplArgs {
  std::string model, tokenizer, text, backend = "awq";
  int64_t ctx = 0;
};

void run_ppl(const PplArgs& a) {
  auto w = load_model(a.model);
  auto tok = load_tokenizer(tokenizer_path(a.tokenizer, a.model), w->config.vocab_size);
  auto backend = make_host_backend(a.backend, *w, "--backend");
  const auto tokens = encode_documents(*tok, read_text_file(a.text));
  const auto r = eval_perplexity(w, *backend, tokens, ctx_or_default(a.ctx, w->config));
  fmt::print("perplexity {:.4f}  (mean NLL {:.5f} nats over {} predicted tokens, backend {})\n", r.perplexity(),
             r.nll_mean, r.n_predicted, backend->name());
}

struct CompareArgs {
  std::string model, quantized, tokenizer, text;
  int64_t ctx = 0;
};

void run_compare(const CompareArgs& a) {
  auto ref = load_model(a.model);
  auto test = load_model(a.quantized);
  auto tok = load_tokenizer(tokenizer_path(a.tokenizer, a.model), ref->config.vocab_size);
  const auto tokens = encode_documents(*tok, read_text_file(a.text));
  ReferenceBackend ref_backend;
  AwqBackend test_backend;
  const auto r = eval_compare(ref, ref_backend, test, test_backend, tokens, ctx_or_default(a.ctx, ref->config));
  fmt::print("KL(fp32 || quantized) mean {:.6f} nats, max {:.6f}; top-1 agreement {:.2f}% over {} positions\n",
             r.kl_mean, r.kl_max, 100.0 * r.top1_agreement, r.n_positions);
}

struct WnliArgs {
  std::string model, tokenizer, data, backend = "awq";
  bool verbose = false;
};

void run_wnli(const WnliArgs& a) {
  auto w = load_model(a.model);
  auto tok = load_tokenizer(tokenizer_path(a.tokenizer, a.model), w->config.vocab_size);
  auto backend = make_host_backend(a.backend, *w, "--backend");
  const auto examples = load_wnli_tsv(a.data);
  const auto r = eval_wnli(w, *backend, *tok, examples);
  if (a.verbose)
    for (size_t i = 0; i < examples.size(); ++i)
      fmt::print("{}\tlabel {}\tpredicted {}\tll(True) {:.4f}\tll(False) {:.4f}\n", examples[i].index,
                 examples[i].label, r.predicted[i], r.ll_true[i], r.ll_false[i]);
  fmt::print("WNLI accuracy {:.2f}% ({} / {})\n", 100.0 * r.accuracy(), r.correct, r.n);
}

// Defaults are relative to the resource folder (run::resource_root), resolved when the command runs.
struct TableArgs {
  std::string out, stories_dir = "data/stories260K", calib = "configs/calib/default.txt",
                   text = "configs/calib/stories260k_eval.txt";
  std::vector<int64_t> groups = {32, 64, 128};
  int64_t calib_samples = fpgallm::kDefaultCalibSamples, calib_seq_len = fpgallm::kDefaultCalibBlockTokens;
};

void run_table(TableArgs a) {
  for (auto* p : {&a.stories_dir, &a.calib, &a.text}) *p = run::find_file(*p);
  AwqTableOptions o;
  o.stories_model = a.stories_dir + "/stories260K.bin";
  o.stories_tokenizer = a.stories_dir + "/tok512.bin";
  o.stories_text = a.text;
  o.calib_text = a.calib;
  o.group_sizes = a.groups;
  o.calib_samples = a.calib_samples;
  o.calib_seq_len = a.calib_seq_len;
  o.synthetic = awq_table_synthetic_config();
  o.log = [](const std::string& s) { fmt::print(stderr, "{}\n", s); };
  const std::string md = make_awq_table(o);
  std::ofstream f(a.out, std::ios::binary | std::ios::trunc);
  if (!f) fail("{}: cannot open for writing", a.out);
  f << md;
  if (!f.flush()) fail("{}: write failed", a.out);
  fmt::print("wrote {}\n", a.out);
}

void setup(CLI::App& app) {
  auto* e = app.add_subcommand("eval", "Quality of fp32 and quantized models: perplexity, KL, WNLI, RTN vs AWQ table");
  e->require_subcommand(1);

  auto p = std::make_shared<PplArgs>();
  auto* ppl = e->add_subcommand("ppl", "Perplexity of a model on a text file");
  ppl->add_option("--model", p->model, "llama2.c .bin, HF/AutoAWQ folder, packed file or synthetic:<preset>")->required();
  ppl->add_option("--tokenizer", p->tokenizer, "tokenizer (default: the model folder)");
  ppl->add_option("--text", p->text, "UTF-8 text; blank lines separate documents (each gets BOS)")->required();
  ppl->add_option("--backend", p->backend, "awq (AWQ kernels where quantized, fp32 elsewhere) or fp32")
      ->check(CLI::IsMember({"fp32", "awq"}));
  ppl->add_option("--ctx", p->ctx, "window length in tokens (default min(512, model context))");
  ppl->callback([p] { run_ppl(*p); });

  auto c = std::make_shared<CompareArgs>();
  auto* cmp = e->add_subcommand("compare", "KL divergence and top-1 agreement of a quantized model vs fp32");
  cmp->add_option("--model", c->model, "fp32 reference model")->required();
  cmp->add_option("--quantized", c->quantized, "quantized model (packed file, AutoAWQ folder)")->required();
  cmp->add_option("--tokenizer", c->tokenizer, "tokenizer (default: the reference model folder)");
  cmp->add_option("--text", c->text, "UTF-8 text to run both models on")->required();
  cmp->add_option("--ctx", c->ctx, "window length in tokens (default min(512, model context))");
  cmp->callback([c] { run_compare(*c); });

  auto w = std::make_shared<WnliArgs>();
  auto* wnli = e->add_subcommand("wnli", "WNLI accuracy by log-likelihood of \" True\" vs \" False\"");
  wnli->add_option("--model", w->model, "model spec")->required();
  wnli->add_option("--tokenizer", w->tokenizer, "tokenizer (default: the model folder)");
  wnli->add_option("--data", w->data, "GLUE WNLI dev.tsv (index, sentence1, sentence2, label)")->required();
  wnli->add_option("--backend", w->backend, "awq or fp32")->check(CLI::IsMember({"fp32", "awq"}));
  wnli->add_flag("--verbose", w->verbose, "print each example's log-likelihoods");
  wnli->callback([w] { run_wnli(*w); });

  auto t = std::make_shared<TableArgs>();
  auto* tab = e->add_subcommand("awq-table", "RTN vs AWQ table on stories260K and the synthetic outlier model");
  tab->add_option("--out", t->out, "markdown file to write (e.g. docs/quantization_table.md)")->required();
  tab->add_option("--stories", t->stories_dir, "folder with stories260K.bin and tok512.bin");
  tab->add_option("--calib", t->calib, "calibration text");
  tab->add_option("--text", t->text, "stories260K evaluation text");
  tab->add_option("--group-sizes", t->groups, "group sizes to compare")->delimiter(',');
  tab->add_option("--calib-samples", t->calib_samples, "calibration documents read (AutoAWQ's n_samples)")->check(CLI::PositiveNumber);
  tab->add_option("--calib-seq-len", t->calib_seq_len, "tokens per calibration block")->check(CLI::PositiveNumber);
  for (auto* opt : {"--stories", "--calib", "--text"}) tab->get_option(opt)->capture_default_str();
  tab->callback([t] { run_table(*t); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("eval", setup);
