#include <chrono>
#include <cstdio>

#include <fmt/core.h>

#include "apps/fpgallm/Command.h"
#include "models/llm/AwqBackend.h"
#include "models/llm/Backend.h"
#include "models/core/Error.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/llm/Qwen2Model.h"
#include "models/llm/Sampler.h"
#include "models/tokenizer/Tokenizer.h"

namespace {

struct GenerateArgs {
  std::string model, tokenizer, prompt;
  int steps = 256;
  float temperature = 1.0f, top_p = 0.9f;
  uint64_t seed = 42;
  bool stats = false;
};

void run_generate(const GenerateArgs& a) {
  using namespace fpgallm;
  auto weights = load_model(a.model);
  auto tok = load_tokenizer(a.tokenizer, weights->config.vocab_size);
  // Quantized models (packed files, AutoAWQ folders) run the host AWQ kernels; others fp32.
  const std::unique_ptr<Backend> backend = make_host_backend("auto", *weights, "backend");
  Qwen2Model model(weights, *backend);
  Sampler sampler(a.temperature, a.top_p, a.seed);

  std::vector<int32_t> prompt = tok->encode(a.prompt, true);
  if (prompt.empty()) fail("prompt encodes to no tokens and the tokenizer has no BOS; give --prompt");
  const int64_t ctx = weights->config.max_context;
  if (static_cast<int64_t>(prompt.size()) > ctx)
    fail("prompt is {} tokens, longer than the model's context of {}", prompt.size(), ctx);
  const int64_t steps = std::min<int64_t>(a.steps, ctx);

  const auto t0 = std::chrono::steady_clock::now();
  // Like llama2.c: feed prompt tokens, print them, then sample until `steps` positions or EOS/BOS.
  std::vector<float> logits = model.prefill(prompt);
  int32_t prev = prompt.back();
  for (size_t i = 1; i < prompt.size(); ++i) std::fputs(tok->decode_token(prompt[i - 1], prompt[i]).c_str(), stdout);
  int64_t generated = 0;
  for (int64_t pos = static_cast<int64_t>(prompt.size()); pos < steps; ++pos) {
    const int32_t next = sampler.sample(logits);
    if (next == tok->bos_id() || next == tok->eos_id() || next == weights->config.eos_token_id) break;
    std::fputs(tok->decode_token(prev, next).c_str(), stdout);
    std::fflush(stdout);
    ++generated;
    prev = next;
    if (pos + 1 < steps) logits = model.decode(next);
  }
  std::fputs("\n", stdout);
  std::fflush(stdout);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.stats) fmt::print(stderr, "generated {} tokens in {:.3f} s ({:.1f} tok/s, host {})\n", generated, s,
                          generated / std::max(s, 1e-9), backend->name());
}

void setup(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* c = app.add_subcommand("generate", "Generate text with the functional model on the host");
  c->add_option("--model", a->model, "llama2.c .bin, HF folder, or synthetic:<preset>")->required();
  c->add_option("--tokenizer", a->tokenizer, "tokenizer: llama2.c .bin or a Qwen2 tokenizer folder")->required();
  c->add_option("--prompt", a->prompt, "prompt text (default: empty, BOS only)");
  c->add_option("--steps", a->steps, "positions to run, prompt included")->check(CLI::PositiveNumber);
  c->add_option("--temperature", a->temperature, "0 = greedy");
  c->add_option("--top-p", a->top_p, "nucleus sampling threshold in (0, 1]");
  c->add_option("--seed", a->seed, "sampler seed");
  c->add_flag("--stats", a->stats, "print tokens/s to stderr");
  c->callback([a] { run_generate(*a); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("generate", setup);
