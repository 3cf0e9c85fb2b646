#include <algorithm>
#include <filesystem>

#include <fmt/core.h>

#include "apps/fpgallm/Command.h"
#include "models/core/Error.h"
#include "models/checkpoint/HfCheckpoint.h"
#include "models/llm/ModelConfig.h"
#include "models/quant/PackedModel.h"
#include "models/checkpoint/Safetensors.h"

namespace fs = std::filesystem;

namespace {

constexpr double kBytesPerMB = 1e6;
constexpr double kBytesPerMiB = 1024.0 * 1024.0;

/** What `inspect` was pointed at. Packed AWQ/MACRO files get their own kind and printer here. */
enum class CheckpointKind { HfFolder, SafetensorsFile, PackedFile };

CheckpointKind detect_kind(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fpgallm::fail("{}: no such file or folder", path);
  if (fs::is_directory(path, ec)) return CheckpointKind::HfFolder;
  if (fpgallm::looks_like_packed_model(path)) return CheckpointKind::PackedFile;  // by magic
  if (fs::path(path).extension() == ".safetensors") return CheckpointKind::SafetensorsFile;
  fpgallm::fail("{}: not a recognised checkpoint (expected a HF folder, a .safetensors file or an fpgallm packed model)", path);
}

void print_config(const fpgallm::ModelConfig& c, const std::string& source) {
  fmt::print("config ({})\n", source);
  const auto row = [](const char* k, const std::string& v) { fmt::print("  {:<26} {}\n", k, v); };
  row("model_type", c.name);
  row("hidden_size", std::to_string(c.hidden_size));
  row("intermediate_size", std::to_string(c.intermediate_size));
  row("num_hidden_layers", std::to_string(c.num_layers));
  row("num_attention_heads", std::to_string(c.num_heads));
  row("num_key_value_heads", std::to_string(c.num_kv_heads));
  row("head_dim", std::to_string(c.head_dim));
  row("vocab_size", std::to_string(c.vocab_size));
  row("max_position_embeddings", std::to_string(c.max_context));
  row("rms_norm_eps", fmt::format("{:g}", c.rms_norm_eps));
  row("rope_theta", fmt::format("{:g}", c.rope_theta));
  row("rope_layout", fpgallm::rope_layout_name(c.rope_layout));
  row("qkv_bias", c.qkv_bias ? "true" : "false");
  row("tie_word_embeddings", c.tie_word_embeddings ? "true" : "false");
  row("parameters (from config)", std::to_string(c.num_parameters()));
  fmt::print("\n");
}

struct Row {
  std::string file, name, dtype, shape;
  uint64_t bytes = 0;
  int64_t numel = 0;
};

/** Table of tensors from headers only: the data is never read. */
void print_tensors(const std::vector<Row>& rows, bool show_file) {
  size_t wn = 6, ws = 5, wf = 4;
  for (const auto& r : rows) {
    wn = std::max(wn, r.name.size());
    ws = std::max(ws, r.shape.size());
    wf = std::max(wf, r.file.size());
  }
  if (show_file) fmt::print("{:<{}}  ", "file", wf);
  fmt::print("{:<{}}  {:<5}  {:<{}}  {:>12}\n", "tensor", wn, "dtype", "shape", ws, "bytes");
  uint64_t bytes = 0;
  int64_t params = 0;
  for (const auto& r : rows) {
    if (show_file) fmt::print("{:<{}}  ", r.file, wf);
    fmt::print("{:<{}}  {:<5}  {:<{}}  {:>12}\n", r.name, wn, r.dtype, r.shape, ws, r.bytes);
    bytes += r.bytes;
    params += r.numel;
  }
  fmt::print("\n{} tensors, {} parameters, {} bytes ({:.2f} MB, {:.2f} MiB)\n", rows.size(), params, bytes,
             static_cast<double>(bytes) / kBytesPerMB, static_cast<double>(bytes) / kBytesPerMiB);
}

void add_rows(std::vector<Row>& rows, const std::string& file_label, const fpgallm::SafetensorsHeader& h) {
  for (const auto& t : h.tensors)
    rows.push_back({file_label, t.name, fpgallm::dtype_name(t.dtype), fpgallm::shape_str(t.shape), t.nbytes(),
                    t.numel()});
}

void run_inspect(const std::string& path) {
  using namespace fpgallm;
  std::vector<Row> rows;
  switch (detect_kind(path)) {
    case CheckpointKind::HfFolder: {
      const fs::path cfg = fs::path(path) / kHfConfigFile;
      if (fs::exists(cfg)) print_config(load_model_config_hf(cfg.string()), cfg.string());
      else fmt::print("(no {} in {})\n\n", kHfConfigFile, path);
      const auto shards = hf_checkpoint_shards(path);
      for (const auto& s : shards) add_rows(rows, s.file, read_safetensors_header((fs::path(path) / s.file).string()));
      std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.name < b.name; });
      print_tensors(rows, shards.size() > 1);
      break;
    }
    case CheckpointKind::SafetensorsFile: {
      const auto h = read_safetensors_header(path);
      if (!h.metadata.empty()) {
        fmt::print("metadata\n");
        for (const auto& [k, v] : h.metadata) fmt::print("  {}: {}\n", k, v);
        fmt::print("\n");
      }
      add_rows(rows, path, h);
      print_tensors(rows, false);
      break;
    }
    case CheckpointKind::PackedFile: {
      const PackedModel pm = load_packed_model(path, /*read_data=*/false);
      verify_packed_digest(path);  // one read of the file; a damaged file is reported, not inspected
      print_config(pm.config, path);
      fmt::print("digest {} (verified)\n", pm.digest);
      fmt::print("quantization {}\nmacro_layout {}\n\n", pm.quantization.dump(), macro_layout_to_json(pm.layout).dump());
      for (const auto& t : pm.tensors)
        rows.push_back({path, t.name, t.dtype, shape_str(t.shape), static_cast<uint64_t>(t.bytes), Tensor::numel_of(t.shape)});
      print_tensors(rows, false);
      fmt::print("\nfootprint by tensor class\n{}", pm.footprint.table());
      break;
    }
  }
}

void setup(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto* c = app.add_subcommand("inspect", "Print a checkpoint's config and tensor table (headers only)");
  c->add_option("path", *path, "HF checkpoint folder or .safetensors file")->required();
  c->callback([path] { run_inspect(*path); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("inspect", setup);
