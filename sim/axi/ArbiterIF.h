#pragma once
#include <cstdint>
#include <memory>

#include "sim/axi/AxiConfig.h"

namespace fpgallm::sim {

/** Picks which requesting port goes next onto the shared DDR request channel. */
class ArbiterIF {
 public:
  virtual ~ArbiterIF() = default;
  /** `requesting` has bit p set for each port p with a request; at least one bit is set. */
  virtual uint32_t grant(uint64_t requesting) = 0;
};

/** Each port in turn, starting after the last one granted. */
std::unique_ptr<ArbiterIF> make_round_robin_arbiter(uint32_t ports);
/** The lowest-numbered requesting port always wins. */
std::unique_ptr<ArbiterIF> make_fixed_priority_arbiter(uint32_t ports);
std::unique_ptr<ArbiterIF> make_arbiter(AxiArbitration kind, uint32_t ports);

}  // namespace fpgallm::sim
