// fpgallm PS driver for the Cortex-A53 (Linux): places MACRO weights in a physically contiguous
// buffer with fpgallm's packer, writes the descriptor into the kernel's s_axilite registers and
// waits for completion, as the simulator's PS model does (sim/soc/SimBackend.cpp pl_linear).
// Copied unchanged into every emitted project; build notes in the project README.
#pragma once
#include <cstdint>
#include <vector>

#include "models/quant/Macro.h"
#include "models/quant/QuantLinear.h"

namespace fpgallm::ps {

/** 32-bit register access to the kernel's s_axilite block (an mmap of /dev/mem, or a test fake). */
class RegisterIF {
 public:
  virtual ~RegisterIF() = default;
  virtual uint32_t read32(uint32_t offset) = 0;
  virtual void write32(uint32_t offset, uint32_t value) = 0;
};

/** A physically contiguous, uncached buffer the PL reaches through the HP ports (u-dma-buf). */
struct DmaRegion {
  uint8_t* virt = nullptr;
  uint64_t phys = 0;
  uint64_t bytes = 0;
};

/** Byte offsets of the kernel's registers (generated: driver/fpgallm_regs.h). */
struct RegisterMap {
  uint32_t ctrl = 0, ap_return = 0;
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

/** ap_ctrl_hs bits of the control register (Vitis HLS). */
constexpr uint32_t kApStart = 1u << 0;
constexpr uint32_t kApDone = 1u << 1;
constexpr uint32_t kApIdle = 1u << 2;
/** Regions in the buffer start on the AXI 4 KiB boundary. */
constexpr uint64_t kRegionAlignBytes = 4096;
/** Default bound on completion polls before the driver reports a hung accelerator. */
constexpr int64_t kDefaultPollLimit = int64_t{1} << 32;

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
 * the poll limit) throw fpgallm::Error with the reason.
 */
class Driver {
 public:
  Driver(RegisterIF& regs, DmaRegion buf, AccelParams params);

  /** Packs `q` into MACRO blocks (pack_macro, the simulator's packer) and copies them and the bias in. */
  PlacedLinear place(const QuantLinear& q, const float* bias);

  /** y[n_tokens, out] = layer(x[n_tokens, in]): activations in, descriptor, start, wait, results out. */
  void linear(const PlacedLinear& l, const float* x, int64_t n_tokens, float* y);

  void set_poll_limit(int64_t polls) { poll_limit_ = polls; }
  /** Bytes of `buf` used by placed weights. */
  uint64_t placed_bytes() const { return top_; }
  const uint8_t* buffer() const { return buf_.virt; }

 private:
  void write64(uint32_t off, uint64_t v);
  uint64_t reserve(uint64_t bytes, const char* what);

  RegisterIF& regs_;
  DmaRegion buf_;
  AccelParams p_;
  uint64_t top_ = 0;
  int64_t poll_limit_ = kDefaultPollLimit;
};

/** Text of a kernel status (fpgallm_hls::Status). */
const char* kernel_status_text(uint32_t status);

}  // namespace fpgallm::ps
