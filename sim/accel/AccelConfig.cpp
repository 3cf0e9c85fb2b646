#include "sim/accel/AccelConfig.h"

#include <algorithm>

#include <fmt/format.h>

#include "models/core/Error.h"
#include "sim/accel/KernelPlan.h"

namespace fpgallm::sim {

const char* pe_num_type_name(PeNumType t) { return t == PeNumType::Fixed64 ? "fixed64" : "fp32"; }

const char* ps_weight_format_name(PsWeightFormat f) {
  switch (f) {
    case PsWeightFormat::AwqMacro: return "awq_macro";
    case PsWeightFormat::Bf16: return "bf16";
    case PsWeightFormat::Fp16: return "fp16";
    case PsWeightFormat::Fp32: return "fp32";
  }
  return "?";
}

double ps_weight_bytes_per_param(PsWeightFormat f, const MacroLayout& layout) {
  switch (f) {
    case PsWeightFormat::AwqMacro:
      return static_cast<double>(layout.block_bytes()) / static_cast<double>(layout.tile_rows * layout.group_size);
    case PsWeightFormat::Bf16:
    case PsWeightFormat::Fp16: return 2.0;
    case PsWeightFormat::Fp32: return 4.0;
  }
  return 0.0;
}

bool AccelConfig::offloads(OpKind op) const {
  if (op == OpKind::LmHead) return offload_lm_head;
  if (op_is_linear(op)) return offload_linear;
  if (op == OpKind::AttnScore || op == OpKind::AttnValue) return offload_attention;
  return false;
}

namespace {

PeNumType parse_num_type(YamlMap& m, const std::string& key, bool fixed_allowed) {
  const auto s = m.get<std::string>(key, "fp32");
  if (s == "fp32") return PeNumType::Fp32;
  if (s == "fixed64" && fixed_allowed) return PeNumType::Fixed64;
  // Other types would need their own arithmetic in models/quant/AwqKernels.h, shared with the host.
  const std::string missing =
      !fixed_allowed && s == "int8"
          ? "; int8 (W4A8) has its host reference (awq_linear_int8, docs/formats.md) but the simulator's PE array, "
            "the resource model and the HLS kernel do not implement it yet"
          : "";
  m.error(key, fmt::format("'{}' is not supported: {} (the arithmetic of models/quant/AwqKernels.h, which the "
                           "host AWQ backend shares){}",
                           s, fixed_allowed ? "fp32 or fixed64" : "fp32", missing));
}

int64_t positive(YamlMap& m, const std::string& key, int64_t def) {
  const auto v = m.get<int64_t>(key, def);
  m.check_positive(key, v);
  return v;
}

}  // namespace

AccelConfig parse_accel_config(YamlMap& root) {
  AccelConfig c;
  c.file = root.file();
  YamlMap a = root.child("accel", true);
  c.name = a.require<std::string>("name");
  c.clock_mhz = a.get<double>("clock_mhz", kDefaultAccelClockMhz);
  a.check_positive("clock_mhz", c.clock_mhz);
  c.fidelity = parse_fidelity(a, "fidelity");

  YamlMap pe = a.child("pe_array");
  c.pe_rows = positive(pe, "rows", kDefaultPeRows);
  c.pe_cols = positive(pe, "cols", kDefaultPeCols);
  c.pe_operand_type = parse_num_type(pe, "operand_type", false);
  c.pe_accum_type = parse_num_type(pe, "accum_type", true);
  c.accum_frac_bits = pe.get<int>("accum_frac_bits", kDefaultAccumFracBits);
  if (c.accum_frac_bits < kAwqFixedMinFracBits || c.accum_frac_bits > kAwqFixedMaxFracBits)
    pe.error("accum_frac_bits", fmt::format("must be in [{}, {}] (got {})", kAwqFixedMinFracBits,
                                            kAwqFixedMaxFracBits, c.accum_frac_bits));
  // fp32 operands x fp32 accumulators: one fp32 multiplier and one adder per PE; fixed64: the multiplier.
  c.dsp_per_pe = pe.get<int64_t>(
      "dsp_per_pe", c.pe_accum_type == PeNumType::Fixed64 ? kDspPerFp32MulFixed64Acc : kDspPerFp32Mac);
  if (c.dsp_per_pe < 0) pe.error("dsp_per_pe", fmt::format("must be >= 0 (got {})", c.dsp_per_pe));
  if (pe.has("pipeline_fill_cycles"))
    pe.error("pipeline_fill_cycles",
             "is no longer a parameter: the kernel's pipeline fill and drain follow from its schedule "
             "(sim/accel/KernelPlan.h, docs/hls.md); remove it (fadd_latency_cycles and fmul_latency_cycles set the "
             "operator latencies)");
  c.fadd_latency_cycles = positive(pe, "fadd_latency_cycles", kDefaultFaddLatencyCycles);
  c.fmul_latency_cycles = positive(pe, "fmul_latency_cycles", kDefaultFmulLatencyCycles);
  pe.finish();

  YamlMap up = a.child("unpacker");
  c.unpack_codes_per_cycle = positive(up, "codes_per_cycle", kDefaultUnpackCodesPerCycle);
  up.finish();

  YamlMap dma = a.child("dma");
  c.n_channels = dma.get<int64_t>("channels", kDefaultDmaChannels);
  if (c.n_channels < 1)
    dma.error("channels", fmt::format("must be >= 1: the DMA needs at least one AXI port (got {})", c.n_channels));
  c.dma_outstanding_per_channel = positive(dma, "outstanding_per_channel", kDefaultDmaOutstanding);
  dma.finish();

  YamlMap mac = a.child("macro");
  c.macro.tile_rows = mac.get<int64_t>("tile_rows", c.pe_rows);
  c.macro.group_size = mac.get<int64_t>("group_size", c.macro.group_size);
  c.macro.bits = mac.get<int>("bits", c.macro.bits);
  c.macro.beat_bytes = mac.get<int64_t>("beat_bytes", c.macro.beat_bytes);
  c.macro.zero_point = mac.get<bool>("zero_point", c.macro.zero_point);
  c.macro.validate(fmt::format("{} in {}", mac.path(), c.file));
  mac.finish();

  YamlMap buf = a.child("buffers");
  c.weight_buffer_bytes = positive(buf, "weight_bytes", kDefaultWeightBufferBytes);
  c.weight_double_buffered = buf.get<bool>("weight_double_buffered", true);
  c.act_buffer_bytes = positive(buf, "act_bytes", kDefaultActBufferBytes);
  c.out_buffer_bytes = positive(buf, "out_bytes", kDefaultOutBufferBytes);
  c.max_chunk_tokens = positive(buf, "max_chunk_tokens", kDefaultMaxChunkTokens);
  const int64_t need_blocks = c.weight_double_buffered ? 2 : 1;
  if (c.weight_buffer_blocks() < need_blocks)
    buf.error("weight_bytes",
              fmt::format("= {} cannot hold {} MACRO block(s) of {} bytes ({})", c.weight_buffer_bytes,
                          need_blocks, c.macro.block_bytes(),
                          c.weight_double_buffered ? "double buffering" : "single buffering"));
  const int64_t tile_out_bytes = c.macro.tile_rows * kF32Bytes;
  if (c.out_buffer_bytes < tile_out_bytes)
    buf.error("out_bytes", fmt::format("= {} cannot hold one tile's outputs ({} rows x {} bytes)",
                                       c.out_buffer_bytes, c.macro.tile_rows, kF32Bytes));
  buf.finish();

  YamlMap ctl = a.child("control");
  c.descriptor_cycles = ctl.get<int64_t>("descriptor_cycles", kDefaultDescriptorCycles);
  c.completion_cycles = ctl.get<int64_t>("completion_cycles", kDefaultCompletionCycles);
  if (c.descriptor_cycles < 0) ctl.error("descriptor_cycles", "must be >= 0");
  if (c.completion_cycles < 0) ctl.error("completion_cycles", "must be >= 0");
  ctl.finish();

  YamlMap off = a.child("offload");
  c.offload_linear = off.get<bool>("linear", true);
  c.offload_lm_head = off.get<bool>("lm_head", true);
  c.offload_attention = off.get<bool>("attention", false);
  if (c.offload_attention)
    off.error("attention", "= true is not modelled: attention products run on the PS, as in the published design");
  const auto fmt_s = off.get<std::string>("ps_linear_weights", "awq_macro");
  bool known = false;
  for (auto f : {PsWeightFormat::AwqMacro, PsWeightFormat::Bf16, PsWeightFormat::Fp16, PsWeightFormat::Fp32})
    if (fmt_s == ps_weight_format_name(f)) c.ps_linear_weights = f, known = true;
  if (!known)
    off.error("ps_linear_weights", fmt::format("must be awq_macro, bf16, fp16 or fp32 (got '{}')", fmt_s));
  off.finish();

  YamlMap fast = a.child("fast");
  c.fast_chunk_bytes = positive(fast, "chunk_bytes", kDefaultFastChunkBytes);
  c.fast_quantum_ns = fast.get<double>("quantum_ns", kDefaultFastQuantumNs);
  fast.check_positive("quantum_ns", c.fast_quantum_ns);
  fast.finish();

  a.finish();
  root.finish();
  return c;
}

AccelConfig load_accel_config(const std::string& file) {
  YamlMap root = YamlMap::load(file);
  return parse_accel_config(root);
}

int64_t AccelConfig::fast_unit_blocks(int64_t n_blocks) const {
  const int64_t buffer_blocks = weight_buffer_blocks();
  // One buffer: the DMA fills it, the PE array drains it, then the DMA refills it.
  if (!weight_double_buffered) return buffer_blocks;
  // Coarse units, but at least two per channel fit the buffer and the job has two per channel:
  // every channel keeps streaming and only a small first load is exposed.
  const int64_t pair = 2 * n_channels;
  const int64_t cap = std::max<int64_t>(
      1, std::min({fast_chunk_bytes / macro.block_bytes(), buffer_blocks / pair, (n_blocks + pair - 1) / pair}));
  // The same number of units on every channel, the blocks spread evenly over them: the cycle DMA
  // deals blocks round-robin, so each channel carries a 1/n_channels share, and so must the units
  // (19 units of 28 blocks on 4 channels would leave one channel 9 % more to stream).
  const int64_t per_channel = (n_blocks + n_channels * cap - 1) / (n_channels * cap);
  return std::max<int64_t>(1, (n_blocks + n_channels * per_channel - 1) / (n_channels * per_channel));
}

int64_t AccelConfig::dsp_used() const { return KernelPlan(*this).dsp48e2(); }

void AccelConfig::check_against_resources(const PlResources& pl) const {
  if (n_channels < 1) fail("accel.dma.channels must be >= 1 (got {}) in {}", n_channels, file);
  const KernelPlan plan(*this);  // a config the kernel cannot implement is an error naming the field
  if (plan.dsp48e2() > pl.dsp48e2)
    fail("accel.pe_array: the kernel needs {} DSP48E2 (rows x cols x dsp_per_pe = {} x {} x {}, plus the scale stage "
         "and the bias adds), more than the {}'s {} (pl.dsp48e2 in {}) in {}",
         plan.dsp48e2(), pe_rows, pe_cols, dsp_per_pe, pl.device, pl.dsp48e2, pl.file, file);
  if (buffer_bytes() > pl.on_chip_bytes())
    fail("accel.buffers: weight_bytes + act_bytes + out_bytes = {} bytes exceeds the {}'s on-chip RAM of {} bytes "
         "({} BRAM36 x {} + {} URAM288 x {}, pl in {}) in {}",
         buffer_bytes(), pl.device, pl.on_chip_bytes(), pl.bram36, kBram36DataBytes, pl.uram288,
         kUram288DataBytes, pl.file, file);
}

}  // namespace fpgallm::sim
