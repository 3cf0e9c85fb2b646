#include <filesystem>
#include <memory>

#include <fmt/core.h>

#include "accel_hls/Emitter.h"
#include "accel_hls/Vectors.h"
#include "apps/fpgallm/Command.h"
#include "run/Resources.h"
#include "dse/Resources.h"
#include "models/checkpoint/ModelLoader.h"
#include "models/core/Error.h"
#include "models/quant/Quantizer.h"
#include "sim/accel/KernelPlan.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultPlatform = "configs/platform/kv260.yaml";
constexpr const char* kDefaultResourceCosts = "configs/dse/resource_costs.yaml";
constexpr const char* kRandomSource = "random";
/** Shape of the default random vector set: two tiles' worth of odd sizes would be rejected by the
 *  kernel, so it is a small layer of whole beats with a bias and a partial last group. */
constexpr int64_t kRandomIn = 96, kRandomOut = 40;
constexpr uint64_t kDefaultVectorSeed = 7;

struct EmitArgs {
  std::string accel, platform, resource_costs, out, vectors, proj = "gate_proj";
  int64_t layer = 0, tokens = 1;
  uint64_t seed = kDefaultVectorSeed;
  std::string app = fpgallm::hls::kDefaultAppName, dma_model = fpgallm::hls::kDefaultDmaModel;
  int64_t dma_call_tokens = fpgallm::hls::kDefaultDmaCallTokens;
};

const fpgallm::Linear& pick_linear(const fpgallm::ModelWeights& w, int64_t layer, const std::string& proj,
                                   const std::string& spec) {
  if (layer < 0 || layer >= static_cast<int64_t>(w.layers.size()))
    fpgallm::fail("--layer {} is out of range: {} has {} layers", layer, spec, w.layers.size());
  const auto& L = w.layers[static_cast<size_t>(layer)];
  if (proj == "q_proj") return L.q;
  if (proj == "k_proj") return L.k;
  if (proj == "v_proj") return L.v;
  if (proj == "o_proj") return L.o;
  if (proj == "gate_proj") return L.gate;
  if (proj == "up_proj") return L.up;
  if (proj == "down_proj") return L.down;
  fpgallm::fail("--proj must be one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (got '{}')", proj);
}

/** The vector set of --vectors: a model layer (RTN-quantized with the accel's layout unless already quantized) or random. */
fpgallm::hls::VectorSet make_vectors(const fpgallm::sim::SocConfig& soc, const EmitArgs& a, std::string& name) {
  using namespace fpgallm;
  if (a.vectors == kRandomSource) {
    name = fmt::format("random_{}x{}_t{}", kRandomOut, kRandomIn, a.tokens);
    return hls::random_vectors(soc, kRandomIn, kRandomOut, a.tokens, true, a.seed);
  }
  fmt::print("emit-hls: loading {} for {} of layer {}\n", a.vectors, a.proj, a.layer);
  const auto w = load_model(a.vectors);
  const Linear& lin = pick_linear(*w, a.layer, a.proj, a.vectors);
  hls::VectorSet v;
  const auto& L = soc.accel.macro;
  if (lin.quant) {
    v.weights = *lin.quant;
  } else {
    if (!lin.weight) fail("{} {} of layer {} has no weights", a.vectors, a.proj, a.layer);
    QuantOptions o;
    o.group_size = L.group_size;
    o.bits = L.bits;
    o.zero_point = L.zero_point;
    v.weights = quantize_rtn(lin.weight->ptr(), lin.out_features, lin.in_features, o);
  }
  if (lin.bias) v.bias.assign(lin.bias->ptr(), lin.bias->ptr() + lin.out_features);
  // Activations are synthetic (seeded): the kernel's arithmetic does not depend on where they come from.
  const hls::VectorSet r = hls::random_vectors(soc, lin.in_features, 1, a.tokens, false, a.seed);
  v.act = r.act;
  v.n_tokens = a.tokens;
  name = fmt::format("{}_L{}_t{}", a.proj, a.layer, a.tokens);
  return v;
}

void run_emit(const EmitArgs& in) {
  using namespace fpgallm;
  EmitArgs a = in;
  if (a.platform.empty()) a.platform = run::resource_path(kDefaultPlatform);
  const sim::SocConfig soc = sim::load_soc_config(a.platform, a.accel);
  if (a.resource_costs.empty()) a.resource_costs = run::resource_path(kDefaultResourceCosts);
  const dse::ResourceCosts costs = dse::load_resource_costs(a.resource_costs);
  std::vector<hls::NamedVectors> sets;
  if (!a.vectors.empty()) {
    hls::NamedVectors nv;
    nv.set = make_vectors(soc, a, nv.name);
    hls::simulate_vectors(soc, nv.set);
    sets.push_back(std::move(nv));
  }
  hls::BoardOptions board;
  board.app = a.app;
  board.dma_model_spec = a.dma_model;
  board.dma_model = load_model_config_only(a.dma_model);
  board.dma_call_tokens = a.dma_call_tokens;
  const hls::Project p = hls::render_project(soc, costs, sets, board);  // rejects before anything is written
  hls::write_project(p, a.out);
  fmt::print("emit-hls: accel '{}' -> {} ({} files, part {}, {} MHz)\n", soc.accel.name, a.out, p.files.size(),
             soc.pl.part, soc.accel.clock_mhz);
  const dse::ResourceEstimate est = dse::estimate_resources(soc.accel, soc.pl, costs, dse::ResourceMargins{});
  fmt::print("emit-hls: resource estimate: {} LUT, {} FF, {} DSP48E2, {} BRAM36, {} URAM288 ({:.0f}% of {} at most) "
             "-> {}/resource_estimate.json\n",
             est.luts, est.ffs, est.dsp48e2, est.bram36, est.uram288, 100 * est.max_utilisation, soc.pl.device, a.out);
  const sim::KernelPlan plan(soc.accel);
  fmt::print("emit-hls: schedule: {:.2f} cycles per MACRO block decoding, {:.2f} for a {}-token prefill pass -> {}/schedule.json\n",
             plan.cycles_per_block(1), plan.cycles_per_block(soc.accel.max_chunk_tokens), soc.accel.max_chunk_tokens, a.out);
  if (!est.feasible)
    fmt::print(stderr, "emit-hls: warning: the design exceeds the explorer's resource margins: {}\n", est.reason);
  const uint64_t dma = hls::dma_buffer_bytes(soc, board.dma_model, board.dma_call_tokens);
  fmt::print("emit-hls: Kria app '{}': overlay/{}.dtsi (u-dma-buf of {} MiB for {}), overlay/{}.bif, overlay/shell.json\n",
             board.app, board.app, dma / hls::kDmaBufferGranuleBytes, board.dma_model_spec, board.app);
  fmt::print("emit-hls: vectors/cosim: the RTL co-simulation set\n");
  for (const auto& v : sets)
    fmt::print("emit-hls: vectors/{}: [{} x {}] x {} tokens from the simulated PE array\n", v.name,
               v.set.weights.out_features, v.set.weights.in_features, v.set.n_tokens);
}

void setup(CLI::App& app) {
  auto a = std::make_shared<EmitArgs>();
  auto* c = app.add_subcommand("emit-hls", "write a Vitis HLS project (kernel, testbench, tcl, PS driver) for an accel config");
  c->add_option("--accel", a->accel, "accel config YAML (configs/accel/..., or a sweep's best.yaml)")->required();
  c->add_option("--platform", a->platform, std::string("platform YAML (default: ") + kDefaultPlatform + ")");
  c->add_option("--resource-costs", a->resource_costs,
                std::string("per-operator LUT/FF/DSP costs of the resource estimate, as the explorer uses them (default: ") +
                    kDefaultResourceCosts + ")");
  c->add_option("--out", a->out, "project folder to write")->required();
  c->add_option("--vectors", a->vectors,
                "also write testbench vectors from the simulator: 'random', or a model "
                "(synthetic:qwen2.5-0.5b, HF folder, packed .fpk) whose layer is RTN-quantized with accel.macro");
  c->add_option("--layer", a->layer, "decoder layer of --vectors (default 0)");
  c->add_option("--proj", a->proj, "linear of --vectors: q_proj ... down_proj (default gate_proj)");
  c->add_option("--tokens", a->tokens, "tokens per vector set (default 1)")->check(CLI::PositiveNumber);
  c->add_option("--seed", a->seed, "seed of the synthetic activations");
  c->add_option("--app", a->app,
                std::string("Kria app name: /lib/firmware/xilinx/<app>/ and its file names (default: ") +
                    fpgallm::hls::kDefaultAppName + ")");
  c->add_option("--dma-model", a->dma_model,
                std::string("model whose offloaded linears the overlay's u-dma-buf must hold (default: ") +
                    fpgallm::hls::kDefaultDmaModel + ")");
  c->add_option("--dma-call-tokens", a->dma_call_tokens,
                "most tokens of one driver call: the buffer's activation/output scratch (default " +
                    std::to_string(fpgallm::hls::kDefaultDmaCallTokens) + ")")
      ->check(CLI::PositiveNumber);
  c->callback([a] { run_emit(*a); });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("emit-hls", setup);
