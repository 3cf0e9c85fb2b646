#include "fpgallm_driver.h"

#include <cstring>

#include "models/core/Error.h"

namespace fpgallm::ps {

namespace {
constexpr int64_t kFloatBytes = 4;
constexpr uint64_t kWordBytes = 8;
uint64_t align_up(uint64_t a) { return (a + kRegionAlignBytes - 1) / kRegionAlignBytes * kRegionAlignBytes; }

// Copies for a write-combine (Normal non-cacheable) mapping: aligned 64-bit volatile stores and loads
// (volatile so the compiler neither merges them into a library memcpy nor splits them), a 32-bit
// access for a trailing float. The buffer side is always 8-byte aligned (regions start on 4 KiB);
// the host side is read and written through memcpy, which has no alignment needs.
void store_words(uint8_t* dst, const uint8_t* src, uint64_t bytes) {
  uint64_t i = 0;
  for (; i + kWordBytes <= bytes; i += kWordBytes) {
    uint64_t w;
    std::memcpy(&w, src + i, kWordBytes);
    *reinterpret_cast<volatile uint64_t*>(dst + i) = w;
  }
  if (i < bytes) {
    uint32_t w;
    std::memcpy(&w, src + i, sizeof w);
    *reinterpret_cast<volatile uint32_t*>(dst + i) = w;
  }
}

void load_words(uint8_t* dst, const uint8_t* src, uint64_t bytes) {
  uint64_t i = 0;
  for (; i + kWordBytes <= bytes; i += kWordBytes) {
    const uint64_t w = *reinterpret_cast<const volatile uint64_t*>(src + i);
    std::memcpy(dst + i, &w, kWordBytes);
  }
  if (i < bytes) {
    const uint32_t w = *reinterpret_cast<const volatile uint32_t*>(src + i);
    std::memcpy(dst + i, &w, sizeof w);
  }
}
}  // namespace

const char* mapping_name(BufferMapping m) { return m == BufferMapping::Cached ? "cached" : "write_combine"; }
const char* completion_name(Completion c) { return c == Completion::Interrupt ? "interrupt" : "polling"; }

const char* kernel_status_text(uint32_t status) {
  switch (status) {
    case 0: return "ok";
    case 1: return "a dimension is 0";
    case 2: return "an offset or a row is not a whole number of AXI beats";
    case 3: return "one activation row does not fit the activation buffer";
  }
  return "unknown status";
}

Driver::Driver(RegisterIF& regs, DmaRegion buf, AccelParams params, DriverOptions options)
    : regs_(regs), buf_(buf), p_(std::move(params)), opt_(options) {
  p_.layout.validate("fpgallm driver: MACRO layout");
  if (!buf_.virt || buf_.bytes == 0) fail("fpgallm driver: no DMA buffer");
  if (buf_.phys % kRegionAlignBytes) fail("fpgallm driver: DMA buffer at {:#x} is not 4 KiB aligned", buf_.phys);
  if (reinterpret_cast<uintptr_t>(buf_.virt) % kWordBytes)
    fail("fpgallm driver: the DMA buffer's mapping at {} is not {}-byte aligned", static_cast<void*>(buf_.virt),
         kWordBytes);
  if (p_.regs.channel_base.empty()) fail("fpgallm driver: the register map has no m_axi channel");
  if (opt_.mapping == BufferMapping::Cached && !opt_.cache)
    fail("fpgallm driver: a cached buffer mapping needs cache maintenance (DriverOptions::cache)");
  if (opt_.completion == Completion::Interrupt) {
    if (!opt_.irq) fail("fpgallm driver: interrupt completion needs the interrupt (DriverOptions::irq)");
    // ap_done raises the kernel's interrupt output (GIE and IER channel 0); a stale status is cleared
    // by writing its bits back (toggle on write).
    regs_.write32(p_.regs.gie, kIrqApDone);
    regs_.write32(p_.regs.ier, kIrqApDone);
    const uint32_t stale = regs_.read32(p_.regs.isr);
    if (stale) regs_.write32(p_.regs.isr, stale);
  }
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

void Driver::copy_in(uint64_t off, const void* src, uint64_t bytes, const char* what) {
  if (bytes % kFloatBytes) fail("fpgallm driver: {} of {} bytes is not a whole number of 32-bit words", what, bytes);
  if (opt_.mapping == BufferMapping::Cached) {
    std::memcpy(buf_.virt + off, src, bytes);
    opt_.cache->sync_for_device(off, bytes);
  } else {
    store_words(buf_.virt + off, static_cast<const uint8_t*>(src), bytes);
  }
}

void Driver::copy_out(uint64_t off, void* dst, uint64_t bytes) {
  if (opt_.mapping == BufferMapping::Cached) {
    opt_.cache->sync_for_cpu(off, bytes);
    std::memcpy(dst, buf_.virt + off, bytes);
  } else {
    load_words(static_cast<uint8_t*>(dst), buf_.virt + off, bytes);
  }
}

PlacedLinear Driver::place(const QuantLinear& q, const float* bias) {
  const MacroStream s = pack_macro(q, p_.layout);
  PlacedLinear l;
  l.in_features = q.in_features;
  l.out_features = q.out_features;
  l.weight_bytes = static_cast<int64_t>(s.bytes.size());
  l.weight_off = reserve(s.bytes.size(), "MACRO weights");
  copy_in(l.weight_off, s.bytes.data(), s.bytes.size(), "MACRO weights");
  if (bias) {
    const auto n = static_cast<uint64_t>(q.out_features * kFloatBytes);
    l.bias_off = reserve(n, "bias");
    copy_in(l.bias_off, bias, n, "bias");
  }
  return l;
}

void Driver::write64(uint32_t off, uint64_t v) {
  regs_.write32(off, static_cast<uint32_t>(v));
  regs_.write32(off + 4, static_cast<uint32_t>(v >> 32));
}

void Driver::wait_polling(const PlacedLinear& l, int64_t n_tokens) {
  int64_t polls = 0;
  while ((regs_.read32(p_.regs.ctrl) & kApDone) == 0)
    if (++polls >= opt_.poll_limit)
      fail("fpgallm driver: no completion after {} polls of the control register (layer [{} x {}], {} tokens)",
           polls, l.out_features, l.in_features, n_tokens);
}

void Driver::wait_interrupt(const PlacedLinear& l, int64_t n_tokens) {
  if (!opt_.irq->wait(opt_.irq_timeout_ms))
    fail("fpgallm driver: no completion interrupt within {} ms (layer [{} x {}], {} tokens)", opt_.irq_timeout_ms,
         l.out_features, l.in_features, n_tokens);
  const uint32_t isr = regs_.read32(p_.regs.isr);
  if ((isr & kIrqApDone) == 0)
    fail("fpgallm driver: interrupt without ap_done in the interrupt status register ({:#x})", isr);
  regs_.write32(p_.regs.isr, kIrqApDone);  // toggle on write: clears ap_done's status bit
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

  // The sequence sim/ps/DriverProtocol.h counts: check idle, copy in, descriptor, barrier, start, wait,
  // barrier, status, copy out.
  const RegisterMap& r = p_.regs;
  if ((regs_.read32(r.ctrl) & kApIdle) == 0) fail("fpgallm driver: the accelerator is busy (ap_idle low)");
  copy_in(act_off, x, in_bytes, "activations");
  // Every channel sees the buffer at its physical address; offsets are from there.
  for (uint32_t base : r.channel_base) write64(base, buf_.phys);
  write64(r.weight_off, l.weight_off);
  write64(r.act_off, act_off);
  write64(r.out_off, out_off);
  write64(r.bias_off, l.bias_off);
  regs_.write32(r.in_features, static_cast<uint32_t>(l.in_features));
  regs_.write32(r.out_features, static_cast<uint32_t>(l.out_features));
  regs_.write32(r.n_tokens, static_cast<uint32_t>(n_tokens));
  if (opt_.completion == Completion::Interrupt) opt_.irq->enable();
  FPGALLM_BARRIER_BEFORE_START();
  regs_.write32(r.ctrl, kApStart);
  if (opt_.completion == Completion::Interrupt)
    wait_interrupt(l, n_tokens);
  else
    wait_polling(l, n_tokens);
  FPGALLM_BARRIER_AFTER_DONE();
  const uint32_t status = regs_.read32(r.ap_return);
  if (status != 0) fail("fpgallm driver: kernel status {}: {}", status, kernel_status_text(status));
  copy_out(out_off, y, out_bytes);
}

}  // namespace fpgallm::ps
