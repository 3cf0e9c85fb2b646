#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/accel/AccelConfig.h"
#include "sim/accel/PlResources.h"
#include "sim/axi/AxiConfig.h"
#include "sim/ddr/DdrConfig.h"
#include "sim/ps/PsConfig.h"
#include "models/core/YamlConfig.h"

namespace fpgallm::sim {

/** Default DDR address map of the SoC run (bytes); the PS scratch region lives in ps:. */
constexpr uint64_t kDefaultWeightsBase = 0x00000000ull;
constexpr uint64_t kDefaultActBase = 0x60000000ull;
constexpr uint64_t kDefaultOutBase = 0x68000000ull;
constexpr uint64_t kRegionAlignBytes = 4096;  // AXI 4 KB boundary: regions start on one

/** One platform parameter fitted to one published figure (the platform YAML's `calibration:`). */
struct FittedParameter {
  std::string key;        ///< its name under calibration.fitted
  std::string parameter;  ///< YAML path of the fitted value (a SocParam path)
  std::string figure;     ///< the published figure it was fitted to, e.g. "baseline.decode_tokens_per_s"
  double before = 0;      ///< value before fitting (the assumed estimate)
  double after = 0;       ///< fitted value: must equal the value in use
};

/** At most this many fitted parameters: the rest of the model must predict. */
constexpr size_t kMaxFittedParameters = 2;

/** A whole KV260 system: platform (ddr, axi, ps, pl) + the accelerator in the PL. */
struct SocConfig {
  std::string platform_file, accel_file;
  /** The two documents as parsed (YamlMap::effective), see *_yaml_as_run; shared, never written. */
  std::shared_ptr<const YAML::Node> platform_yaml, accel_yaml;
  DdrConfig ddr;
  AxiConfig axi;
  PsConfig ps;
  PlResources pl;
  AccelConfig accel;
  uint64_t weights_base = kDefaultWeightsBase;
  uint64_t act_base = kDefaultActBase;
  uint64_t out_base = kDefaultOutBase;
  std::string calibration_source;
  std::vector<FittedParameter> fitted;  ///< empty: nothing was fitted

  /** Sets the fidelity of every timed component (DDR, AXI, accelerator). */
  void set_fidelity(Fidelity f);
  /** Cross-component checks: channels vs HP ports, PE array and buffers vs the PL, clocks. */
  void validate() const;
};

/** The platform sections (ddr, axi, ps, pl, calibration) of a platform YAML's root mapping; `accel` stays default. */
SocConfig parse_platform_config(YamlMap& platform_root);

/**
 * Builds a SocConfig from already-loaded roots (a platform YAML and an accel YAML, possibly patched
 * by a sweep); rejects unknown keys but does not run validate(), so a sweep can report an
 * infeasible point instead of stopping.
 */
SocConfig parse_soc_config(YamlMap& platform_root, YamlMap& accel_root);

/**
 * The platform and accel YAML of the config as run: the files' fields, every default written in, the
 * fidelity as set. Loading the two gives this config again (`fpgallm run --out` writes them).
 */
std::string platform_yaml_as_run(const SocConfig& c);
std::string accel_yaml_as_run(const SocConfig& c);

/** Reads a platform YAML (ddr/axi/ps/pl sections) and an accel YAML; validates both together. */
SocConfig load_soc_config(const std::string& platform_file, const std::string& accel_file);

}  // namespace fpgallm::sim
