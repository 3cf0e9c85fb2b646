// libFuzzer target: an emitted project's synthesis reports as `fpgallm hls-report DIR` reads them.
// The input is up to five files joined by kFileSeparator: csynth.xml, resource_estimate.json,
// schedule.json, one <module>_csynth.xml, <top>_cosim.rpt (missing trailing parts are absent files).
// Then hls::compare_hls_report + format_comparison. A clean fpgallm::Error is the expected outcome
// for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "accel_hls/Report.h"
#include "models/core/Error.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace hls = fpgallm::hls;
  const std::string syn = std::string(hls::kSynthReportDir) + "/";
  const std::string sim = std::string(hls::kCosimReportDir) + "/";
  static const std::vector<std::string> kNames = {syn + hls::kSynthSummaryFile, hls::kResourceEstimateFile,
                                                  hls::kScheduleFile, syn + "pe_array_csynth.xml",
                                                  sim + "fpgallm_linear_cosim.rpt"};
  const std::filesystem::path dir = fpgallm::fuzz::scratch_dir() / "project";
  std::filesystem::create_directories(dir / hls::kSynthReportDir);
  std::filesystem::create_directories(dir / hls::kCosimReportDir);
  const std::string folder =
      fpgallm::fuzz::write_folder("project", kNames, fpgallm::fuzz::split_files(data, size, kNames.size()));
  try {
    (void)hls::format_comparison(hls::compare_hls_report(folder));
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
