// fpgallm._fpgallm.accel_hls: the Vitis HLS project of a platform + accelerator (what
// `fpgallm emit-hls` writes), rendered in memory and written only when the config is expressible.
#include <pybind11/stl.h>

#include "accel_hls/Emitter.h"
#include "python/src/Bind.h"

namespace fpgallm::pybridge {

void bind_accel_hls(py::module_& m) {
  m.def(
      "emit_hls",
      [](py::handle platform, const std::string& platform_source, py::handle accel, const std::string& accel_source,
         const std::string& out, const std::string& resource_costs) {
        const sim::SocConfig soc = soc_config_from_py(platform, platform_source, accel, accel_source);
        const dse::ResourceCosts costs = dse::load_resource_costs(resource_costs);
        std::vector<std::string> paths;
        {
          py::gil_scoped_release nogil;
          const hls::Project p = hls::render_project(soc, costs);  // checks the config before anything is written
          hls::write_project(p, out);
          for (const auto& f : p.files) paths.push_back(f.path);
        }
        return paths;
      },
      py::arg("platform"), py::arg("platform_source"), py::arg("accel"), py::arg("accel_source"), py::arg("out"),
      py::arg("resource_costs"),
      "Writes the Vitis HLS project (kernel, testbench, tcl, block design, driver, resource estimate) into `out`; "
      "returns the files written, relative to it.");
}

}  // namespace fpgallm::pybridge
