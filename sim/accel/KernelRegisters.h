#pragma once
#include <cstdint>
#include <vector>

namespace fpgallm::sim {

/**
 * The s_axilite register map of the emitted kernel `fpgallm_linear` (ap_ctrl_hs), in one place:
 * the HLS emitter writes it into driver/fpgallm_regs.h and the PS cost model counts the driver's
 * accesses to it (sim/ps/DriverProtocol.h). Offsets follow the Vitis HLS convention (UG1399,
 * "S_AXILITE Control Register Map"): control at 0x00, global interrupt enable 0x04, IP interrupt
 * enable 0x08, IP interrupt status 0x0C (toggle-on-write), ap_return 0x10, then the arguments in
 * order, a 64-bit one taking 3 words (low, high, reserved), a 32-bit one 2.
 */
constexpr uint32_t kRegCtrl = 0x00;
constexpr uint32_t kRegGie = 0x04;       ///< bit 0: global interrupt enable
constexpr uint32_t kRegIer = 0x08;       ///< bit 0: interrupt on ap_done, bit 1: on ap_ready
constexpr uint32_t kRegIsr = 0x0C;       ///< bit 0: ap_done interrupt pending; writing 1 toggles it
constexpr uint32_t kRegApReturn = 0x10;
constexpr uint32_t kRegFirstArg = 0x18;
constexpr uint32_t kReg64Span = 12;
constexpr uint32_t kReg32Span = 8;

/** The kernel's s_axilite registers (byte offsets from the control base). */
struct RegisterLayout {
  std::vector<uint32_t> channel_base;  ///< 64-bit base address of m_axi bundle gmem<c>
  uint32_t weight_off = 0, act_off = 0, out_off = 0, bias_off = 0;  ///< 64-bit
  uint32_t in_features = 0, out_features = 0, n_tokens = 0;        ///< 32-bit
  uint32_t span_bytes = 0;  ///< registers end here
};

/** 32-bit words of the job descriptor of a kernel with `channels` bundles: 2 per 64-bit channel base
 *  and offset (low, high), 1 per shape argument. */
int64_t descriptor_words(int64_t channels);

/** The map of a kernel with `channels` m_axi bundles (channels >= 1). */
RegisterLayout register_layout(int64_t channels);

}  // namespace fpgallm::sim
