#include "models/quant/Footprint.h"

#include <nlohmann/json.hpp>

#include "models/core/Error.h"
#include "models/quant/PackedModel.h"

namespace fpgallm {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int64_t Footprint::model_bytes() const {
  return weight_code_bytes + scale_bytes + zero_bytes + embedding_bytes + norm_bias_bytes + lm_head_bytes +
         fp16_linear_bytes;
}

int64_t Footprint::total_bytes() const {
  return model_bytes() + macro_padding_bytes + header_bytes + alignment_bytes;
}

std::string format_bytes_grouped(int64_t bytes) {
  std::string digits = std::to_string(bytes < 0 ? -bytes : bytes);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return bytes < 0 ? "-" + out : out;
}

std::string Footprint::table() const {
  std::string s = fmt::format("{:<34} {:>15} {:>11} {:>11}\n", "class", "bytes", "MB", "MiB");
  auto row = [&](const std::string& name, int64_t b) {
    s += fmt::format("{:<34} {:>15} {:>11.3f} {:>11.3f}\n", name, format_bytes_grouped(b), b / kBytesPerMB,
                     b / kBytesPerMiB);
  };
  const std::string rule(74, '-');
  row(fmt::format("int{} weight codes", bits), weight_code_bytes);
  row("scales (fp16)", scale_bytes);
  row(fmt::format("zeros ({}-bit)", bits), zero_bytes);
  row("embeddings (fp16)", embedding_bytes);
  row("norms + biases (fp16)", norm_bias_bytes);
  if (lm_head_bytes) row("lm_head (fp16, untied)", lm_head_bytes);
  if (fp16_linear_bytes) row("unquantized linears (fp16)", fp16_linear_bytes);
  s += rule + "\n";
  row("model (no padding, no header)", model_bytes());
  row("MACRO beat padding", macro_padding_bytes);
  row("file header", header_bytes);
  row("tensor alignment", alignment_bytes);
  s += rule + "\n";
  row("file total", total_bytes());
  row("fp16 baseline (all parameters)", fp16_baseline_bytes);
  if (model_bytes() > 0)
    s += fmt::format("compression vs fp16: {:.3f}x (model), {:.3f}x (file)\n",
                     static_cast<double>(fp16_baseline_bytes) / model_bytes(),
                     static_cast<double>(fp16_baseline_bytes) / total_bytes());
  return s;
}

nlohmann::json Footprint::to_json() const {
  return {{"bits", bits},
          {"weight_code_bytes", weight_code_bytes},
          {"scale_bytes", scale_bytes},
          {"zero_bytes", zero_bytes},
          {"embedding_bytes", embedding_bytes},
          {"norm_bias_bytes", norm_bias_bytes},
          {"lm_head_bytes", lm_head_bytes},
          {"fp16_linear_bytes", fp16_linear_bytes},
          {"macro_padding_bytes", macro_padding_bytes},
          {"header_bytes", header_bytes},
          {"alignment_bytes", alignment_bytes},
          {"model_bytes", model_bytes()},
          {"total_bytes", total_bytes()},
          {"fp16_baseline_bytes", fp16_baseline_bytes}};
}

namespace packed_detail {

Footprint footprint_of(const ModelConfig& c, const MacroLayout& layout, const std::vector<PackedTensor>& table,
                       int64_t data_offset, int64_t file_bytes) {
  Footprint f;
  f.bits = layout.bits;
  int64_t tensor_bytes = 0;
  for (const auto& t : table) {
    tensor_bytes += t.bytes;
    if (t.dtype == "MACRO") {
      const int64_t out = t.shape.at(0), in = t.shape.at(1);
      const int64_t groups = out * MacroLayout::ceil_div(in, layout.group_size);
      const int64_t codes = MacroLayout::ceil_div(out * in * layout.bits, kBitsPerByte);
      const int64_t scales = groups * kMacroScaleBytes;
      const int64_t zeros = layout.zero_point ? MacroLayout::ceil_div(groups * layout.bits, kBitsPerByte) : 0;
      f.weight_code_bytes += codes;
      f.scale_bytes += scales;
      f.zero_bytes += zeros;
      f.macro_padding_bytes += t.bytes - codes - scales - zeros;
    } else if (t.name == "model.embed_tokens.weight") {
      f.embedding_bytes += t.bytes;
    } else if (ends_with(t.name, "norm.weight") || ends_with(t.name, ".bias")) {
      f.norm_bias_bytes += t.bytes;
    } else if (t.name == "lm_head.weight") {
      f.lm_head_bytes += t.bytes;
    } else {
      f.fp16_linear_bytes += t.bytes;
    }
  }
  f.header_bytes = data_offset;
  f.alignment_bytes = file_bytes - data_offset - tensor_bytes;
  f.fp16_baseline_bytes = c.num_parameters() * kF16Bytes;
  return f;
}

}  // namespace packed_detail

Footprint estimate_footprint(const ModelConfig& c, int64_t group_size, int bits, bool zero_point,
                             bool quantize_lm_head, const MacroLayout& layout) {
  c.validate("estimate_footprint: model config");
  MacroLayout l = layout;
  l.group_size = group_size;
  l.bits = bits;
  l.zero_point = zero_point;
  l.validate("estimate_footprint: MACRO layout");
  const auto table = packed_detail::plan_tensors(
      c, l, [&](const std::string& linear) { return linear != "lm_head" || quantize_lm_head; });
  const auto header = packed_detail::make_header(c, l, table, nlohmann::json::object());
  const int64_t data_offset = packed_detail::data_offset_for(static_cast<int64_t>(header.dump().size()));
  const int64_t data_bytes = table.empty() ? 0 : table.back().offset + table.back().bytes;
  return packed_detail::footprint_of(c, l, table, data_offset, data_offset + data_bytes);
}

}  // namespace fpgallm
