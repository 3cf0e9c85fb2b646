#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "models/core/Error.h"
#include "models/checkpoint/HfCheckpoint.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/checkpoint/Safetensors.h"
#include "models/checkpoint/Synthetic.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kSeed = 7;

fs::path temp_dir(const std::string& tag) {
  const fs::path d = fs::path(FPGALLM_BINARY_DIR) / "test_tmp" / ("hf_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

ModelConfig tiny(bool tied = true, bool bias = true) {
  ModelConfig c = model_config_preset("tiny");
  c.tie_word_embeddings = tied;
  c.qkv_bias = bias;
  return c;
}

/** Every named tensor of a model, as the checkpoint stores it. */
std::map<std::string, const Tensor*> named(const ModelWeights& w) {
  std::map<std::string, const Tensor*> m;
  m["model.embed_tokens.weight"] = w.embed.get();
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const auto& L = w.layers[i];
    const auto p = "model.layers." + std::to_string(i) + ".";
    m[p + "input_layernorm.weight"] = &L.attn_norm;
    m[p + "post_attention_layernorm.weight"] = &L.mlp_norm;
    const std::pair<const char*, const Linear*> lins[] = {{"q_proj", &L.q}, {"k_proj", &L.k}, {"v_proj", &L.v},
                                                          {"o_proj", &L.o}, {"gate_proj", &L.gate},
                                                          {"up_proj", &L.up}, {"down_proj", &L.down}};
    for (const auto& [n, l] : lins) {
      m[hf_linear_name(static_cast<int64_t>(i), n) + ".weight"] = l->weight.get();
      if (l->bias) m[hf_linear_name(static_cast<int64_t>(i), n) + ".bias"] = l->bias.get();
    }
  }
  m["model.norm.weight"] = &w.final_norm;
  if (!w.config.tie_word_embeddings) m["lm_head.weight"] = w.lm_head.weight.get();
  return m;
}

/** Each tensor of `b` equals `round(a)` bit for bit. */
template <typename Round>
void expect_same_weights(const ModelWeights& a, const ModelWeights& b, Round round) {
  const auto ma = named(a), mb = named(b);
  ASSERT_EQ(ma.size(), mb.size());
  for (const auto& [name, ta] : ma) {
    const Tensor* tb = mb.at(name);
    ASSERT_EQ(ta->shape, tb->shape) << name;
    for (int64_t i = 0; i < ta->numel(); ++i) {
      const uint32_t want = f32_bits(round(ta->data[static_cast<size_t>(i)]));
      if (want != f32_bits(tb->data[static_cast<size_t>(i)])) {
        ADD_FAILURE() << name << "[" << i << "] differs";
        break;
      }
    }
  }
}

float same(float x) { return x; }
float via_bf16(float x) { return bf16_to_f32(f32_to_bf16(x)); }

/** Rewrites model.safetensors of `dir` through `edit` on its fp32 tensors. */
void rewrite_tensors(const fs::path& dir, const std::function<void(std::map<std::string, Tensor>&)>& edit) {
  const auto path = (dir / kHfSingleFile).string();
  std::map<std::string, Tensor> m;
  {
    SafetensorsFile f(path);
    for (const auto& t : f.header().tensors) m[t.name] = f.to_f32(t.name);
  }
  edit(m);
  SafetensorsWriter w;
  for (const auto& [n, t] : m) w.add(n, t, DType::F32);
  w.write(path);
}

void edit_config(const fs::path& dir, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j;
  std::ifstream(dir / kHfConfigFile) >> j;
  edit(j);
  std::ofstream(dir / kHfConfigFile) << j.dump(2);
}

/** Expects load_hf_checkpoint to throw fpgallm::Error containing every one of `parts`. */
void expect_load_error(const fs::path& dir, const std::vector<std::string>& parts) {
  try {
    load_hf_checkpoint(dir.string());
    ADD_FAILURE() << "loaded without error: " << dir;
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
  }
}

}  // namespace

TEST(HfCheckpoint, F32RoundTripIsBitExact) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("f32");
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  auto r = load_hf_checkpoint(dir.string());
  EXPECT_EQ(r->config.num_parameters(), w->config.num_parameters());
  EXPECT_EQ(r->config.rope_theta, w->config.rope_theta);
  expect_same_weights(*w, *r, same);
}

TEST(HfCheckpoint, Bf16RoundTripEqualsBf16RoundedWeightsAndTiesHead) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("bf16");
  save_hf_checkpoint(*w, dir.string());  // bf16 default
  EXPECT_FALSE(read_safetensors_header((dir / kHfSingleFile).string()).find("lm_head.weight"));
  auto r = load_hf_checkpoint(dir.string());
  expect_same_weights(*w, *r, via_bf16);
  EXPECT_EQ(r->lm_head.weight.get(), r->embed.get());  // tied: one tensor, shared
  // Saving the bf16-loaded weights again as bf16 reproduces the file byte for byte.
  const auto dir2 = temp_dir("bf16_again");
  save_hf_checkpoint(*r, dir2.string());
  std::ifstream a(dir / kHfSingleFile, std::ios::binary), b(dir2 / kHfSingleFile, std::ios::binary);
  EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(a), {}, std::istreambuf_iterator<char>(b)));
}

TEST(HfCheckpoint, UntiedNoBiasRoundTripKeepsSeparateHead) {
  auto w = make_synthetic_weights(tiny(false, false), kSeed);
  const auto dir = temp_dir("untied");
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  auto r = load_hf_checkpoint(dir.string());
  EXPECT_FALSE(r->config.tie_word_embeddings);
  EXPECT_FALSE(r->config.qkv_bias);
  EXPECT_NE(r->lm_head.weight.get(), r->embed.get());
  EXPECT_FALSE(r->layers[0].q.bias);
  expect_same_weights(*w, *r, same);
}

TEST(HfCheckpoint, ShardedRoundTripWritesIndexAndLoadsBitExact) {
  auto w = make_synthetic_weights(tiny(false), kSeed);
  const auto dir = temp_dir("sharded");
  save_hf_checkpoint(*w, dir.string(), DType::F32, 100000);
  EXPECT_FALSE(fs::exists(dir / kHfSingleFile));
  ASSERT_TRUE(fs::exists(dir / kHfIndexFile));
  const auto shards = hf_checkpoint_shards(dir.string());
  EXPECT_GT(shards.size(), 2u);
  nlohmann::json idx;
  std::ifstream(dir / kHfIndexFile) >> idx;
  EXPECT_EQ(idx["metadata"]["total_size"].get<int64_t>(), w->config.num_parameters() * 4);
  auto r = load_hf_checkpoint(dir.string());
  expect_same_weights(*w, *r, same);
  // Re-saving unsharded removes the stale index and shards.
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  EXPECT_FALSE(fs::exists(dir / kHfIndexFile));
  EXPECT_EQ(hf_checkpoint_shards(dir.string()).size(), 1u);
}

TEST(HfCheckpoint, ShardedIndexErrorsNameShardAndTensor) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("sharded_bad");
  save_hf_checkpoint(*w, dir.string(), DType::F32, 50000);
  nlohmann::json idx;
  std::ifstream(dir / kHfIndexFile) >> idx;
  const auto first_shard = idx["weight_map"]["model.embed_tokens.weight"].get<std::string>();
  const auto other_shard = idx["weight_map"]["model.norm.weight"].get<std::string>();
  ASSERT_NE(first_shard, other_shard);

  auto write_index = [&](const nlohmann::json& j) { std::ofstream(dir / kHfIndexFile) << j.dump(); };
  auto bad = idx;
  bad["weight_map"]["model.norm.weight"] = first_shard;  // wrong shard named
  write_index(bad);
  expect_load_error(dir, {"model.norm.weight", first_shard, "does not contain"});

  bad = idx;
  bad["weight_map"]["model.norm.weight"] = "model-00099-of-00099.safetensors";
  write_index(bad);
  expect_load_error(dir, {"model-00099-of-00099.safetensors", "does not exist"});

  bad = idx;
  bad["weight_map"]["model.norm.weight"] = "../escape.safetensors";
  write_index(bad);
  expect_load_error(dir, {"../escape.safetensors", "not inside"});

  bad = idx;
  bad["weight_map"].erase("model.norm.weight");  // still in its shard, but unlisted
  write_index(bad);
  expect_load_error(dir, {"model.norm.weight", "not listed"});

  std::ofstream(dir / kHfIndexFile) << "{\"weight_map\": ";
  expect_load_error(dir, {kHfIndexFile, "invalid JSON"});
}

TEST(HfCheckpoint, TiedHeadMayBePresentAndIsIgnored) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("tied_extra");
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  rewrite_tensors(dir, [](auto& m) {
    m["lm_head.weight"] = m.at("model.embed_tokens.weight");
    m["model.layers.0.self_attn.rotary_emb.inv_freq"] = Tensor({8});
  });
  auto r = load_hf_checkpoint(dir.string());
  EXPECT_EQ(r->lm_head.weight.get(), r->embed.get());
  expect_same_weights(*w, *r, same);
}

TEST(HfCheckpoint, UntiedWithoutHeadIsRejected) {
  auto w = make_synthetic_weights(tiny(false), kSeed);
  const auto dir = temp_dir("untied_nohead");
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  rewrite_tensors(dir, [](auto& m) { m.erase("lm_head.weight"); });
  expect_load_error(dir, {"lm_head.weight", "missing", "tie_word_embeddings"});
}

TEST(HfCheckpoint, MissingTensorIsNamed) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("missing");
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  rewrite_tensors(dir, [](auto& m) { m.erase("model.layers.1.mlp.up_proj.weight"); });
  expect_load_error(dir, {"model.layers.1.mlp.up_proj.weight", "missing"});
}

TEST(HfCheckpoint, ShapeDisagreeingWithConfigIsNamed) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("shape");
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  edit_config(dir, [](auto& j) { j["intermediate_size"] = 128; });
  expect_load_error(dir, {"model.layers.0.mlp.", "has shape", "config.json implies", "[128, 64]"});
}

TEST(HfCheckpoint, UnexpectedTensorsAreRejected) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("extra");
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  rewrite_tensors(dir, [](auto& m) { m["model.layers.0.mlp.extra_proj.weight"] = Tensor({2}); });
  expect_load_error(dir, {"model.layers.0.mlp.extra_proj.weight", "unexpected tensor"});

  // A bias tensor in a checkpoint whose config says no bias.
  auto nb = make_synthetic_weights(tiny(true, false), kSeed);
  const auto dir2 = temp_dir("extra_bias");
  save_hf_checkpoint(*nb, dir2.string(), DType::F32);
  rewrite_tensors(dir2, [](auto& m) { m["model.layers.0.self_attn.q_proj.bias"] = Tensor({64}); });
  expect_load_error(dir2, {"model.layers.0.self_attn.q_proj.bias", "no q/k/v bias"});
}

TEST(HfCheckpoint, NonFloatWeightIsRejectedNamingTensor) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("int_weight");
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  const auto path = (dir / kHfSingleFile).string();
  std::map<std::string, Tensor> m;
  {
    SafetensorsFile f(path);
    for (const auto& t : f.header().tensors) m[t.name] = f.to_f32(t.name);
  }
  SafetensorsWriter wr;
  for (const auto& [n, t] : m)
    if (n != "model.norm.weight") wr.add(n, t, DType::F32);
  wr.add_raw("model.norm.weight", DType::I32, {64}, std::vector<uint8_t>(256));
  wr.write(path);
  expect_load_error(dir, {"model.norm.weight", "I32"});
}

TEST(HfCheckpoint, CorruptSafetensorsInFolderNamesTheFile) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("corrupt");
  save_hf_checkpoint(*w, dir.string(), DType::BF16);
  fs::resize_file(dir / kHfSingleFile, fs::file_size(dir / kHfSingleFile) - 3);
  expect_load_error(dir, {kHfSingleFile, "truncated"});
}

TEST(HfCheckpoint, FolderProblemsAreErrors) {
  const auto dir = temp_dir("empty");
  expect_load_error(dir, {"config.json"});
  auto w = make_synthetic_weights(tiny(), kSeed);
  save_hf_checkpoint(*w, dir.string());
  fs::remove(dir / kHfSingleFile);
  expect_load_error(dir, {kHfSingleFile, kHfIndexFile});
  expect_load_error(dir / "nope", {"not a folder"});
}

TEST(HfCheckpoint, LoadModelDispatchesFoldersAndSyntheticSpecs) {
  auto w = make_synthetic_weights(tiny(), kSeed);
  const auto dir = temp_dir("dispatch");
  save_hf_checkpoint(*w, dir.string(), DType::F32);
  expect_same_weights(*w, *load_model(dir.string()), same);

  auto s = load_model("synthetic:tiny:7");
  expect_same_weights(*w, *s, same);
  auto d = load_model("synthetic:tiny");
  expect_same_weights(*make_synthetic_weights(tiny(), kDefaultSyntheticSeed), *d, same);
  EXPECT_THROW(load_model("synthetic:tiny:x1"), Error);
  EXPECT_THROW(load_model("synthetic:nonesuch"), Error);
}
