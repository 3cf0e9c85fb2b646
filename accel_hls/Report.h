#pragma once
// `fpgallm hls-report DIR`: the Vitis HLS synthesis (and co-simulation) report of an emitted,
// synthesized project, side by side with the project's own estimates (resource_estimate.json,
// schedule.json), every difference beyond kReportTolerance flagged.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fpgallm::hls {

/** A difference above this fraction of the estimate is flagged. */
constexpr double kReportTolerance = 0.10;

/** Where Vitis HLS writes the reports of the emitted run_hls.tcl (project fpgallm_prj, solution sol1). */
constexpr const char* kSynthReportDir = "fpgallm_prj/sol1/syn/report";
constexpr const char* kCosimReportDir = "fpgallm_prj/sol1/sim/report";
constexpr const char* kSynthSummaryFile = "csynth.xml";
constexpr const char* kResourceEstimateFile = "resource_estimate.json";
constexpr const char* kScheduleFile = "schedule.json";

/** A cycle count as HLS reports it: a number, a range (min..max), or unknown ("undef"). */
struct CycleRange {
  std::optional<int64_t> min, max;
  bool known() const { return max.has_value(); }
  bool operator==(const CycleRange&) const = default;
};

/** One loop of SummaryOfLoopLatency (nested loops are entries of their own). */
struct ReportLoop {
  std::string module;  ///< TopModelName of its file: the function or outlined pipeline holding it
  std::string name;    ///< element name: the loop label (Vitis appends .N to a repeated label)
  std::string path;    ///< enclosing loops and the loop, joined by '/'
  std::string file;    ///< the report file it was read from
  std::optional<int64_t> pipeline_ii, pipeline_depth;  ///< absent when the loop is not pipelined
  CycleRange trip_count, latency, iteration_latency;
};

/** AreaEstimates/Resources of the top module (DSP48E in Vivado HLS, DSP in Vitis). */
struct ReportResources {
  std::optional<int64_t> lut, ff, dsp, bram_18k, uram;
};

/** One csynth.xml-layout file (csynth.xml or <module>_csynth.xml). */
struct CsynthFile {
  std::string file, version, module, part;
  std::optional<double> target_clock_ns, estimated_clock_ns;
  CycleRange latency;  ///< SummaryOfOverallLatency: Best-case .. Worst-case
  ReportResources resources;
  std::vector<ReportLoop> loops;
};

/**
 * Parses `text` in the layout of Vitis HLS's csynth.xml (root <profile>; UserAssignments,
 * PerformanceEstimates/{SummaryOfTimingAnalysis, SummaryOfOverallLatency, SummaryOfLoopLatency},
 * AreaEstimates/Resources). Accepts the documented variants: DSP48E (Vivado HLS) or DSP (Vitis),
 * no URAM element on parts without UltraRAM, counts as a number, "undef" or <range><min/><max/>.
 * The layout is that of published reports (Vitis 2023.2: loops as elements named by their label,
 * nested loops as child elements, repeated labels suffixed .N; Vivado HLS 2018.3: DSP48E, ranges)
 * and of hls4ml's parse_vivado_report (hls4ml/report/vivado_report.py), which reads the same paths.
 * Throws fpgallm::Error naming `file`, the element and the reason for anything else.
 */
CsynthFile parse_csynth_xml(const std::string& text, const std::string& file);

/** The synthesis of a project: csynth.xml (the top) and every <module>_csynth.xml beside it. */
struct CsynthReport {
  CsynthFile top;
  std::vector<std::string> files;  ///< every file read, csynth.xml first
  std::vector<ReportLoop> loops;   ///< of all files, each (module, path) once
};

/** Reads `dir`/kSynthReportDir; throws naming the file when csynth.xml is missing or any file is bad. */
CsynthReport read_csynth_report(const std::string& project_dir);

/** One RTL row of a co-simulation report (<top>_cosim.rpt). */
struct CosimRow {
  std::string rtl, status;
  CycleRange latency, interval;
  std::optional<int64_t> latency_avg, interval_avg;
};
struct CosimReport {
  std::string file;
  std::vector<CosimRow> rows;  ///< the RTLs that ran (status other than NA)
};

/** Parses the table of a *cosim.rpt; throws naming `file` when it has no RTL row. */
CosimReport parse_cosim_report(const std::string& text, const std::string& file);

/** One pipelined stage the schedule expects (schedule.json, format fpgallm-schedule v1). */
struct ScheduleStage {
  std::string name, loop;
  int64_t ii = 0, depth = 0;
  std::optional<int64_t> trip_min, trip_max;
};
struct Schedule {
  std::string file, accel;
  double clock_mhz = 0;
  std::vector<ScheduleStage> stages;
};
Schedule parse_schedule_json(const std::string& text, const std::string& file);

/** The explorer's estimate (resource_estimate.json): the `estimate` of each resource. */
struct ResourceEstimateFile {
  std::string file, accel;
  double clock_mhz = 0;
  int64_t luts = 0, ffs = 0, dsp48e2 = 0, bram36 = 0, uram288 = 0;
};
ResourceEstimateFile parse_resource_estimate_json(const std::string& text, const std::string& file);

/** One line of the comparison table. */
struct ComparisonRow {
  std::string section;    ///< "timing", "resources", or the stage ("pe_array / pe_steps in module")
  std::string item;       ///< "II", "depth", "LUT", ...
  std::string reported;   ///< as HLS reports it
  std::string estimated;  ///< the project's figure
  std::string diff;       ///< "+300%", "0%", or empty when not compared
  bool flagged = false;
  std::string note;
};

struct HlsComparison {
  std::string project_dir;
  std::vector<std::string> notes;  ///< what was read, what was absent and why it is not compared
  std::vector<ComparisonRow> rows;
  size_t flagged() const;
};

/**
 * Reads DIR's synthesis report, optional co-simulation report, resource_estimate.json and
 * optional schedule.json, and compares: per schedule stage (matched to the report by its loop
 * label) the II, pipeline depth (iteration latency when not pipelined), trip count and loop
 * latency ((trip - 1) * II + depth); LUT, FF, DSP, BRAM_18K (against 2 x bram36) and URAM; the
 * target and estimated clock against the schedule's clock. Throws fpgallm::Error naming the file
 * for missing or malformed input (schedule.json may be absent: noted, loops shown unmatched).
 */
HlsComparison compare_hls_report(const std::string& project_dir);

/** The comparison as a fixed-width table with the notes and a closing verdict line. */
std::string format_comparison(const HlsComparison& c);

}  // namespace fpgallm::hls
