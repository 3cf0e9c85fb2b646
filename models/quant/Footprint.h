#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "models/core/Dtype.h"
#include "models/quant/Macro.h"
#include "models/llm/ModelConfig.h"

namespace fpgallm {

constexpr double kBytesPerMB = 1e6;               ///< decimal megabyte
constexpr double kBytesPerMiB = 1024.0 * 1024.0;  ///< binary mebibyte

/**
 * Bytes of a packed model by tensor class. "model" classes are what the weights need at their
 * stated precisions; MACRO padding, the file header and tensor alignment are packing overheads.
 */
struct Footprint {
  int bits = 4;                      ///< bits per quantized weight code
  int64_t weight_code_bytes = 0;     ///< quantized weight codes, bits/8 each, no padding
  int64_t scale_bytes = 0;           ///< fp16 group scales
  int64_t zero_bytes = 0;            ///< group zeros, bits/8 each (0 without zero point)
  int64_t embedding_bytes = 0;       ///< fp16 token embeddings (also the lm_head when tied)
  int64_t norm_bias_bytes = 0;       ///< fp16 RMSNorm weights and q/k/v biases
  int64_t lm_head_bytes = 0;         ///< fp16 lm_head when untied and not quantized
  int64_t fp16_linear_bytes = 0;     ///< decoder linears left unquantized, fp16
  int64_t macro_padding_bytes = 0;   ///< MACRO streams minus their codes, scales and zeros
  int64_t header_bytes = 0;          ///< magic, version, JSON header, alignment to the data section
  int64_t alignment_bytes = 0;       ///< gaps that align each tensor in the data section
  int64_t fp16_baseline_bytes = 0;   ///< every parameter in fp16 (tied embeddings once)

  /** The weights alone: excludes MACRO padding, header and alignment. */
  int64_t model_bytes() const;
  /** Everything: equals the packed file's size. */
  int64_t total_bytes() const;
  /** Bytes the accelerator streams for the quantized linears: codes + scales + zeros + padding. */
  int64_t macro_stream_bytes() const { return weight_code_bytes + scale_bytes + zero_bytes + macro_padding_bytes; }

  /** Human-readable table: bytes, MB (1e6) and MiB (2^20) per class. */
  std::string table() const;
  nlohmann::json to_json() const;

  bool operator==(const Footprint&) const = default;
};

/**
 * The footprint of packing a model of config `c` without materialising any weight: every decoder
 * linear quantized (and lm_head when asked), fp16 for the rest. `group_size`, `bits` and
 * `zero_point` override those fields of `layout`, which supplies tile_rows and beat_bytes.
 * Header bytes are exact for a file saved with an empty quantization record.
 */
Footprint estimate_footprint(const ModelConfig& c, int64_t group_size, int bits, bool zero_point,
                             bool quantize_lm_head, const MacroLayout& layout);

/** "465,303,296" */
std::string format_bytes_grouped(int64_t bytes);

}  // namespace fpgallm
