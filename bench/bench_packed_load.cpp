// What the packed-model digest costs at load time, on the full-size file: Qwen2.5-0.5B shapes with
// synthetic weights, RTN at G = 64 (465 MB), written once to a temp folder, then loaded with and
// without the digest check and the digest checked alone, each `--runs` times on a warm page cache
// (the cache's case: the entry was just written or read). Prints the median of each. A bench
// command, not a timed test.
//   build/bench/bench_packed_load [--runs N] [--preset NAME]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bench/ProcessUsage.h"
#include "models/checkpoint/Synthetic.h"
#include "models/quant/Macro.h"
#include "models/quant/PackedModel.h"
#include "models/quant/Quantizer.h"

namespace {

using namespace fpgallm;
namespace fs = std::filesystem;

double median_seconds(int runs, const std::function<void()>& fn) {
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::string preset = "qwen2.5-0.5b";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--preset" && i + 1 < argc) preset = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_packed_load [--runs N] [--preset NAME]\n");
      return 2;
    }
  }
  char tmpl[] = "/tmp/fpgallm-bench-packed.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("bench_packed_load: mkdtemp");
    return 1;
  }
  const std::string path = (fs::path(tmpl) / "model.fpk").string();
  {
    const ModelConfig c = model_config_preset(preset);
    QuantOptions q;
    q.method = "rtn";
    q.group_size = 64;
    const auto w = quantize_model(*make_synthetic_weights(c, kDefaultSyntheticSeed), q, {});
    MacroLayout layout;
    layout.group_size = q.group_size;
    save_packed_model(*w, layout, path);
  }
  const double mb = static_cast<double>(fs::file_size(path)) / 1e6;
  (void)load_packed_model(path);  // warms the page cache
  const double verified = median_seconds(runs, [&] { (void)load_packed_model(path); });
  const double skipped = median_seconds(runs, [&] { (void)load_packed_model(path, true, DigestCheck::Skip); });
  const double digest = median_seconds(runs, [&] { verify_packed_digest(path); });
  std::printf("bench_packed_load: %s, RTN G=64, %.1f MB file, median of %d warm-cache runs\n\n", preset.c_str(), mb, runs);
  std::printf("%-34s %10s\n", "", "seconds");
  std::printf("%-34s %10.3f\n", "load, digest checked (default)", verified);
  std::printf("%-34s %10.3f\n", "load, digest skipped", skipped);
  std::printf("%-34s %10.3f  (%.2f GB/s)\n", "digest alone (read + XXH3)", digest, mb / 1e3 / digest);
  std::printf("%-34s %+10.3f  (%+.1f%%)\n", "cost of the check", verified - skipped, 100.0 * (verified - skipped) / skipped);
  std::printf("peak RSS %.0f MiB\n", fpgallm::bench::peak_rss_mib());
  std::error_code ec;
  fs::remove_all(tmpl, ec);
  return 0;
}
