// fpgallm._fpgallm.models: quantize a checkpoint into a packed file, and read a packed file's
// MACRO streams as numpy arrays (raw blocks, or unpacked codes/scales/zeros).
#include <algorithm>
#include <memory>
#include <tuple>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "models/checkpoint/ModelLoader.h"
#include "models/eval/Eval.h"
#include "models/llm/AwqBackend.h"
#include "models/quant/Macro.h"
#include "models/quant/PackedModel.h"
#include "models/quant/QuantizeJob.h"
#include "python/src/Bind.h"

namespace fpgallm::pybridge {

namespace {

using Progress = std::function<void(int64_t, int64_t, const std::string&)>;

/** A C++ callback that checks for Ctrl-C and calls `fn` (unless None), with the GIL held. */
Progress with_gil(py::object fn) {
  auto shared = fn.is_none() ? nullptr : std::make_shared<py::object>(std::move(fn));
  return [shared](int64_t layer, int64_t n, const std::string& what) {
    py::gil_scoped_acquire gil;
    raise_pending_signals();
    if (shared) (*shared)(layer, n, what);
  };
}

/** A numpy array owning a copy of `v` with `shape`. */
template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& v, std::vector<py::ssize_t> shape) {
  py::array_t<T> a(shape);
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::dict packed_header(const PackedModel& p) {
  py::dict d;
  d["path"] = p.path;
  d["config"] = to_py(model_config_to_hf_json(p.config));
  d["layout"] = to_py(macro_layout_to_json(p.layout));
  d["block_bytes"] = p.layout.block_bytes();
  d["quantization"] = to_py(p.quantization);
  d["footprint"] = to_py(p.footprint.to_json());
  py::list tensors;
  for (const auto& t : p.tensors) {
    py::dict e;
    e["name"] = t.name;
    e["dtype"] = t.dtype;
    e["shape"] = t.shape;
    e["offset"] = t.offset;
    e["bytes"] = t.bytes;
    tensors.append(e);
  }
  d["tensors"] = tensors;
  return d;
}

}  // namespace

void bind_models(py::module_& m) {
  // The C++ defaults, so fpgallm.quantize() and `fpgallm quantize` cannot drift apart.
  const QuantOptions qd;
  py::dict quant_defaults;
  quant_defaults["calib_samples"] = qd.calib_samples;
  quant_defaults["calib_len"] = qd.calib_seq_len;
  quant_defaults["calib_blocks"] = kDefaultRandomCalibBlocks;
  quant_defaults["calib_seed"] = kDefaultRandomCalibSeed;
  quant_defaults["search_tokens"] = qd.search_tokens;
  quant_defaults["clip_sample_tokens"] = qd.clip_sample_tokens;
  m.attr("QUANT_DEFAULTS") = quant_defaults;

  // The job `fpgallm quantize` runs, bound as it is: Python sets its fields and those of its
  // QuantOptions (`job.options.group_size = 32`) by name.
  py::class_<QuantOptions> qo(m, "QuantOptions", "Quantizer settings (models/quant/Quantizer.h), by name.");
  qo.def(py::init<>())
      .def_readwrite("method", &QuantOptions::method)
      .def_readwrite("bits", &QuantOptions::bits)
      .def_readwrite("group_size", &QuantOptions::group_size)
      .def_readwrite("zero_point", &QuantOptions::zero_point)
      .def_readwrite("quantize_lm_head", &QuantOptions::quantize_lm_head)
      .def_readwrite("search_scale", &QuantOptions::search_scale)
      .def_readwrite("search_clip", &QuantOptions::search_clip)
      .def_readwrite("scale_grid", &QuantOptions::scale_grid)
      .def_readwrite("clip_grid", &QuantOptions::clip_grid)
      .def_readwrite("max_shrink", &QuantOptions::max_shrink)
      .def_readwrite("clip_sample_tokens", &QuantOptions::clip_sample_tokens)
      .def_readwrite("calib_samples", &QuantOptions::calib_samples)
      .def_readwrite("calib_seq_len", &QuantOptions::calib_seq_len)
      .def_readwrite("search_tokens", &QuantOptions::search_tokens)
      .def_readwrite("rtn_candidate", &QuantOptions::rtn_candidate)
      .def_readwrite("clip_include_max_shrink", &QuantOptions::clip_include_max_shrink)
      .def_readwrite("clip_codes", &QuantOptions::clip_codes);
  py::class_<QuantizeJob> qj(m, "QuantizeJob", "The job of `fpgallm quantize` (models/quant/QuantizeJob.h), by name.");
  qj.def(py::init<>())
      .def_readwrite("model", &QuantizeJob::model)
      .def_readwrite("out", &QuantizeJob::out)
      .def_readwrite("autoawq_out", &QuantizeJob::autoawq_out)
      .def_readwrite("options", &QuantizeJob::options)
      .def_readwrite("calib_file", &QuantizeJob::calib_file)
      .def_readwrite("calib_tokens", &QuantizeJob::calib_tokens)
      .def_readwrite("tokenizer", &QuantizeJob::tokenizer)
      .def_readwrite("calib_seed", &QuantizeJob::calib_seed)
      .def_readwrite("calib_blocks", &QuantizeJob::calib_blocks)
      .def_readwrite("tile_rows", &QuantizeJob::tile_rows)
      .def_readwrite("beat_bytes", &QuantizeJob::beat_bytes);
  m.def(
      "quantize",
      [](QuantizeJob job, py::object progress, py::object log) {
        job.options.progress = with_gil(std::move(progress));
        if (!log.is_none()) {
          auto shared = std::make_shared<py::object>(std::move(log));
          job.log = [shared](const std::string& line) {
            py::gil_scoped_acquire gil;
            (*shared)(line);
          };
        }
        PackedModel written;
        {
          py::gil_scoped_release nogil;
          written = run_quantize_job(job);
        }
        return packed_header(written);
      },
      py::arg("job"), py::arg("progress") = py::none(), py::arg("log") = py::none(),
      "Runs `job` (the job of `fpgallm quantize`) and returns the written file's header; `progress(layer, "
      "n_layers, what)` and `log(line)` are called with the GIL held.");

  m.def(
      "perplexity",
      [](const std::string& model, const std::string& tokenizer, const std::string& text_file, int64_t ctx) {
        py::gil_scoped_release nogil;
        auto w = load_model(model);
        auto tok = load_tokenizer(tokenizer, w->config.vocab_size);
        AwqBackend backend;  // runs quantized linears as AWQ, the others in fp32
        const auto r = eval_perplexity(w, backend, encode_documents(*tok, read_text_file(text_file)),
                                       ctx > 0 ? ctx : std::min(kDefaultEvalContext, w->config.max_context));
        return std::make_tuple(r.perplexity(), r.nll_mean, r.n_predicted);
      },
      py::arg("model"), py::arg("tokenizer"), py::arg("text_file"), py::arg("ctx"),
      "(perplexity, mean NLL in nats, tokens scored) of `model` over a text (as `fpgallm eval ppl`).");
  m.def(
      "compare",
      [](const std::string& reference, const std::string& quantized, const std::string& tokenizer,
         const std::string& text_file, int64_t ctx) {
        py::gil_scoped_release nogil;
        auto ref = load_model(reference);
        auto test = load_model(quantized);
        auto tok = load_tokenizer(tokenizer, ref->config.vocab_size);
        ReferenceBackend ref_backend;
        AwqBackend test_backend;
        const auto r = eval_compare(ref, ref_backend, test, test_backend,
                                    encode_documents(*tok, read_text_file(text_file)),
                                    ctx > 0 ? ctx : std::min(kDefaultEvalContext, ref->config.max_context));
        return std::make_tuple(r.kl_mean, r.kl_max, r.top1_agreement, r.n_positions);
      },
      py::arg("reference"), py::arg("quantized"), py::arg("tokenizer"), py::arg("text_file"), py::arg("ctx"),
      "(mean KL, max KL, top-1 agreement, positions) of a quantized model's next-token distributions against the "
      "fp32 reference (as `fpgallm eval compare`).");

  py::class_<PackedModel, std::shared_ptr<PackedModel>>(m, "PackedModel")
      .def_property_readonly("header", [](const PackedModel& p) { return packed_header(p); })
      .def("stream_names",
           [](const PackedModel& p) {
             std::vector<std::string> names;
             for (const auto& t : p.tensors) {
               const std::string linear = t.name.substr(0, t.name.rfind('.'));  // drop ".weight"
               if (t.dtype == "MACRO" && p.streams.count(linear)) names.push_back(linear);
             }
             return names;
           },
           "Linears stored as MACRO streams, in file order.")
      .def(
          "blocks",
          [](py::object self, const std::string& name) {
            const MacroStream& s = self.cast<const PackedModel&>().stream(name);
            // A read-only [tiles, groups, block_bytes] view of the stream's bytes; `self` keeps them alive.
            py::array_t<uint8_t> a({s.n_tiles(), s.n_groups(), s.layout.block_bytes()}, s.bytes.data(), self);
            a.attr("flags").attr("writeable") = false;
            return a;
          },
          py::arg("name"), "The raw MACRO blocks of a linear as a read-only uint8 array [tiles, groups, block_bytes].")
      .def(
          "unpack",
          [](const PackedModel& p, const std::string& name) {
            const QuantLinear q = unpack_macro(p.stream(name), name);
            py::dict d;
            d["codes"] = to_numpy(q.q, {q.out_features, q.in_features});
            d["scales_fp16"] = to_numpy(q.scales, {q.out_features, q.n_groups()}).attr("view")("float16");
            d["zeros"] = to_numpy(q.zeros, {q.out_features, q.n_groups()});
            d["group_size"] = q.group_size;
            d["bits"] = q.bits;
            return d;
          },
          py::arg("name"), "codes [out, in], scales (float16) and zeros [out, groups] of a linear's MACRO stream.");
  m.def(
      "load_packed",
      [](const std::string& path) {
        std::shared_ptr<PackedModel> p;
        {
          py::gil_scoped_release nogil;
          p = std::make_shared<PackedModel>(load_packed_model(path));
        }
        return p;
      },
      py::arg("path"), "Reads and validates a packed-model file (weights and MACRO streams).");
}

}  // namespace fpgallm::pybridge
