#pragma once
#include <cstdint>

#include "sim/accel/KernelRegisters.h"
#include "sim/ps/PsConfig.h"

namespace fpgallm::sim {

/** System calls of the driver's Linux back-ends (driver/fpgallm_linux.h), per operation. */
constexpr int64_t kSyscallsPerIrqEnable = 1;  ///< write(2) of 1 to /dev/uioN (UIO irqcontrol)
constexpr int64_t kSyscallsPerIrqWait = 2;    ///< poll(2) with the hang timeout, then read(2) of the event count
constexpr int64_t kSyscallsPerCacheSync = 1;  ///< pwrite(2) to u-dma-buf's sync_for_device / sync_for_cpu

/**
 * What one `Driver::linear()` call of the emitted A53 driver (accel_hls/templates/fpgallm_driver.cpp)
 * does besides copying, for a kernel with `channels` m_axi bundles: its register accesses, UIO
 * operations, cache syncs and barriers, in the order it makes them. The PS cost model charges each
 * (sim/ps/PsCostModel.h); tests/accel_hls counts the driver's accesses through a fake register
 * block and holds them to these numbers. One-time setup (interrupt enables in the constructor) is
 * not per call.
 */
struct DriverCallAccesses {
  // Before ap_start: ap_idle check, descriptor, ap_start; in interrupt mode the UIO interrupt is
  // re-enabled first (uio_pdrv_genirq masks it after each interrupt).
  int64_t reads_before_start = 0;
  int64_t writes_before_start = 0;
  int64_t irq_enables = 0;
  int64_t syncs_before_start = 0;  ///< cached mapping: clean the activations (sync_for_device)
  // Waiting: polling reads the control register until ap_done (one read when the job is done at the
  // first poll; the poll loop's reads while the PL runs overlap the PL's time); interrupt mode blocks.
  int64_t irq_waits = 0;
  // After ap_done: interrupt mode reads the interrupt status and clears it (toggle-on-write); then
  // ap_return; cached mapping: invalidate the outputs (sync_for_cpu).
  int64_t reads_after_done = 0;
  int64_t writes_after_done = 0;
  int64_t syncs_after_done = 0;
  /** dsb st after the activation copy, before the ap_start write; dmb ld after seeing ap_done, before
   *  the outputs are read (AXI ordering on arm64: the PL must see the activations, the CPU the results). */
  int64_t barriers_before_start = 1;
  int64_t barriers_after_done = 1;

  int64_t register_writes() const { return writes_before_start + writes_after_done; }
  /** Register reads of a call whose job is done at the poll number `polls` (polling mode). */
  int64_t register_reads(int64_t polls) const;
  int64_t syscalls() const;
};

DriverCallAccesses driver_call_accesses(int64_t channels, CompletionMode completion, BufferMapping mapping);

}  // namespace fpgallm::sim
