#pragma once
#include <filesystem>
#include <string>

namespace fpgallm::run {

/** Environment variable that names the folder holding `configs/` and `data/`. */
inline constexpr const char* kResourceRootEnv = "FPGALLM_HOME";

/**
 * The folder holding the shipped `configs/` and `data/`: $FPGALLM_HOME when set; else the
 * `share/fpgallm` of the prefix the running code is installed in (the CLI at <prefix>/bin, the
 * Python module at <prefix>/lib/python3.X/dist-packages/fpgallm); else the source tree it was built
 * from. Never the working directory, so the CLI and the Python package run from anywhere and agree.
 */
const std::filesystem::path& resource_root();

/** `rel` (e.g. "configs/platform/kv260.yaml") below resource_root(). */
std::string resource_path(const std::string& rel);

/**
 * A path a user gave: as given when it exists (relative to the working directory) or is absolute;
 * else the same relative path below resource_root() when that exists; else as given, so the
 * error that follows names what the user typed.
 */
std::string find_file(const std::string& path);

}  // namespace fpgallm::run
