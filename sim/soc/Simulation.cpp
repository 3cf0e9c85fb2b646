#include "sim/soc/Simulation.h"

#include <time.h>

#include <chrono>

#include <systemc>

#include "models/core/Error.h"
#include "models/llm/Qwen2Model.h"
#include "models/llm/Sampler.h"
#include "sim/soc/SimBackend.h"
#include "sim/soc/SimKernel.h"
#include "sim/soc/SocTop.h"

namespace fpgallm::sim {

namespace {

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/** Runs the generation loop inside the simulation: every op's wait() happens on this thread. */
class Driver : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Driver);
  Driver(sc_core::sc_module_name n, SimBackend& be, std::shared_ptr<const ModelWeights> w, const SimRunOptions& opt,
         SimRunResult& res)
      : sc_module(n), be_(be), w_(std::move(w)), opt_(opt), res_(res) {
    SC_THREAD(run);
  }

  std::exception_ptr error;

 private:
  void run() {
    try {
      generate();
    } catch (...) {
      error = std::current_exception();
    }
    sc_core::sc_stop();
  }

  void generate() {
    Qwen2Model model(w_, be_);
    Sampler sampler(opt_.temperature, opt_.top_p, opt_.seed);
    Phase phase = Phase::Prefill;
    int64_t token_index = 0;
    const int64_t n_layers = w_->config.num_layers;
    if (opt_.progress)
      model.set_layer_hook([&](int64_t layer, int64_t) { opt_.progress(phase, token_index, layer, n_layers); });
    const int64_t vocab = w_->config.vocab_size;
    const bool timing_only = w_->shapes_only;

    auto step = [&](const std::vector<int32_t>& tokens) {
      const auto wall0 = std::chrono::steady_clock::now();
      const double cpu0 = process_cpu_seconds();
      const sc_core::sc_time t0 = sc_core::sc_time_stamp();
      std::vector<float> logits = model.forward(tokens, phase);
      be_.charge_sampling(OpContext{OpKind::Sampling, -1, phase, static_cast<int64_t>(tokens.size()), 0}, vocab);
      be_.charge_forward_overhead(phase);
      // Timing-only runs have no logits: the next token is the previous one (timing ignores ids).
      const int32_t next = timing_only ? tokens.back() : sampler.sample(logits);
      res_.ledger.add_phase_time(phase, (sc_core::sc_time_stamp() - t0).to_seconds() * 1e9,
                                 static_cast<int64_t>(tokens.size()));
      if (opt_.keep_logits && !timing_only) res_.logits.push_back(std::move(logits));
      res_.generated.push_back(next);
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
      (phase == Phase::Prefill ? res_.prefill_wall_seconds : res_.decode_wall_seconds) += wall;
      (phase == Phase::Prefill ? res_.prefill_cpu_seconds : res_.decode_cpu_seconds) += process_cpu_seconds() - cpu0;
      return next;
    };

    int32_t next = step(opt_.prompt);
    phase = Phase::Decode;
    for (int64_t i = 0; i < opt_.decode_steps; ++i) {
      if (!timing_only && next == opt_.stop_token) break;
      token_index = i;
      next = step({next});
    }
  }

  SimBackend& be_;
  std::shared_ptr<const ModelWeights> w_;
  const SimRunOptions& opt_;
  SimRunResult& res_;
};

}  // namespace

SimRunResult simulate(const SocConfig& cfg, std::shared_ptr<const ModelWeights> weights, const SimRunOptions& opt) {
  if (!weights) fail("simulate: no model");
  if (opt.prompt.empty()) fail("simulate: the prompt has no tokens");
  if (opt.decode_steps < 0) fail("simulate: decode steps must be >= 0 (got {})", opt.decode_steps);
  const int64_t positions = static_cast<int64_t>(opt.prompt.size()) + opt.decode_steps;
  if (opt.packed && &opt.packed->weights() != weights.get())
    fail("simulate: SimRunOptions.packed holds the MACRO streams of another model object; pack this model "
         "(PackedWeights) or leave it unset");
  if (positions > weights->config.max_context)
    fail("prompt ({}) + decode steps ({}) exceed the model's context of {}", opt.prompt.size(), opt.decode_steps,
         weights->config.max_context);

  const auto wall0 = std::chrono::steady_clock::now();
  SimRunResult res;
  if (opt.trace) res.trace = std::make_shared<stats::TraceRecorder>(true, opt.trace_max_events);
  new_simulation_context();
  {
    SocTop soc("soc", cfg);
    SimBackend backend(soc, res.ledger, res.trace.get());
    const bool use_packed = opt.packed && opt.packed->layout() == cfg.accel.macro;
    backend.place_weights(*weights, use_packed ? opt.packed.get() : nullptr);
    res.placed_weight_bytes = backend.placed_weight_bytes();
    if (res.trace) {
      // The accelerator and its DMA channels get their own tracks beside the PS/PL op tracks.
      auto* trace = res.trace.get();
      soc.accel().set_activity_hook([trace](const std::string& track, const char* what, sc_core::sc_time start,
                                            sc_core::sc_time duration) {
        trace->record(track, what, start.to_seconds() * 1e9, duration.to_seconds() * 1e9);
      });
    }
    Driver driver("driver", backend, weights, opt, res);
    sc_core::sc_start();
    if (driver.error) std::rethrow_exception(driver.error);
    soc.report_stats(res.stats);
  }
  res.ledger.report_stats(res.stats.child("ops"));
  auto& run = res.stats.child("run");
  run.set("prefill_tokens_per_s", res.prefill_tokens_per_s(), stats::Quantity::TokensPerS,
          "prompt tokens / prefill time");
  run.set("decode_tokens_per_s", res.decode_tokens_per_s(), stats::Quantity::TokensPerS, "decode steps / decode time");
  run.set("prefill_ms", res.prefill_ns() / 1e6, stats::Quantity::Ms, "simulated prefill time incl. first sampling");
  run.set("decode_ms_per_token", res.decode_tokens() ? res.decode_ns() / 1e6 / res.decode_tokens() : 0.0,
          stats::Quantity::Ms, "simulated time per decode step");
  run.set("weight_bytes_in_ddr", static_cast<double>(res.placed_weight_bytes), stats::Quantity::Bytes,
          "MACRO streams placed in DDR");
  res.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return res;
}

}  // namespace fpgallm::sim
