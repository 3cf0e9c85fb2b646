#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "models/llm/Weights.h"
#include "models/quant/Macro.h"

namespace fpgallm::run {

/** Environment variable that overrides the cache folder of quantized models. */
inline constexpr const char* kCacheDirEnv = "FPGALLM_CACHE_DIR";

/**
 * Folder of cached quantized models: $FPGALLM_CACHE_DIR, else $XDG_CACHE_HOME/fpgallm, else
 * ~/.cache/fpgallm; empty when none of these can be formed (no HOME).
 */
std::filesystem::path default_cache_dir();

/**
 * A disk cache of quantized models as packed files (docs/formats.md). An entry is named by a hash
 * of its key (model identity, method, every quantizer setting, calibration, MACRO layout, cache
 * format version); the key is also stored in the file's header and compared on lookup, so a hash
 * collision or a stale file is a miss, never a wrong model.
 */
class QuantCache {
 public:
  /** `dir` empty: the cache is disabled (lookups miss, stores do nothing). */
  QuantCache(std::filesystem::path dir, nlohmann::json key, const std::string& label);

  bool enabled() const { return !dir_.empty(); }
  const std::filesystem::path& path() const { return path_; }

  /** The cached model, or null when absent or stale (a stale or unreadable entry is reported, not fatal). */
  std::shared_ptr<ModelWeights> load() const;

  /**
   * Writes `quantized` (atomically: temp file + rename). A failure (full disk, read-only folder)
   * is reported on stderr and the run continues uncached.
   */
  void store(const ModelWeights& quantized, const MacroLayout& layout, nlohmann::json record) const;

 private:
  std::filesystem::path dir_, path_;
  nlohmann::json key_;
};

/**
 * Identity of a model spec for the cache key: synthetic specs are their own identity; files and
 * folders add their canonical path, sizes and modification times (folders: their regular files).
 */
nlohmann::json model_identity(const std::string& spec);

/** Identity of a file's content: path, size and modification time. */
nlohmann::json file_identity(const std::string& path);

}  // namespace fpgallm::run
