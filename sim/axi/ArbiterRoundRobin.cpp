#include <bit>

#include "sim/axi/ArbiterIF.h"

namespace fpgallm::sim {

namespace {
class ArbiterRoundRobin final : public ArbiterIF {
 public:
  explicit ArbiterRoundRobin(uint32_t ports) : ports_(ports), last_(ports - 1) {}
  uint32_t grant(uint64_t requesting) override {
    // Rotate the mask so the port after the last winner sits at bit 0, then take the lowest.
    const uint32_t start = (last_ + 1) % ports_;
    const uint64_t all = ports_ >= 64 ? ~uint64_t(0) : (uint64_t(1) << ports_) - 1;
    const uint64_t rotated = start == 0 ? requesting : ((requesting >> start) | (requesting << (ports_ - start))) & all;
    last_ = (start + uint32_t(std::countr_zero(rotated))) % ports_;
    return last_;
  }

 private:
  uint32_t ports_, last_;
};
}  // namespace

std::unique_ptr<ArbiterIF> make_round_robin_arbiter(uint32_t ports) { return std::make_unique<ArbiterRoundRobin>(ports); }

}  // namespace fpgallm::sim
