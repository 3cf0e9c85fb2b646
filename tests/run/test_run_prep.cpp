// Run preparation (run/): one path from a model spec to the weights and prompt a simulation runs,
// the cache of quantized models on it, and the deployment decisions it takes from the accel config.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "models/core/Error.h"
#include "models/llm/ModelConfig.h"
#include "models/quant/QuantLinear.h"
#include "run/Resources.h"
#include "run/RunSetup.h"
#include "sim/accel/Deployment.h"
#include "sim/soc/SocConfig.h"

namespace fs = std::filesystem;
using namespace fpgallm;

namespace {

const std::string kConfigs = std::string(FPGALLM_SOURCE_DIR) + "/configs/";

sim::SocConfig paper_soc() {
  return sim::load_soc_config(kConfigs + "platform/kv260.yaml", kConfigs + "accel/paper_gs64_pe8x8.yaml");
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("fpgallm_test_run_" + name);
  fs::remove_all(d);
  return d;
}

run::ModelRequest request(const std::string& spec, const std::string& cache_dir = "") {
  run::ModelRequest r;
  r.spec = spec;
  r.cache_dir = cache_dir;
  r.no_cache = cache_dir.empty();
  return r;
}

run::RunSetup id_prompt() {
  run::RunSetup s;
  s.prompt_ids = {1, 2, 3};
  return s;
}

struct Notes {
  std::vector<std::string> lines;
  bool any(const std::string& part) const {
    for (const auto& l : lines)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
};

}  // namespace

TEST(PrepareRun, ASecondRunLoadsTheQuantizedModelFromTheCacheBitForBit) {
  const sim::SocConfig soc = paper_soc();
  Notes first, second;
  run::ModelRequest req = request("synthetic:tiny", fresh_dir("cache").string());
  req.note = [&](const std::string& l) { first.lines.push_back(l); };
  const run::PreparedRun a = run::prepare_run(req, soc, id_prompt());
  req.note = [&](const std::string& l) { second.lines.push_back(l); };
  const run::PreparedRun b = run::prepare_run(req, soc, id_prompt());
  EXPECT_TRUE(first.any("quantized synthetic:tiny with rtn G=64")) << first.lines.front();
  EXPECT_TRUE(first.any("cached as"));
  EXPECT_TRUE(second.any("loaded quantized model from cache"));
  ASSERT_EQ(a.weights->layers.size(), b.weights->layers.size());
  for (size_t i = 0; i < a.weights->layers.size(); ++i) {
    const QuantLinear& qa = *a.weights->layers[i].down.quant;
    const QuantLinear& qb = *b.weights->layers[i].down.quant;
    EXPECT_EQ(qa.q, qb.q);
    EXPECT_EQ(qa.scales, qb.scales);
    EXPECT_EQ(qa.zeros, qb.zeros);
  }
  EXPECT_EQ(a.prompt, b.prompt);
}

TEST(PrepareRun, AnotherGroupSizeIsAnotherCacheEntry) {
  sim::SocConfig soc = paper_soc();
  const std::string dir = fresh_dir("cache_g").string();
  run::ModelRequest req = request("synthetic:tiny", dir);
  run::prepare_run(req, soc, id_prompt());
  soc.accel.macro.group_size = 32;
  Notes n;
  req.note = [&](const std::string& l) { n.lines.push_back(l); };
  const run::PreparedRun p = run::prepare_run(req, soc, id_prompt());
  EXPECT_FALSE(n.any("from cache"));
  EXPECT_EQ(p.weights->layers[0].q.quant->group_size, 32);
}

TEST(PrepareRun, TimingOnlyMakesShapesWithoutWeightsOrCache) {
  Notes n;
  run::ModelRequest req = request("synthetic:tiny", fresh_dir("unused").string());
  req.timing_only = true;
  req.note = [&](const std::string& l) { n.lines.push_back(l); };
  const run::PreparedRun p = run::prepare_run(req, paper_soc(), id_prompt());
  EXPECT_FALSE(p.weights->layers[0].q.weight);
  EXPECT_FALSE(p.weights->layers[0].q.quant);
  EXPECT_TRUE(n.any("timing-only"));
  EXPECT_FALSE(fs::exists(req.cache_dir));
}

TEST(PrepareRun, NothingOffloadedRunsTheUnquantizedModel) {
  const sim::SocConfig soc =
      sim::load_soc_config(kConfigs + "platform/kv260.yaml", kConfigs + "accel/baseline_ps_only.yaml");
  const run::ModelRequest req = request("synthetic:tiny");
  const run::PreparedRun p = run::prepare_run(req, soc, id_prompt());
  EXPECT_FALSE(p.weights->layers[0].q.quant);
  EXPECT_TRUE(p.weights->layers[0].q.weight);
}

TEST(PrepareRun, ASyntheticShapeIsPreparedLikeASpec) {
  const sim::SocConfig soc = paper_soc();
  const run::ModelRequest spec = request("synthetic:tiny");
  run::ModelRequest shape = request("<dict>");
  shape.synthetic = model_config_preset("tiny");
  const auto a = run::prepare_run(spec, soc, id_prompt()).weights;
  const auto b = run::prepare_run(shape, soc, id_prompt()).weights;
  EXPECT_EQ(a->layers[1].gate.quant->q, b->layers[1].gate.quant->q);
}

TEST(PrepareRun, GivenPromptIdsAreTakenAsTheyAreAndCheckedAgainstTheVocabulary) {
  const ModelConfig tiny = model_config_preset("tiny");
  run::RunSetup s = id_prompt();
  EXPECT_EQ(run::make_run_prompt(s, tiny), (std::vector<int32_t>{1, 2, 3}));
  s.prompt_len = 5;
  EXPECT_EQ(run::make_run_prompt(s, tiny), (std::vector<int32_t>{1, 2, 3, 1, 2}));
  s.prompt_ids = {static_cast<int32_t>(tiny.vocab_size)};
  EXPECT_THROW(run::make_run_prompt(s, tiny), Error);
}

TEST(PrepareRun, ABadQuantizerNameIsAnErrorNamingTheField) {
  run::RunSetup s = id_prompt();
  s.quant = "gptq";
  try {
    run::prepare_run(request("synthetic:tiny"), paper_soc(), s);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("quant must be rtn or awq"), std::string::npos) << e.what();
  }
}

TEST(Deployment, QuantisationFollowsTheMacroLayoutAndTheLmHeadOffload) {
  sim::SocConfig soc = paper_soc();
  soc.accel.macro.group_size = 128;
  soc.accel.offload_lm_head = true;
  const QuantOptions o = sim::deployed_quant_options(soc.accel, "awq");
  EXPECT_EQ(o.method, "awq");
  EXPECT_EQ(o.group_size, 128);
  EXPECT_EQ(o.bits, soc.accel.macro.bits);
  EXPECT_EQ(o.zero_point, soc.accel.macro.zero_point);
  EXPECT_TRUE(o.quantize_lm_head);
}

TEST(Deployment, ModelBytesAreTheAwqWeightsOrTheFp16ModelAndDdrBytesAddTheKvCache) {
  const ModelConfig mc = model_config_preset("tiny");
  sim::SocConfig soc = paper_soc();
  const Footprint fp = sim::deployed_footprint(soc.accel, mc);
  EXPECT_EQ(sim::deployed_model_bytes(soc.accel, fp), fp.model_bytes());
  EXPECT_EQ(sim::deployed_ddr_bytes(soc.accel, mc, fp, 10),
            fp.total_bytes() + 2 * mc.num_layers * 10 * mc.kv_dim() * 4);
  soc.accel.offload_linear = false;
  EXPECT_EQ(sim::deployed_model_bytes(soc.accel, fp), fp.fp16_baseline_bytes);
}

TEST(Resources, AnExistingPathIsTakenAsGivenElseTheShippedOne) {
  EXPECT_TRUE(fs::exists(run::resource_root() / "configs"));
  const fs::path here = fs::current_path();
  fs::current_path(fs::temp_directory_path());
  EXPECT_EQ(run::find_file("configs/platform/kv260.yaml"), run::resource_path("configs/platform/kv260.yaml"));
  EXPECT_EQ(run::find_file("no/such/file.yaml"), "no/such/file.yaml");
  EXPECT_EQ(run::find_file("/abs/path.yaml"), "/abs/path.yaml");
  fs::current_path(here);
}
