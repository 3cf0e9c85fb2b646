// load_soc_config on the shipped configs, and on impossible ones derived from them: each must be rejected
// with one fpgallm::Error naming the YAML field path and the file it came from. No SystemC run needed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include "models/core/Error.h"
#include "sim/soc/SocConfig.h"

using namespace fpgallm;
using namespace fpgallm::sim;
namespace fs = std::filesystem;

namespace {

const fs::path kConfigs = fs::path(FPGALLM_SOURCE_DIR) / "configs";
const std::string kPlatform = (kConfigs / "platform" / "kv260.yaml").string();
const std::string kPaper = (kConfigs / "accel" / "paper_gs64_pe8x8.yaml").string();
const std::string kBaseline = (kConfigs / "accel" / "baseline_ps_only.yaml").string();

/** One mutation of the shipped configs and what the rejection must mention. */
struct BadConfig {
  std::string name;
  std::function<void(YAML::Node& platform, YAML::Node& accel)> patch;
  std::vector<std::string> must_mention;  // field paths; the files are checked separately
  bool names_platform_file = false, names_accel_file = true;
};

std::string message_of(const std::string& platform, const std::string& accel) {
  try {
    load_soc_config(platform, accel);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

/** A scratch folder per test; bad configs never go into configs/. */
class SocConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("fpgallm_soc_configs_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const YAML::Node& n) const {
    const fs::path p = dir_ / name;
    YAML::Emitter out;
    out << n;
    std::ofstream(p) << out.c_str() << "\n";
    return p.string();
  }
  std::string write_text(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  fs::path dir_;
};

}  // namespace

TEST(SocConfigShipped, PaperConfigLoadsWithItsPublishedStructure) {
  const SocConfig c = load_soc_config(kPlatform, kPaper);
  EXPECT_EQ(c.accel.pe_rows, 8);
  EXPECT_EQ(c.accel.pe_cols, 8);
  EXPECT_EQ(c.accel.n_channels, 4);
  EXPECT_EQ(c.accel.macro.group_size, 64);
  EXPECT_EQ(c.accel.macro.bits, 4);
  EXPECT_TRUE(c.accel.offload_linear);
  EXPECT_LE(c.accel.n_channels, static_cast<int64_t>(c.axi.ports));
  EXPECT_LE(c.accel.dsp_used(), c.pl.dsp48e2);
  EXPECT_LE(c.accel.buffer_bytes(), c.pl.on_chip_bytes());
  EXPECT_EQ(c.platform_file, kPlatform);
  EXPECT_EQ(c.accel_file, kPaper);
}

TEST(SocConfigShipped, BaselineConfigLoadsAndOffloadsNoLinears) {
  const SocConfig c = load_soc_config(kPlatform, kBaseline);
  EXPECT_FALSE(c.accel.offload_linear);
  EXPECT_FALSE(c.accel.offload_lm_head);
}

TEST(SocConfigShipped, AccelFidelityReachesEveryTimedComponent) {
  SocConfig c = load_soc_config(kPlatform, kPaper);
  c.set_fidelity(Fidelity::Fast);
  EXPECT_EQ(c.ddr.fidelity, Fidelity::Fast);
  EXPECT_EQ(c.accel.fidelity, Fidelity::Fast);
}

TEST_F(SocConfigFiles, ImpossibleConfigsAreRejectedNamingTheFieldAndTheFile) {
  const std::vector<BadConfig> cases = {
      {"pe_array_exceeds_dsps", [](YAML::Node&, YAML::Node& a) {
         a["accel"]["pe_array"]["rows"] = 32;
         a["accel"]["pe_array"]["cols"] = 32;
         a["accel"]["macro"]["tile_rows"] = 32;
       }, {"accel.pe_array", "DSP48E2", "pl.dsp48e2"}, true, true},
      {"platform_with_too_few_dsps", [](YAML::Node& p, YAML::Node&) { p["pl"]["dsp48e2"] = 64; },
       {"accel.pe_array", "pl.dsp48e2"}, true, true},
      {"weight_buffer_below_one_macro_block", [](YAML::Node&, YAML::Node& a) {
         a["accel"]["buffers"]["weight_bytes"] = 256;  // one 8x64 int4 block with scales/zeros is 288 B
         a["accel"]["buffers"]["weight_double_buffered"] = false;
       }, {"accel.buffers.weight_bytes", "MACRO block"}, false, true},
      {"weight_buffer_below_two_blocks_double_buffered", [](YAML::Node&, YAML::Node& a) {
         a["accel"]["buffers"]["weight_bytes"] = 300;
       }, {"accel.buffers.weight_bytes", "double buffering"}, false, true},
      {"buffers_exceed_on_chip_ram", [](YAML::Node&, YAML::Node& a) {
         a["accel"]["buffers"]["weight_bytes"] = 64 << 20;
       }, {"accel.buffers", "on-chip RAM"}, true, true},
      {"axi_width_not_power_of_two", [](YAML::Node& p, YAML::Node&) { p["axi"]["data_width_bits"] = 96; },
       {"axi.data_width_bits", "power of two"}, true, false},
      {"zero_dma_channels", [](YAML::Node&, YAML::Node& a) { a["accel"]["dma"]["channels"] = 0; },
       {"accel.dma.channels", ">= 1"}, false, true},
      {"more_dma_channels_than_hp_ports", [](YAML::Node&, YAML::Node& a) { a["accel"]["dma"]["channels"] = 5; },
       {"accel.dma.channels", "axi.ports"}, true, true},
      {"zero_pe_rows", [](YAML::Node&, YAML::Node& a) { a["accel"]["pe_array"]["rows"] = 0; },
       {"accel.pe_array.rows"}, false, true},
      {"unknown_accel_key", [](YAML::Node&, YAML::Node& a) { a["accel"]["pe_array"]["colums"] = 8; },
       {"accel.pe_array.colums", "not a known field"}, false, true},
      {"unknown_platform_key", [](YAML::Node& p, YAML::Node&) { p["ddr"]["tXYZ_ns"] = 1.0; },
       {"ddr.tXYZ_ns", "not a known field"}, true, false},
      {"missing_platform_section", [](YAML::Node& p, YAML::Node&) { p.remove("pl"); },
       {"pl", "is required"}, true, false},
      {"calibration_record_disagrees_with_the_value_in_use", [](YAML::Node& p, YAML::Node&) {
         p["ps"]["software"]["profiles"]["python_pynq"]["driver_call_ns"] = 1.0;
       }, {"calibration.fitted.driver_call_ns.after", "value in use"}, true, false},
      {"more_than_two_fitted_parameters", [](YAML::Node& p, YAML::Node&) {
         YAML::Node r;
         r["parameter"] = "ps.stream_gbps_per_core";
         r["figure"] = "baseline.model_mb";
         r["before"] = 2.5;
         r["after"] = p["ps"]["stream_gbps_per_core"].as<double>();
         p["calibration"]["fitted"]["stream"] = r;
       }, {"calibration.fitted", "at most 2"}, true, false},
      {"calibration_names_an_unknown_parameter", [](YAML::Node& p, YAML::Node&) {
         p["calibration"]["fitted"]["gemv_efficiency"]["parameter"] = "ps.warp_factor";
       }, {"calibration.fitted.gemv_efficiency.parameter", "ps.warp_factor"}, true, false},
      {"unknown_software_profile", [](YAML::Node& p, YAML::Node&) { p["ps"]["software"]["profile"] = "java"; },
       {"ps.software.profile", "java", "python_pynq"}, true, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    YAML::Node platform = YAML::LoadFile(kPlatform), accel = YAML::LoadFile(kPaper);
    c.patch(platform, accel);
    const std::string pf = write(c.name + ".platform.yaml", platform);
    const std::string af = write(c.name + ".accel.yaml", accel);
    const std::string msg = message_of(pf, af);
    ASSERT_FALSE(msg.empty()) << "accepted";
    for (const auto& s : c.must_mention) EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
    if (c.names_platform_file) {
      EXPECT_NE(msg.find(pf), std::string::npos) << msg;
    }
    if (c.names_accel_file) {
      EXPECT_NE(msg.find(af), std::string::npos) << msg;
    }
  }
}

TEST_F(SocConfigFiles, UnmodifiedCopiesOfTheShippedConfigsStillLoad) {
  // Guards the cases above: a rejection must come from the one patched field, not from the round trip.
  const std::string pf = write("copy.platform.yaml", YAML::LoadFile(kPlatform));
  const std::string af = write("copy.accel.yaml", YAML::LoadFile(kPaper));
  EXPECT_NO_THROW(load_soc_config(pf, af));
}

TEST_F(SocConfigFiles, InvalidYamlNamesTheFile) {
  const std::string af = write_text("broken.accel.yaml", "accel:\n  name: x\n  pe_array: [rows: 8\n");
  const std::string msg = message_of(kPlatform, af);
  EXPECT_NE(msg.find(af), std::string::npos) << msg;
  EXPECT_NE(msg.find("invalid YAML"), std::string::npos) << msg;
}

TEST_F(SocConfigFiles, EmptyFileNamesTheFile) {
  const std::string pf = write_text("empty.platform.yaml", "");
  const std::string msg = message_of(pf, kPaper);
  EXPECT_NE(msg.find(pf), std::string::npos) << msg;
}

TEST_F(SocConfigFiles, MissingFilesAreNamed) {
  const std::string missing = (dir_ / "no_such.yaml").string();
  EXPECT_NE(message_of(missing, kPaper).find(missing), std::string::npos);
  EXPECT_NE(message_of(kPlatform, missing).find(missing), std::string::npos);
}

TEST(SocConfigShipped, PlatformSelectsThePythonHostStackWithTwoFittedParameters) {
  const SocConfig c = load_soc_config(kPlatform, kPaper);
  EXPECT_EQ(c.ps.software.name, "python_pynq");
  ASSERT_EQ(c.fitted.size(), 2u);
  EXPECT_EQ(c.fitted[0].figure, "baseline.decode_tokens_per_s");
  EXPECT_EQ(c.fitted[1].figure, "accelerated.decode_tokens_per_s");
  EXPECT_EQ(c.fitted[0].after, c.ps.software.gemv_efficiency);
  EXPECT_EQ(c.fitted[1].after, c.ps.software.driver_call_ns);
}

TEST_F(SocConfigFiles, EveryShippedConfigWrittenAsRunLoadsBackToTheSameDocuments) {
  // Every platform with every accel: the documents as run reload to themselves (a fixpoint), with
  // the defaults the files leave out written in.
  int loaded = 0;
  for (const auto& pf : fs::directory_iterator(kConfigs / "platform"))
    for (const auto& af : fs::directory_iterator(kConfigs / "accel")) {
      if (pf.path().extension() != ".yaml" || af.path().extension() != ".yaml") continue;
      SocConfig c;
      try {
        c = load_soc_config(pf.path().string(), af.path().string());
      } catch (const Error&) {
        continue;  // a pair the board cannot hold (its own tests say why)
      }
      ++loaded;
      c.set_fidelity(Fidelity::Fast);  // an override the documents must carry
      const std::string platform = write_text("platform.yaml", platform_yaml_as_run(c));
      const std::string accel = write_text("accel.yaml", accel_yaml_as_run(c));
      const SocConfig again = load_soc_config(platform, accel);
      EXPECT_EQ(again.accel.fidelity, Fidelity::Fast) << af.path();
      EXPECT_EQ(again.ddr.fidelity, Fidelity::Fast) << pf.path();
      // The first line names the file the document came from; the rest must not move.
      auto body = [](const std::string& t) { return t.substr(t.find('\n') + 1); };
      EXPECT_EQ(body(platform_yaml_as_run(again)), body(platform_yaml_as_run(c))) << pf.path();
      EXPECT_EQ(body(accel_yaml_as_run(again)), body(accel_yaml_as_run(c))) << af.path();
    }
  EXPECT_GE(loaded, 3);
}

TEST_F(SocConfigFiles, TheConfigAsRunWritesTheDefaultsTheFileLeftOut) {
  YAML::Node accel = YAML::LoadFile(kPaper);
  ASSERT_TRUE(accel["accel"]["clock_mhz"]);
  accel["accel"].remove("clock_mhz");
  const SocConfig c = load_soc_config(kPlatform, write("a.yaml", accel));
  const YAML::Node as_run = YAML::Load(accel_yaml_as_run(c));
  ASSERT_TRUE(as_run["accel"]["clock_mhz"]);
  EXPECT_EQ(as_run["accel"]["clock_mhz"].as<double>(), c.accel.clock_mhz);
}
