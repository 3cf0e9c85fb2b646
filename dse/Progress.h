#pragma once
#include <string>

namespace fpgallm::dse {

/**
 * Where a sweep's progress goes. A stage updates one running line ("[analytic] 120/400 points")
 * and ends it with a final one; a note is a one-off line. The CLI draws them on stderr, Python
 * passes them to sys.stderr, a quiet run drops them.
 */
class SweepProgress {
 public:
  virtual ~SweepProgress() = default;
  virtual void update(const std::string& line) = 0;
  virtual void finish(const std::string& line) = 0;
  virtual void note(const std::string& line) = 0;
};

/** Drops everything (`--quiet`, `progress=False`). */
class QuietProgress final : public SweepProgress {
 public:
  void update(const std::string&) override {}
  void finish(const std::string&) override {}
  void note(const std::string&) override {}
};

/** "42 s", "3 min", "?" for an estimate not yet known. */
std::string format_eta(double seconds);

}  // namespace fpgallm::dse
