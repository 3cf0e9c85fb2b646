// fpgallm._fpgallm.sim: one run on the simulated KV260, with the GIL released while it simulates.
// The run is exactly what `fpgallm run` does for the same arguments (run/RunSetup.h).
#include <memory>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "models/checkpoint/ModelLoader.h"
#include "models/checkpoint/Synthetic.h"
#include "python/src/Bind.h"
#include "run/Resources.h"
#include "run/RunSetup.h"
#include "sim/accel/Deployment.h"
#include "sim/soc/Simulation.h"

namespace fpgallm::pybridge {

namespace {

/** Ledger rows as columns (phase, op, layer, unit, calls, time_ns, bytes, macs) for a DataFrame. */
py::dict ledger_columns(const sim::OpLedger& ledger) {
  py::list phase, op, layer, unit, calls, time_ns, bytes, macs;
  for (const auto& [k, v] : ledger.entries()) {
    phase.append(phase_name(static_cast<Phase>(k.phase)));
    op.append(op_name(static_cast<OpKind>(k.op)));
    layer.append(k.layer);
    unit.append(sim::unit_name(static_cast<sim::Unit>(k.unit)));
    calls.append(v.calls);
    time_ns.append(v.time_ns);
    bytes.append(v.bytes);
    macs.append(v.macs);
  }
  // The software stack's rows (unit SW, no layer), as the CLI's breakdown table lists them.
  for (int p = 0; p < 2; ++p)
    for (int c = 0; c < sim::kNumSwCosts; ++c) {
      const sim::OpCost v = ledger.software(static_cast<Phase>(p), static_cast<sim::SwCost>(c));
      if (v.calls == 0) continue;
      phase.append(phase_name(static_cast<Phase>(p)));
      op.append(sim::sw_cost_name(static_cast<sim::SwCost>(c)));
      layer.append(-1);
      unit.append("SW");
      calls.append(v.calls);
      time_ns.append(v.time_ns);
      bytes.append(v.bytes);
      macs.append(v.macs);
    }
  py::dict d;
  d["phase"] = phase;
  d["op"] = op;
  d["layer"] = layer;
  d["unit"] = unit;
  d["calls"] = calls;
  d["time_ns"] = time_ns;
  d["bytes"] = bytes;
  d["macs"] = macs;
  return d;
}

py::array_t<float> logits_array(const std::vector<std::vector<float>>& rows) {
  const py::ssize_t n = static_cast<py::ssize_t>(rows.size());
  const py::ssize_t vocab = n ? static_cast<py::ssize_t>(rows.front().size()) : 0;
  py::array_t<float> a({n, vocab});
  float* dst = a.mutable_data();
  for (const auto& r : rows) dst = std::copy(r.begin(), r.end(), dst);
  return a;
}

/** What `_fpgallm.sim.run` takes: keyword-style fields, defaults as `fpgallm run`'s where it has one. */
struct PyRunOptions {
  py::object platform = py::none(), accel = py::none();  ///< mappings (the Python layer reads YAML files)
  std::string platform_source = "<dict>", accel_source = "<dict>";
  std::string model;                    ///< a model spec as the CLI takes (unused with model_config)
  py::object model_config = py::none();  ///< a model mapping: synthetic weights of that shape, `seed`
  std::string model_source = "<dict>";
  uint64_t seed = 0;
  std::string prompt, tokenizer, calib_file;
  bool byte_prompt = false;
  int64_t prompt_len = 0, gen = 0;
  std::string quant = run::kDefaultRunQuant;
  std::string fidelity;   ///< empty: the accel config's
  std::string out_dir;    ///< stats.json, stats.csv, trace.json as `fpgallm run --out`
  bool trace = false, timing_only = false;
  std::string cache_dir;  ///< empty: the default cache of quantized models
  bool no_cache = false;
  py::object progress = py::none();  ///< progress(stage, step, n_steps, layer, n_layers)
  std::string resource_costs;        ///< configs/dse/resource_costs.yaml for the "soc" summary's resources
};

/** One run on a fresh simulated KV260, prepared as `fpgallm run` prepares it (run/RunSetup.h). */
py::dict run_simulation(const PyRunOptions& o) {
  sim::SocConfig soc = soc_config_from_py(o.platform, o.platform_source, o.accel, o.accel_source);
  if (!o.fidelity.empty()) soc.set_fidelity(sim::parse_fidelity(o.fidelity, "fidelity"));
  const nlohmann::json soc_json = soc_summary_json(soc, o.resource_costs);  // a bad cost file fails before simulating
  if (o.gen < 0) fail("gen must be >= 0 (got {})", o.gen);
  run::RunSetup setup;
  setup.prompt = o.prompt;
  setup.tokenizer = o.tokenizer;
  setup.byte_prompt = o.byte_prompt;
  setup.prompt_len = o.prompt_len;
  setup.quant = o.quant;
  setup.quant_given = true;
  setup.calib_file = o.calib_file;
  setup.validate();
  run::ModelRequest req;
  req.spec = o.model;
  req.timing_only = o.timing_only;
  req.cache_dir = o.cache_dir;
  req.no_cache = o.no_cache;
  if (!o.model_config.is_none()) {
    req.synthetic = model_config_from_py(o.model_config, o.model_source);
    req.spec = o.model_source;
    req.seed = o.seed;
  }
  std::shared_ptr<py::object> cb = o.progress.is_none() ? nullptr : std::make_shared<py::object>(o.progress);
  auto report = [cb](const char* stage, int64_t step, int64_t n_steps, int64_t layer, int64_t n_layers) {
    py::gil_scoped_acquire gil;
    raise_pending_signals();
    if (cb) (*cb)(stage, step, n_steps, layer, n_layers);
  };
  setup.progress = [report](int64_t layer, int64_t n, const std::string&) {
    report("quantize", 0, 0, std::min(layer, n), n);
  };
  sim::SimRunOptions opt;
  opt.decode_steps = o.gen;
  opt.keep_logits = !o.timing_only;  // a timing-only run computes no logits
  opt.trace = o.trace || !o.out_dir.empty();
  opt.progress = [report, gen = o.gen](Phase p, int64_t tok, int64_t layer, int64_t n_layers) {
    if (p == Phase::Prefill) report("prefill", 0, gen, layer + 1, n_layers);
    else report("decode", tok, gen, layer + 1, n_layers);
  };

  sim::SimRunResult r;
  Footprint fp;
  ModelConfig mc;
  {
    py::gil_scoped_release nogil;
    run::PreparedRun prepared = run::prepare_run(req, soc, setup);
    mc = prepared.weights->config;
    opt.prompt = prepared.prompt;
    r = sim::simulate(soc, prepared.weights, opt);
    fp = sim::deployed_footprint(soc.accel, mc);
    if (!o.out_dir.empty()) run::write_run_outputs(r, o.out_dir, {soc, mc, req.spec, opt.prompt, o.gen, setup.quant});
  }
  py::dict d;
  d["stats"] = to_py(r.stats.to_json());
  d["ledger"] = ledger_columns(r.ledger);
  d["logits"] = logits_array(r.logits);
  d["prompt"] = opt.prompt;
  d["generated"] = r.generated;
  d["prefill_tokens"] = r.prefill_tokens();
  d["decode_tokens"] = r.decode_tokens();
  d["prefill_ns"] = r.prefill_ns();
  d["decode_ns"] = r.decode_ns();
  d["prefill_tokens_per_s"] = r.prefill_tokens_per_s();
  d["decode_tokens_per_s"] = r.decode_tokens_per_s();
  d["footprint"] = to_py(fp.to_json());
  d["model_bytes"] = sim::deployed_model_bytes(soc.accel, fp);
  d["model_config"] = to_py(model_config_to_hf_json(mc));
  d["soc"] = to_py(soc_json);
  d["wall_seconds"] = r.wall_seconds;
  d["trace_events"] = r.trace ? r.trace->size() : 0;
  d["trace_dropped"] = r.trace ? r.trace->dropped() : 0;
  return d;
}

}  // namespace

void bind_sim(py::module_& m) {
  py::class_<PyRunOptions> opts(m, "RunOptions", "Options of run(); set the fields by name.");
  opts.def(py::init<>())
      .def_readwrite("platform", &PyRunOptions::platform)
      .def_readwrite("platform_source", &PyRunOptions::platform_source)
      .def_readwrite("accel", &PyRunOptions::accel)
      .def_readwrite("accel_source", &PyRunOptions::accel_source)
      .def_readwrite("model", &PyRunOptions::model)
      .def_readwrite("model_config", &PyRunOptions::model_config)
      .def_readwrite("model_source", &PyRunOptions::model_source)
      .def_readwrite("seed", &PyRunOptions::seed)
      .def_readwrite("prompt", &PyRunOptions::prompt)
      .def_readwrite("tokenizer", &PyRunOptions::tokenizer)
      .def_readwrite("calib_file", &PyRunOptions::calib_file)
      .def_readwrite("byte_prompt", &PyRunOptions::byte_prompt)
      .def_readwrite("prompt_len", &PyRunOptions::prompt_len)
      .def_readwrite("gen", &PyRunOptions::gen)
      .def_readwrite("quant", &PyRunOptions::quant)
      .def_readwrite("fidelity", &PyRunOptions::fidelity)
      .def_readwrite("out_dir", &PyRunOptions::out_dir)
      .def_readwrite("trace", &PyRunOptions::trace)
      .def_readwrite("timing_only", &PyRunOptions::timing_only)
      .def_readwrite("cache_dir", &PyRunOptions::cache_dir)
      .def_readwrite("no_cache", &PyRunOptions::no_cache)
      .def_readwrite("progress", &PyRunOptions::progress)
      .def_readwrite("resource_costs", &PyRunOptions::resource_costs);
  m.def("run", &run_simulation, py::arg("options"),
        "Prefill + decode on a fresh simulated KV260 (each call a new SystemC context), the model prepared as "
        "`fpgallm run` prepares it (the cache of quantized models included); the GIL is released while it runs "
        "and `progress(stage, step, n_steps, layer, n_layers)` is called with it held.");
  m.def("resource_root", [] { return run::resource_root().string(); },
        "The folder holding the shipped configs/ and data/ (run/Resources.h), as the CLI finds it.");
  m.def("find_file", &run::find_file, py::arg("path"),
        "`path` as given when it exists or is absolute, else below resource_root() when it is there.");
}

}  // namespace fpgallm::pybridge
