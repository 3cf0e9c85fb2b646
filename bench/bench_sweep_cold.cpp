// A shipped sweep timed as a new user meets it: `fpgallm sweep SPEC --out DIR` on an empty output
// folder and empty caches (accuracy measurements, quantized models), every stage run (analytic
// pass, accuracy per quantization setting, SystemC finalists in local processes). A bench
// command, not a timed test: it prints wall time, CPU time (the sweep and its worker processes)
// and the largest process's peak RSS of each run, and checks nothing.
//   build/bench/bench_sweep_cold [--fpgallm PATH] [--runs N] [SPEC] [-- sweep args...]
// SPEC defaults to configs/sweep/gs_pe.yaml of the source tree.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench/ProcessUsage.h"

namespace {

namespace fs = std::filesystem;

int usage_error(const std::string& why) {
  std::fprintf(stderr, "bench_sweep_cold: %s\nusage: bench_sweep_cold [--fpgallm PATH] [--runs N] [SPEC] [-- sweep args...]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cli = (fs::canonical("/proc/self/exe").parent_path().parent_path() / "apps" / "fpgallm").string();
  std::string spec = std::string(FPGALLM_SOURCE_DIR) + "/configs/sweep/gs_pe.yaml";
  int runs = 1;
  std::vector<std::string> extra;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) extra.emplace_back(argv[i]);
    } else if (a == "--fpgallm" && i + 1 < argc) {
      cli = argv[++i];
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
      if (runs < 1) return usage_error("--runs must be >= 1");
    } else if (!a.empty() && a[0] != '-') {
      spec = a;
    } else {
      return usage_error("unknown or incomplete argument '" + a + "'");
    }
  }
  if (access(cli.c_str(), X_OK) != 0) return usage_error("no fpgallm executable at " + cli);
  if (!fs::is_regular_file(spec)) return usage_error("no sweep spec at " + spec);

  std::string shown = "fpgallm sweep " + spec;
  for (const auto& e : extra) shown += " " + e;
  std::printf("bench_sweep_cold: `%s` (%s), each run on a fresh output folder and empty caches, %u cores\n\n",
              shown.c_str(), cli.c_str(), std::thread::hardware_concurrency());
  std::printf("%-8s %10s %10s %14s\n", "run", "wall s", "CPU s", "peak RSS MiB");
  int rc = 0;
  for (int r = 1; r <= runs; ++r) {
    char tmpl[] = "/tmp/fpgallm-bench-sweep.XXXXXX";
    if (!mkdtemp(tmpl)) {
      std::perror("bench_sweep_cold: mkdtemp");
      return 1;
    }
    const fs::path work = tmpl;
    std::vector<std::string> args = {cli, "sweep", spec, "--out", (work / "out").string(), "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    const fpgallm::bench::ChildUsage u = fpgallm::bench::run_child(args, {{"FPGALLM_CACHE_DIR", (work / "cache").string()}});
    std::printf("%-8d %10.2f %10.2f %14.0f%s\n", r, u.wall_s, u.cpu_s, u.peak_rss_mib, u.status == 0 ? "" : "  (failed)");
    std::fflush(stdout);
    std::error_code ec;
    fs::remove_all(work, ec);
    if (u.status != 0) {
      std::fprintf(stderr, "bench_sweep_cold: fpgallm sweep exited with status %d\n", u.status);
      rc = 1;
      break;
    }
  }
  return rc;
}
