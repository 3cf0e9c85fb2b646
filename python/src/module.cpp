#include <fmt/format.h>
#include <pybind11/pybind11.h>

#include "models/core/Error.h"
#include "python/src/Bind.h"

namespace fpgallm::pybridge {

YAML::Node to_yaml(py::handle h) {
  if (h.is_none()) return YAML::Node(YAML::NodeType::Null);
  // bool before int: Python's bool is an int.
  if (py::isinstance<py::bool_>(h)) return YAML::Node(h.cast<bool>() ? "true" : "false");
  if (py::isinstance<py::int_>(h)) return YAML::Node(std::to_string(h.cast<long long>()));
  // Shortest text that reads back as the same double.
  if (py::isinstance<py::float_>(h)) return YAML::Node(fmt::format("{}", h.cast<double>()));
  if (py::isinstance<py::str>(h)) return YAML::Node(h.cast<std::string>());
  if (py::isinstance<py::dict>(h)) {
    YAML::Node n(YAML::NodeType::Map);
    for (auto kv : h.cast<py::dict>()) n[py::str(kv.first).cast<std::string>()] = to_yaml(kv.second);
    return n;
  }
  if (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h)) {
    YAML::Node n(YAML::NodeType::Sequence);
    for (auto v : h) n.push_back(to_yaml(v));
    return n;
  }
  // numpy scalars and other numbers: through their Python value.
  if (py::hasattr(h, "item")) return to_yaml(h.attr("item")());
  throw Error(fmt::format("config value {} of type {} is not a YAML scalar, list or mapping",
                          py::repr(h).cast<std::string>(), py::str(h.get_type().attr("__name__")).cast<std::string>()));
}

py::object to_py(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(j.get<uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(j.get<double>());
    case nlohmann::json::value_t::string: return py::str(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      py::list l;
      for (const auto& v : j) l.append(to_py(v));
      return l;
    }
    case nlohmann::json::value_t::object: {
      py::dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d[py::str(it.key())] = to_py(it.value());
      return d;
    }
    default: return py::none();
  }
}

}  // namespace fpgallm::pybridge

PYBIND11_MODULE(_fpgallm, m) {
  namespace pb = fpgallm::pybridge;
  m.doc() = "fpgallm C++ core: config validation, quantization, packed models, the SystemC KV260 simulation";
  // Bad input (YAML fields, model files, options) is a ValueError carrying the C++ message, which names the field.
  pybind11::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const fpgallm::Error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  auto config = m.def_submodule("config", "validate platform/accel/model configs given as mappings");
  pb::bind_config(config);
  auto models = m.def_submodule("models", "quantization and packed-model (MACRO stream) access");
  pb::bind_models(models);
  auto sim = m.def_submodule("sim", "runs on the simulated KV260");
  pb::bind_sim(sim);
#if FPGALLM_HAVE_DSE
  auto dse = m.def_submodule("dse", "a sweep spec's design space, point by point");
  pb::bind_dse(dse);
#endif
#if FPGALLM_HAVE_STUDIES
  auto studies = m.def_submodule("studies", "validation against the published figures: fit, sensitivity, roofline");
  pb::bind_studies(studies);
#endif
#if FPGALLM_HAVE_ACCEL_HLS
  auto hls = m.def_submodule("accel_hls", "Vitis HLS projects of accelerator configs");
  pb::bind_accel_hls(hls);
#endif
}
