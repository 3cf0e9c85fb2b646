// Wall time to simulate streaming through the KV260 memory path (4 HP ports -> DDR4) in each
// fidelity mode. Usage: bench_ddr [MB total, default 256] [transaction bytes, default 4096]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include <fmt/format.h>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "sim/axi/AxiInterconnect.h"
#include "sim/ddr/DdrController.h"
#include "sim/soc/SimKernel.h"

using namespace fpgallm::sim;

namespace {

/** One DMA-like master per port: sequential reads of `bytes` in `txn`-byte transactions. */
struct Streamer : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Streamer> iSocket;
  uint64_t base, bytes;
  unsigned txn;
  std::vector<unsigned char> buf;
  SC_HAS_PROCESS(Streamer);
  Streamer(sc_core::sc_module_name n, uint64_t base_addr, uint64_t total, unsigned txn_bytes)
      : sc_module(n), iSocket("iSocket"), base(base_addr), bytes(total), txn(txn_bytes), buf(txn_bytes) {
    SC_THREAD(run);
  }
  void run() {
    tlm::tlm_generic_payload gp;
    for (uint64_t off = 0; off < bytes; off += txn) {
      gp.set_command(tlm::TLM_READ_COMMAND);
      gp.set_address(base + off);
      gp.set_data_ptr(buf.data());
      gp.set_data_length(txn);
      gp.set_streaming_width(txn);
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      iSocket->b_transport(gp, delay);
      if (delay > sc_core::SC_ZERO_TIME) wait(delay);
    }
  }
};

void run(Fidelity f, uint64_t total_mb, unsigned txn) {
  new_simulation_context();
  DdrConfig dc;
  dc.fidelity = f;
  AxiConfig ac;
  DdrController ddr("ddr", dc);
  AxiInterconnect axi("axi", ac, f);
  axi.iSocket.bind(ddr.tSocket);
  constexpr uint64_t kRegionStride = uint64_t(512) << 20;
  const uint64_t each = (total_mb << 20) / ac.ports;
  std::vector<std::unique_ptr<Streamer>> s;
  for (uint32_t p = 0; p < ac.ports; ++p) {
    s.push_back(std::make_unique<Streamer>(fmt::format("s{}", p).c_str(), p * kRegionStride, each, txn));
    s.back()->iSocket.bind(*axi.ports[p]);
  }
  // Every socket must be bound: the PS port gets an idle master.
  s.push_back(std::make_unique<Streamer>("ps", 0, 0, txn));
  s.back()->iSocket.bind(*axi.ports[axi.ps_port()]);
  const auto w0 = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const double sim_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
  const double gb = double(each * ac.ports) / 1e9;
  fpgallm::stats::Group g("ddr");
  ddr.report_stats(g);
  std::printf("%-5s %llu MB via %u ports, %u B txns: simulated %.3f ms, %.2f GB/s, row hits %.1f %%, wall %.2f s = %.2f s per simulated GB\n",
              to_string(f), (unsigned long long)total_mb, ac.ports, txn, sim_ns / 1e6, gb / (sim_ns * 1e-9),
              g.value("row_hit_rate"), wall, wall / gb);
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t mb = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 256;
  const unsigned txn = argc > 2 ? unsigned(std::strtoul(argv[2], nullptr, 10)) : 4096;
  run(Fidelity::Cycle, mb, txn);
  run(Fidelity::Fast, mb, txn);
  return 0;
}
