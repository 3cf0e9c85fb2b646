#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "models/quant/QuantLinear.h"

namespace fpgallm {

/** Version of the MACRO block layout below; bump on any change of byte placement. */
constexpr int kMacroLayoutVersion = 1;
/** Scales are IEEE binary16, little-endian. */
constexpr int64_t kMacroScaleBytes = 2;
constexpr int64_t kBitsPerByte = 8;
/** Widest AXI data bus (1024 bits); a beat wider than this is a configuration mistake. */
constexpr int64_t kMaxBeatBytes = 128;

/**
 * Byte layout of "AWQ MACRO" blocks (docs/formats.md has the diagram). A block is one tile of
 * `tile_rows` output rows x one group of `group_size` input channels:
 *   codes   tile_rows*group_size codes, row-major in the tile, LSB-first bit stream
 *           (4-bit: byte k = code 2k in the low nibble, code 2k+1 in the high nibble)
 *   scales  tile_rows fp16, little-endian
 *   zeros   tile_rows codes, same bit packing as the codes (absent when zero_point is false)
 *   pad     zero bytes up to a multiple of beat_bytes, so one burst carries whole groups.
 * Blocks stream tile by tile, and within a tile group by group, so a tile's accumulators stay in
 * the PE array while its groups stream past.
 */
struct MacroLayout {
  int64_t tile_rows = 8;      ///< output rows per block: the PE array rows
  int64_t group_size = 64;    ///< input channels per block: one quantization group
  int bits = 4;               ///< bits per code and per zero
  int64_t beat_bytes = 16;    ///< AXI beat, 128-bit default
  bool zero_point = true;     ///< false: symmetric codes, zero fixed at 2^(bits-1), not stored

  int64_t codes_bytes() const { return ceil_div(tile_rows * group_size * bits, kBitsPerByte); }
  int64_t scales_bytes() const { return tile_rows * kMacroScaleBytes; }
  int64_t zeros_bytes() const { return zero_point ? ceil_div(tile_rows * bits, kBitsPerByte) : 0; }
  int64_t payload_bytes() const { return codes_bytes() + scales_bytes() + zeros_bytes(); }
  /** Payload padded up to a whole number of beats. */
  int64_t block_bytes() const { return ceil_div(payload_bytes(), beat_bytes) * beat_bytes; }
  int64_t scales_offset() const { return codes_bytes(); }
  int64_t zeros_offset() const { return codes_bytes() + scales_bytes(); }
  /** The zero point used when none is stored (symmetric quantization). */
  uint8_t implicit_zero() const { return static_cast<uint8_t>(1u << (bits - 1)); }

  /** Throws fpgallm::Error naming `where` and the field when out of range. */
  void validate(const std::string& where) const;

  bool operator==(const MacroLayout&) const = default;

  static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
};

nlohmann::json macro_layout_to_json(const MacroLayout& l);
/** Reads the fields written by macro_layout_to_json; rejects another layout version. */
MacroLayout macro_layout_from_json(const nlohmann::json& j, const std::string& where);

/** One linear layer's weights as the stream of MACRO blocks the accelerator fetches from DDR. */
struct MacroStream {
  MacroLayout layout;
  int64_t in_features = 0;
  int64_t out_features = 0;
  std::vector<uint8_t> bytes;

  int64_t n_tiles() const { return MacroLayout::ceil_div(out_features, layout.tile_rows); }
  int64_t n_groups() const { return MacroLayout::ceil_div(in_features, layout.group_size); }
  int64_t n_blocks() const { return n_tiles() * n_groups(); }
  /** Bytes the stream must hold for its shape and layout. */
  int64_t expected_bytes() const { return n_blocks() * layout.block_bytes(); }
  /** Byte offset of block (tile, group) from the start of the stream. */
  int64_t block_offset(int64_t tile, int64_t group) const {
    return (tile * n_groups() + group) * layout.block_bytes();
  }
  const uint8_t* block(int64_t tile, int64_t group) const { return bytes.data() + block_offset(tile, group); }
};

/**
 * Packs a quantized linear into MACRO blocks. Padding entries dequantise to exactly 0: rows past
 * out_features get scale +0, zero 0 and codes 0; inputs past in_features get code = the row's zero
 * point. Throws when the QuantLinear does not match the layout (group size, bits, zero point) or
 * holds out-of-range codes/zeros.
 */
MacroStream pack_macro(const QuantLinear& q, const MacroLayout& layout);

/** Exact inverse of pack_macro. Validates the length and that every padding byte/entry is the
 *  canonical value pack_macro writes; `where` names the tensor in errors. */
QuantLinear unpack_macro(const MacroStream& s, const std::string& where = "MACRO stream");

/**
 * Decodes one block as the simulated unpacking unit does with bytes fetched from DDR:
 * codes [tile_rows * group_size] row-major, scales [tile_rows] fp16 bits, zeros [tile_rows]
 * (the implicit zero point when the layout stores none). No checks: the caller owns the sizes.
 */
void unpack_macro_block(const uint8_t* block, const MacroLayout& layout, uint8_t* codes,
                        uint16_t* scales, uint8_t* zeros);

}  // namespace fpgallm
