#pragma once
#include <filesystem>
#include <string>

namespace fpgallm::cli {

/** Environment variable that names the folder holding `configs/` and `data/`. */
inline constexpr const char* kResourceRootEnv = "FPGALLM_HOME";

/**
 * The folder holding the shipped `configs/` and `data/`: $FPGALLM_HOME when set; else
 * `<exe>/../share/fpgallm` when the binary is installed; else the source tree it was built from.
 * Never the working directory, so the binary runs from anywhere.
 */
const std::filesystem::path& resource_root();

/** `rel` (e.g. "configs/platform/kv260.yaml") below resource_root(). */
std::string resource_path(const std::string& rel);

}  // namespace fpgallm::cli
