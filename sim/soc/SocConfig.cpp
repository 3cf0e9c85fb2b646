#include "sim/soc/SocConfig.h"

#include <functional>

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"
#include "sim/soc/SocParams.h"

#include <algorithm>
#include <cmath>

namespace fpgallm::sim {

void SocConfig::set_fidelity(Fidelity f) {
  ddr.fidelity = f;
  accel.fidelity = f;
}

void SocConfig::validate() const {
  if (accel.n_channels > static_cast<int64_t>(axi.ports))
    fail("accel.dma.channels = {} but the platform has only {} AXI HP ports (axi.ports) in {} / {}",
         accel.n_channels, axi.ports, accel_file, platform_file);
  accel.check_against_resources(pl);
  if (act_base <= weights_base || out_base <= act_base)
    fail("SoC address map must be weights < activations < outputs");
}

namespace {

/** `calibration:` of a platform YAML; each record must name a known parameter whose value in the
 *  file equals the record's `after` (when the record's software profile is the one selected). */
void parse_calibration(YamlMap& cal, SocConfig& c) {
  c.calibration_source = cal.get<std::string>("source", "");
  YamlMap fitted = cal.child("fitted");
  const auto params = platform_parameters(c);
  for (const auto& kv : fitted.node()) {
    FittedParameter f;
    f.key = kv.first.as<std::string>();
    YamlMap r = fitted.child(f.key, true);
    f.parameter = r.require<std::string>("parameter");
    f.figure = r.require<std::string>("figure");
    f.before = r.require<double>("before");
    f.after = r.require<double>("after");
    r.finish();
    const SocParam* p = find_parameter(params, f.parameter);
    const bool other_profile = f.parameter.starts_with("ps.software.profiles.") &&
                               !f.parameter.starts_with("ps.software.profiles." + c.ps.software.name + ".");
    if (!p && !other_profile)
      r.error("parameter", fmt::format("names no platform parameter (got '{}')", f.parameter));
    if (p && std::abs(p->get(c) - f.after) > 1e-12 * std::max(1.0, std::abs(f.after)))
      r.error("after", fmt::format("is {} but {} is {}: the record must hold the value in use", f.after, f.parameter,
                                   p->get(c)));
    c.fitted.push_back(f);
  }
  fitted.finish();
  if (c.fitted.size() > kMaxFittedParameters)
    cal.error("fitted", fmt::format("lists {} parameters; at most {} may be fitted to published figures",
                                    c.fitted.size(), kMaxFittedParameters));
  cal.finish();
}

}  // namespace

SocConfig parse_platform_config(YamlMap& platform_root) {
  SocConfig c;
  c.platform_file = platform_root.file();
  auto ddr = platform_root.child("ddr", true);
  c.ddr = parse_ddr_config(ddr);
  auto axi = platform_root.child("axi", true);
  c.axi = parse_axi_config(axi);
  auto ps = platform_root.child("ps", true);
  c.ps = parse_ps_config(ps);
  auto pl = platform_root.child("pl", true);
  c.pl = parse_pl_resources(pl);
  auto cal = platform_root.child("calibration");
  parse_calibration(cal, c);
  platform_root.finish();
  return c;
}

SocConfig parse_soc_config(YamlMap& platform_root, YamlMap& accel_root) {
  SocConfig c = parse_platform_config(platform_root);
  c.accel_file = accel_root.file();
  c.accel = parse_accel_config(accel_root);
  // One fidelity for the whole system, chosen by the accelerator config (sweeps pick fast there).
  c.set_fidelity(c.accel.fidelity);
  c.platform_yaml = std::make_shared<const YAML::Node>(platform_root.effective());
  c.accel_yaml = std::make_shared<const YAML::Node>(accel_root.effective());
  return c;
}

namespace {

std::string dump_as_run(const std::shared_ptr<const YAML::Node>& doc, const std::string& what, const std::string& file,
                        const std::function<void(YAML::Node&)>& set) {
  if (!doc || !doc->IsMap())
    fail("the {} config was not parsed from YAML (no {} document to write)", what, file.empty() ? "source" : file);
  YAML::Node n = YAML::Clone(*doc);
  set(n);
  return "# The " + what + " config as run (" + (file.empty() ? std::string("built in code") : file) +
         ", defaults written in): fpgallm run --out wrote it.\n" + YAML::Dump(n) + "\n";
}

}  // namespace

std::string platform_yaml_as_run(const SocConfig& c) {
  return dump_as_run(c.platform_yaml, "platform", c.platform_file,
                     [&](YAML::Node& n) { n["ddr"]["fidelity"] = to_string(c.ddr.fidelity); });
}

std::string accel_yaml_as_run(const SocConfig& c) {
  return dump_as_run(c.accel_yaml, "accel", c.accel_file,
                     [&](YAML::Node& n) { n["accel"]["fidelity"] = to_string(c.accel.fidelity); });
}

SocConfig load_soc_config(const std::string& platform_file, const std::string& accel_file) {
  YamlMap platform = YamlMap::load(platform_file);
  YamlMap accel = YamlMap::load(accel_file);
  SocConfig c = parse_soc_config(platform, accel);
  c.platform_file = platform_file;
  c.accel_file = accel_file;
  c.validate();
  return c;
}

}  // namespace fpgallm::sim
