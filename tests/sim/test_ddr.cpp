#include <cmath>
#include <chrono>
#include <cstring>
#include <functional>
#include <random>

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"
#include "sim/ddr/DdrController.h"
#include "sim/ddr/FastBusCost.h"
#include "tests/sim/SimFixture.h"

using namespace fpgallm;
using namespace fpgallm::sim;
using fpgallm::test::SimTest;
using sc_core::SC_NS;
using sc_core::sc_time;

namespace {

/**
 * Runs each body in its own thread, all sharing one initiator socket (concurrent requesters behind
 * one port); honours annotated delays (fast mode).
 */
struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> iSocket;
  std::vector<std::function<void(Initiator&)>> bodies;
  Initiator(sc_core::sc_module_name n, std::function<void(Initiator&)> f)
      : Initiator(n, std::vector<std::function<void(Initiator&)>>{std::move(f)}) {}
  Initiator(sc_core::sc_module_name n, std::vector<std::function<void(Initiator&)>> fs)
      : sc_module(n), iSocket("iSocket"), bodies(std::move(fs)) {
    for (size_t i = 0; i < bodies.size(); ++i) sc_core::sc_spawn([this, i] { bodies[i](*this); });
  }
  /** One transaction; returns its latency. */
  sc_time transfer(bool write, uint64_t addr, void* data, unsigned len) {
    tlm::tlm_generic_payload gp;
    gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(static_cast<unsigned char*>(data));
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    const sc_time t0 = sc_core::sc_time_stamp();
    sc_time delay = sc_core::SC_ZERO_TIME;
    iSocket->b_transport(gp, delay);
    if (delay > sc_core::SC_ZERO_TIME) wait(delay);
    EXPECT_EQ(gp.get_response_status(), tlm::TLM_OK_RESPONSE);
    return sc_core::sc_time_stamp() - t0;
  }
  void wait_until(const sc_time& t) {
    if (t > sc_core::sc_time_stamp()) wait(t - sc_core::sc_time_stamp());
  }
};

double ns_of(const sc_time& t) { return t.to_seconds() * 1e9; }

DdrConfig no_refresh() {
  DdrConfig c;
  c.refresh = false;
  return c;
}

// Hand derivation for the defaults (DDR4-2400, the K26 SOM preset: tCK = 2000/2400 ns = 0.8333 ns;
// CL 16; tRCD = tRP = ceil(13.33 / 0.8333) = 16 clocks; BL8 = 4 clocks on the bus; controller 20 ns):
//   row miss (bank closed): ACT at arrival, RD after tRCD, data after CL, 4 clocks of data
//                           = 20 ns + (16 + 16 + 4) x 0.8333 = 50 ns
//   row hit:                RD at arrival = 20 ns + (16 + 4) x 0.8333 = 36.667 ns
//   bank conflict:          PRE, tRP, ACT, tRCD, RD = 20 ns + (16 + 16 + 16 + 4) x 0.8333 = 63.333 ns
constexpr double kTckNs = 2000.0 / 2400.0;
constexpr double kCtrlNs = 20.0;
constexpr double kMissNs = kCtrlNs + (16 + 16 + 4) * kTckNs;
constexpr double kHitNs = kCtrlNs + (16 + 4) * kTckNs;
constexpr double kConflictNs = kCtrlNs + (16 + 16 + 16 + 4) * kTckNs;
constexpr double kTimeTolNs = 0.01;
// Default map row_bank_col_bg: [5:0] byte, [6] bank group, [13:7] column, [15:14] bank, [31:16] row.
constexpr uint64_t kNextColumn = 128;
constexpr uint64_t kNextRowSameBank = uint64_t(1) << 16;

}  // namespace

TEST(DdrAddressMapping, DefaultMapInterleavesBankGroupsThenColumnsBanksRows) {
  const DdrConfig c;
  const AddressMapping m = c.mapping();
  EXPECT_EQ(m.map(64).bank_group, 1u);
  EXPECT_EQ(m.map(64).column, 0u);
  EXPECT_EQ(m.map(kNextColumn).column, 1u);
  EXPECT_EQ(m.map(kNextColumn).bank_group, 0u);
  EXPECT_EQ(m.map(16384).bank, 1u);
  EXPECT_EQ(m.map(kNextRowSameBank).row, 1u);
  EXPECT_EQ(m.map(kNextRowSameBank).bank, 0u);
  EXPECT_EQ(m.map(c.capacity_bytes() - 1).row, c.rows - 1);
  EXPECT_EQ(c.capacity_bytes(), uint64_t(4) << 30);
}

TEST(DdrAddressMapping, SplitColumnAndRejectsBadSpecs) {
  DdrConfig c;
  c.address_mapping = "row_bank_col_bg_col2";  // 2 low column bits below the bank group
  const AddressMapping m = c.mapping();
  EXPECT_EQ(m.map(64).column, 1u);
  EXPECT_EQ(m.map(256).bank_group, 1u);
  EXPECT_EQ(m.map(512).column, 4u);
  c.address_mapping = "row_bank_col";  // bg missing
  EXPECT_THROW(c.mapping(), Error);
  c.address_mapping = "row_bank_col_bg_foo";
  EXPECT_THROW(c.mapping(), Error);
}

TEST(DdrAddressMapping, BitCountTooLargeForAnIntegerIsAnErrorNotAWrappedCount) {
  DdrConfig c;
  // Found by fuzz_platform_yaml: stoul threw std::out_of_range, and 2^32 + 2 would have wrapped to 2.
  for (const std::string spec : {"row_bank_col_bg33333333333333333333333", "row_bank_col_bg_col4294967298"}) {
    c.address_mapping = spec;
    try {
      (void)c.mapping();
      ADD_FAILURE() << spec << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("more bits than"), std::string::npos) << e.what();
    }
  }
}

TEST(DdrAddressMapping, EveryAddressLandsWhereTheBitOrderSays) {
  // Reference: walk the spec LSB first, one address bit at a time, into the named field.
  struct Spec {
    std::string text;
    std::vector<std::pair<AddressMapping::Field, uint32_t>> lsb_first;  // field, bits
  };
  using F = AddressMapping;
  const uint32_t bits[F::NUM_FIELDS] = {15, 1, 2, 2, 7};  // row, rank, bank, bg, col
  const std::vector<Spec> specs = {
      {"row_rank_bank_col_bg", {{F::BG, 2}, {F::COL, 7}, {F::BANK, 2}, {F::RANK, 1}, {F::ROW, 15}}},
      {"row_bank_col_rank_bg_col3", {{F::COL, 3}, {F::BG, 2}, {F::RANK, 1}, {F::COL, 4}, {F::BANK, 2}, {F::ROW, 15}}},
      {"rank_row_col_bank_bg", {{F::BG, 2}, {F::BANK, 2}, {F::COL, 7}, {F::ROW, 15}, {F::RANK, 1}}},
  };
  std::mt19937_64 rng(7);
  for (const Spec& sp : specs) {
    const AddressMapping m(sp.text, bits, 6);
    for (int i = 0; i < 20000; ++i) {
      const uint64_t addr = rng() & ((uint64_t(1) << 33) - 1);
      uint64_t a = addr >> 6;
      uint32_t want[F::NUM_FIELDS] = {0, 0, 0, 0, 0}, filled[F::NUM_FIELDS] = {0, 0, 0, 0, 0};
      for (const auto& [f, n] : sp.lsb_first)
        for (uint32_t k = 0; k < n; ++k, a >>= 1) want[f] |= uint32_t(a & 1) << filled[f]++;
      const DramCoord c = m.map(addr);
      ASSERT_EQ(c.row, want[F::ROW]) << sp.text << " " << addr;
      ASSERT_EQ(c.rank, want[F::RANK]) << sp.text << " " << addr;
      ASSERT_EQ(c.bank, want[F::BANK]) << sp.text << " " << addr;
      ASSERT_EQ(c.bank_group, want[F::BG]) << sp.text << " " << addr;
      ASSERT_EQ(c.column, want[F::COL]) << sp.text << " " << addr;
    }
  }
}

TEST(DdrAddressMapping, FieldWiderThanACoordinateIsAnError) {
  const uint32_t bits[AddressMapping::NUM_FIELDS] = {33, 0, 2, 2, 10};
  try {
    const AddressMapping m("row_bank_col_bg", bits, 6);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at most 32"), std::string::npos) << e.what();
  }
}

TEST(DdrConfigParse, PlatformFileParsesToTheDefaults) {
  auto root = YamlMap::load(std::string(FPGALLM_SOURCE_DIR) + "/configs/platform/kv260.yaml");
  auto m = root.child("ddr", true);
  const DdrConfig c = parse_ddr_config(m);
  const DdrConfig d;
  EXPECT_EQ(c.data_rate_mtps, d.data_rate_mtps);
  EXPECT_DOUBLE_EQ(c.tRCD_ns, d.tRCD_ns);
  EXPECT_EQ(c.address_mapping, d.address_mapping);
  EXPECT_DOUBLE_EQ(c.peak_gbps(), 19.2);
}

namespace {
std::string ddr_error(const std::string& yaml) {
  YamlMap m(YAML::Load(yaml), "ddr", "bad.yaml");
  try {
    parse_ddr_config(m);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(DdrConfigParse, BadValuesNameFieldAndFile) {
  EXPECT_NE(ddr_error("tRCD_ns: -1").find("ddr.tRCD_ns must be > 0 (got -1) in bad.yaml"), std::string::npos)
      << ddr_error("tRCD_ns: -1");
  EXPECT_NE(ddr_error("bogus: 3").find("ddr.bogus is not a known field in bad.yaml"), std::string::npos);
  EXPECT_NE(ddr_error("banks_per_group: 3").find("ddr.banks_per_group must be a power of two"), std::string::npos);
  EXPECT_NE(ddr_error("page_policy: half").find("ddr.page_policy"), std::string::npos);
  EXPECT_NE(ddr_error("scheduler: lifo").find("ddr.scheduler"), std::string::npos);
  EXPECT_NE(ddr_error("fidelity: exact").find("ddr.fidelity"), std::string::npos);
  EXPECT_NE(ddr_error("address_mapping: row_col").find("ddr.address_mapping"), std::string::npos);
  EXPECT_NE(ddr_error("tREFI_ns: 100").find("ddr.tREFI_ns must exceed tRFC_ns"), std::string::npos);
  EXPECT_NE(ddr_error("queue_depth: zero").find("ddr.queue_depth has a bad value"), std::string::npos);
}

TEST_F(SimTest, DdrLatencyOfRowMissHitAndConflictMatchesHandDerivation) {
  DdrController ddr("ddr", no_refresh());
  double miss = 0, hit = 0, conflict = 0;
  Initiator ini("ini", [&](Initiator& self) {
    uint8_t buf[64];
    miss = ns_of(self.transfer(false, 0, buf, 64));
    self.wait_until(sc_time(1, sc_core::SC_US));
    hit = ns_of(self.transfer(false, kNextColumn, buf, 64));
    self.wait_until(sc_time(2, sc_core::SC_US));
    conflict = ns_of(self.transfer(false, kNextRowSameBank, buf, 64));
  });
  ini.iSocket.bind(ddr.tSocket);
  sc_core::sc_start();
  EXPECT_NEAR(miss, kMissNs, kTimeTolNs);
  EXPECT_NEAR(hit, kHitNs, kTimeTolNs);
  EXPECT_NEAR(conflict, kConflictNs, kTimeTolNs);
  EXPECT_EQ(ddr.counters().row_misses, 1u);
  EXPECT_EQ(ddr.counters().row_hits, 1u);
  EXPECT_EQ(ddr.counters().row_conflicts, 1u);
}

TEST_F(SimTest, DdrClosedPagePolicyTurnsTheHitIntoAMiss) {
  DdrConfig c = no_refresh();
  c.page_policy = PagePolicy::Closed;
  DdrController ddr("ddr", c);
  double second = 0;
  Initiator ini("ini", [&](Initiator& self) {
    uint8_t buf[64];
    self.transfer(false, 0, buf, 64);
    self.wait_until(sc_time(1, sc_core::SC_US));
    second = ns_of(self.transfer(false, kNextColumn, buf, 64));
  });
  ini.iSocket.bind(ddr.tSocket);
  sc_core::sc_start();
  EXPECT_NEAR(second, kMissNs, kTimeTolNs);
}

// Refresh: the first all-bank REF is due at tREFI = 7.8 us = 9360 clocks and blocks the rank for
// tRFC = 350 ns = 420 clocks. A read issued at 7.8 us arrives at 7.82 us (clock 9384), so it waits
// until 9360 + 420 = 9780 and then pays a row miss, tRCD + CL + burst = 16 + 16 + 4 clocks:
// latency = (9780 + 36) x tCK - 7800 ns = 380 ns.
TEST_F(SimTest, DdrRefreshStallsAnAccessForTheRestOfTrfc) {
  DdrController ddr("ddr", DdrConfig{});
  double lat = 0;
  Initiator ini("ini", [&](Initiator& self) {
    uint8_t buf[64];
    self.wait_until(sc_time(7800, SC_NS));
    lat = ns_of(self.transfer(false, 0, buf, 64));
  });
  ini.iSocket.bind(ddr.tSocket);
  sc_core::sc_start();
  EXPECT_NEAR(lat, (9780 + 36) * kTckNs - 7800.0, kTimeTolNs);
  EXPECT_EQ(ddr.counters().refreshes, 1u);
  EXPECT_NEAR(double(ddr.counters().refresh_stall_cycles), 9780 - 9384, 0.5);
}

TEST_F(SimTest, DdrStoresRealDataSparselyAndRejectsOutOfRange) {
  DdrController ddr("ddr", no_refresh());
  std::vector<uint8_t> pattern(3000), back(3000), zeros(100, 0xff);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = uint8_t(i * 7 + 3);
  const uint64_t across_page = DdrController::kPageBytes - 1000 + 5;  // unaligned, spans two pages
  tlm::tlm_response_status out_of_range = tlm::TLM_OK_RESPONSE;
  Initiator ini("ini", [&](Initiator& self) {
    self.transfer(true, across_page, pattern.data(), unsigned(pattern.size()));
    self.transfer(false, across_page, back.data(), unsigned(back.size()));
    self.transfer(false, uint64_t(3) << 30, zeros.data(), unsigned(zeros.size()));
    tlm::tlm_generic_payload gp;
    uint8_t b[8];
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(ddr.config().capacity_bytes() - 4);
    gp.set_data_ptr(b);
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    sc_time d = sc_core::SC_ZERO_TIME;
    self.iSocket->b_transport(gp, d);
    out_of_range = gp.get_response_status();
  });
  ini.iSocket.bind(ddr.tSocket);
  sc_core::sc_start();
  EXPECT_EQ(back, pattern);
  EXPECT_EQ(zeros, std::vector<uint8_t>(100, 0));
  EXPECT_EQ(out_of_range, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  std::vector<uint8_t> bd(3000);
  ddr.read_backdoor(across_page, bd.data(), bd.size());
  EXPECT_EQ(bd, pattern);
  ddr.write_backdoor(10, "abc", 3);
  char s[4] = {};
  ddr.read_backdoor(10, s, 3);
  EXPECT_STREQ(s, "abc");
  EXPECT_THROW(ddr.write_backdoor(ddr.config().capacity_bytes() - 1, "ab", 2), Error);
}

namespace {

struct StreamResult {
  double gbps = 0, wall_s = 0, row_hit_rate = 0;
};

/**
 * `initiators` threads issue `txn_bytes` transactions straight to the controller: sequential
 * (each thread its own contiguous region) or random (uniform txn-aligned addresses in 1 GB).
 */
StreamResult stream(const DdrConfig& cfg, int initiators, uint64_t bytes_each, unsigned txn_bytes, bool random) {
  fpgallm::sim::new_simulation_context();
  DdrController ddr("ddr", cfg);
  std::vector<uint8_t> buf(txn_bytes);
  constexpr uint64_t kRegionStride = uint64_t(256) << 20;
  constexpr uint64_t kRandomSpan = uint64_t(1) << 30;
  std::vector<std::function<void(Initiator&)>> bodies;
  for (int i = 0; i < initiators; ++i) {
    bodies.push_back([&, i](Initiator& self) {
      std::mt19937_64 rng(uint64_t(i) + 1);
      for (uint64_t off = 0; off < bytes_each; off += txn_bytes) {
        const uint64_t addr =
            random ? rng() % (kRandomSpan / txn_bytes) * txn_bytes : uint64_t(i) * kRegionStride + off;
        self.transfer(false, addr, buf.data(), txn_bytes);
      }
    });
  }
  Initiator ini("ini", std::move(bodies));
  ini.iSocket.bind(ddr.tSocket);
  const auto w0 = std::chrono::steady_clock::now();
  sc_core::sc_start();
  StreamResult r;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  r.gbps = double(bytes_each) * initiators / ns_of(sc_core::sc_time_stamp());
  stats::Group g("ddr");
  ddr.report_stats(g);
  r.row_hit_rate = g.value("row_hit_rate");
  return r;
}

}  // namespace

TEST(DdrStreaming, SequentialBandwidthIsBelowPeakAndRefreshCostsAFewPercent) {
  const uint64_t each = uint64_t(2) << 20;
  const StreamResult with = stream(DdrConfig{}, 4, each, 4096, false);
  const StreamResult without = stream(no_refresh(), 4, each, 4096, false);
  std::printf("sequential 4 x 2 MB, 4 KB reads: %.2f GB/s with refresh, %.2f GB/s without (peak 19.2)\n", with.gbps,
              without.gbps);
  EXPECT_LT(with.gbps, 19.2);
  EXPECT_GT(with.gbps, 0.8 * 19.2);  // a pure read stream keeps the bus mostly busy
  // tRFC / tREFI = 350 / 7800 = 4.5 % of the time the rank is refreshing.
  EXPECT_NEAR(with.gbps / without.gbps, 1.0 - 350.0 / 7800.0, 0.02);
}

// Two pairs of threads walk two rows of the same bank (row 0 and row 1 of bank 0): FCFS serves
// them in arrival order and keeps swapping rows; FR-FCFS drains the open row's requests first.
TEST_F(SimTest, DdrFrFcfsServesMoreRowHitsThanFcfsOnContendedBank) {
  auto run = [](DdrScheduler s) {
    fpgallm::sim::new_simulation_context();
    DdrConfig c = no_refresh();
    c.scheduler = s;
    DdrController ddr("ddr", c);
    constexpr int kThreads = 4, READS = 200;
    constexpr uint64_t kColumnsInRow = 128;  // 8 KB row / 64 B, bank group 0 only -> every 128 B
    std::vector<std::function<void(Initiator&)>> bodies;
    for (int t = 0; t < kThreads; ++t)
      bodies.push_back([t](Initiator& self) {
        uint8_t buf[64];
        const uint64_t base = (t % 2) ? kNextRowSameBank : 0;
        for (int k = 0; k < READS; ++k)
          self.transfer(false, base + (uint64_t(k * 2 + t / 2) % kColumnsInRow) * kNextColumn, buf, 64);
      });
    Initiator ini("ini", std::move(bodies));
    ini.iSocket.bind(ddr.tSocket);
    sc_core::sc_start();
    stats::Group g("ddr");
    ddr.report_stats(g);
    return std::make_pair(g.value("row_hit_rate"), ns_of(sc_core::sc_time_stamp()));
  };
  const auto fr = run(DdrScheduler::FrFcfs);
  const auto fc = run(DdrScheduler::Fcfs);
  std::printf("contended bank: FR-FCFS hit rate %.1f %% in %.0f ns, FCFS %.1f %% in %.0f ns\n", fr.first, fr.second,
              fc.first, fc.second);
  EXPECT_GT(fr.first, fc.first + 10.0);
  EXPECT_LT(fr.second, fc.second);
}

// Fast mode is an analytic estimate: it must stay close to the cycle model on streaming (what
// decode does) and is allowed to be coarser on random traffic, which this test only reports.
TEST(DdrStreaming, FastModeTracksCycleModeOnSequentialStreams) {
  DdrConfig fast;
  fast.fidelity = Fidelity::Fast;
  constexpr double kSequentialTolerance = 0.10;
  const uint64_t each = uint64_t(4) << 20;
  const StreamResult cs = stream(DdrConfig{}, 4, each, 4096, false);
  const StreamResult fs = stream(fast, 4, each, 4096, false);
  const StreamResult cr = stream(DdrConfig{}, 4, uint64_t(256) << 10, 64, true);
  const StreamResult fr = stream(fast, 4, uint64_t(256) << 10, 64, true);
  std::printf("sequential 4 KB: cycle %.2f GB/s (%.3f s wall), fast %.2f GB/s (%.3f s wall), fast/cycle %.3f\n",
              cs.gbps, cs.wall_s, fs.gbps, fs.wall_s, fs.gbps / cs.gbps);
  std::printf("random 64 B:     cycle %.2f GB/s, fast %.2f GB/s, fast/cycle %.3f\n", cr.gbps, fr.gbps, fr.gbps / cr.gbps);
  EXPECT_NEAR(fs.gbps / cs.gbps, 1.0, kSequentialTolerance);
  EXPECT_LT(cr.gbps, cs.gbps);  // random traffic pays activations in both models
  EXPECT_LT(fr.gbps, fs.gbps);
}

// The fast model's closed forms from the default (KV260 preset) timing, by hand: BL8 = 4 clocks;
// refresh takes tRP + tRFC + tRCD = 16 + 420 + 16 of every tREFI = 9360 clocks; a write among reads
// idles tRTW 2 + CL 16 + tWTR_S 3 (2.5 ns) + (tWTR_L 9 - tWTR_S 3) / 2 bank groups = 24 clocks;
// tCCD_L = 6 clocks (5 ns) against a 4-clock slot: 2 clocks per same-bank-group access.
TEST(FastBusCost, ChargesLinesRefreshTurnaroundsAndBankGroupWaitsFromTheTimingByHand) {
  const FastBusCost c{DdrConfig{}};
  const double refresh = 452.0 / 9360.0;
  EXPECT_NEAR(c.refresh_share(), refresh, 1e-12);
  EXPECT_NEAR(c.turnaround_pair_cycles(), 24.0, 1e-12);
  EXPECT_NEAR(c.bank_group_wait_cycles(), 2.0, 1e-12);
  EXPECT_NEAR(c.refresh_pause_cycles(), 16 + 420 + 16 + 16, 1e-12);
  EXPECT_NEAR(c.bus_cycles(100, 0, 0), 400.0 / (1.0 - refresh), 1e-9);
  EXPECT_NEAR(c.bus_cycles(100, 0, 10) - c.bus_cycles(100, 0, 0), 20.0 / (1.0 - refresh), 1e-9);
}

// The share of consecutive lines in one bank group is counted in closed form from the lowest
// rank/bg bit; walking the same 64 Ki lines through the address map gives the same count.
TEST(FastBusCost, AdjacentSameBankGroupShareEqualsWalkingTheLinesThroughTheMap) {
  for (const std::string spec : {"row_bank_col_bg", "row_bank_col_bg_col2", "row_bg_bank_col", "row_col_bank_bg",
                                 "bg_row_bank_col", "row_bank_col_bg_rank_col3"}) {
    DdrConfig c;
    c.address_mapping = spec;
    if (spec.find("rank") != std::string::npos) c.ranks = 2;
    const AddressMapping map = c.mapping();
    const uint64_t lines = std::min<uint64_t>(uint64_t(1) << 16, c.capacity_bytes() / c.access_bytes());
    uint64_t same = 0;
    for (uint64_t i = 1; i < lines; ++i) {
      const DramCoord a = map.map((i - 1) * c.access_bytes()), b = map.map(i * c.access_bytes());
      if (a.rank == b.rank && a.bank_group == b.bank_group) ++same;
    }
    EXPECT_EQ(FastBusCost(c).adjacent_same_bank_group(), static_cast<double>(same) / static_cast<double>(lines - 1))
        << spec;
  }
}

// row_bank_col_bg puts the bank group just above the 64 B line: a sequential stream alternates
// bank groups and only the transaction's first access may follow one in its own group (1/2 of the
// time). One aligned 4 KB transaction: 16 bursts of 4 lines, nothing shared. Alone: 0.5 expected
// tCCD_L waits. Among 4 streams, each of the 15 later bursts follows another stream's access 3/4 of
// the time, half of those in its group: 15 x 3/4 x 1/2 + 1/2 = 6.125.
TEST(FastBusCost, OtherStreamsBurstsLandInTheSameBankGroupHalfTheTime) {
  const FastBusCost c{DdrConfig{}};
  EXPECT_NEAR(c.adjacent_same_bank_group(), 0.0, 1e-12);
  const BurstFootprint f = burst_footprint(0, 4096, 16, 256, 64);
  ASSERT_EQ(f.bursts, 16u);
  ASSERT_EQ(f.lines, 64u);
  EXPECT_NEAR(c.same_bank_group_accesses(f, 1), 0.5, 1e-12);
  EXPECT_NEAR(c.same_bank_group_accesses(f, 4), 6.125, 1e-12);
  // Back-to-back MACRO blocks alone on the DRAM: a block that starts on the line its predecessor
  // ended on always waits tCCD_L (the same line, read again).
  const BurstFootprint blocks = pieces_footprint(0, 576, 288, 16, 256, 64);
  EXPECT_GE(c.same_bank_group_accesses(blocks, 1), 0.5 + 1.0 + 1.0);
}
