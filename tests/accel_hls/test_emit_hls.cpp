#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "accel_hls/Emitter.h"
#include "accel_hls/Lint.h"
#include "accel_hls/Vectors.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/core/Error.h"
#include "models/quant/Quantizer.h"
#include "sim/accel/KernelPlan.h"
#include "sim/ps/DriverProtocol.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

const std::string kSrc = FPGALLM_SOURCE_DIR;
const std::string kPlatform = kSrc + "/configs/platform/kv260.yaml";
const std::string kPaper = kSrc + "/configs/accel/paper_gs64_pe8x8.yaml";
// The kernel is compiled as Vitis HLS takes it (C++14) and the emitted README says: warnings are
// errors, no fused MACs; C simulation runs each DATAFLOW process in a thread.
const std::string kCxx = "g++ -std=c++14 -O1 -ffp-contract=off -Wall -Wextra -Werror -pthread";
// The __SYNTHESIS__ branch against this project's own declarations of the Vitis HLS headers it uses.
const std::string kSynthesisCxx = "g++ -std=c++14 -fsyntax-only -Wall -Wextra -Werror -Wno-unknown-pragmas -D__SYNTHESIS__ -I" +
                                  std::string(FPGALLM_SOURCE_DIR) + "/tests/accel_hls/vitis_hls_api";

sim::SocConfig paper() { return sim::load_soc_config(kPlatform, kPaper); }

/** The project as `fpgallm emit-hls` renders it, with the shipped resource costs. */
hls::Project render(const sim::SocConfig& soc, const std::vector<hls::NamedVectors>& sets = {}) {
  static const dse::ResourceCosts costs = dse::load_resource_costs(kSrc + "/configs/dse/resource_costs.yaml");
  return hls::render_project(soc, costs, sets);
}

/** A variant of the paper design, patched on the parsed config (never on YAML text). */
sim::SocConfig variant(int64_t group, int64_t rows, int64_t cols, int64_t channels) {
  sim::SocConfig s = paper();
  s.accel.name = fmt::format("g{}_pe{}x{}_ch{}", group, rows, cols, channels);
  s.accel.pe_rows = rows;
  s.accel.pe_cols = cols;
  s.accel.macro.tile_rows = rows;
  s.accel.macro.group_size = group;
  s.accel.n_channels = channels;
  s.validate();
  return s;
}

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::path(FPGALLM_BINARY_DIR) / ("test_accel_hls_tmp_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct RunResult {
  int status = -1;
  std::string output;
};

RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

bool have(const std::string& tool) { return run("command -v " + tool).status == 0; }

/** Emits the project with simulator vectors (set0, set1, ... and the co-simulation set), builds
 *  the testbench with g++ and runs it on every set, as `csim_design` does. */
RunResult emit_and_csim(const sim::SocConfig& soc, const std::vector<hls::VectorSet>& sets, const fs::path& dir,
                        const std::string& env = "") {
  std::vector<hls::NamedVectors> named;
  for (size_t i = 0; i < sets.size(); ++i) named.push_back({fmt::format("set{}", i), sets[i]});
  hls::write_project(render(soc, named), dir.string());
  const std::string tb = (dir / "fpgallm_tb").string();
  RunResult build = run(fmt::format("cd {} && {} fpgallm_top.cpp fpgallm_tb.cpp -o {}", dir.string(), kCxx, tb));
  if (build.status != 0) return build;
  return run(fmt::format("cd {} && {} {}", dir.string(), env, tb));
}

hls::VectorSet simulated(const sim::SocConfig& soc, int64_t in, int64_t out, int64_t tokens, bool bias, uint64_t seed) {
  hls::VectorSet v = hls::random_vectors(soc, in, out, tokens, bias, seed);
  hls::simulate_vectors(soc, v);
  return v;
}

template <class Fn>
void expect_error(Fn&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected fpgallm::Error";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(EmitHls, ResourceEstimateIsTheExplorersFigureForTheSamePoint) {
  const dse::ResourceCosts costs = dse::load_resource_costs(kSrc + "/configs/dse/resource_costs.yaml");
  for (const sim::SocConfig& s : {paper(), variant(128, 16, 8, 2)}) {
    const auto j = nlohmann::json::parse(render(s).find("resource_estimate.json")->text);
    const dse::ResourceEstimate est = dse::estimate_resources(s.accel, s.pl, costs, dse::ResourceMargins{});
    EXPECT_EQ(j["luts"]["estimate"], est.luts);
    EXPECT_EQ(j["ffs"]["estimate"], est.ffs);
    EXPECT_EQ(j["dsp48e2"]["estimate"], est.dsp48e2);
    EXPECT_EQ(j["bram36"]["estimate"], est.bram36);
    EXPECT_EQ(j["uram288"]["estimate"], est.uram288);
    EXPECT_EQ(j["dsp48e2"]["estimate"], s.accel.dsp_used());  // the simulator's DSP count agrees
    EXPECT_EQ(j["luts"]["available"], s.pl.luts);
    EXPECT_TRUE(j["fits"].get<bool>());
  }
}

TEST(EmitHls, SameConfigGivesTheSameBytes) {
  const hls::Project a = render(paper()), b = render(paper());
  ASSERT_EQ(a.files.size(), b.files.size());
  for (size_t i = 0; i < a.files.size(); ++i) {
    EXPECT_EQ(a.files[i].path, b.files[i].path);
    EXPECT_EQ(a.files[i].text, b.files[i].text) << a.files[i].path;
  }
  for (const char* f : {"fpgallm_config.h", "fpgallm_top.cpp", "fpgallm_hls.h", "fpgallm_csim.h", "AwqFixedPoint.h",
                        "fpgallm_tb.cpp", "run_hls.tcl", "schedule.json",
                        "bd_kv260.tcl", "README.md", "resource_estimate.json", "driver/fpgallm_regs.h",
                        "driver/fpgallm_driver.cpp", "driver/fpgallm_driver_test.cpp"})
    EXPECT_NE(a.find(f), nullptr) << f;
}

TEST(EmitHls, ConfigHeaderHoldsEveryParameterOnceWithItsValue) {
  const sim::SocConfig s = variant(128, 16, 8, 2);
  const std::string h = render(s).find("fpgallm_config.h")->text;
  for (const auto& [name, value] : std::vector<std::pair<std::string, int64_t>>{
           {"kPeRows", 16}, {"kPeCols", 8}, {"kTileRows", 16}, {"kGroupSize", 128}, {"kBits", 4},
           {"kBeatBytes", 16}, {"kChannels", 2}, {"kBlockBytes", s.accel.macro.block_bytes()},
           {"kUnpackCodesPerCycle", s.accel.unpack_codes_per_cycle}, {"kActFloats", s.accel.act_buffer_bytes / 4}}) {
    EXPECT_EQ(count(h, " " + name + " = "), 1u) << name;
    EXPECT_NE(h.find(fmt::format(" {} = {};", name, value)), std::string::npos) << name << " = " << value;
  }
}

TEST(EmitHls, Fixed64AccumulatorIsEmittedAsAnInt64AccumulatorWithItsFractionBits) {
  sim::SocConfig s = paper();
  s.accel.pe_accum_type = sim::PeNumType::Fixed64;
  s.accel.accum_frac_bits = 22;
  const std::string h = render(s).find("fpgallm_config.h")->text;
  EXPECT_NE(h.find("typedef int64_t accum_t;"), std::string::npos) << h;
  EXPECT_NE(h.find("kFixedAccum = true;"), std::string::npos) << h;
  EXPECT_NE(h.find("kAccumFracBits = 22;"), std::string::npos) << h;
}

TEST(EmitHls, TopFunctionHasOneM_axiBundlePerChannelAndTheTclTheConfiguredPartAndClock) {
  const hls::Project p = render(variant(64, 8, 8, 2));
  const std::string top = p.find("fpgallm_top.cpp")->text;
  EXPECT_EQ(count(top, "INTERFACE m_axi"), 2u);
  EXPECT_NE(top.find("bundle = gmem1"), std::string::npos);
  EXPECT_EQ(top.find("bundle = gmem2"), std::string::npos);
  EXPECT_NE(top.find("HLS_PRAGMA(DATAFLOW)"), std::string::npos);
  const std::string tcl = p.find("run_hls.tcl")->text;
  EXPECT_NE(tcl.find("set_part xck26-sfvc784-2LV-c"), std::string::npos);
  EXPECT_NE(tcl.find("create_clock -period 3.333"), std::string::npos);  // 300 MHz
  const std::string bd = p.find("bd_kv260.tcl")->text;
  EXPECT_NE(bd.find("S_AXI_HP1_FPD"), std::string::npos);
  EXPECT_EQ(bd.find("S_AXI_HP2_FPD"), std::string::npos);
}

TEST(EmitHls, RegisterMapFollowsVitisArgumentOrder) {
  const hls::RegisterLayout r = hls::register_layout(4);
  ASSERT_EQ(r.channel_base.size(), 4u);
  EXPECT_EQ(r.channel_base[0], 0x18u);
  EXPECT_EQ(r.channel_base[3], 0x18u + 3 * 12);
  EXPECT_EQ(r.weight_off, 0x18u + 4 * 12);
  EXPECT_EQ(r.in_features, 0x18u + 8 * 12);
  EXPECT_EQ(r.n_tokens, 0x18u + 8 * 12 + 2 * 8);
}

TEST(EmitHls, DriverDefaultsAreTheEmittedDriverProfilesMappingAndCompletion) {
  sim::SocConfig s = paper();
  auto regs = [&] { return render(s).find("driver/fpgallm_regs.h")->text; };
  const sim::PsSoftwareProfile* d = s.ps.find_profile(sim::kEmittedDriverProfile);
  ASSERT_NE(d, nullptr);
  const std::string shipped = regs();
  EXPECT_NE(shipped.find(std::string("BufferMapping::") +
                         (d->mapping == sim::BufferMapping::Cached ? "Cached;" : "WriteCombine;")),
            std::string::npos)
      << shipped;
  EXPECT_NE(shipped.find(std::string("Completion::") +
                         (d->completion == sim::CompletionMode::Interrupt ? "Interrupt;" : "Polling;")),
            std::string::npos)
      << shipped;
  for (auto& p : s.ps.profiles)
    if (p.name == sim::kEmittedDriverProfile) {
      p.mapping = sim::BufferMapping::WriteCombine;
      p.completion = sim::CompletionMode::Interrupt;
    }
  const std::string changed = regs();
  EXPECT_NE(changed.find("BufferMapping::WriteCombine;"), std::string::npos);
  EXPECT_NE(changed.find("Completion::Interrupt;"), std::string::npos);
  std::erase_if(s.ps.profiles, [](const sim::PsSoftwareProfile& p) { return p.name == sim::kEmittedDriverProfile; });
  expect_error([&] { render(s); }, {"ps.software.profiles.emitted_driver", "kv260.yaml"});
}

TEST(EmitHls, InexpressibleConfigsAreRejectedNamingTheField) {
  auto with = [](auto patch) {
    sim::SocConfig s = paper();
    patch(s);
    return s;
  };
  expect_error([&] { render(with([](auto& s) { s.accel.macro.beat_bytes = 2; })); },
               {"accel.macro.beat_bytes = 2", "power of two", "paper_gs64_pe8x8.yaml"});
  expect_error([&] { render(with([](auto& s) { s.accel.macro.beat_bytes = 32; })); },
               {"accel.macro.beat_bytes = 32", "wider than", "axi.data_width_bits"});
  expect_error([&] { render(with([](auto& s) { s.accel.macro.tile_rows = 3; })); },
               {"accel.macro.tile_rows = 3", "divide"});
  expect_error([&] { render(with([](auto& s) { s.accel.act_buffer_bytes = 64 << 20; })); },
               {"accel.buffers", "BRAM/URAM"});
  expect_error([&] { render(with([](auto& s) { s.pl.part.clear(); })); }, {"pl.part", "kv260.yaml"});
  expect_error([&] { render(with([](auto& s) { s.accel.n_channels = 6; })); },
               {"accel.dma.channels = 6", "HP ports"});
  // A non-power-of-two width never gets past the YAML (MacroLayout::validate names the field).
  const fs::path dir = scratch_dir("bad_yaml");
  std::ifstream in(kPaper);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text.replace(text.find("beat_bytes: 16"), 14, "beat_bytes: 24");
  std::ofstream(dir / "bad.yaml") << text;
  expect_error([&] { sim::load_soc_config(kPlatform, (dir / "bad.yaml").string()); },
               {"beat_bytes must be a power of two", "bad.yaml"});
}

TEST(EmitHls, KernelGetsTheFixedPointArithmeticFileOfModelsUnchanged) {
  std::ifstream in(kSrc + "/models/quant/AwqFixedPoint.h", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(render(paper()).find("AwqFixedPoint.h")->text, ss.str());
}

TEST(EmitHls, TemplatesWithAMissingOrUnusedInsertionPointAreErrors) {
  expect_error([] { hls::fill_template("run_hls.tcl.in", {{"PART", "x"}}); }, {"run_hls.tcl.in", "has no value"});
  expect_error([] { hls::fill_template("fpgallm_tb.cpp.in", {{"GENERATED_BY", "g"}, {"REGION_ALIGN", "4096"},
                                                              {"TB_CHANNEL_ARGS", "m"}, {"NOPE", "1"}}); },
               {"'NOPE' has no insertion point"});
  expect_error([] { hls::template_text("missing.h"); }, {"no template named 'missing.h'"});
}

TEST(EmitHls, SimulatedVectorsEqualTheHostKernelAndAreDeterministic) {
  const sim::SocConfig s = paper();
  const hls::VectorSet a = simulated(s, 96, 40, 3, true, 11), b = simulated(s, 96, 40, 3, true, 11);
  EXPECT_EQ(a.macro, b.macro);
  ASSERT_EQ(a.expected.size(), 120u);
  EXPECT_EQ(0, std::memcmp(a.expected.data(), b.expected.data(), a.expected.size() * 4));
}

/** G, PE rows x cols, channels, accumulator: the issue's validation grid. */
struct CsimCase {
  int64_t group, rows, cols, channels;
  bool fixed = false;  ///< accum_type fixed64 (accum_frac_bits 20)
  int bits = 4;        ///< accel.macro.bits (3: a block's codes do not end on a beat)
};

class EmitHlsCsim : public ::testing::TestWithParam<CsimCase> {};

TEST_P(EmitHlsCsim, KernelBuiltWithGccMatchesTheSimulatedPeArrayBitForBit) {
  if (!have("g++")) GTEST_SKIP() << "g++ not found";
  const CsimCase c = GetParam();
  sim::SocConfig s = variant(c.group, c.rows, c.cols, c.channels);
  if (c.fixed) {
    s.accel.pe_accum_type = sim::PeNumType::Fixed64;
    s.accel.accum_frac_bits = 20;
    s.accel.name += "_fixed64";
  }
  if (c.bits != 4) {
    s.accel.macro.bits = c.bits;
    s.validate();
    s.accel.name += fmt::format("_b{}", c.bits);
  }
  // A small activation buffer forces several token chunks per job (2 tokens of 96 inputs, 1 of 256).
  s.accel.act_buffer_bytes = 256 * 4;
  const std::vector<hls::VectorSet> sets = {
      simulated(s, 96, 40, 5, true, 1),    // partial last group, bias, 3 chunks
      simulated(s, 256, 64, 1, false, 2),  // whole groups, decode-like single token
  };
  const RunResult r = emit_and_csim(s, sets, scratch_dir(s.accel.name));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("tb: PASS (3 of 3 vector sets bit-identical)"), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Grid, EmitHlsCsim,
                         ::testing::Values(CsimCase{32, 4, 4, 1}, CsimCase{64, 8, 8, 4}, CsimCase{128, 16, 8, 2},
                                           CsimCase{64, 4, 4, 2}, CsimCase{128, 8, 8, 1},
                                           CsimCase{64, 8, 8, 4, true}, CsimCase{32, 16, 8, 2, true},
                                           CsimCase{64, 8, 8, 4, false, 2}, CsimCase{64, 8, 8, 2, false, 3},
                                           CsimCase{32, 4, 4, 1, false, 3}, CsimCase{128, 8, 8, 4, false, 8}),
                         [](const auto& info) {
                           const CsimCase& c = info.param;
                           return fmt::format("G{}_PE{}x{}_ch{}_{}{}", c.group, c.rows, c.cols, c.channels,
                                              c.fixed ? "fixed64" : "fp32",
                                              c.bits != 4 ? fmt::format("_b{}", c.bits) : std::string());
                         });

TEST(EmitHls, TestbenchReportsADifferenceFromTheSimulator) {
  if (!have("g++")) GTEST_SKIP() << "g++ not found";
  const sim::SocConfig s = paper();
  hls::VectorSet v = simulated(s, 64, 16, 1, false, 3);
  v.expected[5] = std::nextafter(v.expected[5], 1e9f);  // one ulp off
  const RunResult r = emit_and_csim(s, {v}, scratch_dir("one_ulp"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("token 0 row 5"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 differ from the simulator"), std::string::npos) << r.output;
}

TEST(EmitHls, GoldenProjectMatchesTheCommittedSnapshot) {
  // tests/accel_hls/golden/README.md says how to review and regenerate it.
  const fs::path golden = fs::path(kSrc) / "tests/accel_hls/golden/paper_gs64_pe8x8";
  const hls::Project p = render(paper());
  for (const auto& f : p.files) {
    std::ifstream in(golden / f.path, std::ios::binary);
    ASSERT_TRUE(in) << "golden file missing: " << (golden / f.path);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str() == f.text) continue;
    // Report the first differing line, not two whole files.
    std::istringstream want(ss.str()), got(f.text);
    std::string lw, lg;
    int line = 1;
    while (std::getline(want, lw) && std::getline(got, lg) && lw == lg) ++line;
    ADD_FAILURE() << f.path << " differs from the golden snapshot at line " << line << ":\n  golden:  " << lw
                  << "\n  emitted: " << lg << "\nreview with `fpgallm emit-hls --accel "
                  << "configs/accel/paper_gs64_pe8x8.yaml --out tests/accel_hls/golden/paper_gs64_pe8x8 && git diff`";
  }
  size_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(golden))
    on_disk += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(on_disk, p.files.size()) << "stale files in " << golden;
}

namespace {

/** Builds the emitted driver test (driver + C-simulated kernel + fpgallm's MACRO packer) with `cxx`. */
RunResult build_driver_test(const fs::path& dir, const std::string& cxx, const std::string& extra_includes,
                            const std::string& exe) {
  // The driver includes fpgallm's C++20 headers; the kernel is C++17 and compiles as C++20 too.
  return run(fmt::format("cd {} && {} -std=c++20 -O1 -ffp-contract=off -Wall -Wextra -Werror -pthread -DFMT_HEADER_ONLY -I. "
                         "-Idriver -I{} {} driver/fpgallm_driver_test.cpp driver/fpgallm_driver.cpp fpgallm_top.cpp "
                         "{}/models/quant/Macro.cpp -o {}",
                         dir.string(), cxx, kSrc, extra_includes, kSrc, exe));
}

fs::path driver_project(const std::string& name, hls::VectorSet& v) {
  const sim::SocConfig s = paper();
  const fs::path dir = scratch_dir(name);
  hls::write_project(render(s), dir.string());
  v = simulated(s, 128, 48, 3, true, 5);
  hls::write_vectors(v, (dir / "vectors/set0").string());
  return dir;
}

/**
 * Holds the register accesses, UIO operations and cache syncs that the driver test counted through
 * its fakes for one linear() call in each mode to what the PS cost model charges for that mode
 * (sim/ps/DriverProtocol.h, the paper design's 4 channels).
 */
void expect_accesses_are_what_the_profile_charges(const std::string& output, int64_t channels) {
  const std::regex line(R"(mode (\w+)/(\w+): writes (\d+) reads (\d+) irq_enables (\d+) irq_waits (\d+) )"
                        R"(cache_syncs (\d+); \d+ outputs, 0 differ)");
  int modes = 0;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), line); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    const auto completion = m[1] == "interrupt" ? sim::CompletionMode::Interrupt : sim::CompletionMode::Polling;
    const auto mapping = m[2] == "cached" ? sim::BufferMapping::Cached : sim::BufferMapping::WriteCombine;
    const sim::DriverCallAccesses a = sim::driver_call_accesses(channels, completion, mapping);
    const std::string mode = m[1].str() + "/" + m[2].str();
    EXPECT_EQ(std::stoll(m[3]), a.register_writes()) << mode;
    EXPECT_EQ(std::stoll(m[4]), a.register_reads(1)) << mode << " (the fake PL is done at the first poll)";
    EXPECT_EQ(std::stoll(m[5]), a.irq_enables) << mode;
    EXPECT_EQ(std::stoll(m[6]), a.irq_waits) << mode;
    EXPECT_EQ(std::stoll(m[7]), a.syncs_before_start + a.syncs_after_done) << mode;
    ++modes;
  }
  EXPECT_EQ(modes, 4) << output;
}

const std::string kDriverPass = "[48 x 128] x 3 tokens, 4 modes, 0 outputs differ from the simulator: PASS";

}  // namespace

TEST(EmitHlsDriver, DriverRunsTheCsimKernelAndMatchesTheSimulatorNatively) {
  if (!have("g++")) GTEST_SKIP() << "g++ not found";
  hls::VectorSet v;
  const fs::path dir = driver_project("driver_native", v);
  const RunResult b = build_driver_test(dir, "g++", "", "driver_test");
  ASSERT_EQ(b.status, 0) << b.output;
  const RunResult r = run((dir / "driver_test").string() + " " + (dir / "vectors/set0").string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(kDriverPass), std::string::npos) << r.output;
  expect_accesses_are_what_the_profile_charges(r.output, paper().accel.n_channels);
}

TEST(EmitHlsDriver, Aarch64DriverPassesUnderQemuAgainstTheCsimKernel) {
  if (!have("aarch64-linux-gnu-g++") || !have("qemu-aarch64"))
    GTEST_SKIP() << "aarch64-linux-gnu-g++ / qemu-aarch64 missing (scripts/setup.sh installs them)";
  hls::VectorSet v;
  const fs::path dir = driver_project("driver_aarch64", v);
  // The cross compiler gets only the header-only libraries it needs from the host, not /usr/include.
  const fs::path xinc = dir / "xinc";
  fs::create_directories(xinc);
  fs::create_directory_symlink("/usr/include/fmt", xinc / "fmt");
  fs::create_directory_symlink("/usr/include/nlohmann", xinc / "nlohmann");
  const RunResult b = build_driver_test(dir, "aarch64-linux-gnu-g++", "-I" + xinc.string(), "driver_test_a64");
  ASSERT_EQ(b.status, 0) << b.output;
  EXPECT_NE(run("file " + (dir / "driver_test_a64").string()).output.find("aarch64"), std::string::npos);
  const RunResult r = run("qemu-aarch64 -L /usr/aarch64-linux-gnu " + (dir / "driver_test_a64").string() + " " +
                          (dir / "vectors/set0").string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(kDriverPass), std::string::npos) << r.output;
  expect_accesses_are_what_the_profile_charges(r.output, paper().accel.n_channels);
  // AXI ordering: Driver::linear issues dsb st before the ap_start write and dmb ld after ap_done.
  ASSERT_TRUE(have("aarch64-linux-gnu-objdump")) << "binutils-aarch64-linux-gnu comes with the cross compiler";
  const std::string dis = run("aarch64-linux-gnu-objdump -d -C --no-show-raw-insn " + (dir / "driver_test_a64").string()).output;
  // The function's own listing: from its label line ("<address> <name>:") to the blank line after it.
  const std::smatch label = [&] {
    std::smatch m;
    std::regex_search(dis, m, std::regex(R"(\n[0-9a-f]+ <fpgallm::ps::Driver::linear\([^\n]*>:\n)"));
    return m;
  }();
  ASSERT_FALSE(label.empty()) << "Driver::linear not found in the aarch64 binary";
  const size_t fn = static_cast<size_t>(label.position(0));
  const std::string body = dis.substr(fn, dis.find("\n\n", fn + 1) - fn);
  const size_t dsb = body.find("dsb\tst"), dmb = body.find("dmb\tld");
  EXPECT_NE(dsb, std::string::npos) << body;
  EXPECT_NE(dmb, std::string::npos) << body;
  EXPECT_LT(dsb, dmb);
}

TEST(LongEmitHls, FullSizeQwenGateProjMatchesTheSimulatorBitForBit) {
  // Qwen2.5-0.5B layer 0 gate_proj [4864 x 896], synthetic weights, RTN G=64, on the paper design.
  const sim::SocConfig s = paper();
  const auto w = load_model("synthetic:qwen2.5-0.5b");
  const Linear& gate = w->layers[0].gate;
  ASSERT_TRUE(gate.weight) << "synthetic weights without data";
  QuantOptions o;
  o.group_size = 64;
  std::vector<hls::VectorSet> sets;
  for (int64_t tokens : {1, 7}) {
    hls::VectorSet v = hls::random_vectors(s, gate.in_features, 1, tokens, false, 100 + tokens);
    v.weights = quantize_rtn(gate.weight->ptr(), gate.out_features, gate.in_features, o);
    hls::simulate_vectors(s, v);
    sets.push_back(std::move(v));
  }
  EXPECT_EQ(sets[0].expected.size(), 4864u);
  const RunResult r = emit_and_csim(s, sets, scratch_dir("qwen_gate_proj"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("tb: PASS (3 of 3 vector sets bit-identical)"), std::string::npos) << r.output;
}

// ---- The schedule, the synthesis branch, the arrays and the testbench's memories ------------------

namespace {

/** The configs of the C-simulation grid (the same list as EmitHlsCsim). */
std::vector<sim::SocConfig> grid_configs() {
  std::vector<sim::SocConfig> out;
  for (const CsimCase c : {CsimCase{32, 4, 4, 1}, CsimCase{64, 8, 8, 4}, CsimCase{128, 16, 8, 2}, CsimCase{64, 4, 4, 2},
                           CsimCase{128, 8, 8, 1}, CsimCase{64, 8, 8, 4, true}, CsimCase{32, 16, 8, 2, true}}) {
    sim::SocConfig s = variant(c.group, c.rows, c.cols, c.channels);
    if (c.fixed) {
      s.accel.pe_accum_type = sim::PeNumType::Fixed64;
      s.accel.accum_frac_bits = 20;
      s.accel.name += "_fixed64";
    }
    out.push_back(s);
  }
  return out;
}

nlohmann::json schedule_of(const hls::Project& p) { return nlohmann::json::parse(p.find("schedule.json")->text); }

}  // namespace

TEST(EmitHlsSchedule, TheSimulatorChargesTheCyclesPerBlockAndThePassFillThatScheduleJsonStates) {
  for (const sim::SocConfig& s : grid_configs()) {
    SCOPED_TRACE(s.accel.name);
    const nlohmann::json j = schedule_of(render(s));
    const sim::KernelPlan plan(s.accel);
    // A layer of interleave x channels x 2 blocks: no padded group, the unpack lanes evenly loaded.
    const int64_t groups = plan.interleave(), tiles = 2 * s.accel.n_channels;
    const int64_t in = groups * s.accel.macro.group_size, out = tiles * s.accel.macro.tile_rows;
    for (const auto& [key, ntok] : std::vector<std::pair<std::string, int64_t>>{{"decode", 1},
                                                                                {"prefill_chunk", s.accel.max_chunk_tokens}}) {
      SCOPED_TRACE(key);
      ASSERT_EQ(plan.chunk_tokens(in, ntok), ntok) << "the pass must hold the tokens";
      hls::VectorSet v = simulated(s, in, out, ntok, false, 21);
      const double n_blocks = static_cast<double>(groups * tiles);
      const double per_block = std::max({v.pe_busy_cycles, v.unpack_busy_cycles, v.scale_busy_cycles}) / n_blocks;
      EXPECT_DOUBLE_EQ(per_block, j["cycles_per_block"][key].get<double>());
      EXPECT_DOUBLE_EQ(v.pipeline_fill_cycles, j["pass_overhead_cycles"][key].get<double>());
      for (const auto& st : j["stages"]) {
        if (!st.contains("cycles_per_block")) continue;
        const std::string name = st["name"];
        const double want = st["cycles_per_block"][key];
        if (name == "pe_array") EXPECT_DOUBLE_EQ(v.pe_busy_cycles / n_blocks, want);
        if (name == "unpack") EXPECT_DOUBLE_EQ(v.unpack_busy_cycles / n_blocks, want);
        if (name == "scale") EXPECT_DOUBLE_EQ(v.scale_busy_cycles / n_blocks, want);
      }
    }
  }
}

TEST(HlsSynthesisBranch, EveryEmittedTestProjectCompilesAsCpp14AgainstTheVitisHeaderDeclarationsAndLintsClean) {
  if (!have("g++")) GTEST_SKIP() << "g++ not found";
  for (const sim::SocConfig& s : grid_configs()) {
    SCOPED_TRACE(s.accel.name);
    const hls::Project p = render(s);
    EXPECT_EQ(hls::lint_project(p), std::vector<std::string>{});
    const fs::path dir = scratch_dir("synth_" + s.accel.name);
    hls::write_project(p, dir.string());
    const RunResult r = run(fmt::format("cd {} && {} fpgallm_top.cpp", dir.string(), kSynthesisCxx));
    EXPECT_EQ(r.status, 0) << r.output;
    // The synthesis branch uses hls::stream, never the C-simulation threads.
    EXPECT_EQ(run(fmt::format("cd {} && {} -E fpgallm_top.cpp | grep -c 'std::thread'", dir.string(),
                              kSynthesisCxx.substr(0, kSynthesisCxx.find(" -fsyntax-only")) + " -D__SYNTHESIS__ -I" +
                                  kSrc + "/tests/accel_hls/vitis_hls_api"))
                  .output.substr(0, 1),
              "0");
  }
}

TEST(HlsSynthesisBranch, TheLintFindsEachKindOfViolation) {
  auto has = [](const std::vector<std::string>& v, const std::string& what) {
    for (const auto& m : v)
      if (m.find(what) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has(hls::lint_source("k.h", "  HLS_PRAGMA(UNROLL factor = C::kPeCols)\n"), "is a C++ name"));
  EXPECT_TRUE(has(hls::lint_source("k.h", "  HLS_PRAGMA(PIPELINE II = x)\n"), "must be an integer literal"));
  EXPECT_TRUE(has(hls::lint_source("k.h", "  HLS_PRAGMA(INTERFACE m_axi port = a bundle = g offset = slave)\n"),
                  "without depth"));
  EXPECT_FALSE(has(hls::lint_source("k.h", "  HLS_PRAGMA(INTERFACE m_axi port = a bundle = g offset = slave depth = 64)\n"),
                   "without depth"));
  EXPECT_TRUE(has(hls::lint_source("k.h", "void f(int n) {\n  for (int i = 0; i < n; ++i) {\n    g(i);\n  }\n}\n"),
                  "no LOOP_TRIPCOUNT"));
  EXPECT_FALSE(has(hls::lint_source("k.h", "void f(int n) {\n  for (int i = 0; i < n; ++i) {\n"
                                           "    HLS_PRAGMA(LOOP_TRIPCOUNT min = 1 max = 8)\n  }\n}\n"),
                   "LOOP_TRIPCOUNT"));
  EXPECT_FALSE(has(hls::lint_source("k.h", "void f() {\n  const int n = C::kA * 2;\n  for (int i = 0; i < n; ++i) {}\n}\n"),
                   "LOOP_TRIPCOUNT"));  // a constant bound needs none
  EXPECT_TRUE(has(hls::lint_source("k.h", "void f() {\n  static float line[8][4];\n}\n"), "function-local static"));
  EXPECT_TRUE(has(hls::lint_source("k.h", "void f() {\n  if constexpr (C::kX) g();\n}\n"), "C++17"));
  EXPECT_FALSE(has(hls::lint_source("k.h", "// not code: if constexpr\nvoid f() {}\n"), "C++17"));
  const std::string region =
      "  Fifo<int> q[C::kChannels];\n  Fifo<int> one;\n"
      "  FPGALLM_PROCESS(a(q[0], one))\n  FPGALLM_PROCESS(b(q[0]))\n  FPGALLM_PROCESS(c(q[0], one, act))\n"
      "  FPGALLM_PROCESS(d(act))\n";
  const auto m = hls::lint_source("top.cpp", region);
  EXPECT_TRUE(has(m, "stream q[0] is used by 3")) << m.size();
  EXPECT_TRUE(has(m, "array act is reached from 2"));
}

TEST_P(EmitHlsCsim, ResourceEstimateCountsTheArraysAndStreamsTheKernelDeclares) {
  if (!have("g++")) GTEST_SKIP() << "g++ not found";
  const CsimCase c = GetParam();
  sim::SocConfig s = variant(c.group, c.rows, c.cols, c.channels);
  if (c.fixed) {
    s.accel.pe_accum_type = sim::PeNumType::Fixed64;
    s.accel.name += "_fixed64";
  }
  const RunResult r = emit_and_csim(s, {}, scratch_dir(s.accel.name + "_arrays"), "FPGALLM_TB_ARRAYS=1");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto est = nlohmann::json::parse(render(s).find("resource_estimate.json")->text)["memories"];
  std::istringstream lines(r.output);
  std::string line;
  size_t seen = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("array ", 0) != 0) continue;
    char name[64];
    unsigned long long bits = 0;
    int banks = 0;
    size_t copies = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "array %63s bits=%llu banks=%d copies=%zu", name, &bits, &banks, &copies), 4) << line;
    ASSERT_TRUE(est.contains(name)) << name << " is declared by the kernel but not in resource_estimate.json";
    const auto& m = est[name];
    EXPECT_EQ(m["width_bits"].get<uint64_t>() * m["depth"].get<uint64_t>() * m["banks"].get<uint64_t>(), bits) << name;
    EXPECT_EQ(m["banks"].get<int>(), banks) << name;
    EXPECT_EQ(m["copies"].get<size_t>(), copies) << name;
    ++seen;
  }
  EXPECT_EQ(seen, est.size()) << r.output;
}

TEST(EmitHls, TheMaxiDepthCoversEveryVectorSetAndTheTestbenchRefusesALargerImage) {
  if (!have("g++")) GTEST_SKIP() << "g++ not found";
  const sim::SocConfig s = paper();
  const hls::VectorSet big = simulated(s, 512, 64, 3, true, 4);
  const hls::Project with_big = render(s, {{"big", big}});
  const std::string h = with_big.find("fpgallm_config.h")->text;
  const uint64_t beats = hls::image_layout(big).beats(s.accel.macro.beat_bytes);
  EXPECT_NE(h.find(fmt::format("kPortDepthBeats = {};", std::max(beats, hls::image_layout(hls::cosim_vectors(s)).beats(16)))),
            std::string::npos);
  for (const char* top : {"fpgallm_top.cpp"}) {
    const std::string t = with_big.find(top)->text;
    EXPECT_EQ(count(t, "INTERFACE m_axi"), count(t, fmt::format("depth = {} ", std::max<uint64_t>(beats, 1))));
  }
  // A project emitted without the big set has a smaller depth: its testbench refuses the set.
  const fs::path dir = scratch_dir("depth");
  hls::write_project(render(s), dir.string());
  hls::write_vectors(big, (dir / "vectors" / "big").string());
  ASSERT_EQ(run(fmt::format("cd {} && {} fpgallm_top.cpp fpgallm_tb.cpp -o tb", dir.string(), kCxx)).status, 0);
  const RunResult r = run(fmt::format("cd {} && ./tb vectors/big", dir.string()));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("more than the m_axi depth"), std::string::npos) << r.output;
}

TEST(EmitHls, RunHlsFailsTheFlowOnAMismatchAndCoSimulatesTheSmallSet) {
  const hls::Project p = render(paper());
  const std::string tcl = p.find("run_hls.tcl")->text;
  EXPECT_NE(tcl.find("-std=c++14"), std::string::npos);
  EXPECT_NE(tcl.find("cosim_design -argv vectors/cosim"), std::string::npos);
  EXPECT_NE(tcl.find("exit 1"), std::string::npos);
  EXPECT_NE(tcl.find("fpgallm_step \"C simulation"), std::string::npos);
  EXPECT_NE(p.find("vectors/cosim/job.txt"), nullptr);
  EXPECT_NE(p.find("vectors/cosim/expected.bin"), nullptr);
}

TEST(EmitHlsCsimStreams, AStreamTooShallowForTheScheduleIsReportedAsADeadlockNamingTheStreams) {
  if (!have("g++")) GTEST_SKIP() << "g++ not found";
  const fs::path dir = scratch_dir("deadlock");
  hls::write_project(render(paper()), dir.string());
  // The producer fills `a` before it writes `b`; the consumer takes `b` first: with `a` two deep
  // the two wait on each other forever, as the hardware would.
  std::ofstream(dir / "deadlock.cpp") << R"(#include "fpgallm_csim.h"
int main() {
  fpgallm_hls::csim::Fifo<int> a, b;
  a.set_depth(2, "a");
  b.set_depth(2, "b");
  fpgallm_hls::csim::Dataflow df;
  df.spawn([&] { for (int i = 0; i < 4; ++i) a.write(i); b.write(9); });
  df.spawn([&] { (void)b.read(); for (int i = 0; i < 4; ++i) (void)a.read(); });
  df.join();
  return 0;
}
)";
  ASSERT_EQ(run(fmt::format("cd {} && {} deadlock.cpp -o deadlock", dir.string(), kCxx)).status, 0);
  const RunResult r = run((dir / "deadlock").string());
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("deadlock in the DATAFLOW region"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[write a]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[read b]"), std::string::npos) << r.output;
  // Deep enough, the same processes finish; data left unread is an error too.
  std::ofstream(dir / "leftover.cpp") << R"(#include "fpgallm_csim.h"
int main() {
  fpgallm_hls::csim::Fifo<int> a;
  a.set_depth(8, "a");
  {
    fpgallm_hls::csim::Dataflow df;
    df.spawn([&] { for (int i = 0; i < 4; ++i) a.write(i); });
    df.spawn([&] { for (int i = 0; i < 3; ++i) (void)a.read(); });
  }
  return 0;
}
)";
  ASSERT_EQ(run(fmt::format("cd {} && {} leftover.cpp -o leftover", dir.string(), kCxx)).status, 0);
  const RunResult l = run((dir / "leftover").string());
  EXPECT_EQ(l.status, 3) << l.output;
  EXPECT_NE(l.output.find("stream a holds 1 element(s)"), std::string::npos) << l.output;
}
