// Helpers shared by the fuzz targets: the product reads files and folders, so each fuzz input is
// written to a per-process scratch folder (in RAM when /dev/shm exists) and loaded from there.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "models/core/Error.h"

namespace fpgallm::fuzz {

/** Separates the files of a multi-file input (a folder): "config.json<sep>model.safetensors". */
constexpr std::string_view kFileSeparator = "\n=====\n";

/** Prints why an input was rejected when FPGALLM_FUZZ_VERBOSE is set (checking that seeds load). */
inline void note_rejected(const Error& e) {
  static const bool verbose = std::getenv("FPGALLM_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "rejected: %s\n", e.what());
}

/**
 * This process's scratch folder, created on first use, under $FPGALLM_FUZZ_SCRATCH when set (scripts/
 * fuzz.sh sets it and removes it afterwards: libFuzzer often leaves with _Exit, skipping atexit).
 */
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    const char* env = std::getenv("FPGALLM_FUZZ_SCRATCH");
    const fs::path base = env && *env                      ? fs::path(env)
                          : fs::is_directory("/dev/shm") ? fs::path("/dev/shm")
                                                         : fs::temp_directory_path();
    fs::path d = base / ("fpgallm_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_dir(), ec); });
    return d;
  }();
  return dir;
}

/** Writes `bytes` to scratch_dir()/name and returns the path. */
inline std::string write_scratch(const std::string& name, std::string_view bytes) {
  const std::string path = (scratch_dir() / name).string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness itself is broken, not the parser
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) std::abort();
  std::fclose(f);
  return path;
}

/** Splits an input at kFileSeparator into at most `max_parts` parts (the last keeps the rest). */
inline std::vector<std::string_view> split_files(const uint8_t* data, size_t size, size_t max_parts) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t at = rest.find(kFileSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(rest.substr(0, at));
    rest.remove_prefix(at + kFileSeparator.size());
  }
  parts.push_back(rest);
  return parts;
}

/**
 * Makes scratch_dir()/folder hold names[i] = parts[i] for the parts present; files whose part is
 * missing are removed, so an input may also test a folder lacking them. Returns the folder.
 */
inline std::string write_folder(const std::string& folder, const std::vector<std::string>& names,
                                const std::vector<std::string_view>& parts) {
  const std::filesystem::path dir = scratch_dir() / folder;
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < names.size(); ++i) {
    if (i < parts.size())
      write_scratch(folder + "/" + names[i], parts[i]);
    else
      std::filesystem::remove(dir / names[i]);
  }
  return dir.string();
}

}  // namespace fpgallm::fuzz
