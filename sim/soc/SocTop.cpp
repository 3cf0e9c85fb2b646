#include "sim/soc/SocTop.h"

#include <fmt/format.h>

namespace fpgallm::sim {

SocTop::SocTop(sc_core::sc_module_name name, const SocConfig& cfg) : sc_module(name), cfg_(cfg) {
  cfg_.validate();
  ddr_ = std::make_unique<DdrController>("ddr", cfg_.ddr);
  axi_ = std::make_unique<AxiInterconnect>("axi", cfg_.axi, cfg_.ddr.fidelity);
  accel_ = std::make_unique<Accelerator>("accel", cfg_.accel);
  ps_ = std::make_unique<PsCore>("ps", cfg_.ps, cfg_.accel.n_channels);

  axi_->iSocket.bind(ddr_->tSocket);
  for (size_t c = 0; c < accel_->dma.size(); ++c) accel_->dma[c]->bind(*axi_->ports[c]);
  for (size_t p = accel_->dma.size(); p < axi_->hp_ports(); ++p) {
    idle_ports_.push_back(std::make_unique<tlm_utils::simple_initiator_socket<SocTop>>(
        fmt::format("idle_hp{}", p).c_str()));
    idle_ports_.back()->bind(*axi_->ports[p]);
  }
  ps_->iSocket.bind(*axi_->ports[axi_->ps_port()]);
}

SocTop::~SocTop() = default;

void SocTop::report_stats(stats::Group& g) const {
  ddr_->report_stats(g.child("ddr"));
  axi_->report_stats(g.child("axi"));
  accel_->report_stats(g.child("accel"));
  ps_->report_stats(g.child("ps"));
}

}  // namespace fpgallm::sim
