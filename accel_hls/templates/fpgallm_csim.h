// C simulation of the kernel's DATAFLOW region (copied unchanged by `fpgallm emit-hls`; host code
// only: fpgallm_hls.h includes it when __SYNTHESIS__ is not defined).
//
// Each process of a region runs in its own thread and the streams between them behave as
// hls::stream does in hardware: a read of an empty stream blocks, a write to a full stream blocks,
// and each stream holds at most the depth its STREAM pragma gives. So a depth too small for the
// schedule, or processes that wait on each other, show up here as a deadlock (reported naming the
// blocked streams, then the program exits with status 3) rather than only in RTL co-simulation.
#pragma once
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fpgallm_hls {
namespace csim {

/** Threads of the running region and which of them wait on a stream (one region at a time). */
class Scheduler {
 public:
  static Scheduler& get() {
    static Scheduler s;
    return s;
  }
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
  /** Each waiting process: what it waits for ("read x" / "write y") and whether it still must. */
  std::vector<std::pair<std::string, std::function<bool()> > > waiting;

  /** Called with `mu` held: every running process waiting, none of them able to go on, is a deadlock.
   *  (A process notified but not yet woken can go on: its condition is checked, not its entry.) */
  void check_deadlock() {
    if (running == 0 || static_cast<int>(waiting.size()) != running) return;
    for (const auto& w : waiting)
      if (!w.second()) return;
    {
      std::fprintf(stderr, "fpgallm csim: deadlock in the DATAFLOW region: every process waits:");
      for (const auto& w : waiting) std::fprintf(stderr, " [%s]", w.first.c_str());
      std::fprintf(stderr, "\n");
      std::fflush(stderr);
      std::_Exit(3);
    }
  }
};

/**
 * The arrays and streams the kernel declares, as C simulation sees them (sizeof, partitions,
 * instances): the testbench prints them (FPGALLM_TB_ARRAYS=1) so a test can hold them against
 * resource_estimate.json, which counts the same arrays from sim/accel/KernelPlan.
 */
class ArrayLog {
 public:
  static ArrayLog& get() {
    static ArrayLog a;
    return a;
  }
  void record(const std::string& name, int instance, unsigned long long bits, int banks) {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[name];
    e.bits = bits;
    e.banks = banks;
    e.instances.insert(instance);
  }
  void print(std::FILE* f) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& kv : entries_)
      std::fprintf(f, "array %s bits=%llu banks=%d copies=%zu\n", kv.first.c_str(), kv.second.bits, kv.second.banks,
                   kv.second.instances.size());
  }

 private:
  struct Entry {
    unsigned long long bits = 0;
    int banks = 1;
    std::set<int> instances;
  };
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

inline void record_array(const std::string& name, int instance, unsigned long long bits, int banks) {
  ArrayLog::get().record(name, instance, bits, banks);
}

/** hls::stream as hardware sees it: bounded, blocking on empty and on full. */
template <class T>
class Fifo {
 public:
  Fifo() = default;
  /** Data left in a stream when its region ends would hang or corrupt the next run in hardware. */
  ~Fifo() {
    if (!q_.empty()) {
      std::fprintf(stderr, "fpgallm csim: stream %s holds %zu element(s) the DATAFLOW region never read\n",
                   name_.c_str(), q_.size());
      std::fflush(stderr);
      std::_Exit(3);
    }
  }
  Fifo(const Fifo&) = delete;
  Fifo& operator=(const Fifo&) = delete;

  /** `name` is "x" or "x[i]" (instance i of an array of streams). */
  void set_depth(size_t depth, const std::string& name) {
    depth_ = depth < 1 ? 1 : depth;
    name_ = name;
    const size_t b = name.find('[');
    const int instance = b == std::string::npos ? 0 : std::atoi(name.c_str() + b + 1);
    record_array(name.substr(0, b), instance, static_cast<unsigned long long>(depth_) * sizeof(T) * 8, 1);
  }
  void write(const T& v) {
    Scheduler& s = Scheduler::get();
    std::unique_lock<std::mutex> lock(s.mu);
    wait_while(s, lock, [&] { return q_.size() >= depth_; }, "write " + name_);
    q_.push_back(v);
    s.cv.notify_all();
  }
  T read() {
    Scheduler& s = Scheduler::get();
    std::unique_lock<std::mutex> lock(s.mu);
    if (q_.empty() && s.running == 0) {
      std::fprintf(stderr, "fpgallm csim: read of the empty stream %s outside a DATAFLOW region\n", name_.c_str());
      std::_Exit(3);
    }
    wait_while(s, lock, [&] { return q_.empty(); }, "read " + name_);
    T v = q_.front();
    q_.pop_front();
    s.cv.notify_all();
    return v;
  }
  bool empty() {
    std::lock_guard<std::mutex> lock(Scheduler::get().mu);
    return q_.empty();
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(Scheduler::get().mu);
    return q_.size();
  }

 private:
  template <class Pred>
  void wait_while(Scheduler& s, std::unique_lock<std::mutex>& lock, Pred blocked, const std::string& what) {
    if (!blocked()) return;
    s.waiting.emplace_back(what, std::function<bool()>(blocked));
    s.check_deadlock();
    s.cv.wait(lock, [&] { return !blocked(); });
    for (auto it = s.waiting.begin(); it != s.waiting.end(); ++it)
      if (it->first == what) {
        s.waiting.erase(it);
        break;
      }
  }

  std::deque<T> q_;
  size_t depth_ = 2;  // hls::stream's default depth
  std::string name_ = "stream";
};

/**
 * The processes of one DATAFLOW region: spawn() lists them, join() starts one thread each and waits
 * for all. Every process counts as running before any starts, so one that blocks early is never
 * mistaken for a deadlock of the processes not started yet.
 */
class Dataflow {
 public:
  template <class F>
  void spawn(F f) {
    procs_.push_back(std::function<void()>(f));
  }
  void join() {
    Scheduler& s = Scheduler::get();
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.running += static_cast<int>(procs_.size());
    }
    std::vector<std::thread> threads;
    for (auto& p : procs_)
      threads.emplace_back([&s, &p] {
        p();
        std::lock_guard<std::mutex> lock(s.mu);
        --s.running;
        s.check_deadlock();  // the processes left may now all be waiting on this one
        s.cv.notify_all();
      });
    for (auto& t : threads) t.join();
    procs_.clear();
  }
  ~Dataflow() {
    if (!procs_.empty()) join();
  }

 private:
  std::vector<std::function<void()> > procs_;
};

}  // namespace csim

template <class T>
using Fifo = csim::Fifo<T>;

}  // namespace fpgallm_hls
