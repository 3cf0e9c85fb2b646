#include "dse/Executor.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dse/Sweep.h"
#include "models/core/Error.h"
#include "run/Resources.h"

namespace fpgallm::dse {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kDaskDriver = "dse/dask_driver.py";
constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which has python3-distributed

/** Starts `args` as a child with stdout/stderr sent to files (empty: inherited). */
pid_t spawn(std::vector<std::string> args, const fs::path& out, const fs::path& err) {
  const pid_t pid = fork();
  if (pid < 0) fail("fork failed while starting {}", args[0]);
  if (pid == 0) {
    if (!out.empty() && !std::freopen(out.c_str(), "w", stdout)) _exit(127);
    if (!err.empty() && !std::freopen(err.c_str(), "w", stderr)) _exit(127);
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

std::vector<std::string> point_args(const ExecutorOptions& o, const FinalistJob& j) {
  std::vector<std::string> args = {o.worker_exe, "sweep-point", o.spec_file};
  if (j.index.empty()) args.push_back("--base");
  else args.insert(args.end(), {"--index", j.index});
  if (!j.fidelity.empty()) args.insert(args.end(), {"--fidelity", j.fidelity});
  return args;
}

/** Up to `jobs` `sweep-point` children at a time; each child's row is journalled when it exits. */
class LocalPool final : public Executor {
 public:
  explicit LocalPool(ExecutorOptions o) : o_(std::move(o)) {}
  std::string describe() const override { return fmt::format("{} local processes", o_.jobs); }

  void run(const std::vector<FinalistJob>& todo, const std::string& journal_path, SweepProgress& progress) override {
    if (!fs::exists(o_.worker_exe))
      fail("{}: the fpgallm binary that evaluates sweep points is missing", o_.worker_exe);
    Journal journal(journal_path);
    const fs::path tmp = fs::path(o_.work_dir) / "tmp";
    fs::create_directories(tmp);
    struct Child {
      FinalistJob job;
      fs::path out, err;
    };
    std::map<pid_t, Child> running;
    size_t next = 0, done = 0;
    int64_t failures = 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    while (done < todo.size()) {
      while (next < todo.size() && static_cast<int64_t>(running.size()) < o_.jobs) {
        const FinalistJob& j = todo[next++];
        Child c{j, tmp / fmt::format("point{}.json", next), tmp / fmt::format("point{}.err", next)};
        running.emplace(spawn(point_args(o_, j), c.out, c.err), std::move(c));
      }
      const double el = elapsed();
      const double eta = done ? el / static_cast<double>(done) * static_cast<double>(todo.size() - done) : NAN;
      progress.update(fmt::format("[systemc] {}/{} finalists, {} running, {:.2f} finalists/min, ETA {}", done,
                                  todo.size(), running.size(), el > 0 ? 60.0 * static_cast<double>(done) / el : 0,
                                  format_eta(eta)));
      int st = 0;
      const pid_t pid = waitpid(-1, &st, 0);
      if (pid < 0) fail("waitpid failed while running sweep points");
      auto it = running.find(pid);
      if (it == running.end()) continue;
      Child c = std::move(it->second);
      running.erase(it);
      ++done;
      if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        json row = json::parse(file_text(c.out.string()));
        row["id"] = c.job.id;
        journal.append(row);
      } else {
        std::string err = file_text(c.err.string());
        while (!err.empty() && err.back() == '\n') err.pop_back();
        ++failures;
        // A point the simulator rejects is a result too (recorded, not retried).
        journal.append(json{{"id", c.job.id}, {"evaluator", "systemc"},
                            {"systemc_error", err.empty() ? "exit status " + std::to_string(st) : err}});
      }
      fs::remove(c.out);
      fs::remove(c.err);
    }
    progress.finish(fmt::format("[systemc] {} finalists in {:.1f} s ({} failed)", todo.size(), elapsed(), failures));
  }

 private:
  ExecutorOptions o_;
};

/** Hands the jobs to dse/dask_driver.py, which runs one `sweep-point` per job on the cluster. */
class DaskPool final : public Executor {
 public:
  explicit DaskPool(ExecutorOptions o) : o_(std::move(o)) {}
  std::string describe() const override { return "on " + o_.scheduler; }

  void run(const std::vector<FinalistJob>& todo, const std::string& journal_path, SweepProgress&) override {
    const fs::path jobs_file = fs::path(o_.work_dir) / "dask_jobs.json";
    json j = json::array();
    for (const auto& t : todo) j.push_back({{"id", t.id}, {"index", t.index}, {"fidelity", t.fidelity}});
    std::ofstream(jobs_file) << j.dump(1) << "\n";
    const std::string driver = run::resource_path(kDaskDriver);
    if (!fs::exists(driver)) fail("{}: the Dask driver is missing from this installation", driver);
    std::vector<std::string> args = {kPython, driver, "--scheduler", o_.scheduler, "--exe", o_.worker_exe, "--spec",
                                     fs::absolute(o_.spec_file).string(), "--jobs", jobs_file.string(), "--journal",
                                     journal_path};
    if (o_.quiet) args.push_back("--quiet");
    int st = 0;
    waitpid(spawn(args, {}, {}), &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      fail("the Dask driver ({} {}) failed with status {}; finished points are kept in {}", kPython, driver,
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, journal_path);
  }

 private:
  ExecutorOptions o_;
};

}  // namespace

std::string format_eta(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 90) return fmt::format("{:.0f} s", s);
  return fmt::format("{:.0f} min", s / 60);
}

std::string index_text(const std::vector<int32_t>& p) {
  std::string s;
  for (size_t i = 0; i < p.size(); ++i) s += (i ? "," : "") + std::to_string(p[i]);
  return s;
}

std::unique_ptr<Executor> make_executor(const ExecutorOptions& o) {
  if (!o.scheduler.empty()) return std::make_unique<DaskPool>(o);
  return std::make_unique<LocalPool>(o);
}

}  // namespace fpgallm::dse
