// The newcomer's `fpgallm run` (no arguments) timed as a user meets it: once on an empty cache of
// quantized models (quantizes, then simulates) and once more on the warm cache. A bench command,
// not a timed test: it prints wall time, CPU time and peak RSS of each child process and checks
// nothing. Extra arguments after `--` go to both runs (e.g. `-- --quant awq`).
//   build/bench/bench_default_run [--fpgallm PATH] [--warm-runs N] [-- run args...]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/ProcessUsage.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int usage_error(const char* why) {
  std::fprintf(stderr, "bench_default_run: %s\nusage: bench_default_run [--fpgallm PATH] [--warm-runs N] [-- run args...]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // The CLI built next to this bench (build/bench/ -> build/apps/fpgallm).
  std::string cli = (fs::canonical("/proc/self/exe").parent_path().parent_path() / "apps" / "fpgallm").string();
  int warm_runs = 1;
  std::vector<std::string> extra;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) extra.emplace_back(argv[i]);
    } else if (a == "--fpgallm" && i + 1 < argc) {
      cli = argv[++i];
    } else if (a == "--warm-runs" && i + 1 < argc) {
      warm_runs = std::atoi(argv[++i]);
      if (warm_runs < 1) return usage_error("--warm-runs must be >= 1");
    } else {
      return usage_error(("unknown or incomplete argument '" + a + "'").c_str());
    }
  }
  if (access(cli.c_str(), X_OK) != 0) return usage_error(("no fpgallm executable at " + cli).c_str());

  char tmpl[] = "/tmp/fpgallm-bench-cache.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("bench_default_run: mkdtemp");
    return 1;
  }
  const std::string cache = tmpl;
  std::vector<std::string> args = {cli, "run", "--quiet", "--cache-dir", cache};
  args.insert(args.end(), extra.begin(), extra.end());

  std::string shown = "fpgallm run";
  for (const auto& e : extra) shown += " " + e;
  std::printf("bench_default_run: `%s` (%s), cache of quantized models in a fresh %s\n\n", shown.c_str(), cli.c_str(),
              cache.c_str());
  std::printf("%-12s %10s %10s %14s\n", "run", "wall s", "CPU s", "peak RSS MiB");
  int rc = 0;
  for (int r = 0; r <= warm_runs; ++r) {
    const fpgallm::bench::ChildUsage u = fpgallm::bench::run_child(args);
    const std::string name = r == 0 ? "cold cache" : warm_runs == 1 ? "warm cache" : "warm " + std::to_string(r);
    std::printf("%-12s %10.2f %10.2f %14.0f%s\n", name.c_str(), u.wall_s, u.cpu_s, u.peak_rss_mib,
                u.status == 0 ? "" : "  (failed)");
    std::fflush(stdout);
    if (u.status != 0) {
      std::fprintf(stderr, "bench_default_run: fpgallm exited with status %d\n", u.status);
      rc = 1;
      break;
    }
  }
  std::error_code ec;
  fs::remove_all(cache, ec);
  return rc;
}
