#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "sim/axi/ArbiterIF.h"
#include "sim/axi/AxiConfig.h"
#include "sim/ddr/Fidelity.h"
#include "sim/stats/Stats.h"
#include "sim/tlm/TimeConv.h"

namespace fpgallm::sim {

/**
 * The PS–PL memory path: HP ports 0..ports-1 (S_AXI_HPn_FPD) plus one PS port (index
 * `ps_port()`, CPU/cache traffic that reaches the DDR controller without an HP port), all merged
 * onto one initiator socket to the DDR controller.
 *
 * A transaction of any length on port p is split into AXI bursts (≤ max_burst_beats beats, never
 * crossing a 4 KB boundary) whose data pointers point into the caller's buffer. In cycle fidelity
 * each burst needs one of the port's outstanding read (or write) slots; the port's address channel
 * issues one burst per port clock; ready bursts of all ports are granted onto the shared DDR request
 * channel by the arbiter (one per port clock), cross the PS–PL boundary (crossing latency each
 * way) and go to the DDR as non-blocking requests. Read data returns over the port's data channel
 * at one beat per port clock; write data goes out over it before the request reaches the DDR. A
 * slot is freed when the last read beat is delivered (or the write response is back). The calling
 * thread blocks once, until its last burst completes; everything in between is function calls.
 *
 * In fast fidelity a transaction is one DDR b_transport plus the port's data-channel time, the
 * delay is annotated and nothing waits (the burst count is still recorded).
 */
class AxiInterconnect : public sc_core::sc_module, public stats::Reporter {
 public:
  std::vector<std::unique_ptr<tlm_utils::simple_target_socket_tagged<AxiInterconnect>>> ports;
  tlm_utils::simple_initiator_socket<AxiInterconnect> iSocket;

  SC_HAS_PROCESS(AxiInterconnect);
  AxiInterconnect(sc_core::sc_module_name name, const AxiConfig& cfg, Fidelity fidelity);
  ~AxiInterconnect() override;

  uint32_t hp_ports() const { return cfg_.ports; }
  /** Socket index of the PS (CPU) port: one past the last HP port. */
  uint32_t ps_port() const { return cfg_.ports; }

  /** Per-port figures (also in the stats tree as port0..portN-1 and ps). */
  struct PortCounters {
    uint64_t transactions = 0, bursts = 0, bytes_read = 0, bytes_written = 0;
    double busy_ns = 0;         // data channel carrying beats
    double active_ns = 0;       // at least one transaction in progress
    double slot_stall_ns = 0;   // time with a burst waiting for an outstanding slot
  };
  const PortCounters& port_counters(uint32_t port) const;
  void report_stats(stats::Group& g) const override;

 private:
  struct Txn;
  struct Burst;
  struct Slots {
    uint32_t limit = 0;
    std::vector<sc_core::sc_time> free_at;  // release times of idle slots
    std::deque<Burst*> waiting;             // bursts waiting for a slot, oldest first
  };
  struct Port {
    AxiPortConfig cfg;
    sc_core::sc_time beat, crossing;
    Slots rd, wr;
    std::deque<Burst*> ready;  // holding a slot, waiting for the request channel
    sc_core::sc_time r_free, w_free, addr_free, stall_mark;
    sc_core::sc_time fast_r_free, fast_w_free;  // fast path: the read and write data channels are independent, as in AXI
    uint32_t active = 0;
    sc_core::sc_time active_since;
    PortCounters n;
  };

  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  /** DMI passes straight through: the interconnect does not remap addresses. */
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  void fast_transaction(Port& p, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void acquire(Port& p, Burst* b);
  void release(Port& p, bool write, const sc_core::sc_time& at);
  void make_ready(Port& p, Burst* b, const sc_core::sc_time& issue);
  void note_stall(Port& p, const sc_core::sc_time& want, const sc_core::sc_time& granted);
  void pump();
  void send(Burst* b);
  void on_response(Burst* b, const sc_core::sc_time& ddr_done);
  Burst* alloc_burst();

  AxiConfig cfg_;
  Fidelity fidelity_;
  TimeConv tc_;
  std::vector<Port> port_;
  std::unique_ptr<ArbiterIF> arbiter_;
  sc_core::sc_event pump_ev_;
  sc_core::sc_time channel_free_, channel_cycle_;
  std::vector<std::unique_ptr<Burst>> pool_;
  std::vector<Burst*> free_;
  std::vector<std::unique_ptr<Txn>> txn_pool_;
  std::vector<Txn*> txn_free_;
  std::vector<Burst*> split_;  // bursts of the transaction being split (scratch)
};

}  // namespace fpgallm::sim
