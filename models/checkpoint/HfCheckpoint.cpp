#include "models/checkpoint/HfCheckpoint.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/core/Error.h"
#include "models/llm/ModelConfig.h"
#include "models/checkpoint/Safetensors.h"

namespace fs = std::filesystem;

namespace fpgallm {

namespace {

constexpr const char* kTiedHeadName = "lm_head.weight";
constexpr const char* kEmbedName = "model.embed_tokens.weight";
constexpr const char* kFinalNormName = "model.norm.weight";
/** Non-persistent RoPE buffers some exporters still write; derived from config, so skipped. */
constexpr const char* kInvFreqSuffix = "rotary_emb.inv_freq";
/** transformers refuses safetensors files without this metadata entry. */
constexpr const char* kFormatKey = "format";
constexpr const char* kFormatPt = "pt";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string torch_dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    default: fail("HF checkpoints store weights as F32, F16 or BF16, not {}", dtype_name(t));
  }
}

/** Shard names must stay inside the folder: no absolute paths, no "..". */
void check_shard_name(const std::string& index_path, const std::string& tensor, const std::string& file) {
  const fs::path p(file);
  bool escapes = file.empty() || p.is_absolute();
  for (const auto& part : p) escapes = escapes || part == "..";
  if (escapes) fail("{}: tensor '{}' maps to file '{}', which is not inside the checkpoint folder", index_path, tensor, file);
}

/** Every tensor the model needs, in a fixed order, with the shape config.json implies. */
struct Expected {
  std::string name;
  std::vector<int64_t> shape;
};

std::vector<Expected> expected_tensors(const ModelConfig& c) {
  std::vector<Expected> e;
  const int64_t h = c.hidden_size;
  e.push_back({kEmbedName, {c.vocab_size, h}});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const auto p = fmt::format("model.layers.{}.", i);
    e.push_back({p + "input_layernorm.weight", {h}});
    e.push_back({p + "post_attention_layernorm.weight", {h}});
    const struct { const char* n; int64_t out, in; bool bias; } lin[] = {
        {"q_proj", c.q_dim(), h, c.qkv_bias},  {"k_proj", c.kv_dim(), h, c.qkv_bias},
        {"v_proj", c.kv_dim(), h, c.qkv_bias}, {"o_proj", h, c.q_dim(), false},
        {"gate_proj", c.intermediate_size, h, false}, {"up_proj", c.intermediate_size, h, false},
        {"down_proj", h, c.intermediate_size, false}};
    for (const auto& l : lin) {
      e.push_back({hf_linear_name(i, l.n) + ".weight", {l.out, l.in}});
      if (l.bias) e.push_back({hf_linear_name(i, l.n) + ".bias", {l.out}});
    }
  }
  e.push_back({kFinalNormName, {h}});
  if (!c.tie_word_embeddings) e.push_back({kTiedHeadName, {c.vocab_size, h}});
  return e;
}

void write_text(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail("{}: cannot create", tmp.string());
    f << text;
    if (!f.flush()) fail("{}: write failed", tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) fail("{}: cannot rename from {}: {}", path.string(), tmp.string(), ec.message());
}

}  // namespace

std::vector<HfShard> hf_checkpoint_shards(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("{}: not a folder (expected a HF checkpoint folder)", dir);
  const fs::path index_path = fs::path(dir) / kHfIndexFile;
  const fs::path single_path = fs::path(dir) / kHfSingleFile;
  if (!fs::exists(index_path, ec)) {
    if (!fs::exists(single_path, ec))
      fail("{}: no {} or {} in the checkpoint folder", dir, kHfSingleFile, kHfIndexFile);
    HfShard s{kHfSingleFile, {}};
    for (const auto& t : read_safetensors_header(single_path.string()).tensors) s.tensors.push_back(t.name);
    return {s};
  }

  const std::string ip = index_path.string();
  std::ifstream f(index_path);
  if (!f) fail("{}: cannot open", ip);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON: {}", ip, e.what());
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    fail("{}: missing 'weight_map' object", ip);
  std::map<std::string, HfShard> by_file;
  for (const auto& [tensor, file] : j["weight_map"].items()) {
    if (!file.is_string()) fail("{}: weight_map entry for tensor '{}' must be a file name string", ip, tensor);
    const auto name = file.get<std::string>();
    check_shard_name(ip, tensor, name);
    auto& s = by_file[name];
    s.file = name;
    s.tensors.push_back(tensor);
  }
  if (by_file.empty()) fail("{}: weight_map is empty", ip);
  std::vector<HfShard> out;
  for (auto& [name, s] : by_file) {
    if (!fs::is_regular_file(fs::path(dir) / name, ec))
      fail("{}: shard '{}' (holding tensor '{}') does not exist in {}", ip, name, s.tensors.front(), dir);
    out.push_back(std::move(s));
  }
  return out;
}

std::shared_ptr<ModelWeights> load_hf_checkpoint(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("{}: not a folder (expected a HF checkpoint folder)", dir);
  const fs::path config_path = fs::path(dir) / kHfConfigFile;
  if (!fs::exists(config_path, ec)) fail("{}: no {} in the checkpoint folder", dir, kHfConfigFile);
  auto w = std::make_shared<ModelWeights>();
  w->config = load_model_config_hf(config_path.string());
  const ModelConfig& c = w->config;

  // Open every shard (mmap, header validated) and check the index agrees with the files.
  const auto shards = hf_checkpoint_shards(dir);
  const bool sharded = fs::exists(fs::path(dir) / kHfIndexFile, ec);
  const std::string index_path = (fs::path(dir) / kHfIndexFile).string();
  std::vector<SafetensorsFile> files;
  std::map<std::string, size_t> location;  // tensor name -> index into files
  for (const auto& s : shards) {
    files.emplace_back((fs::path(dir) / s.file).string());
    const auto& file = files.back();
    if (sharded) {
      const std::set<std::string> listed(s.tensors.begin(), s.tensors.end());
      for (const auto& t : s.tensors)
        if (!file.contains(t))
          fail("{}: tensor '{}' is mapped to {} but that shard does not contain it", index_path, t, file.path());
      for (const auto& t : file.header().tensors)
        if (!listed.count(t.name))
          fail("{}: tensor '{}' is not listed for this shard in {}", file.path(), t.name, index_path);
    }
    for (const auto& t : file.header().tensors) {
      if (!location.emplace(t.name, files.size() - 1).second)
        fail("{}: tensor '{}' appears in more than one shard", file.path(), t.name);
    }
  }

  std::set<std::string> used;
  auto take = [&](const Expected& e) -> Tensor {
    auto it = location.find(e.name);
    if (it == location.end()) {
      if (e.name == kTiedHeadName)
        fail("{}: tensor '{}' is missing; it is required because config.json has tie_word_embeddings false", dir,
             e.name);
      fail("{}: tensor '{}' is missing", dir, e.name);
    }
    const auto& file = files[it->second];
    const auto* info = file.header().find(e.name);
    if (info->shape != e.shape)
      fail("{}: tensor '{}' has shape {} but config.json implies {}", file.path(), e.name, shape_str(info->shape),
           shape_str(e.shape));
    used.insert(e.name);
    return file.to_f32(e.name);
  };

  // Reject anything we would silently drop, before spending time converting data.
  const auto expected = expected_tensors(c);
  std::set<std::string> expected_names;
  for (const auto& e : expected) expected_names.insert(e.name);
  for (const auto& [name, idx] : location) {
    if (expected_names.count(name)) continue;
    if (name == kTiedHeadName && c.tie_word_embeddings) continue;  // redundant copy of the embeddings
    if (ends_with(name, kInvFreqSuffix)) continue;
    fail("{}: unexpected tensor '{}' (not part of a {} model with this config.json{})", files[idx].path(), name,
         c.name, ends_with(name, ".bias") && !c.qkv_bias ? ", which has no q/k/v bias" : "");
  }

  size_t k = 0;
  auto next = [&]() { return std::make_shared<Tensor>(take(expected.at(k++))); };
  w->embed = next();
  w->layers.resize(static_cast<size_t>(c.num_layers));
  for (auto& L : w->layers) {
    L.attn_norm = *next();
    L.mlp_norm = *next();
    for (Linear* lin : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) {
      const bool has_bias = c.qkv_bias && (lin == &L.q || lin == &L.k || lin == &L.v);
      lin->weight = next();
      lin->out_features = lin->weight->dim(0);
      lin->in_features = lin->weight->dim(1);
      if (has_bias) lin->bias = next();
    }
  }
  w->final_norm = *next();
  w->lm_head.in_features = c.hidden_size;
  w->lm_head.out_features = c.vocab_size;
  w->lm_head.weight = c.tie_word_embeddings ? w->embed : next();
  w->validate(dir);
  return w;
}

void save_hf_checkpoint(const ModelWeights& w, const std::string& dir, DType dtype, int64_t max_shard_bytes) {
  w.validate(dir);
  const std::string torch_dtype = torch_dtype_name(dtype);
  const ModelConfig& c = w.config;

  std::vector<std::pair<std::string, const Tensor*>> tensors;
  auto add_linear = [&](const std::string& base, const Linear& l) {
    if (!l.weight) fail("{}: '{}' has only quantized weights; HF fp checkpoints need fp32 weights", dir, base);
    tensors.emplace_back(base + ".weight", l.weight.get());
    if (l.bias) tensors.emplace_back(base + ".bias", l.bias.get());
  };
  tensors.emplace_back(kEmbedName, w.embed.get());
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const auto& L = w.layers[static_cast<size_t>(i)];
    const auto p = fmt::format("model.layers.{}.", i);
    tensors.emplace_back(p + "input_layernorm.weight", &L.attn_norm);
    tensors.emplace_back(p + "post_attention_layernorm.weight", &L.mlp_norm);
    const std::pair<const char*, const Linear*> lins[] = {{"q_proj", &L.q},       {"k_proj", &L.k},
                                                          {"v_proj", &L.v},       {"o_proj", &L.o},
                                                          {"gate_proj", &L.gate}, {"up_proj", &L.up},
                                                          {"down_proj", &L.down}};
    for (const auto& [n, l] : lins) add_linear(hf_linear_name(i, n), *l);
  }
  tensors.emplace_back(kFinalNormName, &w.final_norm);
  if (!c.tie_word_embeddings) add_linear("lm_head", w.lm_head);
  std::sort(tensors.begin(), tensors.end());

  // Greedy split in sorted-name order, so the layout depends only on names, sizes and the limit.
  const uint64_t es = dtype_size(dtype);
  uint64_t total = 0;
  for (const auto& [n, t] : tensors) total += static_cast<uint64_t>(t->numel()) * es;
  std::vector<std::vector<size_t>> groups(1);
  uint64_t in_group = 0;
  const bool shard = max_shard_bytes > 0 && total > static_cast<uint64_t>(max_shard_bytes);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const uint64_t b = static_cast<uint64_t>(tensors[i].second->numel()) * es;
    if (shard && !groups.back().empty() && in_group + b > static_cast<uint64_t>(max_shard_bytes)) {
      groups.emplace_back();
      in_group = 0;
    }
    groups.back().push_back(i);
    in_group += b;
  }

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("{}: cannot create folder: {}", dir, ec.message());
  // Drop weight files of an earlier save so the loader cannot pick up a stale index or shard.
  const std::regex shard_re(R"(model-\d{5}-of-\d{5}\.safetensors)");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name == kHfSingleFile || name == kHfIndexFile || std::regex_match(name, shard_re))
      fs::remove(entry.path(), ec);
  }

  nlohmann::json cfg = model_config_to_hf_json(c);
  cfg["torch_dtype"] = torch_dtype;
  write_text(fs::path(dir) / kHfConfigFile, cfg.dump(2) + "\n");

  nlohmann::json weight_map = nlohmann::json::object();
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string file =
        shard ? fmt::format("model-{:05d}-of-{:05d}.safetensors", g + 1, groups.size()) : kHfSingleFile;
    SafetensorsWriter wr;
    wr.set_metadata(kFormatKey, kFormatPt);
    for (size_t i : groups[g]) {
      wr.add(tensors[i].first, *tensors[i].second, dtype);
      weight_map[tensors[i].first] = file;
    }
    wr.write((fs::path(dir) / file).string());
  }
  if (shard) {
    nlohmann::json index;
    index["metadata"] = {{"total_size", total}};
    index["weight_map"] = weight_map;
    write_text(fs::path(dir) / kHfIndexFile, index.dump(2) + "\n");
  }
}

}  // namespace fpgallm
