// Sweep specs: axes by YAML path, ranges, grid/random sampling, constraints and derived fields,
// and the errors that stop a bad spec before anything runs.
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dse/Expr.h"
#include "dse/Resources.h"
#include "dse/Sweep.h"
#include "dse/SweepSpec.h"
#include "models/core/Error.h"

using namespace fpgallm;
using namespace fpgallm::dse;
namespace fs = std::filesystem;

namespace {
const std::string kSrc = FPGALLM_SOURCE_DIR;

/** Writes a spec into configs/sweep-relative scratch folder so ../ paths resolve like the shipped ones. */
std::string write_spec(const std::string& name, const std::string& body) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("fpgallm_dse_spec_{}", ::getpid());
  fs::create_directories(dir);
  const fs::path f = dir / (name + ".yaml");
  std::ofstream(f) << "sweep:\n  base:\n    platform: " << kSrc << "/configs/platform/kv260.yaml\n    accel: " << kSrc
                   << "/configs/accel/paper_gs64_pe8x8.yaml\n    model: synthetic:tiny\n  resources:\n    costs: " << kSrc
                   << "/configs/dse/resource_costs.yaml\n"
                   << body;
  return f.string();
}

std::string error_of(const std::string& file) {
  try {
    load_sweep_spec(file);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(SweepSpec, GsPeSpecEnumeratesEveryCombinationOfItsAxes) {
  const SweepSpec s = load_sweep_spec(kSrc + "/configs/sweep/gs_pe.yaml");
  ASSERT_EQ(s.axes.size(), 6u);
  EXPECT_EQ(s.axes[1].values.size(), 3u);  // log range 4, 8, 16
  EXPECT_EQ(s.axes[3].values.size(), 4u);  // channels 1..4
  const auto pts = enumerate_points(s);
  EXPECT_EQ(pts.size(), 3u * 3 * 3 * 4 * 2 * 2);
  std::set<std::string> ids;
  for (const auto& p : pts) ids.insert(point_id(s, p));
  EXPECT_EQ(ids.size(), pts.size());
}

TEST(SweepSpec, PointsPatchEveryFieldOfTheirAxisAndTheDerivedFields) {
  const SweepSpec s = load_sweep_spec(kSrc + "/configs/sweep/gs_pe.yaml");
  // G=128, rows=16, cols=4, channels=1, 200 MHz, lm_head on the PL.
  const DesignPoint p = make_point(s, {2, 2, 0, 0, 0, 1});
  ASSERT_TRUE(p.config_error.empty()) << p.config_error;
  EXPECT_EQ(p.soc.accel.macro.group_size, 128);
  EXPECT_EQ(p.soc.accel.pe_rows, 16);
  EXPECT_EQ(p.soc.accel.macro.tile_rows, 16);
  EXPECT_EQ(p.soc.accel.pe_cols, 4);
  EXPECT_EQ(p.soc.accel.n_channels, 1);
  EXPECT_DOUBLE_EQ(p.soc.accel.clock_mhz, 200.0);
  EXPECT_DOUBLE_EQ(p.soc.axi.pl_clock_mhz, 200.0);
  EXPECT_TRUE(p.soc.accel.offload_lm_head);
  EXPECT_EQ(p.soc.accel.unpack_codes_per_cycle, 64);  // derived: rows * cols
  EXPECT_EQ(p.id, "G=128 pe_rows=16 pe_cols=4 channels=1 clock_mhz=200 lm_head_on_pl=true");
  // The base point is the unpatched paper configuration.
  const DesignPoint b = make_base_point(s);
  EXPECT_EQ(b.soc.accel.pe_rows, 8);
  EXPECT_EQ(b.soc.accel.macro.group_size, 64);
  EXPECT_FALSE(b.soc.accel.offload_lm_head);
}

TEST(SweepSpec, AnUnknownFieldIsAnErrorNamingTheSpecTheAxisAndTheField) {
  const auto f = write_spec("unknown", "  axes:\n    - {name: r, field: accel.pe_array.rowz, values: [4, 8]}\n");
  const std::string e = error_of(f);
  EXPECT_NE(e.find(f), std::string::npos) << e;
  EXPECT_NE(e.find("sweep.axes[0]"), std::string::npos) << e;
  EXPECT_NE(e.find("rowz"), std::string::npos) << e;
}

TEST(SweepSpec, AValueTheConfigParserRejectsIsAnErrorBeforeAnythingRuns) {
  const auto f = write_spec("badvalue", "  axes:\n    - {name: ch, field: accel.dma.channels, values: [2, 0]}\n");
  const std::string e = error_of(f);
  EXPECT_NE(e.find("value '0'"), std::string::npos) << e;
  EXPECT_NE(e.find("accel.dma.channels"), std::string::npos) << e;
}

TEST(SweepSpec, AnEmptyAxisIsAnError) {
  const std::string e = error_of(write_spec("empty", "  axes:\n    - {name: r, field: accel.pe_array.rows, values: []}\n"));
  EXPECT_NE(e.find("empty"), std::string::npos) << e;
  EXPECT_NE(error_of(write_spec("noaxes", "  axes: []\n")).find("axes"), std::string::npos);
}

TEST(SweepSpec, ConstraintsThatNoPointSatisfiesAreAContradiction) {
  const std::string e = error_of(write_spec(
      "contra", "  axes:\n    - {name: r, field: accel.pe_array.rows, values: [4, 8]}\n  constraints: [\"r > 8\"]\n"));
  EXPECT_NE(e.find("contradict"), std::string::npos) << e;
}

TEST(SweepSpec, AConstraintOnAnUnknownNameIsAnError) {
  const std::string e = error_of(write_spec(
      "badname", "  axes:\n    - {name: r, field: accel.pe_array.rows, values: [4, 8]}\n  constraints: [\"q > 1\"]\n"));
  EXPECT_NE(e.find("'q'"), std::string::npos) << e;
}

TEST(SweepSpec, TheSameFieldOnTwoAxesIsAnError) {
  const std::string e = error_of(write_spec("twice",
                                            "  axes:\n    - {name: a, field: accel.pe_array.rows, values: [4]}\n"
                                            "    - {name: b, field: accel.pe_array.rows, values: [8]}\n"));
  EXPECT_NE(e.find("two axes"), std::string::npos) << e;
}

TEST(SweepSpec, FieldsExpressionsAndDerivedKeysThatAreNotStringsAreErrorsNamingThemNotCrashes) {
  // Found by fuzz_sweep_spec: a mapping among an axis's fields threw yaml-cpp's own exception.
  std::string e = error_of(write_spec("fmap", "  axes:\n    - {name: a, fields: [{accel.pe_array.rows}], values: [4]}\n"));
  EXPECT_NE(e.find("sweep.axes[0].fields"), std::string::npos) << e;
  e = error_of(write_spec("fnum", "  axes:\n    - {name: a, fields: {x: 1}, values: [4]}\n"));
  EXPECT_NE(e.find("fields"), std::string::npos) << e;
  e = error_of(write_spec("cmap", "  axes:\n    - {name: a, field: accel.pe_array.rows, values: [4]}\n"
                                  "  constraints: [{a: 1}]\n"));
  EXPECT_NE(e.find("sweep.constraints[0]"), std::string::npos) << e;
  e = error_of(write_spec("dmap", "  axes:\n    - {name: a, field: accel.pe_array.rows, values: [4]}\n"
                                  "  derived: {accel.pe_array.cols: [a]}\n"));
  EXPECT_NE(e.find("sweep.derived.accel.pe_array.cols"), std::string::npos) << e;
}

TEST(SweepSpec, AFieldBelowAValueOfTheBaseConfigIsAnErrorNamingTheFieldNotACrash) {
  // Found by fuzz_sweep_spec: accel.pe_array.rows is a number, so rows.cols cannot be set (yaml-cpp threw).
  const std::string e =
      error_of(write_spec("below", "  axes:\n    - {name: a, field: accel.pe_array.rows.cols, values: [4]}\n"));
  EXPECT_NE(e.find("accel.pe_array.rows.cols"), std::string::npos) << e;
  EXPECT_NE(e.find("not a section"), std::string::npos) << e;
}

TEST(SweepSpec, ARangeOfAstronomicallyManyValuesOrNonFiniteBoundsIsAnErrorNotUndefinedBehaviour) {
  // Found by fuzz_sweep_spec: the value count of a 1e126-wide range was converted to int64 (UB).
  std::string e = error_of(write_spec("huge", "  axes:\n    - {name: a, field: accel.pe_array.rows, range: {from: 1, to: 1e126}}\n"));
  EXPECT_NE(e.find("at most"), std::string::npos) << e;
  e = error_of(write_spec("nan", "  axes:\n    - {name: a, field: accel.pe_array.rows, range: {from: .nan, to: 4}}\n"));
  EXPECT_NE(e.find("finite"), std::string::npos) << e;
  e = error_of(write_spec("inf", "  axes:\n    - {name: a, field: accel.pe_array.rows, log_range: {from: 1, to: .inf}}\n"));
  EXPECT_NE(e.find("finite"), std::string::npos) << e;
}

TEST(SweepSpec, ConstraintsFilterTheGrid) {
  const auto f = write_spec("cons",
                            "  axes:\n    - {name: r, field: accel.pe_array.rows, values: [4, 8, 16]}\n"
                            "    - {name: c, field: accel.pe_array.cols, values: [4, 8, 16]}\n"
                            "  constraints: [\"r * c <= 64\", \"r >= c\"]\n");
  const SweepSpec s = load_sweep_spec(f);
  std::set<std::string> ids;
  for (const auto& p : enumerate_points(s)) ids.insert(point_id(s, p));
  EXPECT_EQ(ids, (std::set<std::string>{"r=4 c=4", "r=8 c=4", "r=8 c=8", "r=16 c=4"}));
}

TEST(SweepSpec, RandomSamplingIsSeededAndDrawsDistinctPoints) {
  const std::string axes =
      "  axes:\n    - {name: r, field: accel.pe_array.rows, range: {from: 1, to: 16}}\n"
      "    - {name: c, field: accel.pe_array.cols, range: {from: 1, to: 16}}\n";
  const auto a = load_sweep_spec(write_spec("rnd1", axes + "  sampling: {mode: random, samples: 20, seed: 3}\n"));
  const auto b = load_sweep_spec(write_spec("rnd2", axes + "  sampling: {mode: random, samples: 20, seed: 3}\n"));
  const auto c = load_sweep_spec(write_spec("rnd3", axes + "  sampling: {mode: random, samples: 20, seed: 4}\n"));
  const auto pa = enumerate_points(a), pb = enumerate_points(b), pc = enumerate_points(c);
  EXPECT_EQ(pa.size(), 20u);
  EXPECT_EQ(pa, pb);
  EXPECT_NE(pa, pc);
  EXPECT_EQ(std::set<PointIndex>(pa.begin(), pa.end()).size(), 20u);
}

TEST(Expr, FollowsUsualPrecedenceAndReportsTheColumnOfASyntaxError) {
  const Expr e = Expr::parse("a + b * 2 <= 10 && !(a == 3) || c", "t");
  auto at = [&](double a, double b, double c) {
    return e.eval([&](const std::string& n) { return n == "a" ? a : n == "b" ? b : c; });
  };
  EXPECT_EQ(at(2, 4, 0), 1.0);
  EXPECT_EQ(at(3, 1, 0), 0.0);
  EXPECT_EQ(at(3, 1, 1), 1.0);
  EXPECT_EQ(at(2, 5, 0), 0.0);
  try {
    Expr::parse("a * (b + ", "spec.yaml: sweep.constraints[0]");
    FAIL() << "no error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("spec.yaml: sweep.constraints[0]"), std::string::npos) << err.what();
    EXPECT_NE(std::string(err.what()).find("column"), std::string::npos) << err.what();
  }
}

TEST(SweepSpec, TheModelItselfIsAnAxisAndA7BClassModelIsInfeasibleOnTheKv260Ddr) {
  const auto f = write_spec("models",
                            "  axes:\n"
                            "    - {name: model, field: model, values: [\"synthetic:qwen2.5-0.5b\", \"" + kSrc +
                                "/configs/model/qwen2.5-7b.yaml\"]}\n"
                            "    - {name: act_kib, field: accel.buffers.act_bytes, values: [131072]}\n");
  const SweepSpec s = load_sweep_spec(f);
  const ResourceCosts costs = load_resource_costs(kSrc + "/configs/dse/resource_costs.yaml");
  const auto pts = enumerate_points(s);
  ASSERT_EQ(pts.size(), 2u);
  const auto small = evaluate_analytic(s, make_point(s, pts[0]), costs);
  const auto big = evaluate_analytic(s, make_point(s, pts[1]), costs);
  EXPECT_TRUE(small["feasible"].get<bool>()) << small.dump();
  EXPECT_FALSE(big["feasible"].get<bool>());
  EXPECT_EQ(big["reason"].get<std::string>().rfind("ddr:", 0), 0u) << big.dump();
  // The analytic figures are still there: what the design would reach with enough memory.
  EXPECT_GT(big["decode_tps"].get<double>(), 0.0);
  EXPECT_LT(big["decode_tps"].get<double>(), small["decode_tps"].get<double>());
}
