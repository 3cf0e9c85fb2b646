#include "models/quant/PackedModel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <type_traits>

#include "models/core/Digest.h"
#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/core/OutputFile.h"

namespace fpgallm {

namespace {

const char* const kFormatName = "fpgallm-packed";
const char* const kDtypeMacro = "MACRO";
const char* const kDtypeF16 = "F16";
const char* const kFp16Rounding = "round-to-nearest-even from fp32";

struct LinearSlot {
  const char* which;
  Linear LayerWeights::*member;
  OpKind op;
};
constexpr LinearSlot kLinearSlots[] = {
    {"q_proj", &LayerWeights::q, OpKind::QProj},       {"k_proj", &LayerWeights::k, OpKind::KProj},
    {"v_proj", &LayerWeights::v, OpKind::VProj},       {"o_proj", &LayerWeights::o, OpKind::OProj},
    {"gate_proj", &LayerWeights::gate, OpKind::GateProj}, {"up_proj", &LayerWeights::up, OpKind::UpProj},
    {"down_proj", &LayerWeights::down, OpKind::DownProj},
};

int64_t align_up(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

/** The digest field's value before the digest is known (and as the digest reads it). */
std::string digest_placeholder() { return kPackedDigestPrefix + std::string(kPackedDigestHexDigits, '0'); }


/** Linear name -> Linear*, const-correct for both the saver and the loader. */
template <class W>
auto linear_map(W& w) {
  using L = std::conditional_t<std::is_const_v<W>, const Linear, Linear>;
  std::map<std::string, L*> m;
  for (size_t i = 0; i < w.layers.size(); ++i)
    for (const auto& s : kLinearSlots) m[hf_linear_name(static_cast<int64_t>(i), s.which)] = &(w.layers[i].*s.member);
  m["lm_head"] = &w.lm_head;
  return m;
}

/** Norm tensor name -> Tensor*. */
template <class W>
auto norm_map(W& w) {
  using T = std::conditional_t<std::is_const_v<W>, const Tensor, Tensor>;
  std::map<std::string, T*> m;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    m[fmt::format("model.layers.{}.input_layernorm.weight", i)] = &w.layers[i].attn_norm;
    m[fmt::format("model.layers.{}.post_attention_layernorm.weight", i)] = &w.layers[i].mlp_norm;
  }
  m["model.norm.weight"] = &w.final_norm;
  return m;
}

/** "model.layers.0.self_attn.q_proj.weight" -> "model.layers.0.self_attn.q_proj". */
std::string strip_suffix(const std::string& name, const std::string& suffix) {
  return name.substr(0, name.size() - suffix.size());
}

std::vector<uint16_t> to_f16_checked(const Tensor& t, const std::string& where, const std::string& name) {
  std::vector<uint16_t> out(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float v = t.data[static_cast<size_t>(i)];
    if (!std::isfinite(v)) fail("{}: tensor '{}' holds a non-finite value at index {}", where, name, i);
    const uint16_t h = f32_to_f16(v);
    if (std::isinf(f16_to_f32(h)))
      fail("{}: tensor '{}' value {} at index {} overflows fp16 (largest finite 65504)", where, name, v, i);
    out[static_cast<size_t>(i)] = h;
  }
  return out;
}

Tensor from_f16(const std::vector<int64_t>& shape, const uint16_t* h) {
  Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data[static_cast<size_t>(i)] = f16_to_f32(h[i]);
  return t;
}

void round_tensor_fp16(Tensor& t, const std::string& name) {
  const auto h = to_f16_checked(t, "round_unquantized_to_fp16", name);
  for (size_t i = 0; i < h.size(); ++i) t.data[i] = f16_to_f32(h[i]);
}

}  // namespace

std::string linear_name_of(OpKind op, int64_t layer) {
  if (op == OpKind::LmHead) return "lm_head";
  for (const auto& s : kLinearSlots)
    if (s.op == op) return hf_linear_name(layer, s.which);
  fail("op {} is not a linear layer", op_name(op));
}

const MacroStream& PackedModel::stream(const std::string& linear_name) const {
  const auto it = streams.find(linear_name);
  if (it == streams.end()) fail("{}: linear '{}' has no MACRO stream (not quantized or no such layer)", path, linear_name);
  return it->second;
}

const MacroStream& PackedModel::stream(OpKind op, int64_t layer) const { return stream(linear_name_of(op, layer)); }

namespace packed_detail {

std::vector<PackedTensor> plan_tensors(const ModelConfig& c, const MacroLayout& layout,
                                       const std::function<bool(const std::string&)>& linear_is_macro) {
  std::vector<PackedTensor> t;
  auto add_f16 = [&](std::string name, std::vector<int64_t> shape) {
    const int64_t bytes = Tensor::numel_of(shape) * kF16Bytes;
    t.push_back({std::move(name), kDtypeF16, std::move(shape), 0, bytes});
  };
  auto add_linear = [&](const std::string& linear, int64_t out, int64_t in, bool bias) {
    if (linear_is_macro(linear)) {
      MacroStream s;
      s.layout = layout;
      s.in_features = in;
      s.out_features = out;
      t.push_back({linear + ".weight", kDtypeMacro, {out, in}, 0, s.expected_bytes()});
    } else {
      add_f16(linear + ".weight", {out, in});
    }
    if (bias) add_f16(linear + ".bias", {out});
  };
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  add_f16("model.embed_tokens.weight", {c.vocab_size, H});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    // Execution order, so a layer's streams sit together in the DDR image.
    add_f16(fmt::format("model.layers.{}.input_layernorm.weight", i), {H});
    add_linear(hf_linear_name(i, "q_proj"), c.q_dim(), H, c.qkv_bias);
    add_linear(hf_linear_name(i, "k_proj"), c.kv_dim(), H, c.qkv_bias);
    add_linear(hf_linear_name(i, "v_proj"), c.kv_dim(), H, c.qkv_bias);
    add_linear(hf_linear_name(i, "o_proj"), H, c.q_dim(), false);
    add_f16(fmt::format("model.layers.{}.post_attention_layernorm.weight", i), {H});
    add_linear(hf_linear_name(i, "gate_proj"), I, H, false);
    add_linear(hf_linear_name(i, "up_proj"), I, H, false);
    add_linear(hf_linear_name(i, "down_proj"), H, I, false);
  }
  add_f16("model.norm.weight", {H});
  // A tied lm_head in fp16 is the embedding table: stored once.
  if (linear_is_macro("lm_head") || !c.tie_word_embeddings) add_linear("lm_head", c.vocab_size, H, false);
  int64_t offset = 0;
  for (auto& e : t) {
    e.offset = align_up(offset, kPackedAlignBytes);
    offset = e.offset + e.bytes;
  }
  return t;
}

nlohmann::json make_header(const ModelConfig& c, const MacroLayout& layout, const std::vector<PackedTensor>& table,
                           const nlohmann::json& quantization) {
  nlohmann::json q = quantization.is_object() ? quantization : nlohmann::json::object();
  // Derived facts override whatever the caller recorded, so they can never disagree.
  q["bits"] = layout.bits;
  q["group_size"] = layout.group_size;
  q["zero_point"] = layout.zero_point;
  q["quantize_lm_head"] = std::any_of(table.begin(), table.end(), [](const PackedTensor& e) {
    return e.name == "lm_head.weight" && e.dtype == kDtypeMacro;
  });
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& e : table)
    tensors.push_back({{"name", e.name}, {"dtype", e.dtype}, {"shape", e.shape}, {"offset", e.offset}, {"bytes", e.bytes}});
  const int64_t data_bytes = table.empty() ? 0 : table.back().offset + table.back().bytes;
  return {{"format", kFormatName},
          {"digest", digest_placeholder()},
          {"model", model_config_to_hf_json(c)},
          {"quantization", q},
          {"macro_layout", macro_layout_to_json(layout)},
          {"fp16_rounding", kFp16Rounding},
          {"data_alignment", kPackedAlignBytes},
          {"data_bytes", data_bytes},
          {"tensors", tensors}};
}

int64_t data_offset_for(int64_t header_json_bytes) {
  return align_up(kPackedPrefixBytes + header_json_bytes, kPackedAlignBytes);
}

}  // namespace packed_detail

// ---------------------------------------------------------------------------------------------
// Saving

void save_packed_model(const ModelWeights& w, const MacroLayout& layout, const std::string& path,
                       const nlohmann::json& quantization) {
  w.validate(path);
  layout.validate(path + ": MACRO layout");
  const ModelConfig& c = w.config;
  const auto linears = linear_map(w);
  const auto norms = norm_map(w);
  auto is_macro = [&](const std::string& linear) { return linears.at(linear)->quant != nullptr; };
  if (c.tie_word_embeddings && !w.lm_head.quant && w.lm_head.weight != w.embed &&
      w.lm_head.weight->data != w.embed->data)
    fail("{}: tie_word_embeddings is set but lm_head.weight differs from the embeddings", path);

  const auto table = packed_detail::plan_tensors(c, layout, is_macro);
  const std::string header = packed_detail::make_header(c, layout, table, quantization).dump();
  const int64_t data_offset = packed_detail::data_offset_for(static_cast<int64_t>(header.size()));

  // Keys are sorted and only numbers precede "digest", so the placeholder's first occurrence is its field.
  const size_t digest_at = header.find(digest_placeholder());
  if (digest_at == std::string::npos) fail("{}: internal: the header has no digest field", path);

  const std::string tmp = path + ".tmp";
  prepare_output_file(path, "packed model");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail("{}: cannot open for writing", tmp);
    int64_t pos = 0;
    Digest digest;
    auto write = [&](const void* p, int64_t n) {
      f.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
      digest.update(p, static_cast<size_t>(n));
      pos += n;
    };
    auto pad_to = [&](int64_t target) {
      static const char kZeros[kPackedAlignBytes] = {};
      while (pos < target) write(kZeros, std::min<int64_t>(target - pos, kPackedAlignBytes));
    };
    const uint32_t version = kPackedFormatVersion, reserved = 0;
    const uint64_t header_len = header.size();
    write(kPackedMagic, kPackedMagicBytes);
    write(&version, sizeof(version));
    write(&reserved, sizeof(reserved));
    write(&header_len, sizeof(header_len));
    write(header.data(), static_cast<int64_t>(header.size()));
    pad_to(data_offset);
    for (const auto& e : table) {
      pad_to(data_offset + e.offset);
      const bool is_weight = e.name.size() > 7 && e.name.ends_with(".weight");
      const bool is_bias = e.name.ends_with(".bias");
      std::vector<uint8_t> macro;
      std::vector<uint16_t> half;
      if (e.dtype == kDtypeMacro) {
        const Linear& lin = *linears.at(strip_suffix(e.name, ".weight"));
        if (lin.quant->in_features != lin.in_features || lin.quant->out_features != lin.out_features)
          fail("{}: '{}' is quantized as [{}, {}] but the linear is [{}, {}]", path, e.name, lin.quant->out_features,
               lin.quant->in_features, lin.out_features, lin.in_features);
        try {
          macro = pack_macro(*lin.quant, layout).bytes;
        } catch (const Error& err) {
          fail("{}: '{}': {}", path, e.name, err.what());
        }
        write(macro.data(), static_cast<int64_t>(macro.size()));
        continue;
      }
      const Tensor* t = nullptr;
      if (e.name == "model.embed_tokens.weight") t = w.embed.get();
      else if (norms.count(e.name)) t = norms.at(e.name);
      else if (is_bias) t = linears.at(strip_suffix(e.name, ".bias"))->bias.get();
      else if (is_weight) t = linears.at(strip_suffix(e.name, ".weight"))->weight.get();
      if (!t) fail("{}: tensor '{}' is missing", path, e.name);
      half = to_f16_checked(*t, path, e.name);
      write(half.data(), static_cast<int64_t>(half.size()) * kF16Bytes);
    }
    // The digest covers the file as written, its own digits as zeros; then they are filled in.
    const std::string hex = digest.hex();
    f.seekp(static_cast<std::streamoff>(kPackedPrefixBytes + static_cast<int64_t>(digest_at) +
                                        static_cast<int64_t>(std::strlen(kPackedDigestPrefix))));
    f.write(hex.data(), static_cast<std::streamsize>(hex.size()));
    f.flush();
    if (!f) fail("{}: write failed (disk full?)", tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail("{}: cannot move {} into place: {}", path, tmp, ec.message());
}

void round_unquantized_to_fp16(ModelWeights& w) {
  const auto old_embed = w.embed;
  if (w.embed) {
    auto e = std::make_shared<Tensor>(*w.embed);
    round_tensor_fp16(*e, "model.embed_tokens.weight");
    w.embed = e;
  }
  for (auto& [name, t] : norm_map(w)) round_tensor_fp16(*t, name);
  for (auto& [name, lin] : linear_map(w)) {
    if (lin->bias) {
      auto b = std::make_shared<Tensor>(*lin->bias);
      round_tensor_fp16(*b, name + ".bias");
      lin->bias = b;
    }
    if (!lin->weight) continue;
    if (lin->weight == old_embed) {
      lin->weight = w.embed;  // tied lm_head follows the embeddings
    } else if (!lin->quant) {
      auto t = std::make_shared<Tensor>(*lin->weight);
      round_tensor_fp16(*t, name + ".weight");
      lin->weight = t;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

bool looks_like_packed_model(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream f(path, std::ios::binary);
  char magic[kPackedMagicBytes];
  if (!f.read(magic, kPackedMagicBytes)) return false;
  return std::memcmp(magic, kPackedMagic, kPackedMagicBytes) == 0;
}

namespace {

int64_t json_int(const nlohmann::json& obj, const char* key, const std::string& where) {
  if (!obj.contains(key)) fail("{}: {} is missing", where, key);
  const auto& v = obj[key];
  if (!v.is_number_integer()) fail("{}: {} must be an integer", where, key);
  return v.get<int64_t>();
}

PackedTensor parse_tensor_entry(const nlohmann::json& j, size_t index, const std::string& path) {
  const std::string where = fmt::format("{}: header tensors[{}]", path, index);
  if (!j.is_object()) fail("{} must be an object", where);
  PackedTensor e;
  if (!j.contains("name") || !j["name"].is_string()) fail("{}: name must be a string", where);
  e.name = j["name"].get<std::string>();
  const std::string named = fmt::format("{}: tensor '{}'", path, e.name);
  if (!j.contains("dtype") || !j["dtype"].is_string()) fail("{}: dtype must be a string", named);
  e.dtype = j["dtype"].get<std::string>();
  if (e.dtype != kDtypeMacro && e.dtype != kDtypeF16)
    fail("{}: dtype '{}' is not supported ({} or {})", named, e.dtype, kDtypeMacro, kDtypeF16);
  if (!j.contains("shape") || !j["shape"].is_array()) fail("{}: shape must be an array", named);
  for (const auto& d : j["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1) fail("{}: shape entries must be positive integers", named);
    e.shape.push_back(d.get<int64_t>());
  }
  e.offset = json_int(j, "offset", named);
  e.bytes = json_int(j, "bytes", named);
  if (e.offset < 0 || e.bytes < 0) fail("{}: offset {} and bytes {} must be >= 0", named, e.offset, e.bytes);
  if (e.offset % kPackedAlignBytes != 0)
    fail("{}: offset {} is not a multiple of {}", named, e.offset, kPackedAlignBytes);
  return e;
}

/**
 * File offset of the digest's 16 hex digits: the header's "digest" must be "xxh3_64:" + 16
 * lowercase hex digits and its value's first occurrence in the header text is the field.
 */
int64_t digest_offset(const nlohmann::json& h, const std::string& header_text, const std::string& path) {
  if (!h.contains("digest") || !h["digest"].is_string())
    fail("{}: header.digest is missing (a packed file must carry the digest of its data)", path);
  const std::string d = h["digest"].get<std::string>();
  const size_t n_prefix = std::strlen(kPackedDigestPrefix);
  const bool hex = d.size() == n_prefix + kPackedDigestHexDigits &&
                   std::all_of(d.begin() + static_cast<std::ptrdiff_t>(n_prefix), d.end(),
                               [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); });
  if (!d.starts_with(kPackedDigestPrefix) || !hex)
    fail("{}: header.digest '{}' must be \"{}\" followed by {} lowercase hex digits", path, d, kPackedDigestPrefix,
         kPackedDigestHexDigits);
  const size_t at = header_text.find(d);
  if (at == std::string::npos) fail("{}: header.digest is not written as a plain string in the header", path);
  return kPackedPrefixBytes + static_cast<int64_t>(at + n_prefix);
}

/** Streams the whole file through XXH3 with the digest's digits as '0' and compares. */
void check_digest(std::ifstream& f, int64_t file_bytes, int64_t digest_at, const std::string& want,
                  const std::string& path) {
  constexpr int64_t kChunkBytes = 4 << 20;
  std::vector<char> buf(static_cast<size_t>(std::min(kChunkBytes, file_bytes)));
  Digest digest;
  f.clear();
  f.seekg(0);
  for (int64_t pos = 0; pos < file_bytes;) {
    const int64_t n = std::min<int64_t>(kChunkBytes, file_bytes - pos);
    if (!f.read(buf.data(), static_cast<std::streamsize>(n))) fail("{}: read failed while checking the digest", path);
    // Zero the digits where this chunk overlaps them.
    for (int64_t i = std::max(pos, digest_at); i < std::min(pos + n, digest_at + kPackedDigestHexDigits); ++i)
      buf[static_cast<size_t>(i - pos)] = '0';
    digest.update(buf.data(), static_cast<size_t>(n));
    pos += n;
  }
  const std::string got = kPackedDigestPrefix + digest.hex();
  if (got != want)
    fail("{}: digest mismatch: the file's bytes hash to {} but its header says {}: the file changed after it was "
         "written (corrupt or edited)", path, got, want);
}

}  // namespace

void packed_detail::seal_packed_image(std::string& image, const std::string& where) {
  if (static_cast<int64_t>(image.size()) < kPackedPrefixBytes) fail("{}: shorter than the packed prefix", where);
  uint64_t header_len = 0;
  std::memcpy(&header_len, image.data() + kPackedMagicBytes + 8, sizeof(header_len));
  if (kPackedPrefixBytes + header_len > image.size()) fail("{}: the header runs past the end", where);
  const std::string header_text = image.substr(kPackedPrefixBytes, header_len);
  const int64_t at = digest_offset(nlohmann::json::parse(header_text), header_text, where);
  std::fill_n(image.begin() + at, kPackedDigestHexDigits, '0');
  Digest digest;
  digest.update(image.data(), image.size());
  const std::string hex = digest.hex();
  std::copy(hex.begin(), hex.end(), image.begin() + at);
}

void verify_packed_digest(const std::string& path) {
  // The header must parse first (it says where the digest is); load_packed_model does both.
  (void)load_packed_model(path, /*read_data=*/false);
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open packed model", path);
  char prefix[kPackedPrefixBytes] = {};
  f.read(prefix, kPackedPrefixBytes);
  uint64_t header_len = 0;
  std::memcpy(&header_len, prefix + kPackedMagicBytes + 8, sizeof(header_len));
  std::string header_text(header_len, '\0');
  f.read(header_text.data(), static_cast<std::streamsize>(header_len));
  const auto h = nlohmann::json::parse(header_text);
  std::error_code ec;
  const auto bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  check_digest(f, bytes, digest_offset(h, header_text, path), h["digest"].get<std::string>(), path);
}

PackedModel load_packed_model(const std::string& path, bool read_data, DigestCheck digest) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail("{}: no such packed model file", path);
  const int64_t file_bytes = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) fail("{}: cannot read its size: {}", path, ec.message());
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open packed model", path);

  // Fixed prefix.
  char prefix[kPackedPrefixBytes] = {};
  f.read(prefix, std::min<int64_t>(file_bytes, kPackedPrefixBytes));
  const int64_t have = std::min<int64_t>(file_bytes, kPackedMagicBytes);
  if (std::memcmp(prefix, kPackedMagic, static_cast<size_t>(have)) != 0)
    fail("{}: not an fpgallm packed model (bad magic; expected \"FPGALLM\\0PACKED\")", path);
  if (file_bytes < kPackedPrefixBytes)
    fail("{}: truncated: {} bytes, shorter than the {}-byte prefix", path, file_bytes, kPackedPrefixBytes);
  uint32_t version = 0;
  uint64_t header_len = 0;
  std::memcpy(&version, prefix + kPackedMagicBytes, sizeof(version));
  std::memcpy(&header_len, prefix + kPackedMagicBytes + 8, sizeof(header_len));
  if (version == 1)
    fail("{}: packed format version 1 carries no digest of its data, so it cannot be checked; this build reads "
         "version {} only: quantize the model again (`fpgallm quantize`) to rewrite it", path, kPackedFormatVersion);
  if (version != kPackedFormatVersion)
    fail("{}: packed format version {} is not supported (this build reads version {})", path, version,
         kPackedFormatVersion);
  if (header_len > static_cast<uint64_t>(kPackedMaxHeaderBytes))
    fail("{}: header length {} exceeds the {} byte limit (corrupt file?)", path, header_len, kPackedMaxHeaderBytes);
  if (kPackedPrefixBytes + static_cast<int64_t>(header_len) > file_bytes)
    fail("{}: truncated: the {}-byte JSON header runs past the end of the {}-byte file", path, header_len, file_bytes);

  // JSON header.
  std::string header_text(header_len, '\0');
  f.read(header_text.data(), static_cast<std::streamsize>(header_len));
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON header: {}", path, e.what());
  }
  if (!h.is_object()) fail("{}: JSON header must be an object", path);
  if (!h.contains("format") || h["format"] != kFormatName) fail("{}: header.format must be \"{}\"", path, kFormatName);
  const int64_t digest_at = digest_offset(h, header_text, path);
  PackedModel pm;
  pm.path = path;
  pm.digest = h["digest"].get<std::string>();
  if (!h.contains("model")) fail("{}: header.model is missing", path);
  const ModelConfig c = model_config_from_hf_json(h["model"], path + ": header.model");
  pm.config = c;
  if (!h.contains("macro_layout")) fail("{}: header.macro_layout is missing", path);
  pm.layout = macro_layout_from_json(h["macro_layout"], path + ": header");
  if (!h.contains("quantization") || !h["quantization"].is_object()) fail("{}: header.quantization must be an object", path);
  pm.quantization = h["quantization"];
  const auto check_q = [&](const char* key, const nlohmann::json& want) {
    if (pm.quantization.contains(key) && pm.quantization[key] != want)
      fail("{}: header quantization.{} is {} but macro_layout.{} is {}", path, key, pm.quantization[key].dump(), key,
           want.dump());
  };
  check_q("bits", pm.layout.bits);
  check_q("group_size", pm.layout.group_size);
  check_q("zero_point", pm.layout.zero_point);
  if (json_int(h, "data_alignment", path + ": header") != kPackedAlignBytes)
    fail("{}: header.data_alignment must be {}", path, kPackedAlignBytes);
  const int64_t data_bytes = json_int(h, "data_bytes", path + ": header");
  pm.data_offset = packed_detail::data_offset_for(static_cast<int64_t>(header_len));
  if (data_bytes < 0) fail("{}: header.data_bytes must be >= 0 (got {})", path, data_bytes);
  if (pm.data_offset + data_bytes > file_bytes)
    fail("{}: truncated: file is {} bytes but the header says the data section ends at byte {}", path, file_bytes,
         pm.data_offset + data_bytes);
  if (pm.data_offset + data_bytes < file_bytes)
    fail("{}: {} trailing bytes after the data section (header data_bytes {})", path,
         file_bytes - pm.data_offset - data_bytes, data_bytes);

  // Tensor table: entries, ranges, overlap.
  if (!h.contains("tensors") || !h["tensors"].is_array()) fail("{}: header.tensors must be an array", path);
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < h["tensors"].size(); ++i) {
    PackedTensor e = parse_tensor_entry(h["tensors"][i], i, path);
    if (e.bytes > data_bytes || e.offset > data_bytes - e.bytes)
      fail("{}: tensor '{}' at offset {} + {} bytes lies outside the {}-byte data section", path, e.name, e.offset,
           e.bytes, data_bytes);
    if (!by_name.emplace(e.name, pm.tensors.size()).second) fail("{}: tensor '{}' appears twice", path, e.name);
    pm.tensors.push_back(std::move(e));
  }
  std::vector<const PackedTensor*> sorted;
  for (const auto& e : pm.tensors)
    if (e.bytes > 0) sorted.push_back(&e);  // an empty range overlaps nothing
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i]->offset < sorted[i - 1]->offset + sorted[i - 1]->bytes)
      fail("{}: tensors '{}' [{}, {}) and '{}' [{}, {}) overlap", path, sorted[i - 1]->name, sorted[i - 1]->offset,
           sorted[i - 1]->offset + sorted[i - 1]->bytes, sorted[i]->name, sorted[i]->offset,
           sorted[i]->offset + sorted[i]->bytes);

  // The table must be exactly what the config implies, each linear either MACRO or fp16.
  auto is_macro = [&](const std::string& linear) {
    const auto it = by_name.find(linear + ".weight");
    return it != by_name.end() && pm.tensors[it->second].dtype == kDtypeMacro;
  };
  const auto expected = packed_detail::plan_tensors(c, pm.layout, is_macro);
  std::set<std::string> expected_names;
  for (const auto& x : expected) expected_names.insert(x.name);
  for (const auto& e : pm.tensors)
    if (!expected_names.count(e.name)) {
      if (e.name == "lm_head.weight" && c.tie_word_embeddings)
        fail("{}: unexpected fp16 tensor 'lm_head.weight': tie_word_embeddings is true, so the lm_head is the "
             "embedding table", path);
      fail("{}: unexpected tensor '{}' (not part of the header's model config)", path, e.name);
    }
  for (const auto& x : expected) {
    const auto it = by_name.find(x.name);
    if (it == by_name.end()) fail("{}: tensor '{}' is missing (the header's model config implies it)", path, x.name);
    const PackedTensor& e = pm.tensors[it->second];
    if (e.dtype != x.dtype) fail("{}: tensor '{}' is {} but must be {}", path, e.name, e.dtype, x.dtype);
    if (e.shape != x.shape)
      fail("{}: tensor '{}' has shape {} but the header's model config implies {}", path, e.name, shape_str(e.shape),
           shape_str(x.shape));
    if (e.bytes != x.bytes) {
      if (e.dtype == kDtypeMacro)
        fail("{}: MACRO stream '{}' is {} bytes but shape {} in the layout (tile_rows {}, group_size {}, {} bytes a "
             "block) needs {}", path, e.name, e.bytes, shape_str(e.shape), pm.layout.tile_rows, pm.layout.group_size,
             pm.layout.block_bytes(), x.bytes);
      fail("{}: tensor '{}' is {} bytes but fp16 {} needs {}", path, e.name, e.bytes, shape_str(e.shape), x.bytes);
    }
  }

  pm.footprint = packed_detail::footprint_of(c, pm.layout, pm.tensors, pm.data_offset, file_bytes);
  if (!read_data) return pm;
  if (digest == DigestCheck::Verify) check_digest(f, file_bytes, digest_at, h["digest"].get<std::string>(), path);

  // Data.
  auto w = std::make_shared<ModelWeights>();
  w->config = c;
  w->layers.resize(static_cast<size_t>(c.num_layers));
  auto linears = linear_map(*w);
  auto norms = norm_map(*w);
  auto read_at = [&](const PackedTensor& e, void* dst) {
    f.seekg(pm.data_offset + e.offset);
    if (!f.read(static_cast<char*>(dst), static_cast<std::streamsize>(e.bytes)))
      fail("{}: read failed for tensor '{}'", path, e.name);
  };
  std::vector<uint16_t> half;
  for (const auto& e : pm.tensors) {
    if (e.dtype == kDtypeMacro) {
      const std::string linear = strip_suffix(e.name, ".weight");
      MacroStream s;
      s.layout = pm.layout;
      s.out_features = e.shape[0];
      s.in_features = e.shape[1];
      s.bytes.resize(static_cast<size_t>(e.bytes));
      read_at(e, s.bytes.data());
      linears.at(linear)->quant = std::make_shared<QuantLinear>(unpack_macro(s, path + ": '" + e.name + "'"));
      pm.streams.emplace(linear, std::move(s));
      continue;
    }
    half.resize(static_cast<size_t>(e.bytes / kF16Bytes));
    read_at(e, half.data());
    Tensor t = from_f16(e.shape, half.data());
    if (e.name == "model.embed_tokens.weight") w->embed = std::make_shared<Tensor>(std::move(t));
    else if (norms.count(e.name)) *norms.at(e.name) = std::move(t);
    else if (e.name.ends_with(".bias")) linears.at(strip_suffix(e.name, ".bias"))->bias = std::make_shared<Tensor>(std::move(t));
    else linears.at(strip_suffix(e.name, ".weight"))->weight = std::make_shared<Tensor>(std::move(t));
  }
  for (size_t i = 0; i < w->layers.size(); ++i)
    for (const auto& s : kLinearSlots) {
      Linear& lin = w->layers[i].*s.member;
      lin.in_features = lin.quant ? lin.quant->in_features : lin.weight->dim(1);
      lin.out_features = lin.quant ? lin.quant->out_features : lin.weight->dim(0);
    }
  w->lm_head.in_features = c.hidden_size;
  w->lm_head.out_features = c.vocab_size;
  if (!w->lm_head.quant && !w->lm_head.weight) w->lm_head.weight = w->embed;  // tied
  w->validate(path);
  pm.weights = w;
  return pm;
}

}  // namespace fpgallm
