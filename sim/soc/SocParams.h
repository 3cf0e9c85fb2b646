#pragma once
#include <functional>
#include <string>
#include <vector>

#include "sim/soc/SocConfig.h"

namespace fpgallm::sim {

/**
 * A numeric platform or software parameter addressed by its YAML path: what sensitivity studies
 * move and what calibration records name. get/set act on one SocConfig; integer fields round.
 */
struct SocParam {
  std::string path;  ///< e.g. "ps.stream_gbps_per_core", "ps.software.profiles.python_pynq.driver_call_ns"
  std::string unit;
  std::function<double(const SocConfig&)> get;
  std::function<void(SocConfig&, double)> set;
};

/** The platform's timing parameters (ddr, axi, ps) and the selected software profile's, in YAML
 *  order. Organisation (banks, widths, address map) and model settings (chunk sizes) are not here. */
std::vector<SocParam> platform_parameters(const SocConfig& c);

/** The parameter at `path`, or nullptr. */
const SocParam* find_parameter(const std::vector<SocParam>& params, const std::string& path);

}  // namespace fpgallm::sim
