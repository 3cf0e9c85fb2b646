// Host cost of simulating full-size Qwen2.5-0.5B (synthetic weights, RTN G = 64) on the KV260
// model, and how far the fast fidelity lands from the cycle one — every figure and ratio measured
// in one run of one process, so a loaded machine shifts them together:
//   1. the host AWQ backend's own decode time per token (the bare numerics: the floor);
//   2. the paper config in fast and cycle fidelity: host time per decode token (wall and CPU),
//      simulated prefill and decode tokens/s, tokens identical to the host's;
//   3. the same for a 1-channel and a 16x8 PE-array variant of the paper config (derived here);
//   4. ratios (fast / host AWQ, fast vs cycle simulated tokens/s) and the peak RSS.
// The MACRO streams are packed once per layout (PackedWeights), as a sweep would; "setup wall" is
// what each simulate() still spends outside prefill and decode (elaboration, weight placement).
// Usage: bench_sim_decode [--prompt N] [--decode N] [--configs paper,1ch,16x8[,8x16]] [--fidelities fast,cycle]
//                         [--ps-detailed-bytes N]  (override ps.traffic.detailed_bytes; 0 = every chunk)
// Wall time is what a user waits for; CPU time (process, all threads) is what the figures cost on
// a shared machine. Each simulation's decode figure is its decode phase alone (SimRunResult).
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "models/checkpoint/Synthetic.h"
#include "models/llm/AwqBackend.h"
#include "models/llm/ModelConfig.h"
#include "models/llm/Qwen2Model.h"
#include "models/quant/Quantizer.h"
#include "sim/soc/Simulation.h"
#include "sim/soc/SocConfig.h"

#include "bench/ProcessUsage.h"

namespace {

using namespace fpgallm;
using namespace fpgallm::sim;

constexpr uint64_t kSeed = 1;
constexpr int64_t kGroupSize = 64;  // the paper's G
constexpr int64_t kDefaultPromptTokens = 8;
constexpr int64_t kDefaultDecodeSteps = 3;
constexpr int64_t kTokenStride = 7919;  // prime: prompt ids spread over the vocabulary

using bench::cpu_seconds;
using bench::peak_rss_mib;
double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
struct Cost {
  double wall = 0, cpu = 0;
};

struct SimFigures {
  Cost decode_per_token, prefill;
  double setup_wall = 0;  // simulate() outside prefill and decode: elaboration, weight placement, stats
  double decode_tps = 0, prefill_tps = 0;
  std::vector<int32_t> tokens;
};

struct Variant {
  std::string name, what;
  SocConfig cfg;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= s.size()) {
    const size_t e = std::min(s.find(',', b), s.size());
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

std::vector<Variant> variants(const std::vector<std::string>& names) {
  const std::string src = FPGALLM_SOURCE_DIR;
  const SocConfig paper =
      load_soc_config(src + "/configs/platform/kv260.yaml", src + "/configs/accel/paper_gs64_pe8x8.yaml");
  std::vector<Variant> out;
  for (const std::string& n : names) {
    Variant v{n, "", paper};
    if (n == "paper") {
      v.what = "configs/accel/paper_gs64_pe8x8.yaml";
    } else if (n == "1ch") {
      v.what = "paper config, dma.channels 1";
      v.cfg.accel.n_channels = 1;
    } else if (n == "16x8") {
      v.what = "paper config, PE array 16x8 (macro.tile_rows 16)";
      v.cfg.accel.pe_rows = 16;
      v.cfg.accel.macro.tile_rows = 16;
    } else if (n == "8x16") {
      v.what = "paper config, PE array 8x16 (16 input channels per cycle)";
      v.cfg.accel.pe_cols = 16;
    } else {
      std::fprintf(stderr, "bench_sim_decode: unknown config '%s' (paper, 1ch, 16x8, 8x16)\n", n.c_str());
      std::exit(2);
    }
    v.cfg.validate();
    out.push_back(std::move(v));
  }
  return out;
}

SimFigures run_sim(const SocConfig& base, Fidelity f, const std::shared_ptr<const ModelWeights>& w,
                   const std::shared_ptr<const PackedWeights>& packed, const std::vector<int32_t>& prompt,
                   int64_t steps) {
  SocConfig cfg = base;
  cfg.set_fidelity(f);
  SimRunOptions opt;
  opt.prompt = prompt;
  opt.decode_steps = steps;
  opt.packed = packed;
  const SimRunResult r = simulate(cfg, w, opt);
  SimFigures s;
  const double n = static_cast<double>(std::max<int64_t>(1, r.decode_tokens()));
  s.prefill = {r.prefill_wall_seconds, r.prefill_cpu_seconds};
  s.decode_per_token = {r.decode_wall_seconds / n, r.decode_cpu_seconds / n};
  s.setup_wall = r.wall_seconds - r.prefill_wall_seconds - r.decode_wall_seconds;
  s.decode_tps = r.decode_tokens_per_s();
  s.prefill_tps = r.prefill_tokens_per_s();
  s.tokens = r.generated;
  return s;
}

double gap_pct(double fast, double cycle) { return cycle > 0 ? 100.0 * (fast - cycle) / cycle : 0.0; }

}  // namespace

int main(int argc, char** argv) {
  int64_t prompt_tokens = kDefaultPromptTokens, steps = kDefaultDecodeSteps;
  std::string configs = "paper,1ch,16x8", fidelities = "fast,cycle";
  int64_t ps_detailed_bytes = -1;  // -1: as the platform YAML says
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_sim_decode: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--prompt") prompt_tokens = std::atoll(value().c_str());
    else if (a == "--decode") steps = std::atoll(value().c_str());
    else if (a == "--configs") configs = value();
    else if (a == "--fidelities") fidelities = value();
    else if (a == "--ps-detailed-bytes") ps_detailed_bytes = std::atoll(value().c_str());
    else {
      std::fprintf(stderr,
                   "usage: bench_sim_decode [--prompt N] [--decode N] [--configs paper,1ch,16x8,8x16] "
                   "[--fidelities fast,cycle] [--ps-detailed-bytes N (0: simulate every PS chunk)]\n");
      return 2;
    }
  }
  if (prompt_tokens < 1 || steps < 1) {
    std::fprintf(stderr, "bench_sim_decode: --prompt and --decode must be >= 1\n");
    return 2;
  }
  std::vector<Fidelity> fids;
  for (const std::string& f : split(fidelities)) {
    if (f != "fast" && f != "cycle") {
      std::fprintf(stderr, "bench_sim_decode: unknown fidelity '%s' (fast, cycle)\n", f.c_str());
      return 2;
    }
    fids.push_back(f == "fast" ? Fidelity::Fast : Fidelity::Cycle);
  }
  std::vector<Variant> vars = variants(split(configs));
  if (ps_detailed_bytes >= 0)
    for (Variant& v : vars) v.cfg.ps.traffic_detailed_bytes = ps_detailed_bytes;

  std::printf("bench_sim_decode: Qwen2.5-0.5B shapes, synthetic weights (seed %llu), RTN G=%lld; prompt %lld "
              "tokens, %lld decode steps\n",
              static_cast<unsigned long long>(kSeed), static_cast<long long>(kGroupSize),
              static_cast<long long>(prompt_tokens), static_cast<long long>(steps));
  std::fflush(stdout);
  QuantOptions qo;
  qo.method = "rtn";
  qo.group_size = kGroupSize;
  const std::shared_ptr<const ModelWeights> w =
      quantize_model(*make_synthetic_weights(model_config_preset("qwen2.5-0.5b"), kSeed), qo, {});
  std::vector<int32_t> prompt;
  for (int64_t i = 0; i < prompt_tokens; ++i)
    prompt.push_back(static_cast<int32_t>((1 + i * kTokenStride) % w->config.vocab_size));
  std::fprintf(stderr, "bench_sim_decode: model ready (peak RSS %.0f MiB)\n", peak_rss_mib());

  // 1. The host AWQ backend, greedy, same prompt: the numerics alone.
  Cost host;
  std::vector<int32_t> host_tokens;
  {
    AwqBackend be;
    Qwen2Model model(w, be);
    auto argmax = [](const std::vector<float>& v) {
      return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
    };
    int32_t next = argmax(model.prefill(prompt));
    host_tokens.push_back(next);
    const double w0 = wall_seconds(), c0 = cpu_seconds();
    for (int64_t i = 0; i < steps; ++i) host_tokens.push_back(next = argmax(model.decode(next)));
    host = {(wall_seconds() - w0) / static_cast<double>(steps), (cpu_seconds() - c0) / static_cast<double>(steps)};
  }
  std::printf("\nhost AWQ backend (models/llm/AwqBackend): %.3f s wall, %.3f s CPU per decode token\n", host.wall,
              host.cpu);

  // 2./3. Every config in every fidelity.
  std::printf("\n%-6s %-5s | %10s %10s | %10s %10s | %10s | %12s %12s | %s\n", "config", "fid", "dec wall/t",
              "dec cpu/t", "pre wall", "pre cpu", "setup wall", "sim dec t/s", "sim pre t/s", "tokens = host");
  std::vector<std::vector<SimFigures>> fig(vars.size());
  double rss_default = 0;
  bool all_identical = true;
  // MACRO streams packed once per layout, as a sweep would (setup wall shows what a run still pays).
  std::vector<std::shared_ptr<const PackedWeights>> packs;
  auto packed_for = [&](const MacroLayout& layout) {
    for (const auto& p : packs)
      if (p->layout() == layout) return p;
    packs.push_back(std::make_shared<const PackedWeights>(w, layout));
    return packs.back();
  };
  for (size_t v = 0; v < vars.size(); ++v)
    for (Fidelity f : fids) {
      const SimFigures s = run_sim(vars[v].cfg, f, w, packed_for(vars[v].cfg.accel.macro), prompt, steps);
      const bool same = s.tokens == host_tokens;
      all_identical = all_identical && same;
      std::printf("%-6s %-5s | %9.3fs %9.3fs | %9.3fs %9.3fs | %9.3fs | %12.3f %12.3f | %s\n", vars[v].name.c_str(),
                  to_string(f), s.decode_per_token.wall, s.decode_per_token.cpu, s.prefill.wall, s.prefill.cpu,
                  s.setup_wall, s.decode_tps, s.prefill_tps, same ? "yes" : "NO");
      std::fflush(stdout);
      if (v == 0 && rss_default == 0) rss_default = peak_rss_mib();
      fig[v].push_back(s);
    }

  // 4. Ratios.
  std::printf("\nratios (same process, same load):\n");
  for (size_t v = 0; v < vars.size(); ++v) {
    std::printf("  %-6s (%s)\n", vars[v].name.c_str(), vars[v].what.c_str());
    for (size_t k = 0; k < fids.size(); ++k)
      std::printf("    %-5s host time per decode token / host AWQ backend's: %.2fx wall, %.2fx CPU\n",
                  to_string(fids[k]), fig[v][k].decode_per_token.wall / host.wall,
                  fig[v][k].decode_per_token.cpu / host.cpu);
    if (fids.size() == 2) {
      const SimFigures& a = fig[v][fids[0] == Fidelity::Fast ? 0 : 1];
      const SimFigures& c = fig[v][fids[0] == Fidelity::Fast ? 1 : 0];
      std::printf("    fast vs cycle simulated tokens/s: decode %+.2f %%, prefill %+.2f %%\n",
                  gap_pct(a.decode_tps, c.decode_tps), gap_pct(a.prefill_tps, c.prefill_tps));
      std::printf("    cycle / fast host time per decode token: %.2fx wall, %.2fx CPU\n",
                  c.decode_per_token.wall / a.decode_per_token.wall, c.decode_per_token.cpu / a.decode_per_token.cpu);
    }
  }
  std::printf("\npeak RSS: %.0f MiB after the %s runs (model + simulator), %.0f MiB at the end\n", rss_default,
              vars.empty() ? "-" : vars[0].name.c_str(), peak_rss_mib());
  std::printf("numerics: simulated tokens %s the host AWQ backend's\n", all_identical ? "equal" : "DIFFER FROM");
  return all_identical ? 0 : 1;
}
