#include "sim/soc/SocConfig.h"

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"

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

SocConfig load_soc_config(const std::string& platform_file, const std::string& accel_file) {
  SocConfig c;
  c.platform_file = platform_file;
  c.accel_file = accel_file;
  YamlMap root = YamlMap::load(platform_file);
  auto ddr = root.child("ddr", true);
  c.ddr = parse_ddr_config(ddr);
  auto axi = root.child("axi", true);
  c.axi = parse_axi_config(axi);
  auto ps = root.child("ps", true);
  c.ps = parse_ps_config(ps);
  auto pl = root.child("pl", true);
  c.pl = parse_pl_resources(pl);
  root.finish();
  c.accel = load_accel_config(accel_file);
  // One fidelity for the whole system, chosen by the accelerator config (sweeps pick fast there).
  c.set_fidelity(c.accel.fidelity);
  c.validate();
  return c;
}

}  // namespace fpgallm::sim
