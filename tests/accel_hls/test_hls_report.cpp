// `fpgallm hls-report`: reports in the layout Vitis HLS writes (csynth.xml, <module>_csynth.xml,
// <top>_cosim.rpt; no vendor output is available here, so the tests write them) against an
// emitted project's resource_estimate.json and a schedule.json.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "accel_hls/Emitter.h"
#include "accel_hls/Report.h"
#include "models/core/Error.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

const std::string kSrc = FPGALLM_SOURCE_DIR;

struct Loop {
  Loop(std::string label) : name(std::move(label)) {}  // NOLINT: implicit, so {"pe_steps"} is a loop
  std::string name;
  std::string ii = "1", depth = "9", trip = "4096", latency = "4104";  // latency = (trip - 1) * ii + depth
  std::vector<Loop> inner;
};

std::string loop_xml(const Loop& l) {
  std::string s = fmt::format("<{0}>\n<Slack>0.41</Slack>\n<TripCount>{1}</TripCount>\n<Latency>{2}</Latency>\n"
                              "<AbsoluteTimeLatency>13.680 us</AbsoluteTimeLatency>\n",
                              l.name, l.trip, l.latency);
  if (!l.ii.empty()) s += fmt::format("<PipelineII>{}</PipelineII>\n<PipelineDepth>{}</PipelineDepth>\n", l.ii, l.depth);
  else s += fmt::format("<IterationLatency>{}</IterationLatency>\n", l.depth);
  s += "<InstanceList>\n</InstanceList>\n";
  for (const auto& i : l.inner) s += loop_xml(i);
  return s + fmt::format("</{}>\n", l.name);
}

struct Resources {
  std::string lut, ff, dsp, bram, uram;
  std::string dsp_tag = "DSP";  // DSP48E in Vivado HLS
};

/** A csynth.xml of Vitis HLS 2023.2's layout (root profile, UserAssignments, PerformanceEstimates, AreaEstimates). */
std::string csynth_xml(const std::string& module, const std::vector<Loop>& loops, const Resources& r,
                       const std::string& estimated_clock = "2.431") {
  std::string s = fmt::format(R"(<profile>
<ReportVersion>
<Version>2023.2</Version>
</ReportVersion>
<UserAssignments>
<unit>ns</unit>
<ProductFamily>zynquplus</ProductFamily>
<Part>xck26-sfvc784-2LV-c</Part>
<TopModelName>{}</TopModelName>
<TargetClockPeriod>3.33</TargetClockPeriod>
<ClockUncertainty>0.90</ClockUncertainty>
<FlowTarget>vivado</FlowTarget>
</UserAssignments>
<PerformanceEstimates>
<PipelineType>dataflow</PipelineType>
<SummaryOfTimingAnalysis>
<unit>ns</unit>
<EstimatedClockPeriod>{}</EstimatedClockPeriod>
</SummaryOfTimingAnalysis>
<SummaryOfOverallLatency>
<unit>clock cycles</unit>
<Best-caseLatency>undef</Best-caseLatency>
<Worst-caseLatency>undef</Worst-caseLatency>
<Interval-min>undef</Interval-min>
<Interval-max>undef</Interval-max>
</SummaryOfOverallLatency>
<SummaryOfLoopLatency>
)",
                              module, estimated_clock);
  for (const auto& l : loops) s += loop_xml(l);
  s += fmt::format(R"(</SummaryOfLoopLatency>
</PerformanceEstimates>
<AreaEstimates>
<Resources>
<BRAM_18K>{}</BRAM_18K>
<{}>{}</{}>
<FF>{}</FF>
<LUT>{}</LUT>
<URAM>{}</URAM>
</Resources>
<AvailableResources>
<BRAM_18K>288</BRAM_18K>
<DSP>1248</DSP>
<FF>234240</FF>
<LUT>117120</LUT>
<URAM>64</URAM>
</AvailableResources>
</AreaEstimates>
</profile>
)",
                   r.bram, r.dsp_tag, r.dsp, r.dsp_tag, r.ff, r.lut, r.uram);
  return s;
}

/** The rows of a <top>_cosim.rpt as Vitis HLS prints them. */
std::string cosim_rpt(const std::string& verilog_status) {
  return "Report time       : Mon Jan  1 00:00:00 2024.\nSolution          : sol1.\nSimulation tool   : xsim.\n\n"
         "+----------+----------+-----------------------------------------------+------------------------------------"
         "-----------+----------------------+\n"
         "|          |          |             Latency(Clock Cycles)             |              Interval(Clock "
         "Cycles)           | Total Execution Time |\n"
         "|      VHDL|        NA|             NA|             NA|             NA|             NA|             NA|"
         "             NA|                    NA|\n"
         "|   Verilog|" +
         fmt::format("{:>10}", verilog_status) +
         "|          4615|          4615|          4615|          4616|          4616|          4616|          "
         "          9231|\n";
}

/** The schedule the lead's emitter writes (schema of schedule.json, version 1). */
nlohmann::json schedule(std::vector<std::pair<std::string, std::string>> stages, int64_t ii = 1) {
  nlohmann::json j = {{"format", "fpgallm-schedule"}, {"version", 1}, {"accel", "paper_gs64_pe8x8"}, {"clock_mhz", 300}};
  j["stages"] = nlohmann::json::array();
  for (const auto& [name, loop] : stages)
    j["stages"].push_back({{"name", name},
                           {"loop", loop},
                           {"ii", ii},
                           {"depth", 9},
                           {"trip_count", {{"min", 1}, {"max", 4096}}},
                           {"cycles_per_block", {{"decode", 8}, {"prefill_chunk", 128}}}});
  j["cycles_per_block"] = {{"decode", 9}, {"prefill_chunk", 128}, {"prefill_chunk_tokens", 16}};
  return j;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

/** An emitted project (its real resource_estimate.json) with a synthesis report laid out by Vitis. */
struct Fixture {
  fs::path dir;
  explicit Fixture(const std::string& name) {
    dir = fs::path(FPGALLM_BINARY_DIR) / ("test_hls_report_tmp_" + std::to_string(::getpid())) / name;
    fs::remove_all(dir);
    const sim::SocConfig soc =
        sim::load_soc_config(kSrc + "/configs/platform/kv260.yaml", kSrc + "/configs/accel/paper_gs64_pe8x8.yaml");
    const dse::ResourceCosts costs = dse::load_resource_costs(kSrc + "/configs/dse/resource_costs.yaml");
    hls::write_project(hls::render_project(soc, costs), dir.string());
    // The tests below write the schedule they compare against (or none); the emitted one has its own test.
    fs::remove(dir / "schedule.json");
  }
  fs::path report(const std::string& file) const { return dir / hls::kSynthReportDir / file; }
  /** The project's own estimate as HLS would report it: every figure equal (BRAM_18K = 2 x bram36). */
  Resources estimate() const {
    const auto j = nlohmann::json::parse(std::ifstream(dir / "resource_estimate.json"));
    auto e = [&](const char* k) { return j[k]["estimate"].get<int64_t>(); };
    return {std::to_string(e("luts")), std::to_string(e("ffs")), std::to_string(e("dsp48e2")),
            std::to_string(2 * e("bram36")), std::to_string(e("uram288"))};
  }
  void top(const std::vector<Loop>& loops) const { top(loops, estimate()); }
  void top(const std::vector<Loop>& loops, const Resources& r, const std::string& clock = "2.431") const {
    write(report("csynth.xml"), csynth_xml("fpgallm_linear", loops, r, clock));
  }
  void module(const std::string& name, const std::vector<Loop>& loops) const {
    write(report(name + "_csynth.xml"), csynth_xml(name, loops, estimate()));
  }
  void sched(const nlohmann::json& j) const { write(dir / "schedule.json", j.dump(2)); }
  hls::HlsComparison compare() const { return hls::compare_hls_report(dir.string()); }
};

const hls::ComparisonRow* row(const hls::HlsComparison& c, const std::string& section_part, const std::string& item) {
  for (const auto& r : c.rows)
    if (r.section.find(section_part) != std::string::npos && r.item == item) return &r;
  return nullptr;
}

std::string table(const hls::HlsComparison& c) { return hls::format_comparison(c); }

template <class Fn>
void expect_error(Fn&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected fpgallm::Error";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

}  // namespace

TEST(HlsReport, MatchingReportPassesWithEveryFigureWithinTenPercent) {
  Fixture f("matching");
  f.top({{"act_words"}});
  f.module("pe_array_Pipeline_pe_steps", {{"pe_steps"}});
  f.sched(schedule({{"pe_array", "pe_steps"}, {"load_act", "act_words"}}));
  const hls::HlsComparison c = f.compare();
  EXPECT_EQ(c.flagged(), 0u) << table(c);
  const auto* ii = row(c, "pe_array / pe_steps in pe_array_Pipeline_pe_steps", "II");
  ASSERT_NE(ii, nullptr) << table(c);
  EXPECT_EQ(ii->reported, "1");
  EXPECT_EQ(ii->estimated, "1");
  EXPECT_EQ(ii->diff, "0%");
  ASSERT_NE(row(c, "pe_array / pe_steps", "latency (max)"), nullptr);
  EXPECT_EQ(row(c, "pe_array / pe_steps", "latency (max)")->estimated, "4104");
  ASSERT_NE(row(c, "resources", "BRAM_18K"), nullptr);
  const Resources e = f.estimate();
  EXPECT_EQ(row(c, "resources", "BRAM_18K")->estimated, fmt::format("{} (2 x {} bram36)", e.bram, std::stoll(e.bram) / 2));
  EXPECT_NE(table(c).find("nothing differs by more than 10%"), std::string::npos) << table(c);
}

TEST(HlsReport, IiOfFourWhereTheScheduleSaysOneIsFlagged) {
  Fixture f("ii4");
  Loop pe{"pe_steps"};
  pe.ii = "4";
  pe.latency = std::to_string(4095 * 4 + 9);
  f.top({});
  f.module("pe_array_Pipeline_pe_steps", {pe});
  f.sched(schedule({{"pe_array", "pe_steps"}}));
  const hls::HlsComparison c = f.compare();
  const auto* ii = row(c, "pe_array / pe_steps", "II");
  ASSERT_NE(ii, nullptr) << table(c);
  EXPECT_TRUE(ii->flagged);
  EXPECT_EQ(ii->reported, "4");
  EXPECT_EQ(ii->diff, "+300%");
  EXPECT_TRUE(row(c, "pe_array / pe_steps", "latency (max)")->flagged);  // the latency follows the II
  EXPECT_FALSE(row(c, "pe_array / pe_steps", "depth")->flagged);
  EXPECT_EQ(c.flagged(), 2u) << table(c);
  EXPECT_NE(table(c).find("2 figure(s) differ by more than 10%"), std::string::npos);
}

TEST(HlsReport, ResourcesBeyondTenPercentAreFlaggedEitherWayAndBram18kIsTwiceBram36) {
  Fixture f("resources");
  const Resources e = f.estimate();
  ASSERT_EQ(e.uram, "0");  // the paper design keeps its buffers in BRAM
  Resources r = e;
  r.lut = std::to_string(std::stoll(e.lut) * 111 / 100);  // +11%
  r.ff = std::to_string(std::stoll(e.ff) * 95 / 100);     // -5%: within
  r.dsp = std::to_string(std::stoll(e.dsp) * 83 / 100);   // -17%
  r.bram = std::to_string(std::stoll(e.bram) / 2);        // the estimate's BRAM36 count taken as 18K blocks: -50%
  r.uram = "2";                                           // the estimate uses none
  f.top({}, r);
  const hls::HlsComparison c = f.compare();
  EXPECT_TRUE(row(c, "resources", "LUT")->flagged);
  EXPECT_FALSE(row(c, "resources", "FF")->flagged);
  EXPECT_TRUE(row(c, "resources", "DSP")->flagged);
  EXPECT_TRUE(row(c, "resources", "BRAM_18K")->flagged);
  EXPECT_EQ(row(c, "resources", "BRAM_18K")->diff, "-50%");
  EXPECT_TRUE(row(c, "resources", "URAM")->flagged);
  EXPECT_EQ(row(c, "resources", "URAM")->diff, "+inf");
  EXPECT_EQ(c.flagged(), 4u) << table(c);
}

TEST(HlsReport, VivadoHlsLayoutWithDsp48eRangesAndNoUramIsRead) {
  // Vivado HLS 2018.3: DSP48E, no URAM element, counts as <range><min/><max/></range>.
  const std::string xml = R"(<profile>
<ReportVersion><Version>2018.3</Version></ReportVersion>
<UserAssignments><TopModelName>fpgallm_linear</TopModelName><TargetClockPeriod>3.33</TargetClockPeriod></UserAssignments>
<PerformanceEstimates>
<SummaryOfTimingAnalysis><EstimatedClockPeriod>2.9</EstimatedClockPeriod></SummaryOfTimingAnalysis>
<SummaryOfOverallLatency><Best-caseLatency>157</Best-caseLatency><Worst-caseLatency>2089111</Worst-caseLatency></SummaryOfOverallLatency>
<SummaryOfLoopLatency>
<loop_height>
<TripCount><range><min>9</min><max>1083</max></range></TripCount>
<Latency><range><min>153</min><max>2089107</max></range></Latency>
<IterationLatency><range><min>17</min><max>1929</max></range></IterationLatency>
<loop_width>
<TripCount><range><min>10</min><max>1922</max></range></TripCount>
<Latency>13 ~ 1925</Latency>
<PipelineII>1</PipelineII>
<PipelineDepth>5</PipelineDepth>
</loop_width>
</loop_height>
</SummaryOfLoopLatency>
</PerformanceEstimates>
<AreaEstimates><Resources><BRAM_18K>9</BRAM_18K><FF>1070</FF><LUT>3099</LUT><DSP48E>4</DSP48E></Resources></AreaEstimates>
</profile>)";
  const hls::CsynthFile f = hls::parse_csynth_xml(xml, "csynth.xml");
  EXPECT_EQ(f.version, "2018.3");
  EXPECT_EQ(f.resources.dsp, 4);
  EXPECT_FALSE(f.resources.uram.has_value());
  EXPECT_EQ(f.latency, (hls::CycleRange{157, 2089111}));
  ASSERT_EQ(f.loops.size(), 2u);
  EXPECT_EQ(f.loops[0].path, "loop_height");
  EXPECT_FALSE(f.loops[0].pipeline_ii.has_value());
  EXPECT_EQ(f.loops[0].iteration_latency, (hls::CycleRange{17, 1929}));
  EXPECT_EQ(f.loops[1].path, "loop_height/loop_width");
  EXPECT_EQ(f.loops[1].trip_count, (hls::CycleRange{10, 1922}));
  EXPECT_EQ(f.loops[1].latency, (hls::CycleRange{13, 1925}));
  EXPECT_EQ(f.loops[1].pipeline_depth, 5);
}

TEST(HlsReport, LoopsOfSubFunctionsComeFromTheirModuleReportsAndARepeatedLabelMatchesItsStage) {
  Fixture f("modules");
  Loop outer{"tiles"};
  outer.ii.clear();  // not pipelined: its depth is compared as the iteration latency
  outer.inner = {{"pe_steps.2"}};
  f.top({});
  f.module("pe_array", {outer});
  f.module("fpgallm_linear", {});  // <top>_csynth.xml: the top again
  f.sched(schedule({{"pe_array", "pe_steps"}}));
  const hls::HlsComparison c = f.compare();
  const auto* ii = row(c, "pe_array / tiles/pe_steps.2 in pe_array", "II");
  ASSERT_NE(ii, nullptr) << table(c);
  EXPECT_FALSE(ii->flagged);
  const auto* other = row(c, "tiles in pe_array", "II / depth / trip / latency");
  ASSERT_NE(other, nullptr) << table(c);  // a loop no stage names is listed, not compared
  EXPECT_EQ(other->reported, "- / - / 4096 / 4104");
  EXPECT_EQ(c.flagged(), 0u) << table(c);
}

TEST(HlsReport, StageWhoseLoopIsNotInTheReportIsFlagged) {
  Fixture f("absent_loop");
  f.top({{"act_words"}});
  f.sched(schedule({{"pe_array", "pe_steps"}}));
  const hls::HlsComparison c = f.compare();
  const auto* r = row(c, "pe_array / pe_steps", "loop");
  ASSERT_NE(r, nullptr) << table(c);
  EXPECT_TRUE(r->flagged);
  EXPECT_NE(r->note.find("no loop of that label"), std::string::npos);
}

TEST(HlsReport, ALoopHlsDidNotPipelineIsFlaggedAgainstAPipelinedStage) {
  Fixture f("not_pipelined");
  Loop pe{"pe_steps"};
  pe.ii.clear();
  f.top({pe});
  f.sched(schedule({{"pe_array", "pe_steps"}}));
  const hls::HlsComparison c = f.compare();
  EXPECT_TRUE(row(c, "pe_array / pe_steps", "II")->flagged);
  EXPECT_EQ(row(c, "pe_array / pe_steps", "II")->reported, "not pipelined");
  EXPECT_EQ(row(c, "pe_array / pe_steps", "iteration latency")->reported, "9");
}

TEST(HlsReport, UnboundedLoopIsShownUndefAndNotCompared) {
  Fixture f("undef");
  Loop pe{"pe_steps"};
  pe.trip = pe.latency = "undef";
  f.top({pe});
  f.sched(schedule({{"pe_array", "pe_steps"}}));
  const hls::HlsComparison c = f.compare();
  EXPECT_EQ(row(c, "pe_array / pe_steps", "trip count (max)")->reported, "undef");
  EXPECT_FALSE(row(c, "pe_array / pe_steps", "latency (max)")->flagged);
  EXPECT_EQ(c.flagged(), 0u) << table(c);
}

TEST(HlsReport, AbsentScheduleIsNotedAndLoopsAreListedWithoutEstimates) {
  Fixture f("no_schedule");
  f.top({{"pe_steps"}});
  const hls::HlsComparison c = f.compare();
  EXPECT_NE(table(c).find("no " + (f.dir / "schedule.json").string()), std::string::npos) << table(c);
  EXPECT_NE(row(c, "pe_steps in fpgallm_linear", "II / depth / trip / latency"), nullptr) << table(c);
  EXPECT_EQ(c.flagged(), 0u) << table(c);
  ASSERT_NE(row(c, "timing", "target clock (ns)"), nullptr);  // from resource_estimate.json's clock
  EXPECT_EQ(row(c, "timing", "target clock (ns)")->estimated, "3.333");
}

TEST(HlsReport, EstimatedClockSlowerThanTheDesignsIsFlaggedAFasterOneIsNot) {
  Fixture f("clock");
  f.top({}, f.estimate(), "3.80");
  EXPECT_TRUE(row(f.compare(), "timing", "estimated clock (ns)")->flagged);
  f.top({}, f.estimate(), "1.90");
  EXPECT_FALSE(row(f.compare(), "timing", "estimated clock (ns)")->flagged);
}

TEST(HlsReport, CosimulationFailIsFlaggedAndItsLatencyShown) {
  Fixture f("cosim");
  f.top({});
  write(f.dir / hls::kCosimReportDir / "fpgallm_linear_cosim.rpt", cosim_rpt("Pass"));
  hls::HlsComparison c = f.compare();
  EXPECT_FALSE(row(c, "co-simulation Verilog", "status")->flagged);
  EXPECT_EQ(row(c, "co-simulation Verilog", "latency (cycles)")->reported, "4615");
  write(f.dir / hls::kCosimReportDir / "fpgallm_linear_cosim.rpt", cosim_rpt("Fail"));
  c = f.compare();
  EXPECT_TRUE(row(c, "co-simulation Verilog", "status")->flagged);
}

TEST(HlsReport, MissingOrCorruptReportIsAnErrorNamingTheFile) {
  Fixture f("corrupt");
  const std::string summary = f.report("csynth.xml").string();
  expect_error([&] { f.compare(); }, {"synthesis report", "not found", summary, "vitis_hls -f run_hls.tcl"});
  const std::string good = csynth_xml("fpgallm_linear", {{"pe_steps"}}, f.estimate());
  write(summary, good.substr(0, good.size() / 2));
  expect_error([&] { f.compare(); }, {summary, "not well-formed XML", "line"});
  write(summary, "<report><x/></report>");
  expect_error([&] { f.compare(); }, {summary, "root element is <report>"});
  Loop bad{"pe_steps"};
  bad.ii = "1x";
  write(summary, csynth_xml("fpgallm_linear", {bad}, f.estimate()));
  expect_error([&] { f.compare(); },
               {summary, "SummaryOfLoopLatency/pe_steps/PipelineII", "'1x' is not a count"});
  Loop backwards{"pe_steps"};
  backwards.latency = "900 ~ 12";
  write(summary, csynth_xml("fpgallm_linear", {backwards}, f.estimate()));
  expect_error([&] { f.compare(); }, {summary, "pe_steps/Latency", "not a range"});
  f.top({});
  write(f.report("pe_array_csynth.xml"), "<profile><UserAssignments/></profile>");
  expect_error([&] { f.compare(); }, {f.report("pe_array_csynth.xml").string(), "no <TopModelName>"});
  fs::remove(f.report("pe_array_csynth.xml"));
  write(f.dir / hls::kCosimReportDir / "x_cosim.rpt", "Report time : now\n");
  expect_error([&] { f.compare(); }, {"x_cosim.rpt", "no VHDL/Verilog row"});
  fs::remove(f.dir / hls::kCosimReportDir / "x_cosim.rpt");
  EXPECT_NO_THROW(f.compare());
}

TEST(HlsReport, MalformedScheduleOrEstimateIsAnErrorNamingFileAndField) {
  Fixture f("bad_json");
  f.top({});
  const std::string sched = (f.dir / "schedule.json").string();
  write(sched, "{\"format\": \"fpgallm-schedule\",");
  expect_error([&] { f.compare(); }, {sched, "not valid JSON"});
  nlohmann::json j = schedule({{"pe_array", "pe_steps"}});
  j["version"] = 2;
  f.sched(j);
  expect_error([&] { f.compare(); }, {sched, "version 2"});
  j = schedule({{"pe_array", "pe_steps"}}, 0);
  f.sched(j);
  expect_error([&] { f.compare(); }, {sched, "stages[0].ii must be at least 1"});
  j = schedule({{"pe_array", "pe_steps"}});
  j["stages"][0]["trip_count"] = {{"min", 10}, {"max", 2}};
  f.sched(j);
  expect_error([&] { f.compare(); }, {sched, "stages[0].trip_count: min 10 exceeds max 2"});
  j = schedule({{"pe_array", "pe_steps"}});
  j["stages"][0].erase("loop");
  f.sched(j);
  expect_error([&] { f.compare(); }, {sched, "stages[0] has no 'loop'"});
  fs::remove(sched);
  const std::string est = (f.dir / "resource_estimate.json").string();
  nlohmann::json e = nlohmann::json::parse(std::ifstream(est));
  e["dsp48e2"]["estimate"] = "many";
  write(est, e.dump());
  expect_error([&] { f.compare(); }, {est, "dsp48e2.estimate must be an integer"});
  fs::remove(est);
  expect_error([&] { f.compare(); }, {est, "not found", "fpgallm emit-hls"});
  expect_error([&] { hls::compare_hls_report((f.dir / "nope").string()); }, {"nope", "is not a folder"});
}

TEST(HlsReport, AReportThatMeetsTheEmittedScheduleOfThePaperDesignFlagsNoStage) {
  // The schedule.json emit-hls writes, and a report whose loops have exactly its II, depth and trip count.
  const sim::SocConfig soc =
      sim::load_soc_config(kSrc + "/configs/platform/kv260.yaml", kSrc + "/configs/accel/paper_gs64_pe8x8.yaml");
  const dse::ResourceCosts costs = dse::load_resource_costs(kSrc + "/configs/dse/resource_costs.yaml");
  const hls::Project p = hls::render_project(soc, costs);
  const nlohmann::json sched = nlohmann::json::parse(p.find("schedule.json")->text);
  Fixture f("emitted_schedule");
  f.sched(sched);
  std::vector<Loop> loops;
  for (const auto& st : sched["stages"]) {
    Loop l{st["loop"].get<std::string>()};
    const int64_t ii = st["ii"], depth = st["depth"], trip = st["trip_count"]["max"];
    l.ii = std::to_string(ii);
    l.depth = std::to_string(depth);
    l.trip = std::to_string(trip);
    l.latency = std::to_string((trip - 1) * ii + depth);
    loops.push_back(l);
  }
  f.top(loops);
  const hls::HlsComparison c = f.compare();
  for (const auto& st : sched["stages"]) {
    const std::string section = st["name"].get<std::string>() + " / " + st["loop"].get<std::string>();
    ASSERT_NE(row(c, section, "II"), nullptr) << section << "\n" << table(c);
    EXPECT_FALSE(row(c, section, "II")->flagged) << section;
  }
  EXPECT_EQ(c.flagged(), 0u) << table(c);
}
