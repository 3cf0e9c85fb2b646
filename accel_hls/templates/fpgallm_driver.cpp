#include "fpgallm_driver.h"

#include <cstring>

#include "models/core/Error.h"

namespace fpgallm::ps {

namespace {
constexpr int64_t kFloatBytes = 4;
uint64_t align_up(uint64_t a) { return (a + kRegionAlignBytes - 1) / kRegionAlignBytes * kRegionAlignBytes; }
}  // namespace

const char* kernel_status_text(uint32_t status) {
  switch (status) {
    case 0: return "ok";
    case 1: return "a dimension is 0";
    case 2: return "an offset or a row is not a whole number of AXI beats";
    case 3: return "one activation row does not fit the activation buffer";
  }
  return "unknown status";
}

Driver::Driver(RegisterIF& regs, DmaRegion buf, AccelParams params) : regs_(regs), buf_(buf), p_(std::move(params)) {
  p_.layout.validate("fpgallm driver: MACRO layout");
  if (!buf_.virt || buf_.bytes == 0) fail("fpgallm driver: no DMA buffer");
  if (buf_.phys % kRegionAlignBytes) fail("fpgallm driver: DMA buffer at {:#x} is not 4 KiB aligned", buf_.phys);
  if (p_.regs.channel_base.empty()) fail("fpgallm driver: the register map has no m_axi channel");
  // Weights start one region in, so no placed bias ever sits at offset 0 (which means "no bias").
  top_ = kRegionAlignBytes;
}

uint64_t Driver::reserve(uint64_t bytes, const char* what) {
  const uint64_t at = top_;
  if (at + bytes > buf_.bytes)
    fail("fpgallm driver: {} of {} bytes does not fit the DMA buffer ({} of {} bytes used)", what, bytes, top_,
         buf_.bytes);
  top_ = align_up(at + bytes);
  return at;
}

PlacedLinear Driver::place(const QuantLinear& q, const float* bias) {
  const MacroStream s = pack_macro(q, p_.layout);
  PlacedLinear l;
  l.in_features = q.in_features;
  l.out_features = q.out_features;
  l.weight_bytes = static_cast<int64_t>(s.bytes.size());
  l.weight_off = reserve(s.bytes.size(), "MACRO weights");
  std::memcpy(buf_.virt + l.weight_off, s.bytes.data(), s.bytes.size());
  if (bias) {
    const auto n = static_cast<uint64_t>(q.out_features * kFloatBytes);
    l.bias_off = reserve(n, "bias");
    std::memcpy(buf_.virt + l.bias_off, bias, n);
  }
  return l;
}

void Driver::write64(uint32_t off, uint64_t v) {
  regs_.write32(off, static_cast<uint32_t>(v));
  regs_.write32(off + 4, static_cast<uint32_t>(v >> 32));
}

void Driver::linear(const PlacedLinear& l, const float* x, int64_t n_tokens, float* y) {
  const int64_t floats_per_beat = p_.layout.beat_bytes / kFloatBytes;
  if (n_tokens < 1) fail("fpgallm driver: n_tokens must be >= 1 (got {})", n_tokens);
  if (floats_per_beat < 1 || l.in_features % floats_per_beat || l.out_features % floats_per_beat)
    fail("fpgallm driver: layer [{} x {}]: in and out features must be multiples of {} (whole {}-byte AXI beats)",
         l.out_features, l.in_features, floats_per_beat, p_.layout.beat_bytes);
  if (l.in_features > p_.act_floats)
    fail("fpgallm driver: an activation row of {} fp32 exceeds the kernel's activation buffer of {}", l.in_features,
         p_.act_floats);
  const auto in_bytes = static_cast<uint64_t>(n_tokens * l.in_features * kFloatBytes);
  const auto out_bytes = static_cast<uint64_t>(n_tokens * l.out_features * kFloatBytes);
  // Scratch after the placed weights; released when the call returns.
  const uint64_t act_off = align_up(top_), out_off = align_up(act_off + in_bytes);
  if (out_off + out_bytes > buf_.bytes)
    fail("fpgallm driver: activations and outputs of {} tokens ({} bytes) do not fit the DMA buffer after {} bytes "
         "of weights ({} bytes)",
         n_tokens, in_bytes + out_bytes, top_, buf_.bytes);
  std::memcpy(buf_.virt + act_off, x, in_bytes);

  // The descriptor: every channel sees the buffer at its physical address; offsets are from there.
  const RegisterMap& r = p_.regs;
  if ((regs_.read32(r.ctrl) & kApIdle) == 0) fail("fpgallm driver: the accelerator is busy (ap_idle low)");
  for (uint32_t base : r.channel_base) write64(base, buf_.phys);
  write64(r.weight_off, l.weight_off);
  write64(r.act_off, act_off);
  write64(r.out_off, out_off);
  write64(r.bias_off, l.bias_off);
  regs_.write32(r.in_features, static_cast<uint32_t>(l.in_features));
  regs_.write32(r.out_features, static_cast<uint32_t>(l.out_features));
  regs_.write32(r.n_tokens, static_cast<uint32_t>(n_tokens));
  regs_.write32(r.ctrl, kApStart);
  int64_t polls = 0;
  while ((regs_.read32(r.ctrl) & kApDone) == 0)
    if (++polls >= poll_limit_)
      fail("fpgallm driver: no completion after {} polls of the control register (layer [{} x {}], {} tokens)",
           polls, l.out_features, l.in_features, n_tokens);
  const uint32_t status = regs_.read32(r.ap_return);
  if (status != 0) fail("fpgallm driver: kernel status {}: {}", status, kernel_status_text(status));
  std::memcpy(y, buf_.virt + out_off, out_bytes);
}

}  // namespace fpgallm::ps
