#include "apps/fpgallm/Progress.h"

#include <unistd.h>

#include <fmt/core.h>

namespace fpgallm::cli {

ProgressLine::ProgressLine(bool enabled, double log_interval_s)
    : enabled_(enabled), tty_(isatty(fileno(stderr)) != 0), interval_s_(log_interval_s),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

double ProgressLine::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressLine::update(const std::string& text) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    // Pad over the previous, possibly longer, text.
    fmt::print(stderr, "\r{}{:<{}}", text, "", last_width_ > text.size() ? last_width_ - text.size() : 0);
    last_width_ = text.size();
    std::fflush(stderr);
    return;
  }
  if (printed_ && std::chrono::duration<double>(now - last_print_).count() < interval_s_) return;
  fmt::print(stderr, "{}\n", text);
  last_print_ = now;
  printed_ = true;
}

void ProgressLine::finish(const std::string& text) {
  if (!enabled_) return;
  if (tty_) fmt::print(stderr, "\r{}{:<{}}\n", text, "", last_width_ > text.size() ? last_width_ - text.size() : 0);
  else fmt::print(stderr, "{}\n", text);
  last_width_ = 0;
  printed_ = false;
}

}  // namespace fpgallm::cli
