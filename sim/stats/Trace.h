#pragma once
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace fpgallm::stats {

/**
 * Timeline of the simulated schedule in Chrome-trace / Perfetto JSON ("X" complete events), one
 * track per component. Components don't know about it: the SoC hangs recorders on their callbacks.
 */
class TraceRecorder {
 public:
  explicit TraceRecorder(bool enabled = true, size_t max_events = 2'000'000)
      : enabled_(enabled), max_events_(max_events) {}
  bool enabled() const { return enabled_; }
  void record(const std::string& track, const std::string& name, double start_ns, double dur_ns,
              const std::string& args_json = "");
  size_t size() const { return events_.size(); }
  size_t dropped() const { return dropped_; }
  void write_chrome_json(std::ostream& os) const;

 private:
  struct Event {
    int track;
    std::string name, args;
    double start_ns, dur_ns;
  };
  bool enabled_;
  size_t max_events_;
  size_t dropped_ = 0;
  std::map<std::string, int> tracks_;
  std::vector<std::string> track_names_;
  std::vector<Event> events_;
};

}  // namespace fpgallm::stats
