#include "models/core/YamlConfig.h"

#include <filesystem>
#include <ios>

namespace fpgallm {

YamlMap::YamlMap(YAML::Node node, std::string path, std::string file, YAML::Node effective)
    : node_(std::move(node)), effective_(std::move(effective)), path_(std::move(path)), file_(std::move(file)) {
  if (node_ && !node_.IsNull() && !node_.IsMap())
    fail("{} must be a mapping in {}", path_.empty() ? "the document" : path_, file_);
  if (!effective_.IsDefined())
    effective_ = node_ && node_.IsMap() ? YAML::Clone(node_) : YAML::Node(YAML::NodeType::Map);
  // yaml-cpp keeps duplicate keys and answers lookups with the first: a silent typo trap.
  if (node_ && node_.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node_) {
      if (!kv.first.IsScalar()) fail("{}: keys must be plain names (found a non-scalar key) in {}", path_.empty() ? "document" : path_, file_);
      if (!seen.insert(kv.first.Scalar()).second) error(kv.first.Scalar(), "appears more than once");
    }
  }
}

YAML::Node read_yaml_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  // A folder opens as a stream and throws std::ios_failure on the first read, past yaml-cpp.
  if (std::filesystem::is_directory(path, ec)) fail("{}: is a folder, not a {}", path, what);
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    fail("{}: cannot open {}", path, what);
  } catch (const YAML::Exception& e) {
    fail("{}: invalid YAML: {}", path, e.what());
  } catch (const std::ios_base::failure& e) {
    fail("{}: cannot read {}: {}", path, what, e.what());
  }
}

YamlMap YamlMap::load(const std::string& file) {
  const YAML::Node root = read_yaml_file(file);
  if (!root || root.IsNull()) fail("{}: config file is empty", file);
  return YamlMap(root, "", file);
}

bool YamlMap::has(const std::string& key) const { return node_ && node_[key] && !node_[key].IsNull(); }

YamlMap YamlMap::child(const std::string& key, bool required) {
  used_.insert(key);
  YAML::Node n = node_ ? node_[key] : YAML::Node();
  if ((!n || n.IsNull()) && required) error(key, "is required");
  if (n && !n.IsNull() && !n.IsMap()) error(key, "must be a mapping");
  // The child records into its own slot of ours (yaml-cpp nodes are handles into one tree).
  if (!effective_[key].IsMap()) effective_[key] = YAML::Node(YAML::NodeType::Map);
  return YamlMap(n ? n : YAML::Node(YAML::NodeType::Map), field(key), file_, effective_[key]);
}

void YamlMap::finish() const {
  if (!node_ || !node_.IsMap()) return;
  for (const auto& kv : node_) {
    const auto key = kv.first.as<std::string>();
    if (!used_.count(key)) error(key, "is not a known field");
  }
}

void YamlMap::error(const std::string& key, const std::string& what) const {
  fail("{} {} in {}", field(key), what, file_);
}

}  // namespace fpgallm
