#include <chrono>
#include <cstdio>

#include <fmt/core.h>

#include "apps/fpgallm/Command.h"
#include "models/core/Error.h"
#include "models/checkpoint/HfCheckpoint.h"
#include "models/llm/ModelConfig.h"
#include "models/checkpoint/Synthetic.h"

namespace {

constexpr int64_t kBytesPerMB = 1000 * 1000;

struct MakeCheckpointArgs {
  std::string preset, config, out, dtype = "bf16";
  uint64_t seed = fpgallm::kDefaultSyntheticSeed;
  bool untied = false, no_bias = false;
  int64_t shard_mb = 0;
};

fpgallm::DType parse_dtype(const std::string& s) {
  if (s == "bf16") return fpgallm::DType::BF16;
  if (s == "f16") return fpgallm::DType::F16;
  if (s == "f32") return fpgallm::DType::F32;
  fpgallm::fail("--dtype must be bf16, f16 or f32 (got '{}')", s);
}

void run_make_checkpoint(const MakeCheckpointArgs& a) {
  using namespace fpgallm;
  const DType dtype = parse_dtype(a.dtype);
  ModelConfig cfg = a.config.empty() ? model_config_preset(a.preset) : load_model_config_yaml(a.config);
  if (a.untied) cfg.tie_word_embeddings = false;
  if (a.no_bias) cfg.qkv_bias = false;

  const auto t0 = std::chrono::steady_clock::now();
  auto w = make_synthetic_weights(cfg, a.seed);
  const auto t1 = std::chrono::steady_clock::now();
  save_hf_checkpoint(*w, a.out, dtype, a.shard_mb * kBytesPerMB);
  const auto t2 = std::chrono::steady_clock::now();
  const auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  fmt::print("wrote {}: {} parameters as {} (seed {}, {} embeddings, {} q/k/v bias); generated in {:.2f} s, "
             "written in {:.2f} s\n",
             a.out, cfg.num_parameters(), dtype_name(dtype), a.seed, cfg.tie_word_embeddings ? "tied" : "untied",
             cfg.qkv_bias ? "with" : "no", secs(t1 - t0), secs(t2 - t1));
}

void setup(CLI::App& app) {
  auto a = std::make_shared<MakeCheckpointArgs>();
  auto* c = app.add_subcommand("make-checkpoint",
                               "Write a HF checkpoint folder (config.json + safetensors) with synthetic weights");
  auto* preset = c->add_option("--preset", a->preset, "model shapes: tiny or qwen2.5-0.5b");
  auto* config = c->add_option("--config", a->config, "model config YAML (configs/model/*.yaml) instead of --preset");
  preset->excludes(config);
  config->excludes(preset);
  c->add_option("--seed", a->seed, "seed of the synthetic weights");
  c->add_option("--out", a->out, "output folder")->required();
  c->add_option("--dtype", a->dtype, "stored dtype: bf16 (default), f16 or f32");
  c->add_flag("--untied", a->untied, "separate lm_head instead of tied embeddings");
  c->add_flag("--no-bias", a->no_bias, "drop the q/k/v projection biases");
  c->add_option("--shard-mb", a->shard_mb, "split into shards of at most this many MB (0 = one file)")
      ->check(CLI::NonNegativeNumber);
  c->callback([a] {
    if (a->preset.empty() && a->config.empty()) fpgallm::fail("make-checkpoint: give --preset or --config");
    run_make_checkpoint(*a);
  });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("make-checkpoint", setup);
