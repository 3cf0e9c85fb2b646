#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <unistd.h>

#include "models/core/Error.h"
#include "models/checkpoint/Safetensors.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& tag) {
  const fs::path d = fs::path(FPGALLM_BINARY_DIR) / "test_tmp" / ("safetensors_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string write_bytes(const fs::path& p, const std::vector<uint8_t>& b) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return p.string();
}

/** A file image with the given header text (no padding) and `data_bytes` zero bytes of data. */
std::vector<uint8_t> image(const std::string& json, size_t data_bytes, uint64_t claimed_len = UINT64_MAX) {
  const uint64_t n = claimed_len == UINT64_MAX ? json.size() : claimed_len;
  std::vector<uint8_t> b(8 + json.size() + data_bytes, 0);
  for (size_t i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(n >> (8 * i));
  std::copy(json.begin(), json.end(), b.begin() + 8);
  return b;
}

Tensor ramp(std::vector<int64_t> shape, float scale) {
  Tensor t(std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data[static_cast<size_t>(i)] = scale * std::sin(0.37f * static_cast<float>(i) + 0.1f);
  return t;
}

/** Expects fpgallm::Error whose message names the file and contains `reason`, from both the
 *  mmap reader and the header-only reader. */
void expect_bad_file(const std::string& tag, const std::vector<uint8_t>& bytes, const std::string& reason) {
  const auto path = write_bytes(temp_dir("bad") / (tag + ".safetensors"), bytes);
  for (int reader = 0; reader < 2; ++reader) {
    try {
      if (reader == 0) SafetensorsFile f(path);
      else read_safetensors_header(path);
      ADD_FAILURE() << tag << ": no error (reader " << reader << ")";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << tag << ": message lacks the file name: " << msg;
      EXPECT_NE(msg.find(reason), std::string::npos) << tag << ": message lacks '" << reason << "': " << msg;
    }
  }
}

}  // namespace

TEST(Safetensors, F32RoundTripIsBitExactIncludingSpecialValues) {
  Tensor a = ramp({3, 5}, 1.5f);
  a.data[0] = -0.0f;
  a.data[1] = std::numeric_limits<float>::infinity();
  a.data[2] = std::numeric_limits<float>::denorm_min();
  a.data[3] = std::numeric_limits<float>::quiet_NaN();
  Tensor b = ramp({7}, 1e-3f);
  SafetensorsWriter w;
  w.add("b.weight", b, DType::F32);
  w.add("a.weight", a, DType::F32);
  const auto path = (temp_dir("f32") / "x.safetensors").string();
  w.write(path);
  SafetensorsFile f(path);
  ASSERT_EQ(f.header().tensors.size(), 2u);
  for (const auto& [name, src] : {std::pair<std::string, const Tensor*>{"a.weight", &a}, {"b.weight", &b}}) {
    Tensor t = f.to_f32(name);
    EXPECT_EQ(t.shape, src->shape);
    ASSERT_EQ(t.numel(), src->numel());
    EXPECT_EQ(std::memcmp(t.ptr(), src->ptr(), static_cast<size_t>(t.numel()) * 4), 0) << name;
  }
}

TEST(Safetensors, Bf16AndF16StoreRoundToNearestEvenAndReadBackExactly) {
  Tensor t = ramp({4, 9}, 3.0f);
  SafetensorsWriter w;
  w.add("bf", t, DType::BF16);
  w.add("h", t, DType::F16);
  const auto bytes = w.to_bytes();
  auto f = SafetensorsFile::from_buffer(bytes.data(), bytes.size(), "mem");
  Tensor bf = f.to_f32("bf"), h = f.to_f32("h");
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float x = t.data[static_cast<size_t>(i)];
    EXPECT_EQ(f32_bits(bf.data[static_cast<size_t>(i)]), f32_bits(bf16_to_f32(f32_to_bf16(x))));
    EXPECT_EQ(f32_bits(h.data[static_cast<size_t>(i)]), f32_bits(f16_to_f32(f32_to_f16(x))));
  }
  // Values already representable in bf16 survive a bf16 round trip unchanged.
  Tensor exact({4});
  exact.data = {1.0f, -2.5f, 0.0078125f, 3.0e38f};
  exact.data[3] = bf16_to_f32(f32_to_bf16(exact.data[3]));
  SafetensorsWriter w2;
  w2.add("e", exact, DType::BF16);
  const auto b2 = w2.to_bytes();
  EXPECT_EQ(SafetensorsFile::from_buffer(b2.data(), b2.size(), "mem").to_f32("e").data, exact.data);
}

TEST(Safetensors, RawAccessReturnsStoredBytesForIntegerTensors) {
  std::vector<int32_t> q = {1, -2, 0x76543210, 7, 8, 9};
  std::vector<uint8_t> qb(q.size() * 4);
  std::memcpy(qb.data(), q.data(), qb.size());
  SafetensorsWriter w;
  w.add_raw("layer.qweight", DType::I32, {2, 3}, qb);
  w.add_raw("layer.scales", DType::F16, {1, 2}, {0x00, 0x3c, 0x00, 0xc0});  // 1.0, -2.0
  const auto bytes = w.to_bytes();
  auto f = SafetensorsFile::from_buffer(bytes.data(), bytes.size(), "awq.safetensors");
  const RawTensorView v = f.raw("layer.qweight");
  EXPECT_EQ(v.dtype, DType::I32);
  EXPECT_EQ(v.shape, (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(v.nbytes, qb.size());
  EXPECT_EQ(std::memcmp(v.data, qb.data(), qb.size()), 0);
  EXPECT_EQ(f.to_f32("layer.scales").data, (std::vector<float>{1.0f, -2.0f}));
  try {
    f.to_f32("layer.qweight");
    ADD_FAILURE() << "int32 converted to fp32";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer.qweight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("I32"), std::string::npos);
  }
  EXPECT_THROW(f.raw("missing"), Error);
}

TEST(Safetensors, WriterIsDeterministicAlignedAndSorted) {
  Tensor a = ramp({3}, 1.0f), b = ramp({5}, 2.0f);
  SafetensorsWriter w1, w2;
  w1.add("zeta", a, DType::BF16);
  w1.add("alpha", b, DType::F32);
  w1.set_metadata("format", "pt");
  w2.set_metadata("format", "pt");
  w2.add("alpha", b, DType::F32);
  w2.add("zeta", a, DType::BF16);
  const auto x = w1.to_bytes(), y = w2.to_bytes();
  EXPECT_EQ(x, y);
  EXPECT_EQ(x.size(), w1.file_bytes());
  auto f = SafetensorsFile::from_buffer(x.data(), x.size(), "mem");
  EXPECT_EQ(f.header().header_bytes % kSafetensorsHeaderAlignBytes, 0u);
  EXPECT_EQ(f.header().metadata.at("format"), "pt");
  EXPECT_EQ(f.header().find("alpha")->data_begin, 0u);  // sorted names give the data order
  EXPECT_EQ(f.header().find("zeta")->data_begin, 20u);
  // HF pads the header with spaces.
  EXPECT_EQ(x[8 + f.header().header_bytes - 1], ' ');
}

TEST(Safetensors, WriterRejectsDuplicatesAndWrongRawSizes) {
  Tensor a = ramp({3}, 1.0f);
  SafetensorsWriter w;
  w.add("a", a, DType::F32);
  EXPECT_THROW(w.add("a", a, DType::BF16), Error);
  EXPECT_THROW(w.add("b", a, DType::I32), Error);
  EXPECT_THROW(w.add_raw("c", DType::I32, {3}, std::vector<uint8_t>(11)), Error);
  EXPECT_THROW(w.add_raw("__metadata__", DType::I32, {1}, std::vector<uint8_t>(4)), Error);
}

TEST(Safetensors, EmptyHeaderWithNoDataIsValid) {
  const auto b = image("{}", 0);
  EXPECT_TRUE(SafetensorsFile::from_buffer(b.data(), b.size(), "m").header().tensors.empty());
}

TEST(Safetensors, BadInputsNameFileAndReason) {
  const std::string ok_entry = R"("t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  expect_bad_file("short", {1, 2, 3}, "shorter than");
  expect_bad_file("len_past_end", image("{" + ok_entry + "}", 8, 500), "exceeds");
  expect_bad_file("len_absurd", image("{}", 0, kSafetensorsMaxHeaderBytes + 1), "absurd");
  expect_bad_file("json", image("{\"t\": [", 0), "invalid JSON");
  expect_bad_file("not_object", image("[1,2]", 0), "must be an object");
  expect_bad_file("no_dtype", image(R"({"t":{"shape":[2],"data_offsets":[0,8]}})", 8), "no 'dtype'");
  expect_bad_file("no_shape", image(R"({"t":{"dtype":"F32","data_offsets":[0,8]}})", 8), "no 'shape'");
  expect_bad_file("no_offsets", image(R"({"t":{"dtype":"F32","shape":[2]}})", 8), "no 'data_offsets'");
  expect_bad_file("dtype", image(R"({"t":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", 8), "unknown dtype 'Q4'");
  expect_bad_file("neg_dim", image(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "negative dimension");
  expect_bad_file("size", image(R"({"t":{"dtype":"BF16","shape":[2],"data_offsets":[0,8]}})", 8), "needs 4 bytes");
  expect_bad_file("overflow", image(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
                  "overflows");
  expect_bad_file("backwards", image(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8), "before begin");
  expect_bad_file("past_end", image("{" + ok_entry + "}", 4), "truncated");
  expect_bad_file("trailing", image("{" + ok_entry + "}", 12), "tile");
  expect_bad_file("gap", image(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "gap of 4 bytes");
  expect_bad_file("overlap",
                  image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
                  "overlap");
  expect_bad_file("metadata", image(R"({"__metadata__":{"k":1}})", 0), "must be a string");
  expect_bad_file("float_dim", image(R"({"t":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8), "non-integer");
}

TEST(Safetensors, TruncatedRealFileIsRejectedNamingTensor) {
  Tensor a = ramp({16}, 1.0f), b = ramp({16}, 2.0f);
  SafetensorsWriter w;
  w.add("a", a, DType::F32);
  w.add("b", b, DType::F32);
  auto bytes = w.to_bytes();
  bytes.resize(bytes.size() - 10);
  expect_bad_file("truncated_real", bytes, "tensor 'b'");
}

TEST(Safetensors, MissingFileIsAnError) {
  EXPECT_THROW(SafetensorsFile("/nonexistent/x.safetensors"), Error);
  EXPECT_THROW(read_safetensors_header("/nonexistent/x.safetensors"), Error);
}

// The fuzz seed corpus (and any crashers found later) must parse or fail cleanly.
TEST(Safetensors, FuzzCorpusParsesOrFailsWithError) {
  const fs::path dir = fs::path(FPGALLM_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "safetensors";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int files = 0, ok = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    const std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++files;
    try {
      auto f = SafetensorsFile::from_buffer(b.data(), b.size(), e.path().string());
      for (const auto& t : f.header().tensors) {
        if (t.dtype == DType::F32 || t.dtype == DType::F16 || t.dtype == DType::BF16) f.to_f32(t.name);
        else f.raw(t.name);
      }
      ++ok;
    } catch (const Error&) {
    }
  }
  EXPECT_GE(files, 3);
  EXPECT_GE(ok, 1);  // the valid seeds still parse
}
