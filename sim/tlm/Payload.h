#pragma once
#include <cstdint>

#include <tlm>

namespace fpgallm::sim {

/**
 * Marks a transaction that only takes time: every block on the path charges it like any other,
 * but the target moves no data (range and command are still checked). Fast-fidelity DMA uses it
 * when its consumer reads the same bytes through DMI, so a weight stream is not copied twice.
 */
struct TimingOnlyExt : tlm::tlm_extension<TimingOnlyExt> {
  tlm::tlm_extension_base* clone() const override { return new TimingOnlyExt(*this); }
  void copy_from(const tlm::tlm_extension_base&) override {}
};

/**
 * What a fast-fidelity initiator knows of its transfer's shape that the DRAM would see in cycle
 * fidelity: it is a DMA stream's unit standing for back-to-back transactions of `piece_bytes` each
 * (0: one transaction, not part of a stream; the cycle DMA, like the emitted kernel, issues one per
 * MACRO block), and `streams` initiators (this one included) take turns on the DRAM burst by burst
 * meanwhile. The fast DDR model charges the lines and bank-group waits that implies
 * (sim/ddr/FastBusCost.h) and queues a stream's units behind the bus time already booked.
 */
struct TransferShapeExt : tlm::tlm_extension<TransferShapeExt> {
  uint64_t piece_bytes = 0;
  uint32_t streams = 1;
  tlm::tlm_extension_base* clone() const override { return new TransferShapeExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const TransferShapeExt&>(e); }
};

/** Fills a generic payload for a plain read or write of `bytes` at `addr` (no byte enables, no DMI). */
inline void init_payload(tlm::tlm_generic_payload& p, tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                         int64_t bytes) {
  p.set_command(cmd);
  p.set_address(addr);
  p.set_data_ptr(data);
  p.set_data_length(static_cast<unsigned>(bytes));
  p.set_streaming_width(static_cast<unsigned>(bytes));
  p.set_byte_enable_ptr(nullptr);
  p.set_dmi_allowed(false);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

}  // namespace fpgallm::sim
