#include "sim/stats/Stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "models/core/Error.h"

namespace fpgallm::stats {

Group& Group::child(const std::string& name) {
  auto it = child_index_.find(name);
  if (it != child_index_.end()) return *children_[it->second];
  child_index_[name] = children_.size();
  children_.push_back(std::make_unique<Group>(name));
  return *children_.back();
}

const Group* Group::find_child(const std::string& name) const {
  auto it = child_index_.find(name);
  return it == child_index_.end() ? nullptr : children_[it->second].get();
}

const char* quantity_name(Quantity q) {
  switch (q) {
    case Quantity::Count: return "count";
    case Quantity::Bytes: return "bytes";
    case Quantity::Ns: return "ns";
    case Quantity::Ms: return "ms";
    case Quantity::Cycles: return "cycles";
    case Quantity::Percent: return "%";
    case Quantity::GBps: return "GB/s";
    case Quantity::TokensPerS: return "tokens/s";
    case Quantity::Enum: return "enum";
  }
  return "?";
}

Stat& Group::set(const std::string& name, double value, Quantity unit, const std::string& desc) {
  auto it = stat_index_.find(name);
  if (it == stat_index_.end()) {
    if (desc.empty()) fail("stat {}.{} has no description: every stat says what it measures", name_, name);
    stat_index_[name] = stats_.size();
    stats_.push_back(Stat{name, desc, unit, value});
    return stats_.back();
  }
  stats_[it->second].value = value;
  return stats_[it->second];
}

Stat& Group::add(const std::string& name, double value, Quantity unit, const std::string& desc) {
  auto it = stat_index_.find(name);
  if (it == stat_index_.end()) return set(name, value, unit, desc);
  stats_[it->second].value += value;
  return stats_[it->second];
}

const Stat* Group::find(const std::string& name) const {
  auto it = stat_index_.find(name);
  return it == stat_index_.end() ? nullptr : &stats_[it->second];
}

double Group::value(const std::string& dotted_path) const {
  const Group* g = this;
  std::string rest = dotted_path;
  for (size_t dot; (dot = rest.find('.')) != std::string::npos;) {
    g = g->find_child(rest.substr(0, dot));
    if (!g) return std::numeric_limits<double>::quiet_NaN();
    rest = rest.substr(dot + 1);
  }
  const Stat* s = g->find(rest);
  return s ? s->value : std::numeric_limits<double>::quiet_NaN();
}

nlohmann::json Group::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& s : stats_) {
    nlohmann::json v = {{"value", s.value}, {"unit", quantity_name(s.unit)}};
    if (!s.desc.empty()) v["desc"] = s.desc;
    j[s.name] = v;
  }
  for (const auto& c : children_) j[c->name()] = c->to_json();
  return j;
}

void Group::write_csv(std::ostream& os) const {
  os << "path,stat,value,unit,desc\n";
  csv_rows(os, name_);
}

static std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void Group::csv_rows(std::ostream& os, const std::string& prefix) const {
  for (const auto& s : stats_)
    os << csv_escape(prefix) << ',' << csv_escape(s.name) << ',' << fmt::format("{:.17g}", s.value) << ','
       << csv_escape(quantity_name(s.unit)) << ',' << csv_escape(s.desc) << '\n';
  for (const auto& c : children_) c->csv_rows(os, prefix + "." + c->name());
}

static std::string format_value(double v) {
  if (std::isnan(v)) return "-";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.4g}", v);
}

void Group::table_rows(std::vector<std::vector<std::string>>& rows, int depth) const {
  const std::string indent(static_cast<size_t>(2 * depth), ' ');
  rows.push_back({indent + name_, "", "", ""});
  for (const auto& s : stats_)
    rows.push_back({indent + "  " + s.name, format_value(s.value), quantity_name(s.unit), s.desc});
  for (const auto& c : children_) c->table_rows(rows, depth + 1);
}

std::string Group::to_table() const {
  std::vector<std::vector<std::string>> rows;
  table_rows(rows, 0);
  size_t w[3] = {0, 0, 0};
  for (const auto& r : rows)
    for (size_t i = 0; i < 3; ++i) w[i] = std::max(w[i], r[i].size());
  std::ostringstream os;
  for (const auto& r : rows) {
    if (r[1].empty() && r[2].empty()) {
      os << r[0] << '\n';
      continue;
    }
    os << fmt::format("{:<{}}  {:>{}}  {:<{}}  {}", r[0], w[0], r[1], w[1], r[2], w[2], r[3]);
    os.seekp(0, std::ios::end);
    os << '\n';
  }
  return os.str();
}

}  // namespace fpgallm::stats
