#pragma once
#include <optional>
#include <set>
#include <string>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "models/core/Error.h"

namespace fpgallm {

/**
 * One mapping of a YAML config file, read field by field. Errors name the YAML path and the file:
 * "accel.pe_array.rows must be > 0 (got 0) in configs/accel/x.yaml". Unknown keys are rejected by
 * finish(), so a typo never silently falls back to a default.
 */
/**
 * Parses the YAML file at `path`. A missing or unreadable file, a folder, or invalid YAML is an
 * Error naming the path (`what` says what the file is for: "config file", "model config").
 */
YAML::Node read_yaml_file(const std::string& path, const std::string& what = "config file");

class YamlMap {
 public:
  /** `effective`: where the mapping as run is recorded (a child's slot in its parent's); none: a copy of `node`. */
  YamlMap(YAML::Node node, std::string path, std::string file,
          YAML::Node effective = YAML::Node(YAML::NodeType::Undefined));

  /** Loads `file` and returns its root mapping (path ""); a missing/invalid file is an Error. */
  static YamlMap load(const std::string& file);

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  const YAML::Node& node() const { return node_; }
  /**
   * The mapping as the run used it: what the file says, with every default a get() fell back to
   * written in, children included. Dumped, it reloads to the same config (so a run records what it ran).
   */
  const YAML::Node& effective() const { return effective_; }
  bool has(const std::string& key) const;

  template <typename T>
  T get(const std::string& key, const T& default_value) {
    auto v = opt<T>(key);
    if (v) return *v;
    effective_[key] = default_value;
    return default_value;
  }
  template <typename T>
  T require(const std::string& key) {
    auto v = opt<T>(key);
    if (!v) error(key, "is required");
    return *v;
  }
  template <typename T>
  std::optional<T> opt(const std::string& key) {
    used_.insert(key);
    const YAML::Node n = node_[key];
    if (!n || n.IsNull()) return std::nullopt;
    try {
      return n.as<T>();
    } catch (const YAML::Exception&) {
      error(key, fmt::format("has a bad value '{}'", YAML::Dump(n)));
    }
  }
  /** A nested mapping; missing → empty mapping unless required. */
  YamlMap child(const std::string& key, bool required = false);

  /** Rejects keys that no get/require/opt/child asked for. */
  void finish() const;

  std::string field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  [[noreturn]] void error(const std::string& key, const std::string& what) const;

  /** Range checks that read like the message they produce. */
  template <typename T>
  void check_positive(const std::string& key, T v) const {
    if (!(v > T{})) error(key, fmt::format("must be > 0 (got {})", v));
  }
  template <typename T>
  void check_range(const std::string& key, T v, T lo, T hi) const {
    if (v < lo || v > hi) error(key, fmt::format("must be in [{}, {}] (got {})", lo, hi, v));
  }

 private:
  YAML::Node node_, effective_;
  std::string path_, file_;
  std::set<std::string> used_;
};

}  // namespace fpgallm
