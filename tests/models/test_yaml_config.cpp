#include <gtest/gtest.h>
#include <functional>

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"
#include "models/llm/ModelConfig.h"

using fpgallm::Error;
using fpgallm::YamlMap;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(YamlMap, ErrorsNameThePathAndTheFile) {
  YamlMap root(YAML::Load("accel:\n  pe_array:\n    rows: 0\n"), "", "configs/accel/x.yaml");
  auto pe = root.child("accel").child("pe_array");
  const auto rows = pe.require<int64_t>("rows");
  EXPECT_EQ(error_of([&] { pe.check_positive("rows", rows); }),
            "accel.pe_array.rows must be > 0 (got 0) in configs/accel/x.yaml");
}

TEST(YamlMap, UnknownKeyIsRejectedByFinish) {
  YamlMap m(YAML::Load("rows: 8\ncolz: 8\n"), "pe_array", "f.yaml");
  m.get<int64_t>("rows", 1);
  EXPECT_EQ(error_of([&] { m.finish(); }), "pe_array.colz is not a known field in f.yaml");
}

TEST(YamlMap, DuplicateKeyIsRejectedInsteadOfSilentlyTakingTheFirst) {
  EXPECT_EQ(error_of([] { YamlMap(YAML::Load("rows: 8\nrows: 16\n"), "pe_array", "f.yaml"); }),
            "pe_array.rows appears more than once in f.yaml");
}

TEST(YamlMap, BadValueNamesTheField) {
  YamlMap m(YAML::Load("clock_mhz: fast\n"), "accel", "f.yaml");
  EXPECT_NE(error_of([&] { m.get<double>("clock_mhz", 1.0); }).find("accel.clock_mhz has a bad value"),
            std::string::npos);
}

TEST(YamlMap, AFolderGivenAsAConfigFileIsAnErrorNamingItNotAStreamException) {
  // Found by fuzz_sweep_spec: a folder opens as a stream and its first read threw std::ios_failure.
  const std::string dir = testing::TempDir();
  EXPECT_EQ(error_of([&] { (void)YamlMap::load(dir); }), dir + ": is a folder, not a config file");
  EXPECT_EQ(error_of([&] { (void)fpgallm::load_model_config_yaml(dir); }), dir + ": is a folder, not a model config");
  EXPECT_NE(error_of([&] { (void)YamlMap::load(dir + "/no_such.yaml"); }).find("cannot open config file"),
            std::string::npos);
}
