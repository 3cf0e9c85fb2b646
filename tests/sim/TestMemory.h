#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace fpgallm::test {

/**
 * Test-only TLM memory with hand-derivable timing: N target ports sharing one data bus. A
 * transfer of B bytes occupies the bus for B / bytes_per_ns starting when the bus is free, then
 * completes `latency` later (LT-style: the time is annotated, the target never waits). Holds real
 * bytes so numerical results can be checked; out-of-range accesses answer an address error.
 */
class TestMemory : public sc_core::sc_module {
 public:
  using Port = tlm_utils::simple_target_socket_tagged<TestMemory>;
  std::vector<std::unique_ptr<Port>> ports;

  TestMemory(sc_core::sc_module_name name, int n_ports, size_t size_bytes, sc_core::sc_time latency,
             double bytes_per_ns)
      : sc_module(name), mem_(size_bytes, 0), latency_(latency), bytes_per_ns_(bytes_per_ns) {
    for (int i = 0; i < n_ports; ++i) {
      ports.push_back(std::make_unique<Port>(("port" + std::to_string(i)).c_str()));
      ports.back()->register_b_transport(this, &TestMemory::b_transport, i);
      ports.back()->register_get_direct_mem_ptr(this, &TestMemory::get_direct_mem_ptr, i);
    }
  }

  uint8_t* data(uint64_t addr) { return mem_.data() + addr; }
  void backdoor_write(uint64_t addr, const void* src, size_t n) { std::memcpy(mem_.data() + addr, src, n); }
  void backdoor_read(uint64_t addr, void* dst, size_t n) const { std::memcpy(dst, mem_.data() + addr, n); }

  int64_t transactions = 0;
  int64_t bytes = 0;
  bool allow_dmi = true;  ///< grant DMI over the whole memory (fast-fidelity accelerator numerics)

 private:
  bool get_direct_mem_ptr(int, tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
    if (!allow_dmi) return false;
    dmi.set_dmi_ptr(mem_.data());
    dmi.set_start_address(0);
    dmi.set_end_address(mem_.size() - 1);
    dmi.allow_read_write();
    return true;
  }
  void b_transport(int, tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    const uint64_t addr = p.get_address();
    const size_t len = p.get_data_length();
    if (addr + len > mem_.size()) {
      p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (p.is_read()) std::memcpy(p.get_data_ptr(), mem_.data() + addr, len);
    else std::memcpy(mem_.data() + addr, p.get_data_ptr(), len);
    const sc_core::sc_time arrive = sc_core::sc_time_stamp() + delay;
    const sc_core::sc_time start = std::max(arrive, bus_free_);
    bus_free_ = start + sc_core::sc_time(static_cast<double>(len) / bytes_per_ns_, sc_core::SC_NS);
    delay = bus_free_ + latency_ - sc_core::sc_time_stamp();
    ++transactions;
    bytes += static_cast<int64_t>(len);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  std::vector<uint8_t> mem_;
  sc_core::sc_time latency_;
  double bytes_per_ns_;
  sc_core::sc_time bus_free_ = sc_core::SC_ZERO_TIME;
};

}  // namespace fpgallm::test
