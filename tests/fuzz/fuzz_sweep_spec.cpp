// libFuzzer target: arbitrary bytes as a configs/sweep YAML (dse::load_sweep_spec), which loads and
// checks the base platform/accel/model configs it names, every axis against the config parsers,
// the expressions of derived fields and constraints, the resource margins and accuracy settings.
// The input is written to <scratch>/configs/sweep/spec.yaml beside links to the shipped configs/
// folders and data/, so the relative paths of a real spec (../platform/kv260.yaml) resolve.
// A clean fpgallm::Error is the expected outcome for bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "dse/SweepSpec.h"
#include "models/core/Error.h"
#include "tests/fuzz/FuzzInput.h"

namespace {

/** <scratch>/configs/{platform,accel,model,dse,calib} and <scratch>/data link to the source tree's. */
void link_shipped_configs() {
  namespace fs = std::filesystem;
  const fs::path src = FPGALLM_SOURCE_DIR;
  const fs::path root = fpgallm::fuzz::scratch_dir();
  fs::create_directories(root / "configs" / "sweep");
  for (const char* d : {"platform", "accel", "model", "dse", "calib"})
    if (!fs::exists(root / "configs" / d)) fs::create_directory_symlink(src / "configs" / d, root / "configs" / d);
  if (!fs::exists(root / "data")) fs::create_directory_symlink(src / "data", root / "data");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool linked = (link_shipped_configs(), true);
  (void)linked;
  const auto path =
      fpgallm::fuzz::write_scratch("configs/sweep/spec.yaml", {reinterpret_cast<const char*>(data), size});
  try {
    (void)fpgallm::dse::load_sweep_spec(path);
  } catch (const fpgallm::Error& e) {
    fpgallm::fuzz::note_rejected(e);
  }
  return 0;
}
