#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fpgallm::stats {

/** What a stat measures; quantity_name() is its spelling in JSON, CSV and tables. */
enum class Quantity { Count, Bytes, Ns, Ms, Cycles, Percent, GBps, TokensPerS, Enum };

/** "count", "bytes", "ns", "ms", "cycles", "%", "GB/s", "tokens/s", "enum". */
const char* quantity_name(Quantity q);

/** One named figure with its unit and what it means (never empty: Group::set refuses that). */
struct Stat {
  std::string name, desc;
  Quantity unit = Quantity::Count;
  double value = 0.0;
};

/**
 * A node of the statistics tree, mirroring the module tree (soc.ddr.bank3, soc.accel.pe_array).
 * Components keep plain counters in their hot paths and copy them here in report_stats(), so
 * recording costs nothing while simulating. Children and stats keep insertion order for readable
 * output; lookups by name create on first use.
 */
class Group {
 public:
  explicit Group(std::string name = "root") : name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  Group& child(const std::string& name);
  const Group* find_child(const std::string& name) const;
  /** Sets (creates) a stat; desc/unit are kept from the first call; an empty desc is an Error. */
  Stat& set(const std::string& name, double value, Quantity unit, const std::string& desc);
  /** Adds to (creates) a stat. */
  Stat& add(const std::string& name, double value, Quantity unit, const std::string& desc);
  const Stat* find(const std::string& name) const;
  /** Value of a stat by dotted path below this group ("ddr.row_hits"); NaN when absent. */
  double value(const std::string& dotted_path) const;

  const std::vector<std::unique_ptr<Group>>& children() const { return children_; }
  const std::vector<Stat>& stats() const { return stats_; }

  /** {"name": {"stat": {"value": v, "unit": u, "desc": d}, "child": {...}}} */
  nlohmann::json to_json() const;
  /** Rows "path,stat,value,unit,desc" with a header line. */
  void write_csv(std::ostream& os) const;
  /** Indented, aligned table for people. */
  std::string to_table() const;

 private:
  void csv_rows(std::ostream& os, const std::string& prefix) const;
  void table_rows(std::vector<std::vector<std::string>>& rows, int depth) const;
  std::string name_;
  std::vector<std::unique_ptr<Group>> children_;
  std::map<std::string, size_t> child_index_;
  std::vector<Stat> stats_;
  std::map<std::string, size_t> stat_index_;
};

/** Anything that reports into the tree. */
class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void report_stats(Group& g) const = 0;
};

}  // namespace fpgallm::stats
