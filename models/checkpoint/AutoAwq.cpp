#include "models/checkpoint/AutoAwq.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/checkpoint/HfCheckpoint.h"
#include "models/llm/ModelConfig.h"
#include "models/checkpoint/Safetensors.h"

namespace fs = std::filesystem;

namespace fpgallm {

namespace {

constexpr uint32_t kNibbleMask = 0xF;
constexpr const char* kQuantConfigKey = "quantization_config";
constexpr const char* kAwqMethod = "awq";
constexpr const char* kEmbedName = "model.embed_tokens.weight";
constexpr const char* kFinalNormName = "model.norm.weight";
constexpr const char* kLmHeadName = "lm_head";
constexpr const char* kFormatKey = "format";  // transformers refuses safetensors files without it
constexpr const char* kFormatPt = "pt";
constexpr const char* kInvFreqSuffix = "rotary_emb.inv_freq";

struct NamedLinear {
  std::string name;  ///< without ".weight"
  const Linear* lin;
};

std::vector<NamedLinear> named_linears(const ModelWeights& w) {
  std::vector<NamedLinear> out;
  for (int64_t i = 0; i < w.config.num_layers; ++i) {
    const auto& L = w.layers[static_cast<size_t>(i)];
    const std::pair<const char*, const Linear*> lins[] = {{"q_proj", &L.q},       {"k_proj", &L.k},
                                                          {"v_proj", &L.v},       {"o_proj", &L.o},
                                                          {"gate_proj", &L.gate}, {"up_proj", &L.up},
                                                          {"down_proj", &L.down}};
    for (const auto& [n, l] : lins) out.push_back({hf_linear_name(i, n), l});
  }
  return out;
}

template <typename T>
std::vector<uint8_t> to_bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) fail("{}: cannot open", path);
  try {
    return nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON: {}", path, e.what());
  }
}

struct AwqConfig {
  int64_t group_size = 0;
  bool zero_point = true;
};

AwqConfig parse_quant_config(const nlohmann::json& j, const std::string& where) {
  if (!j.contains(kQuantConfigKey) || !j[kQuantConfigKey].is_object())
    fail("{}: no '{}' object (not an AutoAWQ checkpoint)", where, kQuantConfigKey);
  const auto& q = j[kQuantConfigKey];
  auto field = [&](const char* k) -> const nlohmann::json& {
    if (!q.contains(k)) fail("{}: {}.{} is missing", where, kQuantConfigKey, k);
    return q[k];
  };
  const auto& method = field("quant_method");
  if (!method.is_string() || method.get<std::string>() != kAwqMethod)
    fail("{}: {}.quant_method must be \"awq\" (got {})", where, kQuantConfigKey, method.dump());
  const auto& bits = field("bits");
  if (!bits.is_number_integer() || bits.get<int64_t>() != kAutoAwqBits)
    fail("{}: {}.bits must be {} (got {})", where, kQuantConfigKey, kAutoAwqBits, bits.dump());
  const auto& gs = field("group_size");
  if (!gs.is_number_integer() || gs.get<int64_t>() <= 0)
    fail("{}: {}.group_size must be a positive integer (got {})", where, kQuantConfigKey, gs.dump());
  AwqConfig c;
  c.group_size = gs.get<int64_t>();
  if (q.contains("zero_point")) {
    if (!q["zero_point"].is_boolean()) fail("{}: {}.zero_point must be true or false", where, kQuantConfigKey);
    c.zero_point = q["zero_point"].get<bool>();
  }
  if (q.contains("version")) {
    std::string v = q["version"].is_string() ? q["version"].get<std::string>() : q["version"].dump();
    for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (v != kAutoAwqVersion)
      fail("{}: {}.version '{}' is not supported (only the GEMM layout, \"gemm\")", where, kQuantConfigKey, v);
  }
  return c;
}

/** Checks a quantized linear can be written in AutoAWQ's GEMM layout with this group size. */
void check_exportable(const std::string& name, const QuantLinear& q, int64_t G, const std::string& dir) {
  if (q.bits != kAutoAwqBits) fail("{}: '{}' is {}-bit; AutoAWQ GEMM stores 4-bit codes only", dir, name, q.bits);
  if (q.group_size != G)
    fail("{}: '{}' has group size {} but other linears use {}; one quantization_config covers all", dir, name,
         q.group_size, G);
  if (q.in_features % G != 0)
    fail("{}: '{}' has {} inputs, not a multiple of group size {} (AutoAWQ scales are [in/G, out])", dir,
         name + ".scales", q.in_features, G);
  if (q.out_features % kAutoAwqPackFactor != 0)
    fail("{}: '{}' has {} outputs, not a multiple of {} (AutoAWQ packs 8 columns per int32)", dir,
         name + ".qweight", q.out_features, kAutoAwqPackFactor);
  if (q.q.size() != static_cast<size_t>(q.out_features * q.in_features) ||
      q.scales.size() != static_cast<size_t>(q.out_features * q.n_groups()) ||
      q.zeros.size() != static_cast<size_t>(q.out_features * q.n_groups()))
    fail("{}: '{}' quantized arrays do not match its shape [{}, {}]", dir, name, q.out_features, q.in_features);
}

void add_quant_linear(SafetensorsWriter& wr, const std::string& name, const QuantLinear& q) {
  const int64_t in = q.in_features, out = q.out_features, ng = q.n_groups();
  std::vector<uint8_t> codes_t(static_cast<size_t>(in * out));  // [in, out], AutoAWQ's intweight
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i) codes_t[i * out + o] = q.q[o * in + i];
  std::vector<uint8_t> zeros_t(static_cast<size_t>(ng * out));
  std::vector<uint16_t> scales_t(static_cast<size_t>(ng * out));
  for (int64_t o = 0; o < out; ++o)
    for (int64_t g = 0; g < ng; ++g) {
      zeros_t[g * out + o] = q.zeros[o * ng + g];
      scales_t[g * out + o] = q.scales[o * ng + g];
    }
  wr.add_raw(name + ".qweight", DType::I32, {in, out / kAutoAwqPackFactor},
             to_bytes(autoawq_pack(codes_t.data(), in, out)));
  wr.add_raw(name + ".qzeros", DType::I32, {ng, out / kAutoAwqPackFactor}, to_bytes(autoawq_pack(zeros_t.data(), ng, out)));
  wr.add_raw(name + ".scales", DType::F16, {ng, out}, to_bytes(scales_t));
}

/** The tensors of an open checkpoint by name. */
class TensorSource {
 public:
  explicit TensorSource(const std::string& dir) : dir_(dir) {
    for (const auto& s : hf_checkpoint_shards(dir)) {
      files_.emplace_back((fs::path(dir) / s.file).string());
      for (const auto& t : files_.back().header().tensors)
        if (!where_.emplace(t.name, files_.size() - 1).second)
          fail("{}: tensor '{}' appears in more than one shard", files_.back().path(), t.name);
    }
  }
  bool has(const std::string& n) const { return where_.count(n) != 0; }
  const SafetensorsFile& file(const std::string& n) const { return files_[where_.at(n)]; }
  std::string path_of(const std::string& n) const { return has(n) ? file(n).path() : dir_; }

  RawTensorView raw(const std::string& n, DType dtype, const std::vector<int64_t>& shape) {
    if (!has(n)) fail("{}: tensor '{}' is missing", dir_, n);
    used_.insert(n);
    RawTensorView v = file(n).raw(n);
    if (v.dtype != dtype)
      fail("{}: tensor '{}' is {} but AutoAWQ stores it as {}", path_of(n), n, dtype_name(v.dtype), dtype_name(dtype));
    if (v.shape != shape)
      fail("{}: tensor '{}' has shape {} but config.json and quantization_config imply {}", path_of(n), n,
           shape_str(v.shape), shape_str(shape));
    return v;
  }
  TensorPtr f32(const std::string& n, const std::vector<int64_t>& shape) {
    if (!has(n)) fail("{}: tensor '{}' is missing", dir_, n);
    used_.insert(n);
    const auto* info = file(n).header().find(n);
    if (info->shape != shape)
      fail("{}: tensor '{}' has shape {} but config.json implies {}", path_of(n), n, shape_str(info->shape),
           shape_str(shape));
    return std::make_shared<Tensor>(file(n).to_f32(n));
  }
  void mark_used(const std::string& n) { used_.insert(n); }
  void check_all_used(const std::string& model) const {
    for (const auto& [n, idx] : where_)
      if (!used_.count(n) && !(n.size() >= std::strlen(kInvFreqSuffix) &&
                               n.compare(n.size() - std::strlen(kInvFreqSuffix), std::string::npos, kInvFreqSuffix) == 0))
        fail("{}: unexpected tensor '{}' (not part of this {} AutoAWQ model)", files_[idx].path(), n, model);
  }

 private:
  std::string dir_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, size_t> where_;
  std::set<std::string> used_;
};

std::vector<int32_t> read_i32(const RawTensorView& v) {
  std::vector<int32_t> out(v.nbytes / sizeof(int32_t));
  std::memcpy(out.data(), v.data, out.size() * sizeof(int32_t));
  return out;
}

Linear load_linear(TensorSource& src, const std::string& name, int64_t out, int64_t in, bool bias,
                   const AwqConfig& qc) {
  Linear lin;
  lin.out_features = out;
  lin.in_features = in;
  if (src.has(name + ".qweight")) {
    const int64_t G = qc.group_size;
    if (out % kAutoAwqPackFactor != 0)
      fail("{}: '{}' has {} outputs (config.json), not a multiple of {} as AutoAWQ packing needs",
           src.path_of(name + ".qweight"), name + ".qweight", out, kAutoAwqPackFactor);
    if (in % G != 0)
      fail("{}: '{}' has {} inputs (config.json), not a multiple of quantization_config.group_size {}",
           src.path_of(name + ".scales"), name + ".scales", in, G);
    const int64_t ng = in / G, cols = out / kAutoAwqPackFactor;
    const auto qw = read_i32(src.raw(name + ".qweight", DType::I32, {in, cols}));
    const auto qz = read_i32(src.raw(name + ".qzeros", DType::I32, {ng, cols}));
    const RawTensorView sv = src.raw(name + ".scales", DType::F16, {ng, out});
    std::vector<uint16_t> scales_t(static_cast<size_t>(ng * out));
    std::memcpy(scales_t.data(), sv.data, scales_t.size() * sizeof(uint16_t));
    const auto codes_t = autoawq_unpack(qw.data(), in, out);  // [in, out]
    const auto zeros_t = autoawq_unpack(qz.data(), ng, out);  // [ng, out]
    auto q = std::make_shared<QuantLinear>();
    q->in_features = in;
    q->out_features = out;
    q->group_size = G;
    q->bits = kAutoAwqBits;
    q->has_zero = qc.zero_point;
    q->q.resize(static_cast<size_t>(out * in));
    q->scales.resize(static_cast<size_t>(out * ng));
    q->zeros.resize(static_cast<size_t>(out * ng));
    for (int64_t o = 0; o < out; ++o) {
      for (int64_t i = 0; i < in; ++i) q->q[o * in + i] = codes_t[i * out + o];
      for (int64_t g = 0; g < ng; ++g) {
        q->scales[o * ng + g] = scales_t[g * out + o];
        q->zeros[o * ng + g] = zeros_t[g * out + o];
      }
    }
    lin.quant = std::move(q);
  } else {
    lin.weight = src.f32(name + ".weight", {out, in});
  }
  if (bias) lin.bias = src.f32(name + ".bias", {out});
  return lin;
}

}  // namespace

std::vector<int32_t> autoawq_pack(const uint8_t* codes, int64_t rows, int64_t cols) {
  if (cols % kAutoAwqPackFactor != 0) fail("autoawq pack: {} columns is not a multiple of {}", cols, kAutoAwqPackFactor);
  const int64_t pc = cols / kAutoAwqPackFactor;
  std::vector<int32_t> out(static_cast<size_t>(rows * pc));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < pc; ++j) {
      uint32_t v = 0;
      for (int k = 0; k < kAutoAwqPackFactor; ++k) {
        const uint8_t c = codes[r * cols + j * kAutoAwqPackFactor + kAutoAwqNibbleOrder[k]];
        if (c > kNibbleMask) fail("autoawq pack: code {} at [{}, {}] does not fit in 4 bits", c, r, j * 8 + kAutoAwqNibbleOrder[k]);
        v |= static_cast<uint32_t>(c) << (kAutoAwqBits * k);
      }
      std::memcpy(&out[r * pc + j], &v, sizeof(v));
    }
  return out;
}

std::vector<uint8_t> autoawq_unpack(const int32_t* packed, int64_t rows, int64_t cols) {
  if (cols % kAutoAwqPackFactor != 0) fail("autoawq unpack: {} columns is not a multiple of {}", cols, kAutoAwqPackFactor);
  const int64_t pc = cols / kAutoAwqPackFactor;
  std::vector<uint8_t> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < pc; ++j) {
      uint32_t v;
      std::memcpy(&v, &packed[r * pc + j], sizeof(v));
      for (int k = 0; k < kAutoAwqPackFactor; ++k)
        out[r * cols + j * kAutoAwqPackFactor + kAutoAwqNibbleOrder[k]] =
            static_cast<uint8_t>((v >> (kAutoAwqBits * k)) & kNibbleMask);
    }
  return out;
}

void save_autoawq(const ModelWeights& w, const std::string& dir) {
  w.validate(dir);
  const ModelConfig& c = w.config;
  auto linears = named_linears(w);
  linears.push_back({kLmHeadName, &w.lm_head});
  int64_t G = 0;
  bool zero_point = true;
  for (const auto& [name, lin] : linears)
    if (lin->quant) {
      if (G == 0) {
        G = lin->quant->group_size;
        zero_point = lin->quant->has_zero;
      }
      check_exportable(name, *lin->quant, G, dir);
      if (lin->quant->has_zero != zero_point)
        fail("{}: '{}' mixes symmetric and zero-point quantization with other linears", dir, name);
    }
  if (G == 0) fail("{}: the model has no quantized linears to export as AutoAWQ", dir);

  SafetensorsWriter wr;
  wr.set_metadata(kFormatKey, kFormatPt);
  wr.add(kEmbedName, *w.embed, DType::F16);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const auto& L = w.layers[static_cast<size_t>(i)];
    const auto p = fmt::format("model.layers.{}.", i);
    wr.add(p + "input_layernorm.weight", L.attn_norm, DType::F16);
    wr.add(p + "post_attention_layernorm.weight", L.mlp_norm, DType::F16);
  }
  wr.add(kFinalNormName, w.final_norm, DType::F16);
  for (const auto& [name, lin] : linears) {
    // A tied, unquantized lm_head is the embedding table: HF folders leave it out.
    if (name == kLmHeadName && !lin->quant && c.tie_word_embeddings) continue;
    if (lin->quant) add_quant_linear(wr, name, *lin->quant);
    else wr.add(name + ".weight", *lin->weight, DType::F16);
    if (lin->bias) wr.add(name + ".bias", *lin->bias, DType::F16);
  }

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("{}: cannot create folder: {}", dir, ec.message());
  // A stale shard index from an earlier save would shadow the new single file.
  fs::remove(fs::path(dir) / kHfIndexFile, ec);
  nlohmann::json cfg = model_config_to_hf_json(c);
  cfg["torch_dtype"] = "float16";
  cfg[kQuantConfigKey] = {{"quant_method", kAwqMethod}, {"bits", kAutoAwqBits}, {"group_size", G},
                          {"zero_point", zero_point}, {"version", kAutoAwqVersion}};
  {
    std::ofstream f(fs::path(dir) / kHfConfigFile, std::ios::binary | std::ios::trunc);
    if (!f) fail("{}: cannot create {}", dir, kHfConfigFile);
    f << cfg.dump(2) << "\n";
    if (!f.flush()) fail("{}: write of {} failed", dir, kHfConfigFile);
  }
  wr.write((fs::path(dir) / kHfSingleFile).string());
}

std::shared_ptr<ModelWeights> load_autoawq(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("{}: not a folder (expected an AutoAWQ checkpoint folder)", dir);
  const std::string config_path = (fs::path(dir) / kHfConfigFile).string();
  if (!fs::exists(config_path, ec)) fail("{}: no {} in the checkpoint folder", dir, kHfConfigFile);
  const nlohmann::json j = read_json(config_path);
  const AwqConfig qc = parse_quant_config(j, config_path);
  auto w = std::make_shared<ModelWeights>();
  w->config = model_config_from_hf_json(j, config_path);
  const ModelConfig& c = w->config;
  const int64_t H = c.hidden_size;

  TensorSource src(dir);
  w->embed = src.f32(kEmbedName, {c.vocab_size, H});
  w->layers.resize(static_cast<size_t>(c.num_layers));
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& L = w->layers[static_cast<size_t>(i)];
    const auto p = fmt::format("model.layers.{}.", i);
    L.attn_norm = *src.f32(p + "input_layernorm.weight", {H});
    L.mlp_norm = *src.f32(p + "post_attention_layernorm.weight", {H});
    L.q = load_linear(src, hf_linear_name(i, "q_proj"), c.q_dim(), H, c.qkv_bias, qc);
    L.k = load_linear(src, hf_linear_name(i, "k_proj"), c.kv_dim(), H, c.qkv_bias, qc);
    L.v = load_linear(src, hf_linear_name(i, "v_proj"), c.kv_dim(), H, c.qkv_bias, qc);
    L.o = load_linear(src, hf_linear_name(i, "o_proj"), H, c.q_dim(), false, qc);
    L.gate = load_linear(src, hf_linear_name(i, "gate_proj"), c.intermediate_size, H, false, qc);
    L.up = load_linear(src, hf_linear_name(i, "up_proj"), c.intermediate_size, H, false, qc);
    L.down = load_linear(src, hf_linear_name(i, "down_proj"), H, c.intermediate_size, false, qc);
  }
  w->final_norm = *src.f32(kFinalNormName, {H});
  const std::string head = kLmHeadName;
  if (src.has(head + ".qweight") || !c.tie_word_embeddings) {
    w->lm_head = load_linear(src, head, c.vocab_size, H, false, qc);
  } else {
    w->lm_head.in_features = H;
    w->lm_head.out_features = c.vocab_size;
    w->lm_head.weight = w->embed;
    src.mark_used(head + ".weight");  // a redundant copy of the tied embeddings, if present
  }
  src.check_all_used(c.name);
  w->validate(dir);
  return w;
}

bool looks_like_autoawq(const std::string& dir) {
  std::error_code ec;
  const fs::path cfg = fs::path(dir) / kHfConfigFile;
  if (!fs::is_directory(dir, ec) || !fs::is_regular_file(cfg, ec)) return false;
  std::ifstream f(cfg);
  const nlohmann::json j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains(kQuantConfigKey) || !j[kQuantConfigKey].is_object()) return false;
  const auto& q = j[kQuantConfigKey];
  return q.contains("quant_method") && q["quant_method"].is_string() && q["quant_method"].get<std::string>() == kAwqMethod;
}

}  // namespace fpgallm
