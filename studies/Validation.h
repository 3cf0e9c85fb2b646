#pragma once
// `fpgallm validate` as a library: the baseline and the paper design simulated against the
// published figures, the optional re-fit of the calibration records, the sensitivity study, the
// DDR roofline, and the report (Markdown + SVG tornado charts).
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace fpgallm::studies {

struct ValidationOptions {
  std::string platform, baseline, paper, reference;  ///< YAML files (the CLI fills in the shipped ones)
  std::string model;                                 ///< model shape: synthetic:<preset>, a config YAML or HF folder
  std::string out = "docs/validation.md";            ///< where the report says it is written (its SVGs beside it)
  std::string fidelity = "fast";
  int64_t prompt_len = 16;
  int64_t gen = 4;
  double swing = 0.2;  ///< the sensitivity study's relative change
  bool sensitivity = true, fit = false;
  std::vector<std::string> only_params;  ///< sensitivity on these paths only (empty: all)

  /** Throws fpgallm::Error naming the bad option. */
  void validate() const;
};

/** One re-fitted calibration record. */
struct Refit {
  std::string parameter;
  double value = 0, was = 0;
};

struct ValidationReport {
  std::string markdown;
  std::vector<std::pair<std::string, std::string>> svgs;  ///< file name (beside the report), content
  std::vector<Refit> refits;
  double baseline_decode_tps = 0, paper_decode_tps = 0;
  int64_t simulations = 0;
};

/** Progress of the study's simulations: a line per run, and the closing line. */
struct ValidationProgress {
  std::function<void(const std::string&)> update, finish;
};

/** Runs the study (a few dozen simulations with the sensitivity study, a handful without). */
ValidationReport run_validation(const ValidationOptions& o, const ValidationProgress& progress = {});

/** Writes the report to `path` and its SVGs beside it, creating the folder. */
void write_validation_report(const ValidationReport& r, const std::string& path);

}  // namespace fpgallm::studies
