// fpgallm._fpgallm.config: platform, accel and model configs given as Python mappings go through
// the same parsers and checks as YAML files; the summaries are the validated runtime structs.
#include <nlohmann/json.hpp>

#include "dse/Resources.h"
#include "models/core/YamlConfig.h"
#include "models/llm/ModelConfig.h"
#include "models/quant/Macro.h"
#include "python/src/Bind.h"
#include "sim/soc/SocConfig.h"

namespace fpgallm::pybridge {


namespace {

nlohmann::json accel_summary_json(const sim::AccelConfig& a) {
  return {{"name", a.name},
          {"clock_mhz", a.clock_mhz},
          {"fidelity", sim::to_string(a.fidelity)},
          {"pe_rows", a.pe_rows},
          {"pe_cols", a.pe_cols},
          {"dsp_per_pe", a.dsp_per_pe},
          {"dsp_used", a.dsp_used()},
          {"peak_macs_per_s", static_cast<double>(a.pe_rows * a.pe_cols) * a.clock_mhz * 1e6},
          {"n_channels", a.n_channels},
          {"buffer_bytes", a.buffer_bytes()},
          {"weight_buffer_bytes", a.weight_buffer_bytes},
          {"act_buffer_bytes", a.act_buffer_bytes},
          {"out_buffer_bytes", a.out_buffer_bytes},
          {"offload_linear", a.offload_linear},
          {"offload_lm_head", a.offload_lm_head},
          {"macro", macro_layout_to_json(a.macro)},
          {"macro_block_bytes", a.macro.block_bytes()}};
}

/** The platform sections' runtime values (what rooflines and resource budgets read). */
nlohmann::json platform_summary_json(const sim::SocConfig& c) {
  return {{"pl",
           {{"device", c.pl.device},
            {"luts", c.pl.luts},
            {"ffs", c.pl.ffs},
            {"dsp48e2", c.pl.dsp48e2},
            {"bram36", c.pl.bram36},
            {"uram288", c.pl.uram288},
            {"bram36_data_bytes", sim::kBram36DataBytes},
            {"uram288_data_bytes", sim::kUram288DataBytes},
            {"on_chip_bytes", c.pl.on_chip_bytes()}}},
          {"ddr", {{"peak_gbps", c.ddr.peak_gbps()}}},
          {"axi",
           {{"ports", c.axi.ports},
            {"data_width_bits", c.axi.data_width_bits},
            {"pl_clock_mhz", c.axi.pl_clock_mhz},
            {"hp_port_peak_gbps", c.axi.hp_port().peak_gbps()}}},
          {"ps", {{"clock_mhz", c.ps.clock_mhz}, {"cores", c.ps.cores}, {"cores_used", c.ps.cores_used}}}};
}

}  // namespace

nlohmann::json soc_summary_json(const sim::SocConfig& c, const std::string& resource_costs) {
  nlohmann::json j = platform_summary_json(c);
  j["accel"] = accel_summary_json(c.accel);
  if (!resource_costs.empty())
    j["resources"] =
        dse::estimate_resources(c.accel, c.pl, dse::load_resource_costs(resource_costs), dse::ResourceMargins{}).to_json();
  return j;
}

sim::SocConfig soc_config_from_py(py::handle platform, const std::string& platform_source, py::handle accel,
                                  const std::string& accel_source) {
  YamlMap p(to_yaml(platform), "", platform_source);
  YamlMap a(to_yaml(accel), "", accel_source);
  sim::SocConfig c = sim::parse_soc_config(p, a);
  c.validate();
  return c;
}

ModelConfig model_config_from_py(py::handle model, const std::string& source) {
  return model_config_from_yaml(to_yaml(model), source);
}

void bind_config(py::module_& m) {
  m.def(
      "soc_summary",
      [](py::handle platform, const std::string& platform_source, py::handle accel, const std::string& accel_source,
         const std::string& resource_costs) {
        return to_py(soc_summary_json(soc_config_from_py(platform, platform_source, accel, accel_source), resource_costs));
      },
      py::arg("platform"), py::arg("platform_source"), py::arg("accel"), py::arg("accel_source"),
      py::arg("resource_costs") = "",
      "Validates a platform mapping (ddr/axi/ps/pl) with an accel mapping (accel: ...) together and returns the "
      "runtime values; raises ValueError naming the field and source.");
  m.def(
      "platform_summary",
      [](py::handle platform, const std::string& source) {
        YamlMap root(to_yaml(platform), "", source);
        return to_py(platform_summary_json(sim::parse_platform_config(root)));
      },
      py::arg("platform"), py::arg("source"),
      "Validates a platform mapping (ddr, axi, ps, pl) and returns its runtime values; raises ValueError naming the "
      "field and source.");
  m.def(
      "accel_summary",
      [](py::handle accel, const std::string& source) {
        YamlMap root(to_yaml(accel), "", source);
        return to_py(accel_summary_json(sim::parse_accel_config(root)));
      },
      py::arg("accel"), py::arg("source"),
      "Validates an accel mapping's fields on their own (board limits need a platform: soc_summary); returns its "
      "runtime values.");
  m.def(
      "model_summary",
      [](py::handle model, const std::string& source) {
        const ModelConfig c = model_config_from_py(model, source);
        nlohmann::json j = model_config_to_hf_json(c);
        j["num_parameters"] = c.num_parameters();
        return to_py(j);
      },
      py::arg("model"), py::arg("source"),
      "Validates the fields of a model mapping (configs/model/*.yaml under `model:`) and returns them HF-style "
      "with the parameter count; raises ValueError naming the field.");
}

}  // namespace fpgallm::pybridge
