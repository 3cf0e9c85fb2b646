#include "sim/ps/DriverProtocol.h"

namespace fpgallm::sim {

int64_t DriverCallAccesses::register_reads(int64_t polls) const {
  return reads_before_start + (irq_waits ? 0 : polls) + reads_after_done;
}

int64_t DriverCallAccesses::syscalls() const {
  return irq_enables * kSyscallsPerIrqEnable + irq_waits * kSyscallsPerIrqWait +
         (syncs_before_start + syncs_after_done) * kSyscallsPerCacheSync;
}

DriverCallAccesses driver_call_accesses(int64_t channels, CompletionMode completion, BufferMapping mapping) {
  DriverCallAccesses a;
  a.reads_before_start = 1;                                 // control: ap_idle
  a.writes_before_start = descriptor_words(channels) + 1;  // the descriptor, then ap_start
  a.reads_after_done = 1;                                   // ap_return
  if (completion == CompletionMode::Interrupt) {
    a.irq_enables = 1;
    a.irq_waits = 1;
    a.reads_after_done += 1;   // interrupt status: must show ap_done
    a.writes_after_done = 1;   // interrupt status: toggle ap_done's bit back to 0
  }
  if (mapping == BufferMapping::Cached) {
    a.syncs_before_start = 1;
    a.syncs_after_done = 1;
  }
  return a;
}

}  // namespace fpgallm::sim
