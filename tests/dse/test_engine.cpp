// The sweep engine's decisions: the finalist policy, the ranking, the journal that makes sweeps
// resume, and a whole analytic sweep through the engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dse/Engine.h"
#include <unistd.h>

#include <fmt/format.h>

using namespace fpgallm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kSrc = FPGALLM_SOURCE_DIR;

fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / fmt::format("fpgallm_dse_engine_{}_{}", ::getpid(), name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

json ranked(const char* id, double score, bool pareto) {
  return json{{"id", id}, {"feasible", true}, {"score", score}, {"pareto", pareto}};
}

}  // namespace

TEST(FinalistPolicy, TopKByScoreThenTheFrontInScoreOrderCapped) {
  const std::vector<json> rows = {
      ranked("a", 0.5, false), ranked("b", 0.9, false), json{{"id", "x"}, {"feasible", false}},
      ranked("c", 0.7, true),  ranked("d", 0.2, true),  ranked("e", 0.8, false)};
  dse::FinalistOptions f;
  f.top_k = 2;
  f.pareto = true;
  f.max_finalists = 12;
  EXPECT_EQ(dse::select_finalists(rows, f), (std::vector<size_t>{1, 5, 3, 4}));
  f.max_finalists = 3;
  EXPECT_EQ(dse::select_finalists(rows, f), (std::vector<size_t>{1, 5, 3}));
  f.pareto = false;
  EXPECT_EQ(dse::select_finalists(rows, f), (std::vector<size_t>{1, 5}));
}

TEST(FinalistPolicy, EqualScoresKeepTheStrategysOrder) {
  const std::vector<json> rows = {ranked("a", 0.5, false), ranked("b", 0.5, false), ranked("c", 0.5, false)};
  dse::FinalistOptions f;
  f.top_k = 2;
  f.pareto = false;
  EXPECT_EQ(dse::select_finalists(rows, f), (std::vector<size_t>{0, 1}));
}

TEST(Ranking, FeasibleRowsGetAScoreAndAParetoFlagInfeasibleOnesOnlyTheFlag) {
  auto row = [](double dec, bool feasible) {
    return json{{"feasible", feasible}, {"decode_tps", dec}, {"prefill_tps", 10.0}, {"memory_bytes", 1e8},
                {"accuracy_top1", 0.9}, {"max_utilisation", 0.5}};
  };
  std::vector<json> rows = {row(5, true), row(7, true), row(9, false)};
  const auto feasible = dse::rank_rows(rows, row(5, true), dse::ScoreWeights{});
  EXPECT_EQ(feasible, (std::vector<size_t>{0, 1}));
  EXPECT_LT(rows[0]["score"].get<double>(), rows[1]["score"].get<double>());
  EXPECT_FALSE(rows[0]["pareto"].get<bool>());  // 7 tokens/s at the same cost dominates it
  EXPECT_TRUE(rows[1]["pareto"].get<bool>());
  EXPECT_FALSE(rows[2].contains("score"));
  EXPECT_FALSE(rows[2]["pareto"].get<bool>());
}

TEST(Journal, AFinishedPointSurvivesAReopenAndATornLastLineIsDropped) {
  const std::string path = (scratch("journal") / "j.jsonl").string();
  {
    dse::Journal j(path);
    j.append(json{{"id", "p1"}, {"v", 1}});
    j.append(json{{"id", "p1"}, {"v", 2}});  // a second row for an id is ignored
  }
  std::ofstream(path, std::ios::app) << R"({"id": "p2", "v")";  // killed mid-write
  dse::Journal j(path);
  EXPECT_TRUE(j.has("p1"));
  EXPECT_EQ(j.row("p1")["v"], 1);
  EXPECT_FALSE(j.has("p2"));
  j.append(json{{"id", "p3"}});
  dse::Journal again(path);
  EXPECT_TRUE(again.has("p3"));  // written on a fresh line after the torn one
}

namespace {

/** Collects the progress lines the engine sends. */
struct Recorded final : dse::SweepProgress {
  std::vector<std::string> lines;
  void update(const std::string&) override {}
  void finish(const std::string& l) override { lines.push_back(l); }
  void note(const std::string& l) override { lines.push_back(l); }
};

}  // namespace

TEST(Engine, AnAnalyticSweepWritesTheRowsOfEveryPointAndResumesFromItsJournal) {
  const fs::path dir = scratch("sweep");
  const fs::path spec = dir / "g.yaml";
  std::ofstream(spec) << "sweep:\n  name: g\n  base:\n    platform: " << kSrc
                      << "/configs/platform/kv260.yaml\n    accel: " << kSrc
                      << "/configs/accel/paper_gs64_pe8x8.yaml\n    model: synthetic:tiny\n  resources:\n    costs: "
                      << kSrc << "/configs/dse/resource_costs.yaml\n  accuracy: {enabled: false}\n"
                      << "  axes:\n    - {name: G, fields: [accel.macro.group_size], values: [32, 64, 128]}\n";
  dse::SweepOptions o;
  o.spec_file = spec.string();
  o.out = (dir / "out").string();
  o.systemc = false;
  Recorded progress;
  const dse::SweepResult r = dse::run_sweep(o, progress);
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.feasible, 3u);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_FALSE(r.best_by_systemc);
  const dse::AnalyticEvaluator analytic(r.spec);
  const auto points = dse::enumerate_points(r.spec);
  for (size_t i = 0; i < points.size(); ++i)
    EXPECT_EQ(r.rows[i]["decode_tps"], analytic.evaluate(dse::make_point(r.spec, points[i]))["decode_tps"]);
  for (const char* f : {"results.csv", "results.json", "pareto.csv", "pareto.json", "best.yaml", "summary.json"})
    EXPECT_TRUE(fs::exists(dir / "out" / f)) << f;
  Recorded again;
  dse::run_sweep(o, again);
  ASSERT_GE(again.lines.size(), 2u);
  EXPECT_NE(again.lines[1].find("(3 from an earlier run)"), std::string::npos) << again.lines[1];
}

namespace {

/** Hands out the spec's points one per batch and records what it is told. */
struct OneAtATime final : dse::SearchStrategy {
  std::vector<dse::PointIndex> todo;
  std::vector<json> told;
  bool repeat = false;  // ask the first point again at the end
  std::vector<dse::PointIndex> ask() override {
    if (todo.empty()) {
      if (!repeat || told.empty()) return {};
      repeat = false;
      return {dse::PointIndex{0}};
    }
    std::vector<dse::PointIndex> b = {todo.back()};
    todo.pop_back();
    return b;
  }
  void tell(const std::vector<dse::PointIndex>& pts, const std::vector<json>& rows) override {
    EXPECT_EQ(pts.size(), rows.size());
    told.insert(told.end(), rows.begin(), rows.end());
  }
  std::string describe() const override { return "one at a time"; }
};

std::string accuracy_spec(const fs::path& dir) {
  const fs::path spec = dir / "g.yaml";
  std::ofstream(spec) << "sweep:\n  name: g\n  base:\n    platform: " << kSrc
                      << "/configs/platform/kv260.yaml\n    accel: " << kSrc
                      << "/configs/accel/paper_gs64_pe8x8.yaml\n    model: synthetic:tiny\n  resources:\n    costs: "
                      << kSrc << "/configs/dse/resource_costs.yaml\n"
                      << "  accuracy: {enabled: true, eval_samples: 1, eval_seq_len: 8}\n"
                      << "  axes:\n    - {name: G, fields: [accel.macro.group_size], values: [32, 64]}\n";
  return spec.string();
}

/** Options of an analytic-only sweep of accuracy_spec in a fresh scratch folder `name`. */
dse::SweepOptions analytic_options(const std::string& name) {
  const fs::path dir = scratch(name);
  dse::SweepOptions o;
  o.spec_file = accuracy_spec(dir);
  o.out = (dir / "out").string();
  o.systemc = false;
  return o;
}

}  // namespace

TEST(Engine, AStrategyIsToldEachBatchsRowsWithTheirAccuracyAndChoosesTheRowsOrder) {
  const dse::SweepOptions o = analytic_options("strategy");
  OneAtATime s;
  s.todo = {dse::PointIndex{0}, dse::PointIndex{1}};  // asked in reverse: G=64 first
  Recorded progress;
  const dse::SweepResult r = dse::run_sweep(o, progress, &s);
  ASSERT_EQ(s.told.size(), 2u);
  for (const auto& row : s.told) {
    EXPECT_TRUE(row.contains("accuracy_top1")) << row.dump();
    EXPECT_TRUE(row.contains("accuracy_kl")) << row.dump();
  }
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0]["id"], s.told[0]["id"]);
  EXPECT_NE(r.rows[0]["id"].get<std::string>().find("G=64"), std::string::npos) << r.rows[0]["id"];
  EXPECT_EQ(r.rows[0]["accuracy_top1"], s.told[0]["accuracy_top1"]);
  EXPECT_NE(progress.lines.at(0).find("one at a time"), std::string::npos) << progress.lines.at(0);
}

TEST(Engine, AStrategyThatAsksForAPointTwiceIsAnErrorNamingIt) {
  const dse::SweepOptions o = analytic_options("repeat");
  OneAtATime s;
  s.todo = {dse::PointIndex{0}};
  s.repeat = true;
  Recorded progress;
  try {
    dse::run_sweep(o, progress, &s);
    FAIL() << "a repeated point was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("one at a time) asked for point G=32 twice"), std::string::npos) << e.what();
  }
}
