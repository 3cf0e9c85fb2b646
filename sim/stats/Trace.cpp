#include "sim/stats/Trace.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fpgallm::stats {

void TraceRecorder::record(const std::string& track, const std::string& name, double start_ns, double dur_ns,
                           const std::string& args_json) {
  if (!enabled_) return;
  // A long run would otherwise grow without bound; the count of what was left out is reported.
  if (events_.size() >= max_events_) {
    ++dropped_;
    return;
  }
  auto it = tracks_.find(track);
  if (it == tracks_.end()) {
    it = tracks_.emplace(track, static_cast<int>(track_names_.size())).first;
    track_names_.push_back(track);
  }
  events_.push_back({it->second, name, args_json, start_ns, dur_ns});
}

void TraceRecorder::write_chrome_json(std::ostream& os) const {
  os << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool first = true;
  auto sep = [&] { os << (first ? "" : ",\n"); first = false; };
  for (size_t i = 0; i < track_names_.size(); ++i) {
    sep();
    os << fmt::format(R"({{"ph":"M","pid":1,"tid":{},"name":"thread_name","args":{{"name":{}}}}})", i,
                      nlohmann::json(track_names_[i]).dump());
  }
  for (const auto& e : events_) {
    sep();
    // Chrome traces count in microseconds; keep ns resolution with decimals.
    os << fmt::format(R"({{"ph":"X","pid":1,"tid":{},"name":{},"ts":{:.3f},"dur":{:.3f})", e.track,
                      nlohmann::json(e.name).dump(), e.start_ns / 1e3, e.dur_ns / 1e3);
    if (!e.args.empty()) os << ",\"args\":" << e.args;
    os << "}";
  }
  os << "\n]}\n";
}

}  // namespace fpgallm::stats
