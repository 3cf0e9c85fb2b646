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

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Usage {
  double wall_s = 0, cpu_s = 0, peak_rss_mib = 0;
  int status = -1;
};

/** Runs argv with stdout discarded; wall time from here, CPU and peak RSS from the child's rusage. */
Usage run_child(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);  // else the child flushes our buffered lines again when it reopens stdout
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("bench_default_run: fork");
    std::exit(1);
  }
  if (pid == 0) {
    if (!std::freopen("/dev/null", "w", stdout)) _exit(126);
    execv(argv[0], argv.data());
    std::perror("bench_default_run: exec");
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) < 0) {
    std::perror("bench_default_run: wait4");
    std::exit(1);
  }
  Usage u;
  u.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  u.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  u.peak_rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB on Linux
  u.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return u;
}

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
    const Usage u = run_child(args);
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
