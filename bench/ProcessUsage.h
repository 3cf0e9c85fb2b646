// What the benches measure about processes: CPU seconds and peak RSS of this process, and wall
// time, CPU and peak RSS of a child command (with its own waited-for children: a sweep's workers).
#pragma once
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace fpgallm::bench {

inline double seconds_of(const timeval& user, const timeval& sys) {
  return static_cast<double>(user.tv_sec + sys.tv_sec) + 1e-6 * static_cast<double>(user.tv_usec + sys.tv_usec);
}

/** User + system CPU seconds of this process so far (all threads). */
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return seconds_of(u.ru_utime, u.ru_stime);
}

/** Peak resident set of this process so far. */
inline double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

struct ChildUsage {
  double wall_s = 0, cpu_s = 0, peak_rss_mib = 0;
  int status = -1;  ///< exit status, -1 when killed by a signal
};

/**
 * Runs argv (argv[0] a path) with stdout discarded (stderr too when `quiet`) and `env` added to
 * the environment; wall time from here, CPU and peak RSS from wait4 (the child and the children it
 * waited for: Linux folds their times in, and the peak is the largest single process).
 */
inline ChildUsage run_child(const std::vector<std::string>& args,
                            const std::vector<std::pair<std::string, std::string>>& env = {}, bool quiet = false) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);  // else the child flushes our buffered lines again when it reopens stdout
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("bench: fork");
    std::exit(1);
  }
  if (pid == 0) {
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    if (!std::freopen("/dev/null", "w", stdout)) _exit(126);
    if (quiet && !std::freopen("/dev/null", "w", stderr)) _exit(126);
    execv(argv[0], argv.data());
    std::perror("bench: exec");
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) < 0) {
    std::perror("bench: wait4");
    std::exit(1);
  }
  ChildUsage u;
  u.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  u.cpu_s = seconds_of(ru.ru_utime, ru.ru_stime);
  u.peak_rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  u.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return u;
}

}  // namespace fpgallm::bench
