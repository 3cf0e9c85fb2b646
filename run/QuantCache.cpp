#include "run/QuantCache.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

#include <fmt/core.h>

#include "models/checkpoint/ModelLoader.h"
#include "models/core/Error.h"
#include "models/quant/PackedModel.h"

namespace fpgallm::run {

namespace fs = std::filesystem;

namespace {

// Bump when the quantizer's output or the packed format changes, so old entries miss.
constexpr int kCacheFormatVersion = 2;  // 2: packed files carry a digest
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

uint64_t fnv1a(const std::string& s) {
  uint64_t h = kFnvOffset;
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

/** A file-name-safe short form of a label ("synthetic:qwen2.5-0.5b" -> "synthetic_qwen2.5-0.5b"). */
std::string safe_label(const std::string& label) {
  std::string out;
  for (char c : label.substr(label.size() > 40 ? label.size() - 40 : 0))
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return out;
}

}  // namespace

fs::path default_cache_dir() {
  if (const char* d = std::getenv(kCacheDirEnv); d && *d) return fs::path(d);
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "fpgallm";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "fpgallm";
  return {};
}

nlohmann::json file_identity(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(path, ec);
  const auto size = fs::file_size(p, ec);
  const auto mtime = fs::last_write_time(p, ec).time_since_epoch().count();
  return {{"path", p.string()}, {"bytes", ec ? -1 : static_cast<int64_t>(size)}, {"mtime", ec ? 0 : mtime}};
}

nlohmann::json model_identity(const std::string& spec) {
  if (spec.starts_with("synthetic:")) return {{"spec", spec}};
  std::error_code ec;
  nlohmann::json id = {{"spec", spec}};
  if (fs::is_directory(spec, ec)) {
    nlohmann::json files = nlohmann::json::array();
    std::vector<fs::path> names;
    for (const auto& e : fs::directory_iterator(spec, ec))
      if (e.is_regular_file()) names.push_back(e.path());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) files.push_back(file_identity(n.string()));
    id["files"] = files;
  } else {
    id["file"] = file_identity(spec);
  }
  return id;
}

QuantCache::QuantCache(fs::path dir, nlohmann::json key, const std::string& label) : dir_(std::move(dir)) {
  key["cache_format"] = kCacheFormatVersion;
  key_ = std::move(key);
  if (!dir_.empty())
    path_ = dir_ / fmt::format("{}-{:016x}.fpk", safe_label(label), fnv1a(key_.dump()));
}

std::shared_ptr<ModelWeights> QuantCache::load() const {
  std::error_code ec;
  if (!enabled() || !fs::is_regular_file(path_, ec)) return nullptr;
  try {
    const PackedModel head = load_packed_model(path_.string(), /*read_data=*/false);
    if (!head.quantization.contains("cache_key") || head.quantization["cache_key"] != key_) {
      fmt::print(stderr, "cache: {} holds another model (hash collision or old entry); re-quantizing\n",
                 path_.string());
      return nullptr;
    }
    return load_model(path_.string());
  } catch (const std::exception& e) {
    // A corrupt entry (digest mismatch, truncation, ...) is discarded so the next run does not trip on it.
    fs::remove(path_, ec);
    fmt::print(stderr, "cache: discarded {}: {}; quantizing again\n", path_.string(), e.what());
    return nullptr;
  }
}

void QuantCache::store(const ModelWeights& quantized, const MacroLayout& layout, nlohmann::json record) const {
  if (!enabled()) return;
  record["cache_key"] = key_;
  const fs::path tmp = path_.string() + fmt::format(".tmp{}", static_cast<long>(::getpid()));
  try {
    fs::create_directories(dir_);
    save_packed_model(quantized, layout, tmp.string(), record);
    fs::rename(tmp, path_);  // atomic on one file system: readers never see a half-written entry
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    fmt::print(stderr, "cache: cannot write {} ({}); continuing without the cache\n", path_.string(), e.what());
  }
}

}  // namespace fpgallm::run
