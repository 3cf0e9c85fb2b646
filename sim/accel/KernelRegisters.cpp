#include "sim/accel/KernelRegisters.h"

#include "models/core/Error.h"

namespace fpgallm::sim {

int64_t descriptor_words(int64_t channels) {
  constexpr int64_t kOffsets = 4, kShape = 3;  // weight/act/out/bias offsets; in, out, n_tokens
  return 2 * (channels + kOffsets) + kShape;
}

RegisterLayout register_layout(int64_t channels) {
  if (channels < 1) fail("kernel register map: {} m_axi channels (need at least 1)", channels);
  RegisterLayout r;
  uint32_t at = kRegFirstArg;
  auto next = [&](uint32_t span) {
    const uint32_t here = at;
    at += span;
    return here;
  };
  for (int64_t c = 0; c < channels; ++c) r.channel_base.push_back(next(kReg64Span));
  r.weight_off = next(kReg64Span);
  r.act_off = next(kReg64Span);
  r.out_off = next(kReg64Span);
  r.bias_off = next(kReg64Span);
  r.in_features = next(kReg32Span);
  r.out_features = next(kReg32Span);
  r.n_tokens = next(kReg32Span);
  r.span_bytes = at;
  return r;
}

}  // namespace fpgallm::sim
