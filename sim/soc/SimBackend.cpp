#include "sim/soc/SimBackend.h"

#include <fmt/format.h>

#include "models/core/Dtype.h"
#include "models/quant/AwqKernels.h"
#include "models/core/Error.h"
#include "models/quant/QuantLinear.h"

namespace fpgallm::sim {

namespace {

uint64_t align_up(uint64_t a, uint64_t b) { return (a + b - 1) / b * b; }
double ns_of(sc_core::sc_time t) { return t.to_seconds() * 1e9; }

}  // namespace

SimBackend::SimBackend(SocTop& soc, OpLedger& ledger, stats::TraceRecorder* trace)
    : soc_(soc), ledger_(ledger), trace_(trace) {}

void SimBackend::place_weights(const ModelWeights& w, const PackedWeights* packed) {
  const auto& acc = soc_.config().accel;
  numerics_ = !w.shapes_only;
  uint64_t addr = soc_.config().weights_base;
  auto place = [&](const Linear& lin, OpKind op, const std::string& name) {
    if (!acc.offloads(op)) return;
    // Timing-only: a linear the accelerator runs would be quantized with its own MACRO layout;
    // only the stream's size is needed (same bytes, so same addresses, as a packed model).
    const void* key = w.shapes_only ? static_cast<const void*>(&lin) : static_cast<const void*>(lin.quant.get());
    if (!key || placed_.count(key)) return;
    Placement p;
    p.weight_addr = addr;
    if (w.shapes_only) {
      MacroStream shape;
      shape.layout = acc.macro;
      shape.in_features = lin.in_features;
      shape.out_features = lin.out_features;
      p.weight_bytes = shape.expected_bytes();
    } else {
      const QuantLinear& q = *lin.quant;
      if (q.group_size != acc.macro.group_size || q.bits != acc.macro.bits || q.has_zero != acc.macro.zero_point)
        fail("{}: quantized with group size {}, {} bits, zero point {} but the accelerator's unpacker is built for "
             "accel.macro group_size {}, bits {}, zero_point {} ({})",
             name, q.group_size, q.bits, q.has_zero, acc.macro.group_size, acc.macro.bits, acc.macro.zero_point,
             acc.file);
      const MacroStream* pre = packed ? packed->find(&q) : nullptr;
      MacroStream own;
      if (!pre) own = pack_macro(q, acc.macro);
      const MacroStream& s = pre ? *pre : own;
      p.weight_bytes = static_cast<int64_t>(s.bytes.size());
      soc_.ddr().write_backdoor(addr, s.bytes.data(), s.bytes.size());
    }
    addr = align_up(addr + static_cast<uint64_t>(p.weight_bytes), kRegionAlignBytes);
    if (lin.bias) {
      p.bias_addr = addr;
      soc_.ddr().write_backdoor(addr, lin.bias->ptr(), static_cast<size_t>(lin.bias->numel() * kF32Bytes));
      addr = align_up(addr + lin.bias->numel() * kF32Bytes, kRegionAlignBytes);
    }
    placed_bytes_ += p.weight_bytes;
    placed_[key] = p;
  };
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const auto& L = w.layers[l];
    const auto li = static_cast<int64_t>(l);
    place(L.q, OpKind::QProj, hf_linear_name(li, "q_proj"));
    place(L.k, OpKind::KProj, hf_linear_name(li, "k_proj"));
    place(L.v, OpKind::VProj, hf_linear_name(li, "v_proj"));
    place(L.o, OpKind::OProj, hf_linear_name(li, "o_proj"));
    place(L.gate, OpKind::GateProj, hf_linear_name(li, "gate_proj"));
    place(L.up, OpKind::UpProj, hf_linear_name(li, "up_proj"));
    place(L.down, OpKind::DownProj, hf_linear_name(li, "down_proj"));
  }
  place(w.lm_head, OpKind::LmHead, "lm_head");
  // Activations and outputs follow the weights when these outgrow the default map (7B-class
  // models); everything must stay below the PS scratch region at the top of DDR.
  const auto& cfg = soc_.config();
  act_addr_ = cfg.act_base;
  out_addr_ = cfg.out_base;
  if (addr > cfg.act_base) {
    act_addr_ = align_up(addr, kRegionAlignBytes);
    out_addr_ = act_addr_ + (cfg.out_base - cfg.act_base);
  }
  const uint64_t end = out_addr_ + (cfg.out_base - cfg.act_base);
  if (end > cfg.ps.scratch_addr)
    fail("the accelerator's weights ({:.2f} GiB of MACRO streams) and its activation/output regions ({} MiB) do not "
         "fit below the PS scratch region at {:#x} ({} ps.traffic.scratch_addr)",
         static_cast<double>(placed_bytes_) / (1 << 30), 2 * (cfg.out_base - cfg.act_base) >> 20, cfg.ps.scratch_addr,
         cfg.platform_file);
}

void SimBackend::charge_forward_overhead(Phase phase) {
  software(phase, SwCost::ForwardOverhead, soc_.ps().forward_overhead());
}

void SimBackend::software(Phase phase, SwCost c, sc_core::sc_time took) {
  ledger_.record_software(phase, c, ns_of(took));
  if (trace_ && trace_->enabled() && took > sc_core::SC_ZERO_TIME) {
    const double end = ns_of(sc_core::sc_time_stamp());
    trace_->record("PS software", sw_cost_name(c), end - ns_of(took), ns_of(took),
                   fmt::format(R"({{"phase":"{}"}})", phase_name(phase)));
  }
}

void SimBackend::trace_op(const OpContext& ctx, Unit u, sc_core::sc_time start) {
  if (!trace_ || !trace_->enabled()) return;
  const double s = start.to_seconds() * 1e9;
  const double d = (sc_core::sc_time_stamp() - start).to_seconds() * 1e9;
  const std::string name = ctx.layer >= 0 ? fmt::format("{} L{}", op_name(ctx.op), ctx.layer) : op_name(ctx.op);
  trace_->record(u == Unit::PS ? "PS ops" : "PL ops", name, s, d,
                 fmt::format(R"({{"phase":"{}","tokens":{}}})", phase_name(ctx.phase), ctx.n_tokens));
}

void SimBackend::ps_op(const OpContext& ctx, const OpTraffic& t) {
  const int64_t elements = t.elements, bytes_read = t.bytes_read, bytes_written = t.bytes_written;
  PsCore& ps = soc_.ps();
  software(ctx.phase, SwCost::OpDispatch, ps.dispatch_op());
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  ps.run_op(ctx, elements, bytes_read, bytes_written);
  const bool gemv = op_is_linear(ctx.op) || ctx.op == OpKind::AttnScore || ctx.op == OpKind::AttnValue;
  ledger_.record(ctx, Unit::PS, ns_of(sc_core::sc_time_stamp() - t0), bytes_read + bytes_written, gemv ? elements : 0);
  trace_op(ctx, Unit::PS, t0);
}

void SimBackend::pl_linear(const OpContext& ctx, const Linear& lin, const Placement& p, const float* x, int64_t n,
                           float* y) {
  const auto& cfg = soc_.config();
  const int64_t in_bytes = n * lin.in_features * kF32Bytes, out_bytes = n * lin.out_features * kF32Bytes;
  const uint64_t region = cfg.out_base - cfg.act_base;
  if (static_cast<uint64_t>(in_bytes) > region || static_cast<uint64_t>(out_bytes) > region)
    fail("{} activations of {} tokens ({} in, {} out bytes) exceed the SoC activation region ({} bytes)",
         op_name(ctx.op), n, in_bytes, out_bytes, region);
  // The host software calls the driver, copies the activations into the DMA buffer, cleans them
  // from the caches and writes the descriptor; the PL runs; the software learns it finished,
  // invalidates the result lines and copies them back. Each software step is its own row.
  PsCore& ps = soc_.ps();
  auto sw = [&](SwCost c, sc_core::sc_time t) { software(ctx.phase, c, t); };
  sw(SwCost::DriverCall, ps.driver_call());
  sw(SwCost::BufferCopy, ps.copy_to_dma(act_addr_, x, in_bytes));
  sw(SwCost::CacheMaintenance, ps.cache_flush(in_bytes));
  sw(SwCost::Descriptor, ps.write_descriptor());
  LinearJob job;
  job.ctx = ctx;
  job.weight_addr = p.weight_addr;
  job.layout = cfg.accel.macro;
  job.in_features = lin.in_features;
  job.out_features = lin.out_features;
  job.n_tokens = n;
  job.act_addr = act_addr_;
  job.out_addr = out_addr_;
  job.bias_addr = p.bias_addr;
  job.numerics = numerics_;
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  const LinearJobResult r = soc_.accel().run_linear(job);
  ledger_.record(ctx, Unit::PL, ns_of(sc_core::sc_time_stamp() - t0), r.bytes_read + r.bytes_written,
                 r.useful_macs);
  trace_op(ctx, Unit::PL, t0);
  sw(SwCost::Completion, ps.await_completion());
  sw(SwCost::CacheMaintenance, ps.cache_invalidate(out_bytes));
  sw(SwCost::BufferCopy, ps.copy_from_dma(out_addr_, y, out_bytes));
}

void SimBackend::linear(const OpContext& ctx, const Linear& lin, const float* x, int64_t n, float* y) {
  const auto& acc = soc_.config().accel;
  const void* key = numerics_ ? static_cast<const void*>(lin.quant.get()) : static_cast<const void*>(&lin);
  if (key && acc.offloads(ctx.op)) {
    auto it = placed_.find(key);
    if (it == placed_.end()) fail("layer {} {}: weights were not placed in DDR (call place_weights)", ctx.layer, op_name(ctx.op));
    pl_linear(ctx, lin, it->second, x, n, y);
    return;
  }
  // On the PS: same arithmetic as the host AWQ backend (AWQ kernel if quantized, else fp32).
  if (!numerics_) {
    // timing only: no weights to compute with
  } else if (lin.quant) {
    awq_linear(*lin.quant, x, n, lin.bias ? lin.bias->ptr() : nullptr, y);
  } else {
    if (!lin.weight) fail("layer {} {} has neither fp32 nor quantized weights", ctx.layer, op_name(ctx.op));
    kernels::linear_f32(x, n, lin.weight->ptr(), lin.bias ? lin.bias->ptr() : nullptr, lin.in_features,
                        lin.out_features, y);
  }
  // The config says what the PS streams for its linears (the baseline deployment: bf16 weights).
  ps_op(ctx, ps_linear_traffic(lin.in_features, lin.out_features, n,
                               ps_weight_bytes_per_param(acc.ps_linear_weights, acc.macro)));
}

void SimBackend::embed(const OpContext& ctx, const Tensor& table, const int32_t* tokens, int64_t n, float* out) {
  if (numerics_) Backend::embed(ctx, table, tokens, n, out);
  ps_op(ctx, embed_traffic(n, table.dim(1)));
}

void SimBackend::rmsnorm(const OpContext& ctx, const float* x, const Tensor& w, int64_t rows, float eps, float* out) {
  if (numerics_) Backend::rmsnorm(ctx, x, w, rows, eps, out);
  ps_op(ctx, rmsnorm_traffic(rows, w.numel()));
}

void SimBackend::rope(const OpContext& ctx, float* x, int64_t rows, int64_t n_heads, int64_t head_dim, double theta,
                      RopeLayout layout) {
  if (numerics_) Backend::rope(ctx, x, rows, n_heads, head_dim, theta, layout);
  ps_op(ctx, rope_traffic(rows, n_heads, head_dim));
}

void SimBackend::attn_scores(const OpContext& ctx, const kernels::AttnShape& s, const float* q, const float* k_cache,
                             float* scores) {
  if (numerics_) Backend::attn_scores(ctx, s, q, k_cache, scores);
  ps_op(ctx, attn_scores_traffic(s));
}

void SimBackend::softmax(const OpContext& ctx, const kernels::AttnShape& s, float* scores) {
  if (numerics_) Backend::softmax(ctx, s, scores);
  ps_op(ctx, softmax_traffic(s));
}

void SimBackend::attn_values(const OpContext& ctx, const kernels::AttnShape& s, const float* probs,
                             const float* v_cache, float* out) {
  if (numerics_) Backend::attn_values(ctx, s, probs, v_cache, out);
  ps_op(ctx, attn_values_traffic(s));
}

void SimBackend::silu_mul(const OpContext& ctx, const float* gate, const float* up, int64_t count, float* out) {
  if (numerics_) Backend::silu_mul(ctx, gate, up, count, out);
  ps_op(ctx, binary_elementwise_traffic(count));
}

void SimBackend::add(const OpContext& ctx, float* x, const float* y, int64_t count) {
  if (numerics_) Backend::add(ctx, x, y, count);
  ps_op(ctx, binary_elementwise_traffic(count));
}

void SimBackend::charge_sampling(const OpContext& ctx, int64_t vocab) { ps_op(ctx, sampling_traffic(vocab)); }

}  // namespace fpgallm::sim
