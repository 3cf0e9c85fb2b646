#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dse/Progress.h"

namespace fpgallm::dse {

/** A finalist waiting for the SystemC evaluator: the base configs or a grid index, in a fidelity. */
struct FinalistJob {
  std::string id;
  std::string index;     ///< "i,j,k" value index per axis; empty: the base configs
  std::string fidelity;  ///< empty: the spec's finalists.fidelity; "cycle": a DDR-bound finalist's re-run
};

/**
 * Where the finalists run. Each job is one `fpgallm sweep-point` process (SystemC elaborates once
 * per process); every finished row, or a row carrying the simulator's `systemc_error`, lands in
 * the journal as soon as its process ends, so an interrupted sweep keeps what finished.
 */
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void run(const std::vector<FinalistJob>& jobs, const std::string& journal_path, SweepProgress& progress) = 0;
  /** "2 local processes", "on tcp://host:8786" (for the progress note). */
  virtual std::string describe() const = 0;
};

struct ExecutorOptions {
  std::string worker_exe;  ///< the fpgallm CLI whose `sweep-point` evaluates one job
  std::string spec_file;
  std::string work_dir;    ///< the sweep's output folder (job files, per-process outputs)
  int64_t jobs = 1;        ///< local processes at a time
  std::string scheduler;   ///< non-empty: a Dask cluster, tcp://HOST:PORT
  bool quiet = false;      ///< the Dask driver prints no progress
};

/** A local process pool, or the Dask driver (dse/dask_driver.py) when a scheduler is given. */
std::unique_ptr<Executor> make_executor(const ExecutorOptions& o);

/** "i,j,k", the form `sweep-point --index` takes. */
std::string index_text(const std::vector<int32_t>& index);

}  // namespace fpgallm::dse
