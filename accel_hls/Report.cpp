#include "accel_hls/Report.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tinyxml2.h>

#include "models/core/Error.h"

namespace fpgallm::hls {

namespace fs = std::filesystem;
using tinyxml2::XMLElement;

namespace {

constexpr double kNsPerUs = 1000.0;  // clock period in ns = 1000 / MHz

std::string read_text(const fs::path& p, const char* what) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) fail("hls-report: {} not found: {}", what, p.string());
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) fail("hls-report: cannot read {}", p.string());
  return ss.str();
}

std::string trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// ---- csynth.xml -------------------------------------------------------------------------------

/** Reads elements of one csynth.xml-layout file; every error names the file and the element path. */
class CsynthReader {
 public:
  explicit CsynthReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void bad(const std::string& where, const std::string& why) const {
    fail("hls-report: {}: {}: {}", file_, where, why);
  }

  static std::string text_of(const XMLElement* e) {
    const char* t = e->GetText();
    return t ? trimmed(t) : std::string();
  }

  /** A cycle count: "<n>", "undef", "<a> ~ <b>" (csynth.rpt's form), or <range><min/><max/></range>. */
  CycleRange cycles(const XMLElement* e, const std::string& where) const {
    CycleRange r;
    if (const XMLElement* range = e->FirstChildElement("range")) {
      const XMLElement* mn = range->FirstChildElement("min");
      const XMLElement* mx = range->FirstChildElement("max");
      if (!mn || !mx) bad(where + "/range", "a range needs <min> and <max>");
      r.min = count(text_of(mn), where + "/range/min");
      r.max = count(text_of(mx), where + "/range/max");
    } else {
      const std::string t = text_of(e);
      const size_t tilde = t.find('~');
      if (tilde != std::string::npos) {
        r.min = count(trimmed(std::string_view(t).substr(0, tilde)), where);
        r.max = count(trimmed(std::string_view(t).substr(tilde + 1)), where);
      } else {
        r.min = r.max = count(t, where);
      }
    }
    if (r.min.has_value() != r.max.has_value() || (r.min && *r.min > *r.max))
      bad(where, fmt::format("range {}..{} is not a range", r.min ? std::to_string(*r.min) : "undef",
                             r.max ? std::to_string(*r.max) : "undef"));
    return r;
  }

  /** A non-negative count, or nullopt for "undef". */
  std::optional<int64_t> count(const std::string& t, const std::string& where) const {
    if (t == "undef") return std::nullopt;
    const auto v = parse_int(t);
    if (!v || *v < 0) bad(where, fmt::format("'{}' is not a count (a non-negative integer or undef)", t));
    return v;
  }

  std::optional<double> nanoseconds(const XMLElement* parent, const char* name, const std::string& where) const {
    const XMLElement* e = parent ? parent->FirstChildElement(name) : nullptr;
    if (!e) return std::nullopt;
    const std::string t = text_of(e);
    if (t == "undef") return std::nullopt;
    const auto v = parse_double(t);
    if (!v || *v <= 0) bad(where + "/" + name, fmt::format("'{}' is not a clock period in ns", t));
    return v;
  }

  /** Loop fields; every other child element is a loop nested in this one (Vitis's layout). */
  static bool is_loop_field(std::string_view n) {
    static const std::set<std::string_view> kFields = {"Name",          "Slack",        "TripCount",
                                                       "Latency",       "AbsoluteTimeLatency",
                                                       "IterationLatency", "PipelineII", "PipelineDepth",
                                                       "PipelineType",  "InstanceList"};
    return kFields.count(n) != 0;
  }

  void loops(const XMLElement* parent, const std::string& module, const std::string& prefix, const std::string& where,
             std::vector<ReportLoop>& out) const {
    for (const XMLElement* e = parent->FirstChildElement(); e; e = e->NextSiblingElement()) {
      if (is_loop_field(e->Name())) continue;
      ReportLoop l;
      l.module = module;
      l.file = file_;
      l.name = e->Name();
      if (const XMLElement* n = e->FirstChildElement("Name")) {
        if (!text_of(n).empty()) l.name = text_of(n);
      }
      l.path = prefix.empty() ? l.name : prefix + "/" + l.name;
      const std::string here = where + "/" + e->Name();
      if (const XMLElement* f = e->FirstChildElement("TripCount")) l.trip_count = cycles(f, here + "/TripCount");
      if (const XMLElement* f = e->FirstChildElement("Latency")) l.latency = cycles(f, here + "/Latency");
      if (const XMLElement* f = e->FirstChildElement("IterationLatency"))
        l.iteration_latency = cycles(f, here + "/IterationLatency");
      if (const XMLElement* f = e->FirstChildElement("PipelineII")) l.pipeline_ii = count(text_of(f), here + "/PipelineII");
      if (const XMLElement* f = e->FirstChildElement("PipelineDepth"))
        l.pipeline_depth = count(text_of(f), here + "/PipelineDepth");
      if (l.pipeline_ii && *l.pipeline_ii == 0) bad(here + "/PipelineII", "an initiation interval of 0");
      out.push_back(l);
      loops(e, module, l.path, here, out);
    }
  }

  std::optional<int64_t> resource(const XMLElement* res, std::initializer_list<const char*> names) const {
    for (const char* n : names)
      if (const XMLElement* e = res->FirstChildElement(n)) {
        const auto v = count(text_of(e), std::string("profile/AreaEstimates/Resources/") + n);
        if (!v) bad(std::string("profile/AreaEstimates/Resources/") + n, "undef is not a resource count");
        return v;
      }
    return std::nullopt;
  }

  CsynthFile parse(const std::string& text) const {
    tinyxml2::XMLDocument doc;
    if (doc.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS)
      fail("hls-report: {}: not well-formed XML: {} (line {})", file_, doc.ErrorName(), doc.ErrorLineNum());
    const XMLElement* root = doc.RootElement();
    if (!root || std::string_view(root->Name()) != "profile")
      fail("hls-report: {}: the root element is <{}>, not <profile> (not a Vitis HLS csynth.xml)", file_,
           root ? root->Name() : "");
    CsynthFile f;
    f.file = file_;
    if (const XMLElement* v = root->FirstChildElement("ReportVersion")) {
      if (const XMLElement* ver = v->FirstChildElement("Version")) f.version = text_of(ver);
    }
    const XMLElement* ua = root->FirstChildElement("UserAssignments");
    if (!ua) bad("profile", "no <UserAssignments>");
    const XMLElement* top = ua->FirstChildElement("TopModelName");
    if (!top || text_of(top).empty()) bad("profile/UserAssignments", "no <TopModelName>");
    f.module = text_of(top);
    if (const XMLElement* part = ua->FirstChildElement("Part")) f.part = text_of(part);
    f.target_clock_ns = nanoseconds(ua, "TargetClockPeriod", "profile/UserAssignments");
    const XMLElement* perf = root->FirstChildElement("PerformanceEstimates");
    if (!perf) bad("profile", "no <PerformanceEstimates>");
    f.estimated_clock_ns = nanoseconds(perf->FirstChildElement("SummaryOfTimingAnalysis"), "EstimatedClockPeriod",
                                       "profile/PerformanceEstimates/SummaryOfTimingAnalysis");
    if (const XMLElement* lat = perf->FirstChildElement("SummaryOfOverallLatency")) {
      const std::string where = "profile/PerformanceEstimates/SummaryOfOverallLatency";
      const XMLElement* best = lat->FirstChildElement("Best-caseLatency");
      const XMLElement* worst = lat->FirstChildElement("Worst-caseLatency");
      if (best) f.latency.min = count(text_of(best), where + "/Best-caseLatency");
      if (worst) f.latency.max = count(text_of(worst), where + "/Worst-caseLatency");
      if (!f.latency.min || !f.latency.max) f.latency = {};
    }
    if (const XMLElement* summary = perf->FirstChildElement("SummaryOfLoopLatency"))
      loops(summary, f.module, "", "profile/PerformanceEstimates/SummaryOfLoopLatency", f.loops);
    const XMLElement* area = root->FirstChildElement("AreaEstimates");
    const XMLElement* res = area ? area->FirstChildElement("Resources") : nullptr;
    if (!res) bad("profile", "no <AreaEstimates><Resources>");
    f.resources.lut = resource(res, {"LUT"});
    f.resources.ff = resource(res, {"FF"});
    f.resources.dsp = resource(res, {"DSP", "DSP48E"});
    f.resources.bram_18k = resource(res, {"BRAM_18K"});
    f.resources.uram = resource(res, {"URAM"});
    return f;
  }

 private:
  std::string file_;
};

// ---- JSON inputs --------------------------------------------------------------------------------

nlohmann::json parse_json(const std::string& text, const std::string& file) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("hls-report: {}: not valid JSON: {}", file, e.what());
  }
}

const nlohmann::json& member(const nlohmann::json& o, const std::string& key, const std::string& where,
                             const std::string& file) {
  if (!o.is_object()) fail("hls-report: {}: {} is not an object", file, where);
  const auto it = o.find(key);
  if (it == o.end()) fail("hls-report: {}: {} has no '{}'", file, where, key);
  return *it;
}

int64_t integer(const nlohmann::json& v, const std::string& where, const std::string& file, int64_t min_value) {
  if (!v.is_number_integer()) fail("hls-report: {}: {} must be an integer (got {})", file, where, v.dump());
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    fail("hls-report: {}: {} = {} is beyond int64", file, where, v.dump());
  const int64_t x = v.get<int64_t>();
  if (x < min_value) fail("hls-report: {}: {} must be at least {} (got {})", file, where, min_value, x);
  return x;
}

double positive_number(const nlohmann::json& v, const std::string& where, const std::string& file) {
  if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>()))
    fail("hls-report: {}: {} must be a positive number (got {})", file, where, v.dump());
  return v.get<double>();
}

std::string string_of(const nlohmann::json& v, const std::string& where, const std::string& file) {
  if (!v.is_string() || v.get<std::string>().empty())
    fail("hls-report: {}: {} must be a non-empty string (got {})", file, where, v.dump());
  return v.get<std::string>();
}

// ---- comparison ---------------------------------------------------------------------------------

std::string range_text(const CycleRange& r) {
  if (!r.known()) return "undef";
  return *r.min == *r.max ? std::to_string(*r.max) : fmt::format("{}..{}", *r.min, *r.max);
}

std::string opt_text(const std::optional<int64_t>& v, const char* absent) {
  return v ? std::to_string(*v) : std::string(absent);
}

/** The relative difference of `reported` from `estimated`; an estimate of 0 only matches 0. */
double relative_diff(double reported, double estimated) {
  if (estimated == 0) return reported == 0 ? 0.0 : INFINITY;
  return (reported - estimated) / std::fabs(estimated);
}

std::string diff_text(double d) {
  if (std::isinf(d)) return d > 0 ? "+inf" : "-inf";
  const double percent = std::round(100 * d);
  return percent == 0 ? "0%" : fmt::format("{:+.0f}%", percent);
}

/** Appends a row comparing two known figures, flagged beyond the tolerance in either direction. */
void compare_row(std::vector<ComparisonRow>& rows, const std::string& section, const std::string& item,
                 double reported, double estimated, const std::string& reported_text,
                 const std::string& estimated_text) {
  const double d = relative_diff(reported, estimated);
  rows.push_back({section, item, reported_text, estimated_text, diff_text(d), std::fabs(d) > kReportTolerance, ""});
}

/** A loop of the report belongs to a stage when its name is the label, or the label plus ".N". */
bool loop_matches(const std::string& name, const std::string& label) {
  if (name == label) return true;
  if (name.size() <= label.size() + 1 || name.compare(0, label.size(), label) != 0 || name[label.size()] != '.')
    return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(label.size()) + 1, name.end(),
                     [](char ch) { return ch >= '0' && ch <= '9'; });
}

void loop_rows(std::vector<ComparisonRow>& rows, const ScheduleStage& s, const ReportLoop& l) {
  const std::string section = fmt::format("{} / {} in {}", s.name, l.path, l.module);
  if (l.pipeline_ii) {
    compare_row(rows, section, "II", static_cast<double>(*l.pipeline_ii), static_cast<double>(s.ii),
                std::to_string(*l.pipeline_ii), std::to_string(s.ii));
  } else {
    rows.push_back({section, "II", "not pipelined", std::to_string(s.ii), "", true,
                    "the schedule expects a pipelined loop"});
  }
  // Depth of the pipeline; for a loop HLS did not pipeline, the latency of one iteration.
  const std::optional<int64_t> depth = l.pipeline_depth ? l.pipeline_depth : l.iteration_latency.max;
  if (depth) {
    compare_row(rows, section, l.pipeline_depth ? "depth" : "iteration latency", static_cast<double>(*depth),
                static_cast<double>(s.depth), std::to_string(*depth), std::to_string(s.depth));
  } else {
    rows.push_back({section, "depth", "undef", std::to_string(s.depth), "", false, "not reported"});
  }
  if (!s.trip_max) return;
  const int64_t est_latency = (*s.trip_max - 1) * s.ii + s.depth;
  const std::string est_trip = s.trip_min && *s.trip_min != *s.trip_max
                                   ? fmt::format("{}..{}", *s.trip_min, *s.trip_max)
                                   : std::to_string(*s.trip_max);
  const char* unbounded = "HLS knows no bound (LOOP_TRIPCOUNT): not compared";
  if (l.trip_count.known())
    compare_row(rows, section, "trip count (max)", static_cast<double>(*l.trip_count.max),
                static_cast<double>(*s.trip_max), range_text(l.trip_count), est_trip);
  else
    rows.push_back({section, "trip count (max)", "undef", est_trip, "", false, unbounded});
  if (l.latency.known())
    compare_row(rows, section, "latency (max)", static_cast<double>(*l.latency.max), static_cast<double>(est_latency),
                range_text(l.latency), std::to_string(est_latency));
  else
    rows.push_back({section, "latency (max)", "undef", std::to_string(est_latency), "", false, unbounded});
}

}  // namespace

// ---- public ---------------------------------------------------------------------------------------

CsynthFile parse_csynth_xml(const std::string& text, const std::string& file) { return CsynthReader(file).parse(text); }

CsynthReport read_csynth_report(const std::string& project_dir) {
  const fs::path dir = fs::path(project_dir) / kSynthReportDir;
  const fs::path summary = dir / kSynthSummaryFile;
  CsynthReport r;
  r.top = parse_csynth_xml(read_text(summary, "the synthesis report (run `vitis_hls -f run_hls.tcl` first)"),
                           summary.string());
  r.files.push_back(summary.string());
  std::vector<fs::path> modules;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() > std::string("_csynth.xml").size() && name.ends_with("_csynth.xml"))
      modules.push_back(e.path());
  }
  if (ec) fail("hls-report: cannot list {}: {}", dir.string(), ec.message());
  std::sort(modules.begin(), modules.end());
  std::vector<CsynthFile> files = {r.top};
  for (const auto& m : modules) {
    files.push_back(parse_csynth_xml(read_text(m, "a module report"), m.string()));
    r.files.push_back(m.string());
  }
  // <top>_csynth.xml repeats the top's loops: each (module, path) once, the first file read wins.
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& f : files)
    for (const auto& l : f.loops)
      if (seen.insert({l.module, l.path}).second) r.loops.push_back(l);
  return r;
}

CosimReport parse_cosim_report(const std::string& text, const std::string& file) {
  CosimReport c;
  c.file = file;
  bool any_rtl = false;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] != '|') continue;
    std::vector<std::string> cells;
    size_t at = 1;
    for (size_t bar = line.find('|', at); bar != std::string::npos; at = bar + 1, bar = line.find('|', at))
      cells.push_back(trimmed(std::string_view(line).substr(at, bar - at)));
    if (cells.empty() || (cells[0] != "VHDL" && cells[0] != "Verilog")) continue;
    any_rtl = true;
    // RTL | Status | Latency min avg max | Interval min avg max [| Total Execution Time]
    if (cells.size() < 8) fail("hls-report: {}: line {}: an RTL row has {} cells, not at least 8", file, line_no, cells.size());
    CosimRow r;
    r.rtl = cells[0];
    r.status = cells[1];
    if (r.status == "NA") continue;
    auto cell = [&](size_t i) -> std::optional<int64_t> {
      if (cells[i] == "NA") return std::nullopt;
      const auto v = parse_int(cells[i]);
      if (!v || *v < 0) fail("hls-report: {}: line {}: '{}' is not a cycle count", file, line_no, cells[i]);
      return v;
    };
    r.latency = {cell(2), cell(4)};
    r.latency_avg = cell(3);
    r.interval = {cell(5), cell(7)};
    r.interval_avg = cell(6);
    for (const CycleRange* cr : {&r.latency, &r.interval})
      if (cr->min.has_value() != cr->max.has_value() || (cr->min && *cr->min > *cr->max))
        fail("hls-report: {}: line {}: min and max are not a range", file, line_no);
    c.rows.push_back(r);
  }
  if (!any_rtl) fail("hls-report: {}: no VHDL/Verilog row: not a Vitis HLS co-simulation report", file);
  return c;
}

Schedule parse_schedule_json(const std::string& text, const std::string& file) {
  const nlohmann::json j = parse_json(text, file);
  Schedule s;
  s.file = file;
  if (string_of(member(j, "format", "the file", file), "format", file) != "fpgallm-schedule")
    fail("hls-report: {}: format is not \"fpgallm-schedule\"", file);
  const int64_t version = integer(member(j, "version", "the file", file), "version", file, 0);
  if (version != 1) fail("hls-report: {}: version {} (this fpgallm reads version 1)", file, version);
  s.accel = string_of(member(j, "accel", "the file", file), "accel", file);
  s.clock_mhz = positive_number(member(j, "clock_mhz", "the file", file), "clock_mhz", file);
  const nlohmann::json& stages = member(j, "stages", "the file", file);
  if (!stages.is_array()) fail("hls-report: {}: stages must be an array", file);
  for (size_t i = 0; i < stages.size(); ++i) {
    const std::string where = fmt::format("stages[{}]", i);
    const nlohmann::json& st = stages[i];
    ScheduleStage g;
    g.name = string_of(member(st, "name", where, file), where + ".name", file);
    g.loop = string_of(member(st, "loop", where, file), where + ".loop", file);
    g.ii = integer(member(st, "ii", where, file), where + ".ii", file, 1);
    g.depth = integer(member(st, "depth", where, file), where + ".depth", file, 1);
    if (st.contains("trip_count")) {
      const nlohmann::json& tc = st["trip_count"];
      g.trip_min = integer(member(tc, "min", where + ".trip_count", file), where + ".trip_count.min", file, 0);
      g.trip_max = integer(member(tc, "max", where + ".trip_count", file), where + ".trip_count.max", file, 1);
      if (*g.trip_min > *g.trip_max)
        fail("hls-report: {}: {}.trip_count: min {} exceeds max {}", file, where, *g.trip_min, *g.trip_max);
      // Loop latency (trip - 1) * II + depth must stay an int64.
      if (*g.trip_max > INT64_MAX / g.ii / 2 || g.depth > INT64_MAX / 2)
        fail("hls-report: {}: {}: trip_count.max {} at II {} is beyond any loop", file, where, *g.trip_max, g.ii);
    }
    s.stages.push_back(g);
  }
  return s;
}

ResourceEstimateFile parse_resource_estimate_json(const std::string& text, const std::string& file) {
  const nlohmann::json j = parse_json(text, file);
  ResourceEstimateFile r;
  r.file = file;
  r.accel = string_of(member(j, "accel", "the file", file), "accel", file);
  r.clock_mhz = positive_number(member(j, "clock_mhz", "the file", file), "clock_mhz", file);
  auto est = [&](const char* key) {
    return integer(member(member(j, key, "the file", file), "estimate", key, file), std::string(key) + ".estimate", file, 0);
  };
  r.luts = est("luts");
  r.ffs = est("ffs");
  r.dsp48e2 = est("dsp48e2");
  r.bram36 = est("bram36");
  r.uram288 = est("uram288");
  // BRAM_18K is compared with 2 x bram36: that product must not overflow.
  if (r.bram36 > INT64_MAX / 2) fail("hls-report: {}: bram36.estimate {} is beyond any part", file, r.bram36);
  return r;
}

size_t HlsComparison::flagged() const {
  return static_cast<size_t>(std::count_if(rows.begin(), rows.end(), [](const ComparisonRow& r) { return r.flagged; }));
}

HlsComparison compare_hls_report(const std::string& project_dir) {
  HlsComparison c;
  c.project_dir = project_dir;
  const fs::path dir(project_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("hls-report: {} is not a folder (an emitted, synthesized project)", project_dir);
  const fs::path est_path = dir / kResourceEstimateFile;
  const ResourceEstimateFile est = parse_resource_estimate_json(
      read_text(est_path, "the resource estimate (written by `fpgallm emit-hls`)"), est_path.string());
  const CsynthReport rep = read_csynth_report(project_dir);
  c.notes.push_back(fmt::format("synthesis: {} file(s) of Vitis HLS {} for {} (top {})", rep.files.size(),
                                rep.top.version.empty() ? "?" : rep.top.version,
                                rep.top.part.empty() ? "?" : rep.top.part, rep.top.module));

  std::optional<Schedule> sched;
  const fs::path sched_path = dir / kScheduleFile;
  if (fs::exists(sched_path, ec)) {
    sched = parse_schedule_json(read_text(sched_path, "the schedule"), sched_path.string());
    c.notes.push_back(fmt::format("schedule: {} ({} stages)", sched_path.string(), sched->stages.size()));
  } else {
    c.notes.push_back(fmt::format("no {}: loops are listed as HLS reports them, without the schedule's II and depth",
                                  sched_path.string()));
  }

  // Timing: the clock HLS was given and the one it estimates against the design's clock.
  const double clock_mhz = sched ? sched->clock_mhz : est.clock_mhz;
  const double period_ns = kNsPerUs / clock_mhz;
  const std::string period_text = fmt::format("{:.3f}", period_ns);
  if (rep.top.target_clock_ns)
    compare_row(c.rows, "timing", "target clock (ns)", *rep.top.target_clock_ns, period_ns,
                fmt::format("{:.3f}", *rep.top.target_clock_ns), period_text);
  else
    c.rows.push_back({"timing", "target clock (ns)", "not reported", period_text, "", false, ""});
  if (rep.top.estimated_clock_ns) {
    // Only a slower clock is a problem: HLS estimating faster logic than asked for is not.
    const double d = relative_diff(*rep.top.estimated_clock_ns, period_ns);
    c.rows.push_back({"timing", "estimated clock (ns)", fmt::format("{:.3f}", *rep.top.estimated_clock_ns), period_text,
                      diff_text(d), d > kReportTolerance, d > kReportTolerance ? "slower than the design's clock" : ""});
  }
  c.rows.push_back({"timing", "kernel latency (cycles)", range_text(rep.top.latency), "", "", false,
                    "per start, for the loop bounds HLS assumes"});

  // Loops: each schedule stage against every instance of its loop label.
  std::set<size_t> matched;
  if (sched) {
    for (const ScheduleStage& s : sched->stages) {
      bool found = false;
      for (size_t i = 0; i < rep.loops.size(); ++i)
        if (loop_matches(rep.loops[i].name, s.loop)) {
          loop_rows(c.rows, s, rep.loops[i]);
          matched.insert(i);
          found = true;
        }
      if (!found)
        c.rows.push_back({fmt::format("{} / {}", s.name, s.loop), "loop", "absent", "pipelined loop", "", true,
                          "no loop of that label in the report (unrolled, inlined, renamed or not synthesized)"});
    }
  }
  for (size_t i = 0; i < rep.loops.size(); ++i) {
    if (matched.count(i)) continue;
    const ReportLoop& l = rep.loops[i];
    c.rows.push_back({fmt::format("{} in {}", l.path, l.module), "II / depth / trip / latency",
                      fmt::format("{} / {} / {} / {}", opt_text(l.pipeline_ii, "-"), opt_text(l.pipeline_depth, "-"),
                                  range_text(l.trip_count), range_text(l.latency)),
                      "", "", false, sched ? "no stage of the schedule" : ""});
  }

  // Resources of the top against the explorer's estimate (BRAM_18K: two per BRAM36).
  struct Res {
    const char* name;
    std::optional<int64_t> reported;
    int64_t estimate;
    std::string est_text;
  };
  const std::vector<Res> res = {{"LUT", rep.top.resources.lut, est.luts, std::to_string(est.luts)},
                                {"FF", rep.top.resources.ff, est.ffs, std::to_string(est.ffs)},
                                {"DSP", rep.top.resources.dsp, est.dsp48e2, std::to_string(est.dsp48e2)},
                                {"BRAM_18K", rep.top.resources.bram_18k, 2 * est.bram36,
                                 fmt::format("{} (2 x {} bram36)", 2 * est.bram36, est.bram36)},
                                {"URAM", rep.top.resources.uram, est.uram288, std::to_string(est.uram288)}};
  for (const Res& r : res) {
    if (r.reported)
      compare_row(c.rows, "resources", r.name, static_cast<double>(*r.reported), static_cast<double>(r.estimate),
                  std::to_string(*r.reported), r.est_text);
    else
      c.rows.push_back({"resources", r.name, "not reported", r.est_text, "", r.estimate != 0,
                        r.estimate != 0 ? "the estimate uses it, the report has no such resource" : ""});
  }

  // Co-simulation, when it ran: its status, and the latency it measured (information only).
  const fs::path cosim_dir = dir / kCosimReportDir;
  std::vector<fs::path> cosims;
  for (const auto& e : fs::directory_iterator(cosim_dir, ec))
    if (e.is_regular_file() && e.path().filename().string().ends_with("cosim.rpt")) cosims.push_back(e.path());
  std::sort(cosims.begin(), cosims.end());
  if (cosims.empty()) c.notes.push_back(fmt::format("no co-simulation report in {}", cosim_dir.string()));
  for (const auto& p : cosims) {
    const CosimReport cr = parse_cosim_report(read_text(p, "the co-simulation report"), p.string());
    c.notes.push_back(fmt::format("co-simulation: {}", p.string()));
    if (cr.rows.empty())
      c.rows.push_back({"co-simulation", "status", "NA", "Pass", "", true, "no RTL was simulated"});
    for (const CosimRow& r : cr.rows) {
      const std::string section = "co-simulation " + r.rtl;
      c.rows.push_back({section, "status", r.status, "Pass", "", r.status != "Pass", ""});
      c.rows.push_back({section, "latency (cycles)", range_text(r.latency), "", "", false,
                        "of the testbench's vector sets"});
      c.rows.push_back({section, "interval (cycles)", range_text(r.interval), "", "", false, ""});
    }
  }
  return c;
}

std::string format_comparison(const HlsComparison& c) {
  std::string out;
  for (const auto& n : c.notes) out += "hls-report: " + n + "\n";
  const std::vector<std::string> head = {"", "what", "HLS report", "estimate", "diff", ""};
  std::vector<size_t> w(head.size());
  for (size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (const auto& r : c.rows) {
    w[1] = std::max(w[1], r.item.size());
    w[2] = std::max(w[2], r.reported.size());
    w[3] = std::max(w[3], r.estimated.size());
    w[4] = std::max(w[4], r.diff.size());
  }
  std::string section;
  for (const auto& r : c.rows) {
    if (r.section != section) {
      section = r.section;
      out += "\n" + section + "\n";
      out += fmt::format("  {:<{}}  {:>{}}  {:>{}}  {:>{}}\n", head[1], w[1], head[2], w[2], head[3], w[3], head[4],
                         w[4]);
    }
    out += fmt::format("  {:<{}}  {:>{}}  {:>{}}  {:>{}}  {}{}\n", r.item, w[1], r.reported, w[2], r.estimated, w[3],
                       r.diff, w[4], r.flagged ? "FLAGGED" : r.diff.empty() ? "" : "ok", r.note.empty() ? "" : "  (" + r.note + ")");
  }
  const size_t n = c.flagged();
  out += n == 0 ? fmt::format("\nhls-report: nothing differs by more than {:.0f}%\n", 100 * kReportTolerance)
                : fmt::format("\nhls-report: {} figure(s) differ by more than {:.0f}% (FLAGGED above)\n", n,
                              100 * kReportTolerance);
  return out;
}

}  // namespace fpgallm::hls
