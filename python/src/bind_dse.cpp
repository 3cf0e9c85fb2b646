// fpgallm._fpgallm.dse: a sweep spec's design space point by point (the analytic evaluator with
// accuracy from the cache, SystemC verification of single points), for search strategies driven
// from Python (fpgallm.explore). Whole sweeps run through `fpgallm sweep` (fpgallm.sweep).
#include <memory>
#include <set>

#include <pybind11/stl.h>

#include "dse/Score.h"
#include "dse/Sweep.h"
#include "python/src/Bind.h"

namespace fpgallm::pybridge {

namespace {

/** A loaded spec with what evaluating its points needs; the grid's allowed points are enumerated once. */
struct Space {
  dse::SweepSpec spec;
  dse::ResourceCosts costs;
  std::unique_ptr<dse::AccuracyCache> accuracy;
  std::set<dse::PointIndex> allowed;
  size_t n_allowed = 0;

  Space(const std::string& file, const std::string& cache_dir) : spec(dse::load_sweep_spec(file)) {
    costs = dse::load_resource_costs(spec.costs_file);
    accuracy = std::make_unique<dse::AccuracyCache>(cache_dir, spec.accuracy, spec.file);
    dse::SweepSpec grid = spec;
    grid.random = false;  // the search space is the whole grid, whatever the spec samples
    for (auto& p : dse::enumerate_points(grid)) allowed.insert(std::move(p));
    n_allowed = allowed.size();
  }

  /** The analytic row of a point with its accuracy figures (measured once per quantization setting). */
  nlohmann::json evaluate(const dse::DesignPoint& p) {
    nlohmann::json r = dse::evaluate_analytic(spec, p, costs);
    if (r.value("feasible", false) && spec.accuracy.enabled) {
      const dse::AccuracyFigures f = accuracy->get(dse::quant_setting(p.soc.accel));
      r["accuracy_top1"] = f.top1;
      r["accuracy_kl"] = f.kl;
      if (f.ppl > 0) r["stories_ppl"] = f.ppl;
    }
    return r;
  }
};

}  // namespace

void bind_dse(py::module_& m) {
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
      .def_property_readonly("n_allowed", [](const Space& s) { return s.n_allowed; })
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
      .def("evaluate_base",
           [](Space& s) {
             nlohmann::json r;
             {
               py::gil_scoped_release nogil;
               r = s.evaluate(dse::make_base_point(s.spec));
             }
             return to_py(r);
           })
      .def(
          "verify",
          [](Space& s, py::object index) {
            nlohmann::json r;
            const bool base = index.is_none();
            const dse::PointIndex p = base ? dse::PointIndex{} : index.cast<dse::PointIndex>();
            {
              py::gil_scoped_release nogil;
              const dse::DesignPoint dp = base ? dse::make_base_point(s.spec) : dse::make_point(s.spec, p);
              const dse::SystemCOptions o = dse::systemc_options(s.spec);
              r["evaluator"] = "systemc";
              dse::merge_systemc_row(s.spec, dse::evaluate_systemc(s.spec, dp, o), r);
              // A DDR-bound point (the analytic model's decode_pl_ddr_busy_pct) runs in cycle fidelity too.
              const nlohmann::json a = dse::evaluate_analytic(s.spec, dp, s.costs);
              if (a.contains("decode_pl_ddr_busy_pct")) r["decode_pl_ddr_busy_pct"] = a["decode_pl_ddr_busy_pct"];
              if (dse::reruns_in_cycle(s.spec, a)) {
                dse::SystemCOptions c = o;
                c.fidelity = sim::Fidelity::cycle;
                dse::merge_systemc_row(s.spec, dse::evaluate_systemc(s.spec, dp, c), r);
              }
            }
            return to_py(r);
          },
          py::arg("index"),
          "SystemC figures of a point (None: the base configs) with the analytic ones for the same workload; a point "
          "whose PL decode jobs keep the DDR at least finalists.cycle_above_ddr_busy_pct busy also gets cycle_* "
          "figures; figures_from names the fidelity that ranks it.");
}

}  // namespace fpgallm::pybridge
