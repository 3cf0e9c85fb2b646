#include "accel_hls/Vectors.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <systemc>

#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/quant/AwqKernels.h"
#include "models/quant/Macro.h"
#include "sim/soc/SimKernel.h"
#include "sim/soc/SocTop.h"

namespace fpgallm::hls {

namespace {

constexpr uint64_t kAlign = 4096;
uint64_t align_up(uint64_t a) { return (a + kAlign - 1) / kAlign * kAlign; }

/** Places the job in the simulated DDR and hands the descriptor to the accelerator from a thread. */
struct VectorRig : sc_core::sc_module {
  sim::SocTop& soc;
  sim::LinearJob job;
  std::exception_ptr error;
  SC_HAS_PROCESS(VectorRig);
  VectorRig(sc_core::sc_module_name name, sim::SocTop& s, const sim::LinearJob& j) : sc_module(name), soc(s), job(j) {
    SC_THREAD(run);
  }
  void run() {
    try {
      soc.accel().run_linear(job);
    } catch (...) {
      error = std::current_exception();
    }
  }
};

}  // namespace

void simulate_vectors(const sim::SocConfig& soc, VectorSet& v) {
  const QuantLinear& q = v.weights;
  const int64_t in = q.in_features, out = q.out_features;
  if (static_cast<int64_t>(v.act.size()) != v.n_tokens * in)
    fail("vectors: {} activations for {} tokens x {} inputs", v.act.size(), v.n_tokens, in);
  const MacroStream s = pack_macro(q, soc.accel.macro);
  v.macro = s.bytes;
  sim::LinearJob job;
  job.ctx.op = OpKind::GateProj;
  job.ctx.n_tokens = v.n_tokens;
  job.layout = soc.accel.macro;
  job.in_features = in;
  job.out_features = out;
  job.n_tokens = v.n_tokens;
  job.weight_addr = soc.weights_base;
  uint64_t top = align_up(soc.weights_base + s.bytes.size());
  if (!v.bias.empty()) {
    job.bias_addr = top;
    top = align_up(top + v.bias.size() * kF32Bytes);
  }
  job.act_addr = soc.act_base;
  job.out_addr = soc.out_base;
  if (top > soc.act_base || soc.act_base + v.act.size() * kF32Bytes > soc.out_base)
    fail("vectors: layer [{} x {}] with {} tokens does not fit the SoC address map", out, in, v.n_tokens);

  v.expected.assign(static_cast<size_t>(v.n_tokens * out), 0.0f);
  sim::new_simulation_context();
  {
    sim::SocTop top_module("soc", soc);
    top_module.ddr().write_backdoor(job.weight_addr, s.bytes.data(), s.bytes.size());
    if (job.bias_addr) top_module.ddr().write_backdoor(job.bias_addr, v.bias.data(), v.bias.size() * kF32Bytes);
    top_module.ddr().write_backdoor(job.act_addr, v.act.data(), v.act.size() * kF32Bytes);
    VectorRig rig("vectors", top_module, job);
    sc_core::sc_start();
    if (rig.error) std::rethrow_exception(rig.error);
    top_module.ddr().read_backdoor(job.out_addr, v.expected.data(), v.expected.size() * kF32Bytes);
    stats::Group g("accel");
    top_module.accel().report_stats(g);
    v.pe_busy_cycles = g.value("pe_array.busy_cycles");
    v.unpack_busy_cycles = g.value("unpacker.busy_cycles");
    v.scale_busy_cycles = g.value("scale.busy_cycles");
    v.pipeline_fill_cycles = g.value("pipeline_fill_cycles");
  }
  // The simulator and the host kernel share awq_group_partial; a difference is a bug, never noise.
  std::vector<float> host(v.expected.size());
  awq_linear_accum(q, v.act.data(), v.n_tokens, v.bias.empty() ? nullptr : v.bias.data(), host.data(),
                   soc.accel.awq_accum());
  if (std::memcmp(host.data(), v.expected.data(), host.size() * kF32Bytes) != 0)
    fail("vectors: the simulated PE array and the host AWQ kernel disagree on layer [{} x {}]", out, in);
}

VectorSet random_vectors(const sim::SocConfig& soc, int64_t in, int64_t out, int64_t n_tokens, bool bias,
                         uint64_t seed) {
  const MacroLayout& L = soc.accel.macro;
  std::mt19937_64 rng(seed);
  VectorSet v;
  QuantLinear& q = v.weights;
  q.in_features = in;
  q.out_features = out;
  q.group_size = L.group_size;
  q.bits = L.bits;
  q.has_zero = L.zero_point;
  const auto n_group = static_cast<size_t>(out * q.n_groups());
  std::uniform_int_distribution<int> code(0, (1 << L.bits) - 1);
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  q.q.resize(static_cast<size_t>(in * out));
  for (auto& c : q.q) c = static_cast<uint8_t>(code(rng));
  q.scales.resize(n_group);
  for (auto& s : q.scales) s = f32_to_f16(scale(rng));
  q.zeros.assign(n_group, L.implicit_zero());
  if (L.zero_point)
    for (auto& z : q.zeros) z = static_cast<uint8_t>(code(rng));
  v.n_tokens = n_tokens;
  v.act.resize(static_cast<size_t>(n_tokens * in));
  for (auto& x : v.act) x = normal(rng);
  if (bias) {
    v.bias.resize(static_cast<size_t>(out));
    for (auto& b : v.bias) b = 0.1f * normal(rng);
  }
  return v;
}

std::vector<std::pair<std::string, std::string>> vector_files(const VectorSet& v) {
  auto bytes = [](const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); };
  std::vector<std::pair<std::string, std::string>> f;
  f.emplace_back("job.txt", fmt::format("# One linear job for fpgallm_tb: MACRO weights, fp32 activations/bias, the "
                                        "simulator's outputs.\nin_features {}\nout_features {}\nn_tokens {}\nbias {}\n",
                                        v.weights.in_features, v.weights.out_features, v.n_tokens, v.bias.empty() ? 0 : 1));
  f.emplace_back("weights.bin", bytes(v.macro.data(), v.macro.size()));
  f.emplace_back("act.bin", bytes(v.act.data(), v.act.size() * kF32Bytes));
  if (!v.bias.empty()) f.emplace_back("bias.bin", bytes(v.bias.data(), v.bias.size() * kF32Bytes));
  f.emplace_back("expected.bin", bytes(v.expected.data(), v.expected.size() * kF32Bytes));
  return f;
}

void write_vectors(const VectorSet& v, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("emit-hls --vectors: cannot create {}: {}", dir, ec.message());
  for (const auto& [name, data] : vector_files(v)) {
    std::ofstream f(fs::path(dir) / name, std::ios::binary);
    f << data;
    if (!f) fail("emit-hls --vectors: cannot write {}", (fs::path(dir) / name).string());
  }
}

ImageLayout image_layout(const VectorSet& v) {
  auto align = [](uint64_t a) { return (a + kImageRegionAlignBytes - 1) / kImageRegionAlignBytes * kImageRegionAlignBytes; };
  ImageLayout l;
  const uint64_t w = v.macro.size(), b = v.bias.size() * kF32Bytes, a = v.act.size() * kF32Bytes;
  l.bias = v.bias.empty() ? 0 : align(w);
  l.act = align(v.bias.empty() ? w : l.bias + b);
  l.out = align(l.act + a);
  l.end = l.out + static_cast<uint64_t>(v.n_tokens * v.weights.out_features) * kF32Bytes;
  return l;
}

}  // namespace fpgallm::hls
