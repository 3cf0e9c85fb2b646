// fpgallm._fpgallm.sim: one run on the simulated KV260, with the GIL released while it simulates.
// The run is exactly what `fpgallm run` does for the same arguments (sim/soc/RunSetup.h).
#include <memory>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "models/checkpoint/ModelLoader.h"
#include "models/checkpoint/Synthetic.h"
#include "python/src/Bind.h"
#include "sim/soc/RunSetup.h"
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

}  // namespace

void bind_sim(py::module_& m) {
  m.def(
      "run",
      [](py::handle platform, const std::string& platform_source, py::handle accel, const std::string& accel_source,
         const std::string& model, py::handle model_config, const std::string& model_source, uint64_t seed,
         const std::string& prompt, const std::string& tokenizer, bool byte_prompt, int64_t prompt_len, int64_t gen,
         const std::string& quant, const std::string& calib_file, const std::string& fidelity,
         const std::string& out_dir, bool trace, bool timing_only, py::object progress,
         const std::string& resource_costs) {
        sim::SocConfig soc = soc_config_from_py(platform, platform_source, accel, accel_source);
        if (!fidelity.empty()) soc.set_fidelity(sim::parse_fidelity(fidelity, "fidelity"));
        const nlohmann::json soc_json = soc_summary_json(soc, resource_costs);  // a bad cost file fails before simulating
        if (gen < 0) fail("gen must be >= 0 (got {})", gen);
        sim::RunSetup setup;
        setup.prompt = prompt;
        setup.tokenizer = tokenizer;
        setup.byte_prompt = byte_prompt;
        setup.prompt_len = prompt_len;
        setup.quant = quant;
        setup.calib_file = calib_file;
        setup.validate();
        // A model mapping means synthetic weights of that shape; else a model spec as the CLI takes.
        const bool from_config = !model_config.is_none();
        const ModelConfig synthetic_cfg = from_config ? model_config_from_py(model_config, model_source) : ModelConfig{};

        std::shared_ptr<py::object> cb = progress.is_none() ? nullptr : std::make_shared<py::object>(progress);
        auto report = [cb](const char* stage, int64_t step, int64_t n_steps, int64_t layer, int64_t n_layers) {
          py::gil_scoped_acquire gil;
          raise_pending_signals();
          if (cb) (*cb)(stage, step, n_steps, layer, n_layers);
        };
        setup.progress = [report](int64_t layer, int64_t n, const std::string&) {
          report("quantize", 0, 0, std::min(layer, n), n);
        };

        sim::SimRunOptions opt;
        opt.decode_steps = gen;
        opt.keep_logits = !timing_only;  // a timing-only run computes no logits
        opt.trace = trace || !out_dir.empty();
        opt.progress = [report, gen](Phase p, int64_t tok, int64_t layer, int64_t n_layers) {
          if (p == Phase::Prefill) report("prefill", 0, gen, layer + 1, n_layers);
          else report("decode", tok, gen, layer + 1, n_layers);
        };

        sim::SimRunResult r;
        std::vector<int32_t> prompt_ids;
        Footprint fp;
        ModelConfig mc;
        {
          py::gil_scoped_release nogil;
          std::shared_ptr<const ModelWeights> weights;
          if (timing_only) {
            // Shapes only: nothing is loaded, generated or quantized (as `fpgallm run --timing-only`).
            weights = make_shape_only_weights(from_config ? synthetic_cfg : load_model_config_only(model));
            prompt_ids = sim::make_run_prompt(setup, weights->config);
          } else {
            std::shared_ptr<ModelWeights> w =
                from_config ? make_synthetic_weights(synthetic_cfg, seed) : load_model(model);
            prompt_ids = sim::make_run_prompt(setup, w->config);  // before quantizing: a bad tokenizer fails at once
            weights = sim::prepare_run_weights(std::move(w), soc, setup);
          }
          mc = weights->config;
          opt.prompt = prompt_ids;
          r = sim::simulate(soc, weights, opt);
          fp = sim::run_footprint(soc, mc);
          if (!out_dir.empty()) sim::write_run_outputs(r, out_dir);
        }
        py::dict d;
        d["stats"] = to_py(r.stats.to_json());
        d["ledger"] = ledger_columns(r.ledger);
        d["logits"] = logits_array(r.logits);
        d["prompt"] = prompt_ids;
        d["generated"] = r.generated;
        d["prefill_tokens"] = r.prefill_tokens();
        d["decode_tokens"] = r.decode_tokens();
        d["prefill_ns"] = r.prefill_ns();
        d["decode_ns"] = r.decode_ns();
        d["prefill_tokens_per_s"] = r.prefill_tokens_per_s();
        d["decode_tokens_per_s"] = r.decode_tokens_per_s();
        d["footprint"] = to_py(fp.to_json());
        d["model_bytes"] = sim::deployed_model_bytes(soc, fp);
        d["model_config"] = to_py(model_config_to_hf_json(mc));
        d["soc"] = to_py(soc_json);
        d["wall_seconds"] = r.wall_seconds;
        d["trace_events"] = r.trace ? r.trace->size() : 0;
        d["trace_dropped"] = r.trace ? r.trace->dropped() : 0;
        return d;
      },
      py::arg("platform"), py::arg("platform_source"), py::arg("accel"), py::arg("accel_source"), py::arg("model"),
      py::arg("model_config"), py::arg("model_source"), py::arg("seed"), py::arg("prompt"), py::arg("tokenizer"),
      py::arg("byte_prompt"), py::arg("prompt_len"), py::arg("gen"), py::arg("quant"), py::arg("calib_file"),
      py::arg("fidelity"), py::arg("out_dir"), py::arg("trace"), py::arg("timing_only"), py::arg("progress"),
      py::arg("resource_costs") = "",
      "Prefill + decode on a fresh simulated KV260 (each call a new SystemC context); the GIL is released while it "
      "runs and `progress(stage, step, n_steps, layer, n_layers)` is called with it held.");
}

}  // namespace fpgallm::pybridge
