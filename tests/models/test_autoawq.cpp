#include <unistd.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "models/checkpoint/AutoAwq.h"
#include "models/core/Error.h"
#include "models/checkpoint/Llama2c.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/quant/Quantizer.h"
#include "models/checkpoint/Synthetic.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

const std::string kData = FPGALLM_DATA_DIR;

std::string temp_dir(const std::string& name) {
  const fs::path p = fs::path(FPGALLM_BINARY_DIR) / "test_tmp" / ("autoawq_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::shared_ptr<ModelWeights> tiny_rtn(int64_t G) {
  auto fp = make_synthetic_weights(model_config_preset("tiny"), 3);
  QuantOptions o;
  o.method = "rtn";
  o.group_size = G;
  return quantize_model(*fp, o, {});
}

void expect_error_mentions(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    FAIL() << "expected an fpgallm::Error";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

void edit_config(const std::string& dir, const std::function<void(nlohmann::json&)>& fn) {
  const auto path = dir + "/config.json";
  nlohmann::json j;
  {
    std::ifstream f(path);
    j = nlohmann::json::parse(f);
  }
  fn(j);
  std::ofstream(path) << j.dump(2);
}

}  // namespace

TEST(AutoAwqPacking, NibbleOrderIs02461357) {
  // Columns 0..7 hold codes 1..8; nibble k (bits 4k..4k+3) holds column {0,2,4,6,1,3,5,7}[k].
  const std::vector<uint8_t> codes = {1, 2, 3, 4, 5, 6, 7, 8};
  const auto packed = autoawq_pack(codes.data(), 1, 8);
  ASSERT_EQ(packed.size(), 1u);
  EXPECT_EQ(static_cast<uint32_t>(packed[0]), 0x86427531u);
  EXPECT_EQ(autoawq_unpack(packed.data(), 1, 8), codes);
}

TEST(AutoAwqPacking, RejectsCodesWiderThanFourBitsAndRaggedColumns) {
  const std::vector<uint8_t> wide = {0, 16, 0, 0, 0, 0, 0, 0};
  EXPECT_THROW(autoawq_pack(wide.data(), 1, 8), Error);
  EXPECT_THROW(autoawq_pack(wide.data(), 1, 6), Error);
}

TEST(AutoAwqCheckpoint, ExportReimportsBitIdentically) {
  auto q = tiny_rtn(16);
  const std::string a = temp_dir("roundtrip_a"), b = temp_dir("roundtrip_b");
  save_autoawq(*q, a);
  auto back = load_autoawq(a);
  ASSERT_EQ(back->layers.size(), q->layers.size());
  for (size_t l = 0; l < q->layers.size(); ++l) {
    const auto& x = q->layers[l];
    const auto& y = back->layers[l];
    for (auto [lx, ly] : {std::pair{&x.q, &y.q}, {&x.k, &y.k}, {&x.v, &y.v}, {&x.o, &y.o}, {&x.gate, &y.gate},
                          {&x.up, &y.up}, {&x.down, &y.down}}) {
      ASSERT_TRUE(ly->quant);
      EXPECT_EQ(lx->quant->q, ly->quant->q);
      EXPECT_EQ(lx->quant->scales, ly->quant->scales);
      EXPECT_EQ(lx->quant->zeros, ly->quant->zeros);
      EXPECT_EQ(ly->quant->group_size, 16);
      EXPECT_EQ(static_cast<bool>(lx->bias), static_cast<bool>(ly->bias));
    }
  }
  EXPECT_EQ(back->lm_head.weight, back->embed);  // tied head stays tied
  // fp tensors went through fp16 once; a second export of the import is byte-for-byte the first.
  save_autoawq(*back, b);
  EXPECT_EQ(file_bytes(a + "/model.safetensors"), file_bytes(b + "/model.safetensors"));
  EXPECT_EQ(file_bytes(a + "/config.json"), file_bytes(b + "/config.json"));
  auto again = load_autoawq(b);
  EXPECT_EQ(again->embed->data, back->embed->data);
  EXPECT_EQ(again->layers[1].q.bias->data, back->layers[1].q.bias->data);
}

TEST(AutoAwqCheckpoint, ConfigCarriesQuantizationConfig) {
  auto q = tiny_rtn(16);
  const std::string d = temp_dir("config");
  save_autoawq(*q, d);
  std::ifstream f(d + "/config.json");
  const auto j = nlohmann::json::parse(f);
  const auto& qc = j.at("quantization_config");
  EXPECT_EQ(qc.at("quant_method"), "awq");
  EXPECT_EQ(qc.at("bits"), 4);
  EXPECT_EQ(qc.at("group_size"), 16);
  EXPECT_EQ(qc.at("zero_point"), true);
  EXPECT_EQ(qc.at("version"), "gemm");
  EXPECT_TRUE(looks_like_autoawq(d));
  EXPECT_FALSE(looks_like_autoawq(kData + "/stories260K"));
}

TEST(AutoAwqCheckpoint, ExportRejectsShapesTheLayoutCannotHold) {
  auto fp = load_llama2c(kData + "/stories260K/stories260K.bin");
  QuantOptions o;
  o.method = "rtn";
  o.group_size = 4;
  auto q = quantize_model(*fp, o, {});
  // intermediate 172 is not a multiple of 8 output columns per int32.
  expect_error_mentions([&] { save_autoawq(*q, temp_dir("bad_out")); }, {"gate_proj.qweight", "172"});
  auto t = tiny_rtn(48);  // 64 inputs are not whole groups of 48
  expect_error_mentions([&] { save_autoawq(*t, temp_dir("bad_in")); }, {"q_proj.scales", "48"});
}

TEST(AutoAwqCheckpoint, ImportRejectsInconsistentConfigAndTensors) {
  auto q = tiny_rtn(16);
  const std::string d = temp_dir("inconsistent");
  save_autoawq(*q, d);
  edit_config(d, [](nlohmann::json& j) { j["quantization_config"]["group_size"] = 32; });
  expect_error_mentions([&] { load_autoawq(d); }, {"model.layers.0.self_attn.q_proj.q", "shape"});
  edit_config(d, [](nlohmann::json& j) { j["quantization_config"]["group_size"] = 48; });
  expect_error_mentions([&] { load_autoawq(d); }, {"q_proj.scales", "group_size 48"});
  edit_config(d, [](nlohmann::json& j) {
    j["quantization_config"]["group_size"] = 16;
    j["quantization_config"]["bits"] = 8;
  });
  expect_error_mentions([&] { load_autoawq(d); }, {"quantization_config.bits"});
  edit_config(d, [](nlohmann::json& j) {
    j["quantization_config"]["bits"] = 4;
    j["quantization_config"]["version"] = "gemv";
  });
  expect_error_mentions([&] { load_autoawq(d); }, {"version", "gemv"});
  edit_config(d, [](nlohmann::json& j) {
    j["quantization_config"]["version"] = "GEMM";  // AutoAWQ's own spelling also works
    j["intermediate_size"] = 168;
  });
  expect_error_mentions([&] { load_autoawq(d); }, {"gate_proj.qweight", "shape"});
  edit_config(d, [](nlohmann::json& j) { j.erase("quantization_config"); });
  expect_error_mentions([&] { load_autoawq(d); }, {"quantization_config"});
}

TEST(AutoAwqCheckpoint, LoadModelDispatchesOnQuantizationConfig) {
  auto q = tiny_rtn(16);
  const std::string d = temp_dir("dispatch");
  save_autoawq(*q, d);
  auto w = load_model(d);
  ASSERT_TRUE(w->layers[0].q.quant);
  EXPECT_EQ(w->layers[0].q.quant->q, q->layers[0].q.quant->q);
}
