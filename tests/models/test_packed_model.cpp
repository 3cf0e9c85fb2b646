#include <unistd.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "models/llm/AwqBackend.h"
#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/quant/Footprint.h"
#include "models/checkpoint/Llama2c.h"
#include "models/quant/PackedModel.h"
#include "models/quant/Quantizer.h"
#include "models/llm/Qwen2Model.h"
#include "models/tokenizer/Tokenizer.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

Tensor random_tensor(std::vector<int64_t> shape, std::mt19937& rng, float lo, float hi) {
  Tensor t(std::move(shape));
  std::uniform_real_distribution<float> d(lo, hi);
  for (auto& v : t.data) v = d(rng);
  return t;
}

std::shared_ptr<QuantLinear> random_quant(int64_t out, int64_t in, const MacroLayout& l, std::mt19937& rng) {
  auto q = std::make_shared<QuantLinear>();
  q->in_features = in;
  q->out_features = out;
  q->group_size = l.group_size;
  q->bits = l.bits;
  q->has_zero = l.zero_point;
  std::uniform_int_distribution<int> code(0, (1 << l.bits) - 1);
  std::uniform_real_distribution<float> scale(1e-3f, 0.05f);
  q->q.resize(static_cast<size_t>(out * in));
  for (auto& c : q->q) c = static_cast<uint8_t>(code(rng));
  q->scales.resize(static_cast<size_t>(out * q->n_groups()));
  for (auto& s : q->scales) s = f32_to_f16(scale(rng));
  q->zeros.assign(static_cast<size_t>(out * q->n_groups()), l.implicit_zero());
  if (l.zero_point)
    for (auto& z : q->zeros) z = static_cast<uint8_t>(code(rng));
  return q;
}

struct ModelSpec {
  bool tied = true;
  bool quantize_lm_head = false;
  bool leave_down0_fp = false;  ///< keep layer 0's down_proj in fp32 (stored fp16)
};

/** The "tiny" preset (intermediate 176: G = 32 leaves a padded last group) with random weights. */
std::shared_ptr<ModelWeights> make_model(const MacroLayout& l, const ModelSpec& spec, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  auto w = std::make_shared<ModelWeights>();
  w->config = model_config_preset("tiny");
  w->config.tie_word_embeddings = spec.tied;
  const auto& c = w->config;
  auto linear = [&](int64_t out, int64_t in, bool bias, bool quant) {
    Linear lin;
    lin.in_features = in;
    lin.out_features = out;
    if (quant) lin.quant = random_quant(out, in, l, rng);
    else lin.weight = std::make_shared<Tensor>(random_tensor({out, in}, rng, -0.1f, 0.1f));
    if (bias) lin.bias = std::make_shared<Tensor>(random_tensor({out}, rng, -0.5f, 0.5f));
    return lin;
  };
  w->embed = std::make_shared<Tensor>(random_tensor({c.vocab_size, c.hidden_size}, rng, -1.f, 1.f));
  for (int64_t i = 0; i < c.num_layers; ++i) {
    LayerWeights L;
    L.attn_norm = random_tensor({c.hidden_size}, rng, 0.5f, 1.5f);
    L.mlp_norm = random_tensor({c.hidden_size}, rng, 0.5f, 1.5f);
    L.q = linear(c.q_dim(), c.hidden_size, true, true);
    L.k = linear(c.kv_dim(), c.hidden_size, true, true);
    L.v = linear(c.kv_dim(), c.hidden_size, true, true);
    L.o = linear(c.hidden_size, c.q_dim(), false, true);
    L.gate = linear(c.intermediate_size, c.hidden_size, false, true);
    L.up = linear(c.intermediate_size, c.hidden_size, false, true);
    L.down = linear(c.hidden_size, c.intermediate_size, false, !(spec.leave_down0_fp && i == 0));
    w->layers.push_back(std::move(L));
  }
  w->final_norm = random_tensor({c.hidden_size}, rng, 0.5f, 1.5f);
  if (spec.quantize_lm_head || !spec.tied) {
    w->lm_head = linear(c.vocab_size, c.hidden_size, false, spec.quantize_lm_head);
  } else {
    w->lm_head.in_features = c.hidden_size;
    w->lm_head.out_features = c.vocab_size;
    w->lm_head.weight = w->embed;
  }
  w->validate("test model");
  return w;
}

MacroLayout g32() {
  MacroLayout l;
  l.group_size = 32;
  return l;
}

std::string tmp_path(const std::string& name) {
  const auto dir = fs::path(FPGALLM_BINARY_DIR) / ("test_packed_model_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

void expect_tensor_eq(const Tensor& a, const Tensor& b, const std::string& what) {
  EXPECT_EQ(a.shape, b.shape) << what;
  EXPECT_EQ(a.data, b.data) << what;
}

void expect_linear_eq(const Linear& a, const Linear& b, const std::string& what) {
  EXPECT_EQ(a.in_features, b.in_features) << what;
  EXPECT_EQ(a.out_features, b.out_features) << what;
  ASSERT_EQ(a.quant != nullptr, b.quant != nullptr) << what;
  if (a.quant) {
    EXPECT_EQ(a.quant->q, b.quant->q) << what;
    EXPECT_EQ(a.quant->scales, b.quant->scales) << what;
    EXPECT_EQ(a.quant->zeros, b.quant->zeros) << what;
    EXPECT_EQ(a.quant->group_size, b.quant->group_size) << what;
  } else {
    ASSERT_TRUE(a.weight && b.weight) << what;
    expect_tensor_eq(*a.weight, *b.weight, what + ".weight");
  }
  ASSERT_EQ(a.bias != nullptr, b.bias != nullptr) << what;
  if (a.bias) expect_tensor_eq(*a.bias, *b.bias, what + ".bias");
}

void expect_weights_eq(const ModelWeights& a, const ModelWeights& b) {
  expect_tensor_eq(*a.embed, *b.embed, "embed");
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const auto& x = a.layers[i];
    const auto& y = b.layers[i];
    const std::string p = "layer " + std::to_string(i) + " ";
    expect_tensor_eq(x.attn_norm, y.attn_norm, p + "attn_norm");
    expect_tensor_eq(x.mlp_norm, y.mlp_norm, p + "mlp_norm");
    expect_linear_eq(x.q, y.q, p + "q");
    expect_linear_eq(x.k, y.k, p + "k");
    expect_linear_eq(x.v, y.v, p + "v");
    expect_linear_eq(x.o, y.o, p + "o");
    expect_linear_eq(x.gate, y.gate, p + "gate");
    expect_linear_eq(x.up, y.up, p + "up");
    expect_linear_eq(x.down, y.down, p + "down");
  }
  expect_tensor_eq(a.final_norm, b.final_norm, "final_norm");
  expect_linear_eq(a.lm_head, b.lm_head, "lm_head");
}

/** Splits a packed file into its JSON header and data section, and writes one back. */
struct RawPacked {
  nlohmann::json header;
  std::string data;
  uint32_t version = kPackedFormatVersion;

  static RawPacked read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    RawPacked r;
    uint64_t len = 0;
    std::memcpy(&len, all.data() + 24, 8);
    r.header = nlohmann::json::parse(all.substr(32, len));
    r.data = all.substr(static_cast<size_t>(packed_detail::data_offset_for(static_cast<int64_t>(len))));
    return r;
  }
  /** `seal`: with a valid digest, so the loader's later checks see the edit; else as edited. */
  void write(const std::string& path, bool seal = true) const {
    const std::string h = header.dump();
    std::string out(kPackedMagic, kPackedMagicBytes);
    out.append(reinterpret_cast<const char*>(&version), 4);
    out.append(4, '\0');
    const uint64_t len = h.size();
    out.append(reinterpret_cast<const char*>(&len), 8);
    out += h;
    out.resize(static_cast<size_t>(packed_detail::data_offset_for(static_cast<int64_t>(len))), '\0');
    out += data;
    if (seal) packed_detail::seal_packed_image(out, path);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << out;
  }
  nlohmann::json& tensor(const std::string& name) {
    for (auto& t : header["tensors"])
      if (t["name"] == name) return t;
    throw std::runtime_error("no tensor " + name);
  }
};

/** Expects load_packed_model to fail with a message holding every one of `parts`. */
void expect_load_error(const std::string& path, const std::vector<std::string>& parts) {
  try {
    load_packed_model(path);
    ADD_FAILURE() << "loading " << path << " did not fail";
  } catch (const Error& e) {
    const std::string m = e.what();
    for (const auto& p : parts) EXPECT_NE(m.find(p), std::string::npos) << "missing '" << p << "' in: " << m;
  }
}

class PackedFile : public testing::Test {
 protected:
  void SetUp() override {
    model_ = make_model(g32(), {});
    path_ = tmp_path("good.fpk");
    save_packed_model(*model_, g32(), path_);
  }
  /** A mutated copy of the good file. */
  std::string mutate(const std::string& name, const std::function<void(RawPacked&)>& fn) {
    RawPacked r = RawPacked::read(path_);
    fn(r);
    const std::string p = tmp_path(name);
    r.write(p);
    return p;
  }
  std::shared_ptr<ModelWeights> model_;
  std::string path_;
};

}  // namespace

TEST(PackedModel, SaveLoadIsLosslessAfterFp16RoundingOfUnquantizedTensors) {
  for (const ModelSpec spec : {ModelSpec{true, false, false}, ModelSpec{true, true, false},
                               ModelSpec{false, false, true}, ModelSpec{false, true, false}}) {
    SCOPED_TRACE(testing::Message() << "tied " << spec.tied << " lm_head quantized " << spec.quantize_lm_head
                                    << " fp down_proj " << spec.leave_down0_fp);
    auto model = make_model(g32(), spec);
    const std::string path = tmp_path("roundtrip.fpk");
    save_packed_model(*model, g32(), path, {{"method", "rtn"}});
    const PackedModel pm = load_packed_model(path);
    ModelWeights want = *model;
    round_unquantized_to_fp16(want);
    expect_weights_eq(*pm.weights, want);
    EXPECT_EQ(pm.weights->config.hidden_size, model->config.hidden_size);
    EXPECT_EQ(pm.weights->config.tie_word_embeddings, spec.tied);
    EXPECT_EQ(pm.weights->config.rms_norm_eps, model->config.rms_norm_eps);
    EXPECT_EQ(pm.weights->config.rope_theta, model->config.rope_theta);
    EXPECT_EQ(pm.layout, g32());
    EXPECT_EQ(pm.quantization["method"], "rtn");
    EXPECT_EQ(pm.quantization["quantize_lm_head"], spec.quantize_lm_head);
    EXPECT_EQ(pm.footprint.total_bytes(), static_cast<int64_t>(fs::file_size(path)));
    if (spec.tied && !spec.quantize_lm_head) {
      EXPECT_EQ(pm.weights->lm_head.weight, pm.weights->embed);
    }
  }
}

TEST(PackedModel, StreamsAreThePackedQuantLinearsAndTensorsAreAligned) {
  auto model = make_model(g32(), {});
  const std::string path = tmp_path("streams.fpk");
  save_packed_model(*model, g32(), path);
  const PackedModel pm = load_packed_model(path);
  EXPECT_EQ(pm.streams.size(), 7u * 2u);
  const MacroStream& down = pm.stream(OpKind::DownProj, 1);
  EXPECT_EQ(down.in_features, 176);
  EXPECT_EQ(down.n_groups(), 6);  // 176 = 5.5 groups of 32: the last is zero-padded
  EXPECT_EQ(down.bytes, pack_macro(*model->layers[1].down.quant, g32()).bytes);
  EXPECT_THROW(pm.stream(OpKind::LmHead, -1), Error);  // tied fp16 lm_head has no stream
  EXPECT_THROW(pm.stream(OpKind::Softmax, 0), Error);
  EXPECT_EQ(pm.data_offset % kPackedAlignBytes, 0);
  for (const auto& t : pm.tensors) EXPECT_EQ(t.offset % kPackedAlignBytes, 0) << t.name;
  EXPECT_TRUE(looks_like_packed_model(path));
  EXPECT_FALSE(looks_like_packed_model(std::string(FPGALLM_DATA_DIR) + "/stories260K/stories260K.bin"));
}

TEST(PackedModel, FootprintOfLoadedFileEqualsTheEstimateFromConfigAlone) {
  for (bool lm_head : {false, true}) {
    auto model = make_model(g32(), {true, lm_head, false});
    const std::string path = tmp_path("footprint.fpk");
    save_packed_model(*model, g32(), path);
    const PackedModel pm = load_packed_model(path);
    const Footprint est = estimate_footprint(model->config, 32, 4, true, lm_head, MacroLayout());
    EXPECT_EQ(pm.footprint, est) << pm.footprint.table() << "\nvs estimate\n" << est.table();
    EXPECT_EQ(est.total_bytes(), static_cast<int64_t>(fs::file_size(path)));
  }
}

TEST(PackedModel, SaveRejectsFp16OverflowAndMismatchedLayout) {
  auto model = make_model(g32(), {});
  model->layers[1].mlp_norm.data[3] = 70000.0f;
  try {
    save_packed_model(*model, g32(), tmp_path("overflow.fpk"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.layers.1.post_attention_layernorm.weight"), std::string::npos) << e.what();
  }
  model = make_model(g32(), {});
  EXPECT_THROW(save_packed_model(*model, MacroLayout(), tmp_path("g64.fpk")), Error);  // quantized with G=32
}

TEST(PackedModel, RoundingHelperMakesTiedHeadFollowTheEmbeddings) {
  auto model = make_model(g32(), {});
  ModelWeights w = *model;
  round_unquantized_to_fp16(w);
  EXPECT_EQ(w.lm_head.weight, w.embed);
  EXPECT_NE(w.embed, model->embed);  // the caller's tensors are not modified in place
  for (float v : w.embed->data) EXPECT_EQ(f16_to_f32(f32_to_f16(v)), v);
}

TEST_F(PackedFile, BadMagic) {
  std::string bytes;
  {
    std::ifstream f(path_, std::ios::binary);
    bytes.assign((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  bytes[2] = 'X';
  const std::string p = tmp_path("badmagic.fpk");
  std::ofstream(p, std::ios::binary) << bytes;
  expect_load_error(p, {p, "bad magic"});
}

TEST_F(PackedFile, UnsupportedVersion) {
  const auto p = mutate("version.fpk", [](RawPacked& r) { r.version = 99; });
  expect_load_error(p, {p, "version 99"});
}

TEST_F(PackedFile, TruncatedAnywhere) {
  const auto size = fs::file_size(path_);
  for (uintmax_t keep : {uintmax_t{0}, uintmax_t{10}, uintmax_t{20}, uintmax_t{200}, size - 1}) {
    SCOPED_TRACE(keep);
    const std::string p = tmp_path("truncated.fpk");
    fs::copy_file(path_, p, fs::copy_options::overwrite_existing);
    fs::resize_file(p, keep);
    expect_load_error(p, {p, "truncated"});
  }
}

TEST_F(PackedFile, TrailingBytes) {
  const auto p = mutate("trailing.fpk", [](RawPacked& r) { r.data += "xyz"; });
  expect_load_error(p, {"3 trailing bytes"});
}

TEST_F(PackedFile, InvalidJsonHeader) {
  const std::string p = tmp_path("badjson.fpk");
  fs::copy_file(path_, p, fs::copy_options::overwrite_existing);
  {
    std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(32);
    f.put('#');
  }
  expect_load_error(p, {p, "invalid JSON header"});
}

TEST_F(PackedFile, OffsetOutOfRange) {
  const auto p = mutate("range.fpk", [](RawPacked& r) {
    r.tensor("model.norm.weight")["offset"] = r.header["data_bytes"].get<int64_t>() + 64;
  });
  expect_load_error(p, {"model.norm.weight", "outside"});
}

TEST_F(PackedFile, OverlappingTensors) {
  const auto p = mutate("overlap.fpk", [](RawPacked& r) {
    r.tensor("model.layers.0.self_attn.k_proj.weight")["offset"] = r.tensor("model.layers.0.self_attn.q_proj.weight")["offset"];
  });
  expect_load_error(p, {"overlap", "model.layers.0.self_attn.k_proj.weight"});
}

TEST_F(PackedFile, MisalignedOffset) {
  const auto p = mutate("misaligned.fpk", [](RawPacked& r) {
    r.tensor("model.norm.weight")["offset"] = r.tensor("model.norm.weight")["offset"].get<int64_t>() + 2;
  });
  expect_load_error(p, {"model.norm.weight", "multiple of 64"});
}

TEST_F(PackedFile, StreamLengthNotMatchingLayout) {
  const auto p = mutate("streamlen.fpk", [](RawPacked& r) {
    auto& t = r.tensor("model.layers.1.mlp.down_proj.weight");
    t["bytes"] = t["bytes"].get<int64_t>() - 288;
  });
  expect_load_error(p, {"MACRO stream 'model.layers.1.mlp.down_proj.weight'", "needs"});
}

TEST_F(PackedFile, ShapeInconsistentWithConfig) {
  const auto p = mutate("shape.fpk", [](RawPacked& r) { r.header["model"]["intermediate_size"] = 160; });
  expect_load_error(p, {"model.layers.0.mlp.gate_proj.weight", "shape"});
}

TEST_F(PackedFile, MissingAndUnexpectedTensors) {
  auto p = mutate("missing.fpk", [](RawPacked& r) {
    auto& ts = r.header["tensors"];
    for (size_t i = 0; i < ts.size(); ++i)
      if (ts[i]["name"] == "model.layers.1.input_layernorm.weight") ts.erase(i);
  });
  expect_load_error(p, {"model.layers.1.input_layernorm.weight", "missing"});
  p = mutate("unexpected.fpk", [](RawPacked& r) { r.tensor("model.norm.weight")["name"] = "model.extra.weight"; });
  expect_load_error(p, {"model.extra.weight"});
  p = mutate("tiedhead.fpk", [](RawPacked& r) {
    r.header["tensors"].push_back({{"name", "lm_head.weight"}, {"dtype", "F16"}, {"shape", {384, 64}},
                                   {"offset", 0}, {"bytes", 0}});
  });
  expect_load_error(p, {"lm_head.weight", "tie_word_embeddings"});
}

TEST_F(PackedFile, LayoutAndQuantizationRecordsMustAgree) {
  auto p = mutate("qbits.fpk", [](RawPacked& r) { r.header["quantization"]["group_size"] = 64; });
  expect_load_error(p, {"quantization.group_size"});
  p = mutate("layoutver.fpk", [](RawPacked& r) { r.header["macro_layout"]["version"] = 7; });
  expect_load_error(p, {"macro_layout.version 7"});
  p = mutate("blockbytes.fpk", [](RawPacked& r) { r.header["macro_layout"]["beat_bytes"] = 64; });
  expect_load_error(p, {"block_bytes"});
}

TEST_F(PackedFile, CorruptPaddingInsideAStream) {
  const auto p = mutate("padding.fpk", [](RawPacked& r) {
    // First block of layer 0's down_proj: with G = 32 the payload is 128 + 16 + 4 = 148 bytes of a
    // 160-byte block, so byte 150 is beat padding.
    const int64_t off = r.tensor("model.layers.0.mlp.down_proj.weight")["offset"].get<int64_t>();
    r.data[static_cast<size_t>(off + 150)] = 0x55;
  });
  expect_load_error(p, {"model.layers.0.mlp.down_proj.weight", "non-canonical padding", "beat padding"});
}

TEST_F(PackedFile, AFlippedDataByteIsRefusedByTheDigestNamingTheFile) {
  const std::string p = tmp_path("flipped.fpk");
  fs::copy_file(path_, p, fs::copy_options::overwrite_existing);
  const PackedModel head = load_packed_model(path_, /*read_data=*/false);
  // One bit of an fp16 norm weight: a value the loader would otherwise read as a valid weight.
  int64_t at = -1;
  for (const auto& e : head.tensors)
    if (e.name == "model.norm.weight") at = head.data_offset + e.offset + 3;
  ASSERT_GT(at, 0);
  {
    std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(at);
    const char c = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(c ^ 0x04));
  }
  expect_load_error(p, {p, "digest mismatch", "changed after it was written"});
  EXPECT_THROW(verify_packed_digest(p), Error);
  EXPECT_NO_THROW(verify_packed_digest(path_));
  // Skipping the check (fuzzing only) reads the flipped weight as written.
  EXPECT_NO_THROW(load_packed_model(p, true, DigestCheck::Skip));
}

TEST_F(PackedFile, AHeaderEditTheParserAcceptsIsRefusedByTheDigest) {
  std::string bytes;
  {
    std::ifstream f(path_, std::ios::binary);
    bytes.assign((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  // rope_theta 1000000.0 -> 2000000.0: same length, valid JSON, a valid config, a different model.
  const size_t at = bytes.find("\"rope_theta\":1000000.0");
  ASSERT_NE(at, std::string::npos);
  bytes[at + std::strlen("\"rope_theta\":")] = '2';
  const std::string p = tmp_path("header_edit.fpk");
  std::ofstream(p, std::ios::binary) << bytes;
  expect_load_error(p, {p, "digest mismatch"});
}

TEST_F(PackedFile, AVersion1FileWithoutADigestIsRefusedWithTheReason) {
  RawPacked r = RawPacked::read(path_);
  r.version = 1;
  r.header.erase("digest");
  const std::string p = tmp_path("v1.fpk");
  r.write(p, /*seal=*/false);
  expect_load_error(p, {p, "version 1 carries no digest", "quantize the model again"});
}

TEST_F(PackedFile, AMissingOrMalformedDigestIsRefused) {
  RawPacked r = RawPacked::read(path_);
  r.header.erase("digest");
  std::string p = tmp_path("nodigest.fpk");
  r.write(p, /*seal=*/false);
  expect_load_error(p, {p, "header.digest is missing"});
  r.header["digest"] = "md5:0123";
  p = tmp_path("baddigest.fpk");
  r.write(p, /*seal=*/false);
  expect_load_error(p, {p, "header.digest 'md5:0123' must be"});
}

// End to end on a real model: stories260K quantized with AWQ at G = 32 (172 = 5.375 groups, so
// down_proj's last group is padded), saved, loaded, and run on the host AWQ backend.
TEST(PackedModelEndToEnd, Stories260KLogitsFromPackedFileEqualInMemoryQuantizedModelBitForBit) {
  const std::string dir = std::string(FPGALLM_DATA_DIR) + "/stories260K";
  const auto fp = load_llama2c(dir + "/stories260K.bin");
  const Llama2cTokenizer tok(dir + "/tok512.bin", fp->config.vocab_size);
  QuantOptions o;
  o.method = "awq";
  o.group_size = 32;
  o.calib_samples = 16;  // AutoAWQ's 512-token blocks from the first 16 documents
  const auto calib = make_calibration_sequences(
      tok, read_text_file(std::string(FPGALLM_SOURCE_DIR) + "/configs/calib/default.txt"), o.calib_samples,
      o.calib_seq_len);
  const auto q = quantize_model(*fp, o, calib);

  const std::string path = tmp_path("stories260k_awq_g32.fpk");
  save_packed_model(*q, g32(), path, {{"method", o.method}});
  const PackedModel pm = load_packed_model(path);
  EXPECT_EQ(pm.stream(OpKind::DownProj, 0).n_groups(), 6);

  auto in_memory = std::make_shared<ModelWeights>(*q);
  round_unquantized_to_fp16(*in_memory);  // what the file stores for embeddings and norms

  const std::vector<int32_t> tokens = tok.encode("Once upon a time, there was a little girl named Lily.", true);
  auto logits = [&](std::shared_ptr<const ModelWeights> w) {
    AwqBackend backend;
    Qwen2Model model(std::move(w), backend);
    std::vector<float> all = model.forward(tokens, Phase::Prefill, /*all_logits=*/true);
    for (int i = 0; i < 3; ++i) {  // a few decode steps too
      const auto step = model.decode(static_cast<int32_t>(3 + i));
      all.insert(all.end(), step.begin(), step.end());
    }
    return all;
  };
  const auto from_file = logits(pm.weights);
  const auto from_memory = logits(in_memory);
  ASSERT_EQ(from_file.size(), from_memory.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < from_file.size(); ++i) mismatches += f32_bits(from_file[i]) != f32_bits(from_memory[i]);
  EXPECT_EQ(mismatches, 0u) << "logits of the packed file differ from the in-memory quantized model";

  // Without the fp16 rounding the fp32 embeddings/norms give other logits: the rounding is load-bearing.
  EXPECT_NE(logits(q), from_memory);
}
