#pragma once
// Shared by the pybind11 bridges: one bind_*.cpp per bound library, each adding a submodule of
// `fpgallm._fpgallm`. The bridges only convert and forward; the logic lives in the C++ libraries.
#include <string>

#include <nlohmann/json.hpp>
#include <pybind11/pybind11.h>
#include <yaml-cpp/yaml.h>

#include "models/llm/ModelConfig.h"
#include "sim/soc/SocConfig.h"

namespace fpgallm::pybridge {

namespace py = pybind11;

/** A Python dict/list/scalar as a YAML node, so configs built in Python go through the same parsers as files. */
YAML::Node to_yaml(py::handle h);
/** A JSON value as plain Python objects (dict, list, int, float, str, bool, None). */
py::object to_py(const nlohmann::json& j);

/** The SoC of a platform mapping and an accel mapping; `*_source` names them in errors (file or "<dict>"). */
sim::SocConfig soc_config_from_py(py::handle platform, const std::string& platform_source, py::handle accel,
                                  const std::string& accel_source);
/** A model config from the fields of a model mapping. */
ModelConfig model_config_from_py(py::handle model, const std::string& source);
/**
 * The validated SoC's runtime values (defaults applied) as JSON; with a resource-cost file
 * (configs/dse/resource_costs.yaml) also "resources": the accelerator's LUT/FF/DSP/BRAM/URAM
 * estimate as the explorer computes it (dse/Resources.h), against the sweep's default margins.
 */
nlohmann::json soc_summary_json(const sim::SocConfig& c, const std::string& resource_costs = "");

/**
 * With the GIL held: raises a pending Ctrl-C (KeyboardInterrupt) as a C++ exception, so a long
 * run stops at its next progress call; the simulator and quantizer propagate it unchanged.
 */
inline void raise_pending_signals() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

void bind_config(py::module_& m);
void bind_models(py::module_& m);
void bind_sim(py::module_& m);
void bind_dse(py::module_& m);
void bind_studies(py::module_& m);
void bind_accel_hls(py::module_& m);

}  // namespace fpgallm::pybridge
