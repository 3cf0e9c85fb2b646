// fpgallm._fpgallm.dse: whole sweeps through the engine (dse/Engine.h; fpgallm.sweep, and
// fpgallm.explore with a SearchStrategy written in Python), and a sweep spec's design space point
// by point (its axes and constraints, the analytic evaluator with accuracy from the cache, the
// sweep's ranking and finalist policy).
#include <memory>
#include <set>

#include <pybind11/stl.h>

#include "dse/Engine.h"
#include "dse/Score.h"
#include "python/src/Bind.h"

namespace fpgallm::pybridge {

namespace {

/** A loaded spec with what evaluating its points needs; the grid's allowed points are enumerated once. */
struct Space {
  dse::SweepSpec spec;
  std::unique_ptr<dse::AnalyticEvaluator> analytic;  // refers to spec: Space is never copied or moved
  std::unique_ptr<dse::AccuracyCache> accuracy;
  std::set<dse::PointIndex> allowed;

  Space(const std::string& file, const std::string& cache_dir)
      : spec(dse::load_sweep_spec(file)), analytic(std::make_unique<dse::AnalyticEvaluator>(spec)) {
    accuracy = std::make_unique<dse::AccuracyCache>(cache_dir, spec.accuracy, spec.file);
    dse::SweepSpec grid = spec;
    grid.random = false;  // the search space is the whole grid, whatever the spec samples
    for (auto& p : dse::enumerate_points(grid)) allowed.insert(std::move(p));
  }

  /** The analytic row of a point with its accuracy figures (measured once per quantization setting). */
  nlohmann::json evaluate(const dse::DesignPoint& p) {
    nlohmann::json r = analytic->evaluate(p);
    if (r.contains("quant")) dse::put_accuracy(dse::point_accuracy(spec, *accuracy, p.soc.accel), r);
    return r;
  }
};

nlohmann::json json_of(py::handle obj) {
  return nlohmann::json::parse(py::module_::import("json").attr("dumps")(obj).cast<std::string>());
}

/** The engine's progress handed to a Python callable progress(kind, line), kind update | finish | note. */
class PyProgress final : public dse::SweepProgress {
 public:
  explicit PyProgress(py::object fn) : fn_(std::move(fn)) {}
  void update(const std::string& line) override { call("update", line); }
  void finish(const std::string& line) override { call("finish", line); }
  void note(const std::string& line) override { call("note", line); }

 private:
  void call(const char* kind, const std::string& line) {
    py::gil_scoped_acquire gil;
    fn_(kind, line);  // a KeyboardInterrupt raised here ends the sweep
  }
  py::object fn_;
};

/**
 * A search strategy written in Python (fpgallm.explore's Optuna sampler) behind the engine's
 * interface: the engine calls it with the GIL released, so each call takes it.
 */
class PySearchStrategy : public dse::SearchStrategy {
 public:
  std::vector<dse::PointIndex> ask() override {
    py::gil_scoped_acquire gil;
    PYBIND11_OVERRIDE_PURE(std::vector<dse::PointIndex>, dse::SearchStrategy, ask);
  }
  void tell(const std::vector<dse::PointIndex>& points, const std::vector<nlohmann::json>& rows) override {
    py::gil_scoped_acquire gil;
    py::function fn = py::get_override(static_cast<const dse::SearchStrategy*>(this), "tell");
    if (!fn) pybind11::pybind11_fail("SearchStrategy.tell is not implemented");
    py::list rs;
    for (const auto& r : rows) rs.append(to_py(r));
    fn(points, rs);
  }
  std::string describe() const override {
    py::gil_scoped_acquire gil;
    PYBIND11_OVERRIDE_PURE(std::string, dse::SearchStrategy, describe);
  }
};

}  // namespace

void bind_dse(py::module_& m) {
  py::class_<dse::SearchStrategy, PySearchStrategy>(
      m, "SearchStrategy",
      "Base of a search strategy the sweep engine drives (dse/Engine.h): ask() -> a batch of point indices (an "
      "empty batch ends the search), tell(points, rows) -> None with their analytic rows and accuracy, describe() "
      "-> str for the progress line. Each point at most once, and only points the spec's constraints allow.")
      .def(py::init<>());
  m.def("non_dominated", &dse::non_dominated, py::arg("points"),
        "Per row of objectives (all minimised: negate the maximised ones), True when no other row dominates it: "
        "the sweep's own Pareto test (dse/Score.h).");
  py::class_<Space, std::shared_ptr<Space>>(m, "Space")
      .def(py::init([](const std::string& file, const std::string& cache_dir) {
             py::gil_scoped_release nogil;
             return std::make_shared<Space>(file, cache_dir);
           }),
           py::arg("spec_file"), py::arg("cache_dir"))
      .def_property_readonly("name", [](const Space& s) { return s.spec.name; })
      .def_property_readonly("file", [](const Space& s) { return s.spec.file; })
      .def_property_readonly("axes",
                             [](const Space& s) {
                               py::list axes;
                               for (const auto& a : s.spec.axes) {
                                 std::vector<std::string> values;
                                 for (const auto& v : a.values) values.push_back(YAML::Dump(v));
                                 axes.append(py::make_tuple(a.name, values));
                               }
                               return axes;
                             })
      .def_property_readonly("accuracy_enabled", [](const Space& s) { return s.spec.accuracy.enabled; })
      .def_property_readonly("n_allowed", [](const Space& s) { return s.allowed.size(); })
      .def_property_readonly("weights",
                             [](const Space& s) {
                               py::dict d;
                               d["accuracy"] = s.spec.weights.accuracy;
                               d["memory"] = s.spec.weights.memory;
                               d["prefill"] = s.spec.weights.prefill;
                               d["decode"] = s.spec.weights.decode;
                               return d;
                             })
      .def_property_readonly("max_finalists", [](const Space& s) { return s.spec.finalists.max_finalists; })
      .def("points", [](const Space& s) { return std::vector<dse::PointIndex>(s.allowed.begin(), s.allowed.end()); })
      .def("allowed", [](const Space& s, const dse::PointIndex& p) { return s.allowed.count(p) != 0; })
      .def("evaluate",
           [](Space& s, const dse::PointIndex& p) {
             nlohmann::json r;
             {
               py::gil_scoped_release nogil;
               r = s.evaluate(dse::make_point(s.spec, p));
             }
             return to_py(r);
           })
      .def(
          "rank",
          [](const Space& s, py::handle rows, py::handle base) {
            std::vector<nlohmann::json> rs;
            for (auto r : rows) rs.push_back(json_of(r));
            dse::rank_rows(rs, json_of(base), s.spec.weights);
            const std::vector<size_t> finalists = dse::select_finalists(rs, s.spec.finalists);
            py::list out;
            for (const auto& r : rs) out.append(to_py(r));
            return py::make_tuple(out, finalists);
          },
          py::arg("rows"), py::arg("base"),
          "The sweep's ranking of evaluated rows: (rows with score and pareto, finalist row indices by the sweep's "
          "finalist policy: top_k by score, then the Pareto set, capped at finalists.max).");

  py::class_<dse::SweepOptions>(m, "SweepOptions", "Options of sweep(); set the fields by name.")
      .def(py::init<>())
      .def_readwrite("spec_file", &dse::SweepOptions::spec_file)
      .def_readwrite("out", &dse::SweepOptions::out)
      .def_readwrite("cache_dir", &dse::SweepOptions::cache_dir)
      .def_readwrite("worker_exe", &dse::SweepOptions::worker_exe)
      .def_readwrite("scheduler", &dse::SweepOptions::scheduler)
      .def_readwrite("jobs", &dse::SweepOptions::jobs)
      .def_readwrite("systemc", &dse::SweepOptions::systemc)
      .def_readwrite("quiet", &dse::SweepOptions::quiet);
  m.def(
      "sweep",
      [](const dse::SweepOptions& o, py::object progress, dse::SearchStrategy* strategy) {
        dse::SweepResult r;
        {
          std::unique_ptr<dse::SweepProgress> shown;
          if (progress.is_none()) shown = std::make_unique<dse::QuietProgress>();
          else shown = std::make_unique<PyProgress>(progress);
          py::gil_scoped_release nogil;
          r = dse::run_sweep(o, *shown, strategy);
        }
        py::dict d;
        d["points"] = r.rows.size();
        d["feasible"] = r.feasible;
        d["pareto"] = r.pareto;
        d["finalists"] = r.finalists.size();
        d["best"] = r.best ? to_py(r.rows[*r.best]["id"]) : py::none();
        d["seconds"] = r.seconds;
        py::list rows;
        for (const auto& row : r.rows) rows.append(to_py(row));
        d["rows"] = rows;
        d["base"] = to_py(r.base);
        d["finalist_rows"] = r.finalists;
        return d;
      },
      py::arg("options"), py::arg("progress") = py::none(), py::arg("strategy") = nullptr,
      "A whole sweep as `fpgallm sweep` runs it (dse/Engine.h), outputs in options.out; progress(kind, line) "
      "receives the progress lines (None: quiet); strategy (a SearchStrategy; None: the spec's own sampling) "
      "chooses the points. Returns a summary with the rows, the base row and the finalists' row indices.");
}

}  // namespace fpgallm::pybridge
