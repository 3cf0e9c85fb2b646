// The board part of an emitted project: block design (SmartConnect, timing gate, artefacts),
// Kria overlay (dtc, fdtoverlay onto a tree with the Kria labels), bootgen .bif, shell.json, the
// u-dma-buf size, and the README's steps. Vivado itself is stood in for by tclsh running the
// emitted Tcl against stub commands; dtc, fdtoverlay and bootgen are Debian's own.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "accel_hls/Emitter.h"
#include "accel_hls/templates/fpgallm_driver.h"
#include "models/core/Error.h"
#include "models/quant/Footprint.h"
#include "models/quant/Quantizer.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

const std::string kSrc = FPGALLM_SOURCE_DIR;

sim::SocConfig paper() {
  return sim::load_soc_config(kSrc + "/configs/platform/kv260.yaml", kSrc + "/configs/accel/paper_gs64_pe8x8.yaml");
}

hls::Project render(const sim::SocConfig& soc, const hls::BoardOptions& board = {}) {
  static const dse::ResourceCosts costs = dse::load_resource_costs(kSrc + "/configs/dse/resource_costs.yaml");
  return hls::render_project(soc, costs, {}, board);
}

const std::string& text(const hls::Project& p, const std::string& path) {
  const hls::ProjectFile* f = p.find(path);
  if (!f) throw std::runtime_error("project has no " + path);
  return f->text;
}

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::path(FPGALLM_BINARY_DIR) / ("test_board_tmp_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct RunResult {
  int status = -1;
  std::string output;
};

RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

bool have(const std::string& tool) { return run("command -v " + tool).status == 0; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

/** The words of a bitstream's configuration data: dummy pad, bus-width detection, sync, a NOOP. */
const std::vector<uint32_t> kBitWords = {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x000000BB, 0x11220044,
                                         0xFFFFFFFF, 0xFFFFFFFF, 0xAA995566, 0x20000000, 0x20000000};

/**
 * A .bit file as Vivado writes it (the header Xilinx tools and bootgen parse: a 9-byte magic field,
 * then keys 'a' design, 'b' part, 'c' date, 'd' time with 16-bit big-endian lengths, and 'e' with a
 * 32-bit length before the configuration words), wrapping kBitWords.
 */
std::string make_bit_file() {
  auto be16 = [](uint16_t v) { return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)}; };
  auto be32 = [&](uint32_t v) { return be16(static_cast<uint16_t>(v >> 16)) + be16(static_cast<uint16_t>(v & 0xFFFF)); };
  auto field = [&](char key, const std::string& value) {
    return std::string(1, key) + be16(static_cast<uint16_t>(value.size() + 1)) + value + std::string(1, '\0');
  };
  std::string data;
  for (uint32_t w : kBitWords) data += be32(w);
  std::string s = be16(9) + std::string("\x0f\xf0\x0f\xf0\x0f\xf0\x0f\xf0\x00", 9) + be16(1);
  s += field('a', "fpgallm_wrapper;UserID=0XFFFFFFFF") + field('b', "xck26-sfvc784-2LV-c") + field('c', "2024/01/01") +
       field('d', "00:00:00");
  s += "e" + be32(static_cast<uint32_t>(data.size())) + data;
  return s;
}

/** Stands in for Vivado: every command a no-op except the properties the emitted Tcl reads. */
constexpr const char* kVivadoStub = R"(proc unknown {args} { return "" }
proc get_property {name args} {
  switch -- $name {
    CONFIG.PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ { return $::env(STUB_PL0_MHZ) }
    PROGRESS { return $::env(STUB_PROGRESS) }
    STATUS { return $::env(STUB_STATUS) }
    STATS.WNS { return $::env(STUB_WNS) }
    STATS.WHS { return $::env(STUB_WHS) }
    DIRECTORY { return ./vivado/fpgallm_kv260.runs/impl_1 }
  }
  return ""
}
proc write_hw_platform {args} { set f [open [lindex $args end] w]; puts $f xsa; close $f }
source bd_kv260.tcl
)";

struct StubRun {
  std::string pl0_mhz = "299.997", progress = "100%", status = "write_bitstream Complete!", wns = "0.120",
              whs = "0.015";
};

/** Emits the project into `dir` with the files a Vivado run leaves before the script's last part. */
void lay_out_vivado_run(const hls::Project& p, const fs::path& dir) {
  hls::write_project(p, dir.string());
  write_file(dir / "vivado/fpgallm_kv260.gen/sources_1/bd/fpgallm/hdl/fpgallm_wrapper.v", "module fpgallm_wrapper();\n");
  write_file(dir / "vivado/fpgallm_kv260.gen/sources_1/bd/fpgallm/hw_handoff/fpgallm.hwh", "<hwh/>\n");
  write_file(dir / "vivado/fpgallm_kv260.runs/impl_1/fpgallm_wrapper.bit", make_bit_file());
  write_file(dir / "vivado_stub.tcl", kVivadoStub);
}

RunResult run_block_design(const fs::path& dir, const StubRun& s) {
  return run(fmt::format("cd {} && STUB_PL0_MHZ='{}' STUB_PROGRESS='{}' STUB_STATUS='{}' STUB_WNS='{}' STUB_WHS='{}' "
                         "tclsh vivado_stub.tcl",
                         dir.string(), s.pl0_mhz, s.progress, s.status, s.wns, s.whs));
}

/** A device tree with the labels of the Kria base tree the overlay refers to. */
constexpr const char* kKriaLabelsBase = R"(/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	fpga_full: fpga-full {
		compatible = "fpga-region";
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
	};
	zynqmp_clk: clock-controller {
		#clock-cells = <1>;
	};
	zynqmp_reset: reset-controller {
		#reset-cells = <1>;
	};
	amba: axi {
		compatible = "simple-bus";
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		gic: interrupt-controller@f9010000 {
			compatible = "arm,gic-400";
			#address-cells = <0>;
			#interrupt-cells = <3>;
			interrupt-controller;
			reg = <0x0 0xf9010000 0x0 0x10000>;
		};
	};
};
)";

}  // namespace

TEST(EmitHlsBoard, BlockDesignConnectsThroughSmartConnectsGatesTimingAndWritesTheXsa) {
  const sim::SocConfig s = paper();
  const std::string bd = text(render(s), "bd_kv260.tcl");
  EXPECT_EQ(bd.find("intc_ip New]"), std::string::npos);
  EXPECT_EQ(bd.find("intc_ip New "), std::string::npos);
  // One SmartConnect for the control path, one per HP connection.
  EXPECT_EQ(count(bd, "intc_ip {New AXI SmartConnect}"), static_cast<size_t>(s.accel.n_channels + 1)) << bd;
  EXPECT_NE(bd.find("get_property STATS.WNS"), std::string::npos);
  EXPECT_NE(bd.find("get_property STATS.WHS"), std::string::npos);
  EXPECT_NE(bd.find("write_hw_platform -fixed -include_bit -force -file board/fpgallm.xsa"), std::string::npos);
  EXPECT_NE(bd.find("CONFIG.PSU__MAXIGP0__DATA_WIDTH 32"), std::string::npos);
  EXPECT_NE(bd.find("set_property range 64K"), std::string::npos);
}

TEST(EmitHlsBoard, TimingGateExitsNonZeroOnNegativeSlackAnIncompleteRunOrAClockThePsCannotMake) {
  if (!have("tclsh")) GTEST_SKIP() << "tclsh not found (scripts/setup.sh installs tcl)";
  const fs::path dir = scratch_dir("timing_gate");
  lay_out_vivado_run(render(paper()), dir);

  const RunResult ok = run_block_design(dir, {});
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_NE(ok.output.find("timing at 300 MHz: WNS 0.120 ns, WHS 0.015 ns"), std::string::npos) << ok.output;
  for (const char* f : {"board/fpgallm.bit", "board/fpgallm.hwh", "board/fpgallm.xsa"})
    EXPECT_TRUE(fs::exists(dir / f)) << f << " not written\n" << ok.output;
  EXPECT_EQ(read_file(dir / "board/fpgallm.bit"), make_bit_file());

  struct Bad {
    StubRun run;
    std::string message;
  };
  std::vector<Bad> bad(5);
  bad[0].run.wns = "-0.051", bad[0].message = "setup timing not met at 300 MHz: WNS -0.051 ns";
  bad[1].run.whs = "-0.002", bad[1].message = "hold timing not met: WHS -0.002 ns";
  bad[2].run.progress = "57%", bad[2].run.status = "route_design ERROR",
  bad[2].message = "implementation did not complete (route_design ERROR)";
  bad[3].run.wns = "", bad[3].message = "impl_1 reports no WNS/WHS";
  bad[4].run.pl0_mhz = "250", bad[4].message = "the PS makes pl_clk0 = '250' MHz, not 300 MHz";
  for (const Bad& b : bad) {
    fs::remove_all(dir / "board");
    const RunResult r = run_block_design(dir, b.run);
    EXPECT_EQ(r.status, 1) << b.message << "\n" << r.output;
    EXPECT_NE(r.output.find("fpgallm: ERROR: " + b.message), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "board/fpgallm.bit")) << "a failed gate must hand nothing on: " << b.message;
  }
}

TEST(EmitHlsBoard, OverlayCompilesWithDtcAndAppliesOntoATreeWithTheKriaLabels) {
  if (!have("dtc") || !have("fdtoverlay") || !have("fdtget"))
    GTEST_SKIP() << "dtc/fdtoverlay/fdtget not found (scripts/setup.sh installs device-tree-compiler)";
  const sim::SocConfig s = paper();
  const fs::path dir = scratch_dir("overlay");
  hls::write_project(render(s), dir.string());
  const RunResult c = run(fmt::format("cd {} && dtc -@ -I dts -O dtb -o fpgallm.dtbo overlay/fpgallm.dtsi", dir.string()));
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_EQ(c.output.find("Warning"), std::string::npos) << c.output;

  write_file(dir / "base.dts", kKriaLabelsBase);
  const RunResult b = run(fmt::format("cd {0} && dtc -@ -I dts -O dtb -o base.dtb base.dts && "
                                      "fdtoverlay -i base.dtb -o merged.dtb fpgallm.dtbo",
                                      dir.string()));
  ASSERT_EQ(b.status, 0) << b.output;
  auto get = [&](const std::string& node, const std::string& prop, const char* type) {
    RunResult r = run(fmt::format("fdtget -t {} {} {} {}", type, (dir / "merged.dtb").string(), node, prop));
    EXPECT_EQ(r.status, 0) << node << " " << prop << ": " << r.output;
    while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    return r.output;
  };
  EXPECT_EQ(get("/fpga-full", "firmware-name", "s"), "fpgallm.bit.bin");
  EXPECT_EQ(get("/fpga-full", "resets", "u"), get("/reset-controller", "phandle", "u") + " 116");
  EXPECT_EQ(get("/axi/clocking0", "assigned-clock-rates", "u"), "300000000");  // accel.clock_mhz
  EXPECT_EQ(get("/axi/clocking0", "assigned-clocks", "u"), get("/clock-controller", "phandle", "u") + " 71");
  // HP0..HP3 at 128 bits (code 0), HPM0 at 32 bits (AFI_FS 0).
  EXPECT_EQ(get("/axi/afi0", "config-afi", "u"), "4 0 5 0 6 0 7 0 8 0 9 0 10 0 11 0 14 0");
  EXPECT_EQ(get("/axi/afi0", "compatible", "s"), "xlnx,afi-fpga");
  const std::string regs = "/axi/fpgallm@a0000000";
  EXPECT_EQ(get(regs, "compatible", "s"), "generic-uio");
  EXPECT_EQ(get(regs, "reg", "x"), "0 a0000000 0 10000");  // pl.ctrl_base_addr, 64 KiB
  EXPECT_EQ(get(regs, "interrupts", "u"), "0 89 4");
  EXPECT_EQ(get(regs, "interrupt-parent", "u"), get("/axi/interrupt-controller@f9010000", "phandle", "u"));
  EXPECT_EQ(get("/axi/udmabuf0", "compatible", "s"), "ikwzm,u-dma-buf");
  const uint64_t dma = hls::dma_buffer_bytes(s, hls::default_dma_model(), hls::kDefaultDmaCallTokens);
  EXPECT_EQ(get("/axi/udmabuf0", "size", "u"), fmt::format("{} {}", dma >> 32, dma & 0xFFFFFFFFu));
}

TEST(EmitHlsBoard, OverlayWidthsFollowTheChannelsAndThePlatformsAxiWidth) {
  sim::SocConfig s = paper();
  s.accel.n_channels = 2;
  s.axi.data_width_bits = 64;
  s.accel.macro.beat_bytes = 8;
  s.validate();
  const std::string dtsi = text(render(s), "overlay/fpgallm.dtsi");
  EXPECT_NE(dtsi.find("config-afi = <4 1>, <5 1>, <6 1>, <7 1>, <14 0x0>;"), std::string::npos) << dtsi;
  s.axi.data_width_bits = 96;
  try {
    render(s);
    ADD_FAILURE() << "a 96-bit AFI width was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("axi.data_width_bits in"), std::string::npos) << e.what();
  }
}

TEST(EmitHlsBoard, BootgenTurnsTheBitstreamTheBlockDesignWritesIntoTheBitBinTheOverlayNames) {
  if (!have("bootgen") || !have("tclsh")) GTEST_SKIP() << "bootgen/tclsh not found (scripts/setup.sh installs them)";
  const hls::Project p = render(paper());
  const std::string bif = text(p, "overlay/fpgallm.bif");
  EXPECT_NE(bif.find("[destination_device = pl] board/fpgallm.bit\n"), std::string::npos) << bif;
  const fs::path dir = scratch_dir("bootgen");
  lay_out_vivado_run(p, dir);
  const RunResult v = run_block_design(dir, {});
  ASSERT_EQ(v.status, 0) << v.output;
  const RunResult b = run(fmt::format("cd {} && bootgen -arch zynqmp -process_bitstream bin -image overlay/fpgallm.bif -w",
                                      dir.string()));
  ASSERT_EQ(b.status, 0) << b.output;
  // The .bit.bin is the configuration words, each byte-swapped for the PCAP (little-endian words).
  std::string expected;
  for (uint32_t w : kBitWords)
    for (int byte = 0; byte < 4; ++byte) expected += static_cast<char>((w >> (8 * byte)) & 0xFF);
  EXPECT_EQ(read_file(dir / "board/fpgallm.bit.bin"), expected);
  EXPECT_NE(text(p, "overlay/fpgallm.dtsi").find("firmware-name = \"fpgallm.bit.bin\";"), std::string::npos);
  // A bitstream bootgen cannot parse fails the step (it is no stamp of approval on any input).
  write_file(dir / "board/fpgallm.bit", "not a bitstream");
  EXPECT_NE(run(fmt::format("cd {} && bootgen -arch zynqmp -process_bitstream bin -image overlay/fpgallm.bif -w",
                            dir.string()))
                .status,
            0);
}

TEST(EmitHlsBoard, ShellJsonIsTheFlatShellDfxMgrReads) {
  const auto j = nlohmann::json::parse(text(render(paper()), "overlay/shell.json"));
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(j.at("shell_type"), "XRT_FLAT");
  EXPECT_EQ(j.at("num_slots"), "1");
}

TEST(EmitHlsBoard, AppNameNamesEveryBoardFileAndABadOneIsRejected) {
  hls::BoardOptions b;
  b.app = "llm-gs64";
  const hls::Project p = render(paper(), b);
  EXPECT_NE(p.find("overlay/llm-gs64.dtsi"), nullptr);
  EXPECT_NE(p.find("overlay/llm-gs64.bif"), nullptr);
  EXPECT_NE(text(p, "overlay/llm-gs64.dtsi").find("firmware-name = \"llm-gs64.bit.bin\";"), std::string::npos);
  EXPECT_NE(text(p, "bd_kv260.tcl").find("board/llm-gs64.xsa"), std::string::npos);
  EXPECT_NE(text(p, "README.md").find("sudo xmutil loadapp llm-gs64"), std::string::npos);
  for (const char* bad : {"", "../x", "a b", "x/y"}) {
    b.app = bad;
    try {
      render(paper(), b);
      ADD_FAILURE() << "app name '" << bad << "' accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fmt::format("app name '{}'", bad)), std::string::npos) << e.what();
    }
  }
}

TEST(EmitHlsBoard, ReadmeWalksFromVitisToTheFirstTokenAndMarksWhatNothingHereRan) {
  const std::string r = text(render(paper()), "README.md");
  const std::vector<std::string> steps = {"vitis_hls -f run_hls.tcl",
                                          "fpgallm hls-report .",
                                          "vivado -mode batch -source bd_kv260.tcl",
                                          "bootgen -arch zynqmp -process_bitstream bin -image overlay/fpgallm.bif -w",
                                          "dtc -@ -I dts -O dtb -o board/fpgallm.dtbo overlay/fpgallm.dtsi",
                                          "/lib/firmware/xilinx/fpgallm/",
                                          "sudo xmutil unloadapp; sudo xmutil loadapp fpgallm",
                                          "sudo insmod u-dma-buf.ko",
                                          "aarch64-linux-gnu-g++",
                                          "first token"};
  size_t at = 0;
  for (const auto& s : steps) {
    const size_t next = r.find(s, at);
    ASSERT_NE(next, std::string::npos) << "'" << s << "' missing or out of order in the README";
    at = next;
  }
  EXPECT_GE(count(r, "(not run"), 5u) << r;
}

namespace {

/** Answers the driver as an idle kernel that finishes at once with status 0 (no PL behind it). */
class InstantKernel : public ps::RegisterIF {
 public:
  uint32_t read32(uint32_t off) override { return off == 0 ? (ps::kApIdle | ps::kApDone) : 0; }
  void write32(uint32_t, uint32_t) override {}
};

}  // namespace

TEST(EmitHlsBoard, DmaBufferHoldsEveryLinearTheDriverPlacesAndOneCallOfTheLargestShape) {
  const sim::SocConfig s = paper();
  const ModelConfig m = model_config_preset("tiny");
  const int64_t tokens = 4096;  // several MiB of scratch, so the granule check below is not vacuous
  const uint64_t bytes = hls::dma_buffer_bytes(s, m, tokens);
  ASSERT_EQ(bytes % hls::kDmaBufferGranuleBytes, 0u);

  ps::AccelParams params;
  params.layout = s.accel.macro;
  params.act_floats = s.accel.act_buffer_bytes / kF32Bytes;
  const hls::RegisterLayout r = hls::register_layout(s.accel.n_channels);
  params.regs.channel_base = r.channel_base;
  params.regs.ap_return = sim::kRegApReturn;
  QuantOptions o;
  o.group_size = s.accel.macro.group_size;
  o.bits = s.accel.macro.bits;
  o.zero_point = s.accel.macro.zero_point;
  auto place_model = [&](uint64_t buffer_bytes) {
    std::vector<uint8_t> buf(buffer_bytes);
    InstantKernel regs;
    ps::Driver d(regs, {buf.data(), 0, buffer_bytes}, params, ps::DriverOptions{});
    const int64_t h = m.hidden_size;
    const std::vector<std::pair<int64_t, int64_t>> shapes = {{m.q_dim(), h}, {m.kv_dim(), h}, {m.kv_dim(), h},
                                                             {h, m.q_dim()}, {m.intermediate_size, h},
                                                             {m.intermediate_size, h}, {h, m.intermediate_size}};
    std::vector<ps::PlacedLinear> placed;
    for (int64_t layer = 0; layer < m.num_layers; ++layer)
      for (size_t i = 0; i < shapes.size(); ++i) {
        const auto [out, in] = shapes[i];
        std::vector<float> w(static_cast<size_t>(out * in), 0.25f);
        std::vector<float> bias(static_cast<size_t>(out), 1.0f);
        placed.push_back(d.place(quantize_rtn(w.data(), out, in, o), i < 3 && m.qkv_bias ? bias.data() : nullptr));
      }
    // The largest call: the MLP's down projection reads the widest activations.
    for (const auto& l : placed) {
      std::vector<float> x(static_cast<size_t>(tokens * l.in_features)), y(static_cast<size_t>(tokens * l.out_features));
      d.linear(l, x.data(), tokens, y.data());
    }
  };
  EXPECT_NO_THROW(place_model(bytes));
  // Tight to the granule: one MiB less does not hold the model and its call.
  EXPECT_THROW(place_model(bytes - hls::kDmaBufferGranuleBytes), Error);
}

TEST(EmitHlsBoard, DefaultDmaBufferHoldsQwen25HalfBAndIsWhatTheOverlayAndReadmeSay) {
  const sim::SocConfig s = paper();
  const uint64_t bytes = hls::dma_buffer_bytes(s, hls::default_dma_model(), hls::kDefaultDmaCallTokens);
  const hls::Project p = render(s);
  const std::string cells = fmt::format("size = <{:#x} {:#010x}>;", bytes >> 32, bytes & 0xFFFFFFFFu);
  EXPECT_NE(text(p, "overlay/fpgallm.dtsi").find(cells), std::string::npos) << cells;
  EXPECT_NE(text(p, "README.md").find(fmt::format("{} MiB ({} bytes)", bytes >> 20, bytes)), std::string::npos);
  // Cross-check with the packed-model footprint (another code path): the MACRO streams of every
  // decoder linear, plus at most one call's scratch, the q/k/v biases and 4 KiB alignment per tensor.
  const ModelConfig q = hls::default_dma_model();
  const auto& L = s.accel.macro;
  const auto streams = static_cast<uint64_t>(
      estimate_footprint(q, L.group_size, L.bits, L.zero_point, false, L).macro_stream_bytes());
  const uint64_t scratch = hls::kDefaultDmaCallTokens * (q.hidden_size + q.intermediate_size) * 4;
  const uint64_t biases = q.num_layers * (q.q_dim() + 2 * q.kv_dim()) * 4;
  const uint64_t alignment = (q.num_layers * 10 + 2) * ps::kRegionAlignBytes;
  EXPECT_GE(bytes, streams + scratch);
  EXPECT_LE(bytes, streams + scratch + biases + alignment + hls::kDmaBufferGranuleBytes);
  try {
    hls::dma_buffer_bytes(s, q, 0);
    ADD_FAILURE() << "0 call tokens accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--dma-call-tokens"), std::string::npos) << e.what();
  }
}
