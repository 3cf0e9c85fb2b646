#include <bit>

#include "sim/axi/ArbiterIF.h"

namespace fpgallm::sim {

namespace {
class ArbiterFixedPriority final : public ArbiterIF {
 public:
  uint32_t grant(uint64_t requesting) override { return uint32_t(std::countr_zero(requesting)); }
};
}  // namespace

std::unique_ptr<ArbiterIF> make_fixed_priority_arbiter(uint32_t) { return std::make_unique<ArbiterFixedPriority>(); }

}  // namespace fpgallm::sim
