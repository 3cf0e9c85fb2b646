// fpgallm PS driver for the Cortex-A53 (Linux): places MACRO weights in a physically contiguous
// buffer with fpgallm's packer, writes the descriptor into the kernel's s_axilite registers, starts
// the kernel and waits for it by polling or by interrupt, as the simulator's PS model charges it
// (profile ps.software.profiles.emitted_driver; per-call accesses in sim/ps/DriverProtocol.h).
// Copied unchanged into every emitted project; build notes in the project README.
#pragma once
#include <cstdint>
#include <vector>

#include "models/quant/Macro.h"
#include "models/quant/QuantLinear.h"

// Barriers for AXI ordering between the A53 and the PL (Arm ARM, DSB/DMB): the activation stores
// must be complete before the ap_start write reaches the kernel (dsb st: all stores, full system),
// and nothing may be loaded from the buffer before ap_done has been observed (dmb ld: earlier loads
// before later loads). Elsewhere (the native unit test) a compiler barrier keeps program order.
#if defined(__aarch64__)
#define FPGALLM_BARRIER_BEFORE_START() __asm__ __volatile__("dsb st" ::: "memory")
#define FPGALLM_BARRIER_AFTER_DONE() __asm__ __volatile__("dmb ld" ::: "memory")
#else
#define FPGALLM_BARRIER_BEFORE_START() __asm__ __volatile__("" ::: "memory")
#define FPGALLM_BARRIER_AFTER_DONE() __asm__ __volatile__("" ::: "memory")
#endif

namespace fpgallm::ps {

/** 32-bit register access to the kernel's s_axilite block (a volatile, uncached mapping, or a test fake). */
class RegisterIF {
 public:
  virtual ~RegisterIF() = default;
  virtual uint32_t read32(uint32_t offset) = 0;
  virtual void write32(uint32_t offset, uint32_t value) = 0;
};

/** The kernel's interrupt line as user space sees it (UIO: /dev/uioN, or a test fake). */
class InterruptIF {
 public:
  virtual ~InterruptIF() = default;
  /** Unmasks the interrupt (UIO: write 1; uio_pdrv_genirq masks it again after each interrupt). */
  virtual void enable() = 0;
  /** Blocks until the interrupt fires (true) or `timeout_ms` pass (false). */
  virtual bool wait(int timeout_ms) = 0;
};

/** Cache maintenance of a cached buffer mapping (u-dma-buf sync_for_device / sync_for_cpu, or a fake). */
class CacheIF {
 public:
  virtual ~CacheIF() = default;
  /** The CPU wrote [offset, offset + bytes): clean it to DDR before the PL reads it (DMA_TO_DEVICE). */
  virtual void sync_for_device(uint64_t offset, uint64_t bytes) = 0;
  /** The PL wrote [offset, offset + bytes): invalidate it before the CPU reads it (DMA_FROM_DEVICE). */
  virtual void sync_for_cpu(uint64_t offset, uint64_t bytes) = 0;
};

/** A physically contiguous buffer the PL reaches through the HP ports (u-dma-buf). */
struct DmaRegion {
  uint8_t* virt = nullptr;
  uint64_t phys = 0;
  uint64_t bytes = 0;
};

/** How the buffer is mapped. The HP ports do not snoop the A53 caches, so either the mapping is not
 *  cacheable or the driver maintains the caches. */
enum class BufferMapping {
  WriteCombine,  ///< Normal non-cacheable (u-dma-buf sync_mode 2 + O_SYNC): whole-word copies, no maintenance
  Cached,        ///< cacheable (no O_SYNC): memcpy, clean before the PL reads, invalidate after it wrote
};

/** How the driver learns that the kernel finished. */
enum class Completion {
  Polling,    ///< read the control register until ap_done (bounded by the poll limit)
  Interrupt,  ///< the kernel's ap_done interrupt through UIO (bounded by the interrupt timeout)
};

const char* mapping_name(BufferMapping m);
const char* completion_name(Completion c);

/** Byte offsets of the kernel's registers (generated: driver/fpgallm_regs.h). */
struct RegisterMap {
  uint32_t ctrl = 0, gie = 0, ier = 0, isr = 0, ap_return = 0;
  std::vector<uint32_t> channel_base;  ///< one 64-bit base per m_axi bundle
  uint32_t weight_off = 0, act_off = 0, out_off = 0, bias_off = 0;
  uint32_t in_features = 0, out_features = 0, n_tokens = 0;
  uint32_t span_bytes = 0;
};

/** What the driver must know of the emitted kernel (generated: fpgallm_regs::accel_params()). */
struct AccelParams {
  MacroLayout layout;
  int64_t act_floats = 0;  ///< activation buffer: one fp32 row of in_features must fit
  uint64_t ctrl_phys_base = 0;
  RegisterMap regs;
};

/** ap_ctrl_hs bits of the control register, interrupt bits (Vitis HLS, UG1399). */
constexpr uint32_t kApStart = 1u << 0;
constexpr uint32_t kApDone = 1u << 1;  ///< clear on read
constexpr uint32_t kApIdle = 1u << 2;
constexpr uint32_t kIrqApDone = 1u << 0;  ///< GIE enable bit; IER/ISR channel 0 (ap_done); ISR toggles on write
/** Regions in the buffer start on the AXI 4 KiB boundary. */
constexpr uint64_t kRegionAlignBytes = 4096;
/** Default bound on completion polls before the driver reports a hung accelerator. */
constexpr int64_t kDefaultPollLimit = int64_t{1} << 32;
/** Default bound on the wait for the completion interrupt. */
constexpr int kDefaultIrqTimeoutMs = 10000;

/** The driver's configuration; the emitted defaults are fpgallm_regs::driver_options(). */
struct DriverOptions {
  BufferMapping mapping = BufferMapping::WriteCombine;
  Completion completion = Completion::Polling;
  InterruptIF* irq = nullptr;  ///< required for Completion::Interrupt
  CacheIF* cache = nullptr;    ///< required for BufferMapping::Cached
  int64_t poll_limit = kDefaultPollLimit;
  int irq_timeout_ms = kDefaultIrqTimeoutMs;
};

/** A linear layer resident in the buffer. */
struct PlacedLinear {
  int64_t in_features = 0, out_features = 0;
  uint64_t weight_off = 0;  ///< bytes from the buffer start
  uint64_t bias_off = 0;    ///< 0: no bias
  int64_t weight_bytes = 0;
};

/**
 * Runs linear layers on the PL. Weights are placed once (bump allocation from the buffer start);
 * activations and outputs of each call go to a scratch area after the last placed layer.
 * Errors (buffer full, a shape the kernel rejects, a non-zero kernel status, no completion within
 * the poll limit or the interrupt timeout, a missing interface for the configured mode) throw
 * fpgallm::Error with the reason.
 */
class Driver {
 public:
  Driver(RegisterIF& regs, DmaRegion buf, AccelParams params, DriverOptions options);

  /** Packs `q` into MACRO blocks (pack_macro, the simulator's packer) and copies them and the bias in. */
  PlacedLinear place(const QuantLinear& q, const float* bias);

  /** y[n_tokens, out] = layer(x[n_tokens, in]): activations in, descriptor, start, wait, results out. */
  void linear(const PlacedLinear& l, const float* x, int64_t n_tokens, float* y);

  void set_poll_limit(int64_t polls) { opt_.poll_limit = polls; }
  void set_irq_timeout_ms(int ms) { opt_.irq_timeout_ms = ms; }
  const DriverOptions& options() const { return opt_; }
  /** Bytes of `buf` used by placed weights. */
  uint64_t placed_bytes() const { return top_; }
  /** The CPU's view of the buffer. */
  const uint8_t* buffer() const { return buf_.virt; }

 private:
  void write64(uint32_t off, uint64_t v);
  uint64_t reserve(uint64_t bytes, const char* what);
  /** Copies host data into the buffer at `off` the way the mapping needs (and cleans it when cached). */
  void copy_in(uint64_t off, const void* src, uint64_t bytes, const char* what);
  /** Copies `bytes` at `off` out of the buffer (invalidated first when cached). */
  void copy_out(uint64_t off, void* dst, uint64_t bytes);
  void wait_polling(const PlacedLinear& l, int64_t n_tokens);
  void wait_interrupt(const PlacedLinear& l, int64_t n_tokens);

  RegisterIF& regs_;
  DmaRegion buf_;
  AccelParams p_;
  DriverOptions opt_;
  uint64_t top_ = 0;
};

/** Text of a kernel status (fpgallm_hls::Status). */
const char* kernel_status_text(uint32_t status);

}  // namespace fpgallm::ps
