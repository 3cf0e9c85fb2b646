#include <cstring>
#include <filesystem>
#include <numeric>

#include <gtest/gtest.h>

#include "models/core/Error.h"
#include "sim/accel/AccelConfig.h"
#include "sim/ps/PsCore.h"
#include "sim/ps/PsCostModel.h"
#include "tests/sim/SimFixture.h"
#include "tests/sim/TestMemory.h"

using namespace fpgallm;
using namespace fpgallm::sim;
using fpgallm::test::SimTest;
using fpgallm::test::TestMemory;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

const char* kPsYaml = R"(
clock_mhz: 1333
cores: 4
cores_used: 4
cache_line_bytes: 64
cycles_per_element: {embedding: 0.5, rmsnorm: 4, rope: 20, softmax: 25, silu_mul: 30, residual_add: 1.5, sampling: 1}
gemv: {macs_per_cycle_per_core: 2}
stream_gbps_per_core: 2.5
cache_maintenance: {flush_cycles_per_line: 20, invalidate_cycles_per_line: 10}
noncached: {write_combine_store_gbps: 1.6, load_gbps: 0.125}
handshake: {axilite_write_ns: 100, axilite_read_ns: 200, barrier_ns: 40, interrupt_latency_ns: 10000}
traffic: {chunk_bytes: 4096, scratch_addr: 0x100000, scratch_bytes: 65536}
software:
  profile: native
  profiles:
    native: {gemv_efficiency: 1.0, op_dispatch_ns: 0, forward_overhead_ns: 0, driver_call_ns: 0,
             register_write_ns: 0, register_read_ns: 0, syscall_ns: 1000, copy_gbps: 0, mapping: cached,
             completion: interrupt}
    python: {gemv_efficiency: 0.25, op_dispatch_ns: 20000, forward_overhead_ns: 2000000, driver_call_ns: 100000,
             register_write_ns: 5000, register_read_ns: 6000, syscall_ns: 20000, copy_gbps: 0.5, mapping: cached,
             completion: polling}
    wc: {gemv_efficiency: 1.0, op_dispatch_ns: 0, forward_overhead_ns: 0, driver_call_ns: 500,
         register_write_ns: 0, register_read_ns: 0, syscall_ns: 1000, copy_gbps: 2.5, mapping: write_combine,
         completion: interrupt}
)";


PsConfig ps_config(const std::string& extra_yaml = "", const std::string& profile = "") {
  YAML::Node n = YAML::Load(kPsYaml);
  if (!profile.empty()) n["software"]["profile"] = profile;
  if (!extra_yaml.empty()) {
    YAML::Node patch = YAML::Load(extra_yaml);
    for (const auto& kv : patch) n[kv.first.as<std::string>()] = kv.second;
  }
  YamlMap m(n, "ps", "kv260_test.yaml");
  return parse_ps_config(m);
}

constexpr int64_t kChannels = 4;  // the rig's kernel: 2 x (4 + 4) + 3 descriptor words + ap_start = 20 writes

/** PsCore + TestMemory + a thread running `body`. */
struct PsRig : sc_core::sc_module {
  TestMemory mem;
  PsCore ps;
  std::function<void(PsRig&)> body;
  SC_HAS_PROCESS(PsRig);
  PsRig(const PsConfig& cfg, double bytes_per_ns, sc_core::sc_module_name name = "rig")
      : sc_module(name), mem("mem", 1, 2 << 20, sc_core::SC_ZERO_TIME, bytes_per_ns), ps("ps", cfg, kChannels) {
    ps.iSocket.bind(*mem.ports[0]);
    SC_THREAD(run);
  }
  void run() { body(*this); }
};

double ns_of(sc_time t) { return t.to_seconds() * 1e9; }
constexpr double kPsPeriodNs = 1000.0 / 1333.0;

/** SystemC tests of the PS cost model (fresh simulation context each). */
class PsSim : public SimTest {};

}  // namespace

TEST_F(PsSim, ElementwiseOpCostIsElementsTimesCyclesOverClock) {
  PsRig rig(ps_config(), 100.0);
  std::vector<double> took;
  rig.body = [&](PsRig& r) {
    OpContext ctx;
    ctx.op = OpKind::AttnNorm;
    took.push_back(ns_of(r.ps.run_op(ctx, 896, 0, 0)));
    ctx.op = OpKind::SiluMul;
    took.push_back(ns_of(r.ps.run_op(ctx, 4864, 0, 0)));
    ctx.op = OpKind::QProj;  // gemv class: MACs / (2 per cycle x 4 cores)
    took.push_back(ns_of(r.ps.run_op(ctx, 896 * 896, 0, 0)));
  };
  sc_core::sc_start();
  ASSERT_EQ(took.size(), 3u);
  EXPECT_NEAR(took[0], 896 * 4 * kPsPeriodNs, 1e-3);
  EXPECT_NEAR(took[1], 4864 * 30 * kPsPeriodNs, 1e-3);
  EXPECT_NEAR(took[2], 896.0 * 896 / 8 * kPsPeriodNs, 1e-3);
  EXPECT_NEAR(ns_of(sc_core::sc_time_stamp()), took[0] + took[1] + took[2], 1e-2);
}

TEST_F(PsSim, MemoryBoundOpTakesBytesOverStreamBandwidthAndIssuesItsTraffic) {
  PsRig rig(ps_config(), 100.0);  // DDR path far faster than one core's 2.5 GB/s
  double took = 0;
  rig.body = [&](PsRig& r) {
    OpContext ctx;
    ctx.op = OpKind::ResidualAdd;
    took = ns_of(r.ps.run_op(ctx, 1000, 40000, 8000));  // 1.5 cycles x 1000: tiny next to the traffic
  };
  sc_core::sc_start();
  EXPECT_NEAR(took, 48000 / 2.5, 1.0);
  EXPECT_EQ(rig.mem.bytes, 48000);
  EXPECT_EQ(rig.mem.transactions, 10 + 2);  // 4 KiB chunks: 40000 -> 10, 8000 -> 2
}

TEST_F(PsSim, LongStreamIsSimulatedForDetailedBytesThenChargedAtTheMeasuredRate) {
  // 4 MiB of reads then 256 KiB of writes, memory-bound: with traffic.detailed_bytes = 64 KiB only
  // 16 + 16 chunks go through the socket and the rest costs what those took per byte.
  constexpr int64_t kRead = 4 << 20, kWrite = 256 << 10, kDetailed = 64 << 10;
  double took[2];
  int64_t txns[2];
  stats::Group g("ps");
  for (int detailed = 0; detailed < 2; ++detailed) {
    fpgallm::sim::new_simulation_context();
    PsRig rig(ps_config(detailed ? "traffic: {chunk_bytes: 4096, scratch_addr: 0x100000, scratch_bytes: 65536, "
                                   "detailed_bytes: 65536}"
                                 : ""),
              4.0, detailed ? "rig_detailed" : "rig_full");
    rig.body = [&](PsRig& r) {
      OpContext ctx;
      ctx.op = OpKind::LmHead;
      took[detailed] = ns_of(r.ps.run_op(ctx, 1000, kRead, kWrite));
    };
    sc_core::sc_start();
    txns[detailed] = rig.mem.transactions;
    if (detailed) rig.ps.report_stats(g);
  }
  EXPECT_EQ(txns[0], (kRead + kWrite) / 4096);
  EXPECT_EQ(txns[1], 2 * kDetailed / 4096);
  EXPECT_NEAR(took[1], took[0], 1e-3 * took[0]);
  EXPECT_EQ(g.value("ops.gemv.extrapolated_bytes"), double(kRead + kWrite - 2 * kDetailed));
  EXPECT_EQ(g.value("ops.gemv.bytes"), double(kRead + kWrite));
}

TEST_F(PsSim, ComputeBoundOpHidesItsTraffic) {
  PsRig rig(ps_config(), 100.0);
  double took = 0;
  rig.body = [&](PsRig& r) {
    OpContext ctx;
    ctx.op = OpKind::Softmax;
    took = ns_of(r.ps.run_op(ctx, 4096, 16384, 16384));  // 25 cycles/element >> 32 KiB at 2.5 GB/s
  };
  sc_core::sc_start();
  EXPECT_NEAR(took, 4096 * 25 * kPsPeriodNs, 1.0);
}

TEST_F(PsSim, HandshakeChargesFlushDescriptorCompletionAndInvalidate) {
  // native: cached mapping, interrupt completion, 1 us per system call.
  PsRig rig(ps_config(), 100.0);
  double flush = 0, desc = 0, done = 0, inval = 0;
  rig.body = [&](PsRig& r) {
    flush = ns_of(r.ps.cache_flush(896 * 4));  // 56 lines
    desc = ns_of(r.ps.write_descriptor());
    done = ns_of(r.ps.await_completion());
    inval = ns_of(r.ps.cache_invalidate(4864 * 4));  // 304 lines
  };
  sc_core::sc_start();
  EXPECT_NEAR(flush, 56 * 20 * kPsPeriodNs + 1000, 1e-3);  // + one sync_for_device
  // ap_idle read, 20 writes, the UIO re-enable, dsb st.
  EXPECT_NEAR(desc, 200 + 20 * 100 + 1000 + 40, 1e-3);
  // Interrupt latency, poll + read of /dev/uioN, ISR read + clear, ap_return read, dmb ld.
  EXPECT_NEAR(done, 10000 + 2 * 1000 + 2 * 200 + 100 + 40, 1e-3);
  EXPECT_NEAR(inval, 304 * 10 * kPsPeriodNs + 1000, 1e-3);  // + one sync_for_cpu
  stats::Group g("ps");
  rig.ps.report_stats(g);
  EXPECT_EQ(g.value("pl_handshake.count"), 1.0);
  EXPECT_NEAR(g.value("pl_handshake.completion_time"), 12540, 1e-6);
  EXPECT_EQ(g.value("pl_handshake.register_writes"), 21.0);
  EXPECT_EQ(g.value("pl_handshake.register_reads"), 3.0);
  EXPECT_EQ(g.value("pl_handshake.syscalls"), 5.0);  // UIO enable, poll, read; two cache syncs
}

TEST_F(PsSim, PollingDetectsCompletionWithinHalfAPollLoopAndTheReadsReturn) {
  PsRig rig(ps_config("", "python"), 100.0);
  double done = 0;
  rig.body = [&](PsRig& r) { done = ns_of(r.ps.await_completion()); };
  sc_core::sc_start();
  // One poll = 200 ns bus + 6 us Python: (6200 + 200) / 2 to see ap_done, then ap_return and dmb ld.
  EXPECT_NEAR(done, 3200 + 6200 + 40, 1e-6);
}

TEST_F(PsSim, SoftwareProfileChargesDispatchDriverDescriptorAndCopies) {
  const PsConfig cfg = ps_config("", "python");
  PsRig rig(cfg, 100.0);
  double dispatch = 0, driver = 0, desc = 0, copy = 0, loop = 0;
  std::vector<float> x(1000, 1.0f);
  rig.body = [&](PsRig& r) {
    dispatch = ns_of(r.ps.dispatch_op());
    driver = ns_of(r.ps.driver_call());
    desc = ns_of(r.ps.write_descriptor());
    copy = ns_of(r.ps.copy_to_dma(0x2000, x.data(), 4000));
    loop = ns_of(r.ps.forward_overhead());
  };
  sc_core::sc_start();
  EXPECT_NEAR(dispatch, 20000, 1e-6);
  EXPECT_NEAR(driver, 100000, 1e-6);
  EXPECT_NEAR(desc, 6200 + 20 * 5100 + 40, 1e-6);
  EXPECT_NEAR(copy, 4000 / 0.5, 1e-3);  // the memcpy rate, slower than the 100 GB/s memory
  EXPECT_NEAR(loop, 2e6, 1e-6);
  // The same numbers as the pure cost model the DSE uses.
  const DriverCallAccesses a = ps_driver_accesses(cfg, kChannels);
  EXPECT_NEAR(copy, ps_copy_in_ns(cfg, 4000), 1e-3);
  EXPECT_NEAR(desc, ps_descriptor_ns(cfg, a), 1e-6);
}

TEST_F(PsSim, WriteCombineCopiesOutAtTheNoncachedLoadRate) {
  const PsConfig cfg = ps_config("", "wc");
  PsRig rig(cfg, 100.0);
  double in = 0, out = 0, flush = 0;
  std::vector<float> x(1000, 1.0f), y(1000);
  rig.body = [&](PsRig& r) {
    in = ns_of(r.ps.copy_to_dma(0x2000, x.data(), 4000));
    flush = ns_of(r.ps.cache_flush(4000));
    out = ns_of(r.ps.copy_from_dma(0x2000, y.data(), 4000));
  };
  sc_core::sc_start();
  EXPECT_NEAR(in, 4000 / 1.6, 1e-3);    // copy_gbps 2.5 capped at the write-combine store rate
  EXPECT_NEAR(out, 4000 / 0.125, 1e-3); // uncached loads
  EXPECT_EQ(flush, 0.0);                // no maintenance, no sync calls
  EXPECT_EQ(y, x);
}

TEST_F(PsSim, GemvEfficiencyOfTheSoftwareScalesPsGemvCompute) {
  PsRig rig(ps_config("", "python"), 100.0);
  double took = 0;
  rig.body = [&](PsRig& r) {
    OpContext ctx;
    ctx.op = OpKind::LmHead;
    took = ns_of(r.ps.run_op(ctx, 896 * 896, 0, 0));
  };
  sc_core::sc_start();
  EXPECT_NEAR(took, 896.0 * 896 / (2 * 0.25 * 4) * kPsPeriodNs, 1.0);
}

TEST_F(PsSim, WriteAndReadDataMoveRealBytesThroughTheSocket) {
  PsRig rig(ps_config(), 4.0);
  std::vector<float> src(3000), back(3000);
  std::iota(src.begin(), src.end(), 0.5f);
  double wtime = 0;
  rig.body = [&](PsRig& r) {
    wtime = ns_of(r.ps.write_data(0x2000, src.data(), 12000));
    r.ps.read_data(0x2000, back.data(), 12000);
  };
  sc_core::sc_start();
  EXPECT_EQ(std::memcmp(src.data(), back.data(), 12000), 0);
  float direct[4];
  rig.mem.backdoor_read(0x2000, direct, sizeof direct);
  EXPECT_EQ(direct[3], 3.5f);
  EXPECT_NEAR(wtime, 12000 / 4.0, 1e-3);
}

TEST(PsConfigTest, BadFieldsNameTheYamlPath) {
  auto err = [](const std::string& patch) -> std::string {
    try {
      ps_config(patch);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(err("{cores_used: 5}").find("ps.cores_used must be in [1, 4] (got 5) in kv260_test.yaml"),
            std::string::npos);
  EXPECT_NE(err("{clock_mhz: 0}").find("ps.clock_mhz must be > 0"), std::string::npos);
  EXPECT_NE(err("{cycles_per_element: {rmsnorm: 4}}").find("ps.cycles_per_element.embedding is required"),
            std::string::npos);
  EXPECT_NE(err("{software: {profile: x, profiles: {x: {gemv_efficiency: 1, op_dispatch_ns: 0, "
                "forward_overhead_ns: 0, driver_call_ns: 0, register_write_ns: 0, register_read_ns: 0, "
                "syscall_ns: 0, copy_gbps: 0, mapping: cached, completion: doorbell}}}}")
                .find("ps.software.profiles.x.completion must be 'interrupt' or 'polling'"),
            std::string::npos);
  EXPECT_NE(err("{software: {profile: rust, profiles: {}}}").find("ps.software.profile names no profile"),
            std::string::npos);
  EXPECT_NE(err(R"({software: {profile: x, profiles: {x: {gemv_efficiency: 1.5, op_dispatch_ns: 0,
                forward_overhead_ns: 0, driver_call_ns: 0, register_write_ns: 0, register_read_ns: 0,
                syscall_ns: 0, copy_gbps: 0, mapping: cached, completion: polling}}}})")
                .find("ps.software.profiles.x.gemv_efficiency must be in"),
            std::string::npos);
  EXPECT_NE(err("{l2_bytes: 1}").find("ps.l2_bytes is not a known field"), std::string::npos);
  // The driver fields of a profile, each named by its YAML path.
  const std::string profile = "{software: {profile: x, profiles: {x: {gemv_efficiency: 1, op_dispatch_ns: 0, "
                              "forward_overhead_ns: 0, driver_call_ns: 0, register_write_ns: 0, ";
  EXPECT_NE(err(profile + "syscall_ns: 0, copy_gbps: 1, mapping: cached, completion: polling}}}}")
                .find("ps.software.profiles.x.register_read_ns is required"),
            std::string::npos);
  EXPECT_NE(err(profile + "register_read_ns: 0, syscall_ns: -1, copy_gbps: 1, mapping: cached, completion: polling}}}}")
                .find("ps.software.profiles.x.syscall_ns must be >= 0 (got -1)"),
            std::string::npos);
  EXPECT_NE(err(profile + "register_read_ns: 0, syscall_ns: 0, copy_gbps: 1, mapping: uncached, completion: polling}}}}")
                .find("ps.software.profiles.x.mapping must be 'cached' or 'write_combine' (got 'uncached')"),
            std::string::npos);
  EXPECT_NE(err(profile + "register_read_ns: 0, syscall_ns: 0, copy_gbps: 0, mapping: write_combine, "
                          "completion: polling}}}}")
                .find("ps.software.profiles.x.copy_gbps is 0 (zero-copy) but the mapping is write_combine"),
            std::string::npos);
  EXPECT_NE(err("{noncached: {write_combine_store_gbps: 0, load_gbps: 0.1}}")
                .find("ps.noncached.write_combine_store_gbps must be > 0"),
            std::string::npos);
  EXPECT_NE(err("{handshake: {axilite_write_ns: 100, axilite_read_ns: 200, interrupt_latency_ns: 1}}")
                .find("ps.handshake.barrier_ns is required"),
            std::string::npos);
}

TEST(PsConfigTest, OpKindsMapToCostClasses) {
  EXPECT_EQ(ps_cost_class(OpKind::FinalNorm), PsCostClass::RmsNorm);
  EXPECT_EQ(ps_cost_class(OpKind::AttnScore), PsCostClass::Gemv);
  EXPECT_EQ(ps_cost_class(OpKind::LmHead), PsCostClass::Gemv);
  EXPECT_EQ(ps_cost_class(OpKind::Sampling), PsCostClass::Sampling);
  EXPECT_EQ(ps_cost_class(OpKind::Embedding), PsCostClass::Embedding);
}

TEST(PsConfigTest, PlatformPsAndPlSectionsParse) {
  YamlMap root = YamlMap::load(std::string(FPGALLM_SOURCE_DIR) + "/configs/platform/kv260.yaml");
  YamlMap ps = root.child("ps", true);
  const PsConfig c = parse_ps_config(ps);
  EXPECT_DOUBLE_EQ(c.clock_mhz, 1333.0);
  EXPECT_EQ(c.cores, 4);
  EXPECT_EQ(c.cache_line_bytes, 64);
  YamlMap pl = root.child("pl", true);
  const PlResources r = parse_pl_resources(pl);
  EXPECT_EQ(r.luts, 117120);
  EXPECT_EQ(r.ffs, 234240);
  EXPECT_EQ(r.dsp48e2, 1248);
  EXPECT_EQ(r.bram36, 144);
  EXPECT_EQ(r.uram288, 64);
  // The shipped accelerator configs fit the board.
  for (const char* f : {"paper_gs64_pe8x8.yaml", "baseline_ps_only.yaml"})
    EXPECT_NO_THROW(load_accel_config(std::string(FPGALLM_SOURCE_DIR) + "/configs/accel/" + f).check_against_resources(r));
}

TEST(PsCostModelTest, PlCallCostIsTheSumOfItsMechanisms) {
  const PsConfig c = ps_config("", "python");
  const DriverCallAccesses a = ps_driver_accesses(c, kChannels);
  const PlCallCost k = ps_pl_call_cost(c, a, 896 * 4, 4864 * 4);
  EXPECT_DOUBLE_EQ(k[SwCost::DriverCall], 100000);
  EXPECT_DOUBLE_EQ(k[SwCost::BufferCopy], (896 + 4864) * 4 / 0.5);
  EXPECT_DOUBLE_EQ(k[SwCost::CacheMaintenance], (56 * 20 + 304 * 10) * kPsPeriodNs + 2 * 20000);
  EXPECT_DOUBLE_EQ(k[SwCost::Descriptor], 6200 + 20 * 5100 + 40);
  EXPECT_DOUBLE_EQ(k[SwCost::Completion], 3200 + 6200 + 40);
  EXPECT_DOUBLE_EQ(k.total(), k[SwCost::DriverCall] + k[SwCost::BufferCopy] + k[SwCost::CacheMaintenance] +
                                  k[SwCost::Descriptor] + k[SwCost::Completion]);
  EXPECT_DOUBLE_EQ(k[SwCost::OpDispatch], 0);
}

TEST(PsCostModelTest, RegisterAccessesPerCallFollowTheKernelsRegisterMap) {
  // 64-bit channel bases (2 words each), 4 offsets, 3 shape words, ap_start.
  for (int64_t ch : {1, 2, 4}) {
    const DriverCallAccesses p = driver_call_accesses(ch, CompletionMode::Polling, BufferMapping::WriteCombine);
    EXPECT_EQ(p.register_writes(), 2 * ch + 12);
    EXPECT_EQ(p.register_writes(), descriptor_words(ch) + 1);
    EXPECT_EQ(p.register_reads(1), 3);   // ap_idle, the poll that sees ap_done, ap_return
    EXPECT_EQ(p.register_reads(5), 7);   // each extra poll is a read
    EXPECT_EQ(p.syscalls(), 0);
    const DriverCallAccesses i = driver_call_accesses(ch, CompletionMode::Interrupt, BufferMapping::Cached);
    EXPECT_EQ(i.register_writes(), 2 * ch + 13);  // + the interrupt status clear
    EXPECT_EQ(i.register_reads(5), 3);            // ap_idle, interrupt status, ap_return: no polls
    EXPECT_EQ(i.syscalls(), kSyscallsPerIrqEnable + kSyscallsPerIrqWait + 2 * kSyscallsPerCacheSync);
  }
  const RegisterLayout r = register_layout(4);
  EXPECT_EQ(static_cast<int64_t>(r.span_bytes - kRegFirstArg), (4 + 4) * kReg64Span + 3 * kReg32Span);
}

TEST(PsCostModelTest, ShippedEmittedDriverProfileChargesBusTimeSyncsAndPollDetection) {
  YamlMap root = YamlMap::load(std::string(FPGALLM_SOURCE_DIR) + "/configs/platform/kv260.yaml");
  YAML::Node ps_node = root.node()["ps"];
  ps_node["software"]["profile"] = kEmittedDriverProfile;
  YamlMap ps(ps_node, "ps", "kv260.yaml");
  const PsConfig c = parse_ps_config(ps);
  ASSERT_EQ(c.software.name, kEmittedDriverProfile);
  ASSERT_EQ(c.software.mapping, BufferMapping::Cached);
  ASSERT_EQ(c.software.completion, CompletionMode::Polling);
  const DriverCallAccesses a = ps_driver_accesses(c, kChannels);
  const PlCallCost k = ps_pl_call_cost(c, a, 896 * 4, 4864 * 4);
  // Volatile loads and stores: the bus time is all of a register access.
  EXPECT_DOUBLE_EQ(k[SwCost::Descriptor], c.axilite_read_ns + 20 * c.axilite_write_ns + c.barrier_ns);
  EXPECT_DOUBLE_EQ(k[SwCost::Completion], c.axilite_read_ns + c.axilite_read_ns + c.barrier_ns);
  EXPECT_DOUBLE_EQ(k[SwCost::CacheMaintenance],
                   (56 * c.flush_cycles_per_line + 304 * c.invalidate_cycles_per_line) * c.clock_period_ns() +
                       2 * c.software.syscall_ns);
  EXPECT_DOUBLE_EQ(k[SwCost::BufferCopy], (896 + 4864) * 4 / c.software.copy_gbps);
  // The same profile with a write-combine mapping: no maintenance, outputs at the uncached load rate.
  PsConfig wc = c;
  wc.software.mapping = BufferMapping::WriteCombine;
  const PlCallCost w = ps_pl_call_cost(wc, ps_driver_accesses(wc, kChannels), 896 * 4, 4864 * 4);
  EXPECT_DOUBLE_EQ(w[SwCost::CacheMaintenance], 0.0);
  EXPECT_DOUBLE_EQ(w[SwCost::BufferCopy], 896 * 4 / c.write_combine_store_gbps + 4864 * 4 / c.noncached_load_gbps);
}

TEST(PsCostModelTest, OpTimeIsDispatchPlusTheSlowerOfComputeAndStream) {
  const PsConfig c = ps_config("", "python");
  // Memory-bound: 10 MB over 4 cores at 2.5 GB/s each vs few MACs.
  EXPECT_NEAR(ps_op_ns(c, OpKind::LmHead, 1000, 10000000), 20000 + 10000000 / 10.0, 1e-6);
  // Compute-bound softmax on one core.
  EXPECT_NEAR(ps_op_ns(c, OpKind::Softmax, 1000, 8), 20000 + 1000 * 25 * kPsPeriodNs, 1e-6);
  EXPECT_NEAR(ps_forward_overhead_ns(c), 2e6, 1e-9);
}

TEST(PsCostModelTest, ZeroCopyAndNoCacheMaintenanceCostNothing) {
  PsConfig c = ps_config();  // native: zero-copy
  const DriverCallAccesses a = ps_driver_accesses(c, kChannels);
  EXPECT_EQ(ps_copy_in_ns(c, 1 << 20), 0.0);
  EXPECT_EQ(ps_copy_out_ns(c, 1 << 20), 0.0);
  c.software.mapping = BufferMapping::WriteCombine;
  EXPECT_EQ(ps_flush_ns(c, a, 1 << 20), 0.0);
  EXPECT_EQ(ps_invalidate_ns(c, a, 1 << 20), 0.0);
}
