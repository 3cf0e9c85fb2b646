#include "sim/soc/SimKernel.h"

#include <systemc>

namespace fpgallm::sim {

void new_simulation_context() {
  // The previous context is leaked on purpose: SystemC's own objects may still reference it.
  sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
  sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
}

}  // namespace fpgallm::sim
