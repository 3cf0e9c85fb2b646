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
handshake: {descriptor_write_ns: 1000, descriptor_registers: 8, interrupt_latency_ns: 10000, polling_latency_ns: 500}
traffic: {chunk_bytes: 4096, scratch_addr: 0x100000, scratch_bytes: 65536}
software:
  profile: native
  profiles:
    native: {gemv_efficiency: 1.0, op_dispatch_ns: 0, forward_overhead_ns: 0, driver_call_ns: 0,
             register_write_ns: 0, copy_gbps: 0, cache_maintenance: true, completion: interrupt}
    python: {gemv_efficiency: 0.25, op_dispatch_ns: 20000, forward_overhead_ns: 2000000, driver_call_ns: 100000,
             register_write_ns: 5000, copy_gbps: 0.5, cache_maintenance: true, completion: polling}
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

/** PsCore + TestMemory + a thread running `body`. */
struct PsRig : sc_core::sc_module {
  TestMemory mem;
  PsCore ps;
  std::function<void(PsRig&)> body;
  SC_HAS_PROCESS(PsRig);
  PsRig(const PsConfig& cfg, double bytes_per_ns, sc_core::sc_module_name name = "rig")
      : sc_module(name), mem("mem", 1, 2 << 20, sc_core::SC_ZERO_TIME, bytes_per_ns), ps("ps", cfg) {
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
  PsRig rig(ps_config(), 100.0);
  double flush = 0, desc = 0, done = 0, inval = 0;
  rig.body = [&](PsRig& r) {
    flush = ns_of(r.ps.cache_flush(896 * 4));  // 56 lines
    desc = ns_of(r.ps.write_descriptor());
    done = ns_of(r.ps.await_completion());
    inval = ns_of(r.ps.cache_invalidate(4864 * 4));  // 304 lines
  };
  sc_core::sc_start();
  EXPECT_NEAR(flush, 56 * 20 * kPsPeriodNs, 1e-3);
  EXPECT_NEAR(desc, 1000, 1e-3);
  EXPECT_NEAR(done, 10000, 1e-3);
  EXPECT_NEAR(inval, 304 * 10 * kPsPeriodNs, 1e-3);
  stats::Group g("ps");
  rig.ps.report_stats(g);
  EXPECT_EQ(g.value("pl_handshake.count"), 1.0);
  EXPECT_NEAR(g.value("pl_handshake.completion_time"), 10000, 1e-6);
}

TEST_F(PsSim, PollingProfileDetectsCompletionAtThePollingLatency) {
  PsRig rig(ps_config("", "python"), 100.0);
  double done = 0;
  rig.body = [&](PsRig& r) { done = ns_of(r.ps.await_completion()); };
  sc_core::sc_start();
  EXPECT_NEAR(done, 500, 1e-6);
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
  EXPECT_NEAR(desc, 1000 + 8 * 5000, 1e-6);
  EXPECT_NEAR(copy, 4000 / 0.5, 1e-3);  // the memcpy rate, slower than the 100 GB/s memory
  EXPECT_NEAR(loop, 2e6, 1e-6);
  // The same numbers as the pure cost model the DSE uses.
  EXPECT_NEAR(copy, ps_copy_ns(cfg, 4000), 1e-3);
  EXPECT_NEAR(desc, ps_descriptor_ns(cfg), 1e-6);
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
                "forward_overhead_ns: 0, driver_call_ns: 0, register_write_ns: 0, copy_gbps: 0, "
                "cache_maintenance: true, completion: doorbell}}}}")
                .find("ps.software.profiles.x.completion must be 'interrupt' or 'polling'"),
            std::string::npos);
  EXPECT_NE(err("{software: {profile: rust, profiles: {}}}").find("ps.software.profile names no profile"),
            std::string::npos);
  EXPECT_NE(err(R"({software: {profile: x, profiles: {x: {gemv_efficiency: 1.5, op_dispatch_ns: 0,
                forward_overhead_ns: 0, driver_call_ns: 0, register_write_ns: 0, copy_gbps: 0,
                cache_maintenance: true, completion: polling}}}})")
                .find("ps.software.profiles.x.gemv_efficiency must be in"),
            std::string::npos);
  EXPECT_NE(err("{l2_bytes: 1}").find("ps.l2_bytes is not a known field"), std::string::npos);
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
  const PlCallCost k = ps_pl_call_cost(c, 896 * 4, 4864 * 4);
  EXPECT_DOUBLE_EQ(k[SwCost::DriverCall], 100000);
  EXPECT_DOUBLE_EQ(k[SwCost::BufferCopy], (896 + 4864) * 4 / 0.5);
  EXPECT_DOUBLE_EQ(k[SwCost::CacheMaintenance], (56 * 20 + 304 * 10) * kPsPeriodNs);
  EXPECT_DOUBLE_EQ(k[SwCost::Descriptor], 1000 + 8 * 5000);
  EXPECT_DOUBLE_EQ(k[SwCost::Completion], 500);
  EXPECT_DOUBLE_EQ(k.total(), k[SwCost::DriverCall] + k[SwCost::BufferCopy] + k[SwCost::CacheMaintenance] +
                                  k[SwCost::Descriptor] + k[SwCost::Completion]);
  EXPECT_DOUBLE_EQ(k[SwCost::OpDispatch], 0);
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
  PsConfig c = ps_config();
  c.software.cache_maintenance = false;
  EXPECT_EQ(ps_copy_ns(c, 1 << 20), 0.0);
  EXPECT_EQ(ps_flush_ns(c, 1 << 20), 0.0);
  EXPECT_EQ(ps_invalidate_ns(c, 1 << 20), 0.0);
}
