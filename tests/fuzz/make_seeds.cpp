// Writes the seed inputs of the checkpoint fuzzers (HF folder, AutoAWQ folder, packed model) from
// a micro Qwen2-shaped model with deterministic synthetic weights, in the formats the fuzz targets
// read (FuzzInput.h). Not part of `fuzzers`: run by hand when a format changes, e.g.
//   cmake --build build-fuzz --target fuzz_make_seeds && build-fuzz/tests/fuzz/fuzz_make_seeds tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "models/checkpoint/AutoAwq.h"
#include "models/checkpoint/HfCheckpoint.h"
#include "models/checkpoint/Synthetic.h"
#include "models/quant/PackedModel.h"
#include "models/quant/Quantizer.h"
#include "tests/fuzz/FuzzInput.h"

namespace fs = std::filesystem;
using namespace fpgallm;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
  std::printf("%s: %zu bytes\n", p.c_str(), bytes.size());
}

/** config.json + separator + model.safetensors of a single-file folder. */
std::string folder_input(const fs::path& dir) {
  return slurp(dir / "config.json") + std::string(fuzz::kFileSeparator) + slurp(dir / "model.safetensors");
}

/** The smallest shapes that keep every Qwen2 feature: GQA, q/k/v bias, groups of 8 for 4-bit AWQ. */
ModelConfig micro_config(bool tied) {
  ModelConfig c;
  c.hidden_size = 16;
  c.intermediate_size = 32;
  c.num_layers = 1;
  c.num_heads = 2;
  c.num_kv_heads = 1;
  c.head_dim = 8;
  c.vocab_size = 24;
  c.max_context = 16;
  c.tie_word_embeddings = tied;
  c.validate("micro seed config");
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path tmp = fs::temp_directory_path() / ("fpgallm_make_seeds_" + std::to_string(::getpid()));
  for (const bool tied : {true, false}) {
    const std::string tag = tied ? "micro_tied" : "micro_untied";
    const auto fp = make_synthetic_weights(micro_config(tied), 7);
    save_hf_checkpoint(*fp, (tmp / ("hf_" + tag)).string(), DType::F16);
    spit(out / "hf_checkpoint" / (tag + ".seed"), folder_input(tmp / ("hf_" + tag)));

    QuantOptions o;
    o.method = "rtn";
    o.group_size = 8;
    o.quantize_lm_head = !tied;
    const auto q = quantize_model(*fp, o, {});
    save_autoawq(*q, (tmp / ("awq_" + tag)).string());
    spit(out / "autoawq" / (tag + ".seed"), folder_input(tmp / ("awq_" + tag)));

    MacroLayout layout;
    layout.group_size = o.group_size;
    save_packed_model(*q, layout, (tmp / (tag + ".fpgallm")).string());
    spit(out / "packed_model" / (tag + ".fpgallm"), slurp(tmp / (tag + ".fpgallm")));
  }
  fs::remove_all(tmp);
  return 0;
}
