// fpgallm._fpgallm.studies: `fpgallm validate` as a call (studies/Validation.h), the GIL released
// while it simulates.
#include <pybind11/stl.h>

#include "python/src/Bind.h"
#include "studies/Validation.h"

namespace fpgallm::pybridge {

void bind_studies(py::module_& m) {
  py::class_<studies::ValidationOptions>(m, "ValidationOptions", "Options of validate(); set the fields by name.")
      .def(py::init<>())
      .def_readwrite("platform", &studies::ValidationOptions::platform)
      .def_readwrite("baseline", &studies::ValidationOptions::baseline)
      .def_readwrite("paper", &studies::ValidationOptions::paper)
      .def_readwrite("reference", &studies::ValidationOptions::reference)
      .def_readwrite("model", &studies::ValidationOptions::model)
      .def_readwrite("out", &studies::ValidationOptions::out)
      .def_readwrite("fidelity", &studies::ValidationOptions::fidelity)
      .def_readwrite("prompt_len", &studies::ValidationOptions::prompt_len)
      .def_readwrite("gen", &studies::ValidationOptions::gen)
      .def_readwrite("swing", &studies::ValidationOptions::swing)
      .def_readwrite("sensitivity", &studies::ValidationOptions::sensitivity)
      .def_readwrite("fit", &studies::ValidationOptions::fit)
      .def_readwrite("only_params", &studies::ValidationOptions::only_params);
  m.def(
      "validate",
      [](const studies::ValidationOptions& o) {
        studies::ValidationReport r;
        {
          py::gil_scoped_release nogil;
          r = studies::run_validation(o);
        }
        py::dict d;
        d["markdown"] = r.markdown;
        d["svgs"] = r.svgs;
        py::list refits;
        for (const auto& f : r.refits) refits.append(py::make_tuple(f.parameter, f.value, f.was));
        d["refits"] = refits;
        d["baseline_decode_tps"] = r.baseline_decode_tps;
        d["paper_decode_tps"] = r.paper_decode_tps;
        d["simulations"] = r.simulations;
        return d;
      },
      py::arg("options"),
      "The validation study as `fpgallm validate` runs it: markdown, svgs [(name, text)], refits "
      "[(parameter, value, was)], the two designs' decode tokens/s and the number of simulations.");
}

}  // namespace fpgallm::pybridge
