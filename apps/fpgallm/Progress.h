#pragma once
#include <chrono>
#include <cstdio>
#include <string>

namespace fpgallm::cli {

/**
 * One progress line on stderr. On a terminal it is rewritten in place; when stderr is a file or a
 * pipe (CI logs) it prints a whole line at most every `log_interval_s`, so logs stay readable.
 */
class ProgressLine {
 public:
  static constexpr double kDefaultLogIntervalS = 5.0;
  explicit ProgressLine(bool enabled = true, double log_interval_s = kDefaultLogIntervalS);
  /** Shows `text` (rate-limited when not a terminal). */
  void update(const std::string& text);
  /** Ends the progress with a final line, always printed. */
  void finish(const std::string& text);
  /** Seconds since construction. */
  double elapsed_s() const;

 private:
  bool enabled_, tty_;
  double interval_s_;
  size_t last_width_ = 0;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool printed_ = false;
};

}  // namespace fpgallm::cli
