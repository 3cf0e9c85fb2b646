#include "sim/axi/ArbiterIF.h"

namespace fpgallm::sim {

std::unique_ptr<ArbiterIF> make_arbiter(AxiArbitration kind, uint32_t ports) {
  switch (kind) {
    case AxiArbitration::RoundRobin: return make_round_robin_arbiter(ports);
    case AxiArbitration::FixedPriority: return make_fixed_priority_arbiter(ports);
  }
  return nullptr;
}

}  // namespace fpgallm::sim
