#pragma once
#include <memory>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "sim/accel/Accelerator.h"
#include "sim/axi/AxiInterconnect.h"
#include "sim/ddr/DdrController.h"
#include "sim/ps/PsCore.h"
#include "sim/soc/SocConfig.h"
#include "sim/stats/Stats.h"

namespace fpgallm::sim {

/**
 * The KV260 as wired for the published design: the PL accelerator's DMA channels on HP0..HPn-1,
 * the A53 cluster on the interconnect's PS port, everything into one DDR4 controller.
 */
class SocTop : public sc_core::sc_module, public stats::Reporter {
 public:
  SocTop(sc_core::sc_module_name name, const SocConfig& cfg);
  ~SocTop() override;

  const SocConfig& config() const { return cfg_; }
  DdrController& ddr() { return *ddr_; }
  AxiInterconnect& axi() { return *axi_; }
  Accelerator& accel() { return *accel_; }
  PsCore& ps() { return *ps_; }

  void report_stats(stats::Group& g) const override;

 private:
  SocConfig cfg_;
  std::unique_ptr<DdrController> ddr_;
  std::unique_ptr<AxiInterconnect> axi_;
  std::unique_ptr<Accelerator> accel_;
  std::unique_ptr<PsCore> ps_;
  // HP ports the accelerator does not use still need a bound initiator; nothing drives them.
  std::vector<std::unique_ptr<tlm_utils::simple_initiator_socket<SocTop>>> idle_ports_;
};

}  // namespace fpgallm::sim
