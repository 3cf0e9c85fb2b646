#include "sim/soc/SimKernel.h"

#include <systemc>

namespace fpgallm::sim {

void new_simulation_context() {
  // The previous context is leaked on purpose: SystemC's own objects may still reference it.
  sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
  sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
  // sc_stop() at the end of every run is expected; its info report would only clutter output.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
}

}  // namespace fpgallm::sim
