#include "models/quant/Macro.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include <nlohmann/json.hpp>

#include "models/core/Error.h"

namespace fpgallm {

// Scales are copied with memcpy into uint16_t; the file format is little-endian.
static_assert(std::endian::native == std::endian::little, "MACRO packing assumes a little-endian host");

namespace {

constexpr int kMinBits = 1;
constexpr int kMaxBits = 8;
// Generous bounds that keep every size computation far from int64 overflow.
constexpr int64_t kMaxTileRows = 1 << 16;
constexpr int64_t kMaxGroupSize = 1 << 20;
constexpr unsigned kNibbleMask = 0x0fu;
constexpr int kNibbleBits = 4;

/** Writes `bits` bits of `v` at bit position `pos` of an LSB-first bit stream (buffer pre-zeroed). */
inline void put_bits(uint8_t* buf, int64_t pos, unsigned v, int bits) {
  const int64_t byte = pos / kBitsPerByte;
  const int shift = static_cast<int>(pos % kBitsPerByte);
  const unsigned wide = v << shift;
  buf[byte] = static_cast<uint8_t>(buf[byte] | (wide & 0xffu));
  if (shift + bits > kBitsPerByte) buf[byte + 1] = static_cast<uint8_t>(buf[byte + 1] | (wide >> kBitsPerByte));
}

inline unsigned get_bits(const uint8_t* buf, int64_t pos, int bits) {
  const int64_t byte = pos / kBitsPerByte;
  const int shift = static_cast<int>(pos % kBitsPerByte);
  unsigned wide = buf[byte];
  if (shift + bits > kBitsPerByte) wide |= static_cast<unsigned>(buf[byte + 1]) << kBitsPerByte;
  return (wide >> shift) & ((1u << bits) - 1u);
}

/** Packs `n` codes (each < 2^bits) into an LSB-first bit stream at `out` (pre-zeroed). */
void pack_codes(const uint8_t* codes, int64_t n, int bits, uint8_t* out) {
  if (bits == kNibbleBits) {
    for (int64_t k = 0; k + 1 < n; k += 2)
      out[k / 2] = static_cast<uint8_t>(codes[k] | (codes[k + 1] << kNibbleBits));
    if (n % 2) out[n / 2] = codes[n - 1];
  } else if (bits == kBitsPerByte) {
    std::memcpy(out, codes, static_cast<size_t>(n));
  } else {
    for (int64_t k = 0; k < n; ++k) put_bits(out, k * bits, codes[k], bits);
  }
}

void unpack_codes(const uint8_t* in, int64_t n, int bits, uint8_t* codes) {
  if (bits == kNibbleBits) {
    const int64_t pairs = n / 2;
    for (int64_t k = 0; k < pairs; ++k) {
      const uint8_t b = in[k];
      codes[2 * k] = static_cast<uint8_t>(b & kNibbleMask);
      codes[2 * k + 1] = static_cast<uint8_t>(b >> kNibbleBits);
    }
    if (n % 2) codes[n - 1] = static_cast<uint8_t>(in[pairs] & kNibbleMask);
  } else if (bits == kBitsPerByte) {
    std::memcpy(codes, in, static_cast<size_t>(n));
  } else {
    for (int64_t k = 0; k < n; ++k) codes[k] = static_cast<uint8_t>(get_bits(in, k * bits, bits));
  }
}

const char* block_section(const MacroLayout& l, int64_t byte_in_block) {
  if (byte_in_block < l.scales_offset()) return "codes";
  if (byte_in_block < l.zeros_offset()) return "scales";
  if (byte_in_block < l.payload_bytes()) return "zeros";
  return "beat padding";
}

}  // namespace

void MacroLayout::validate(const std::string& where) const {
  if (tile_rows < 1 || tile_rows > kMaxTileRows)
    fail("{}: tile_rows must be in [1, {}] (got {})", where, kMaxTileRows, tile_rows);
  if (group_size < 1 || group_size > kMaxGroupSize)
    fail("{}: group_size must be in [1, {}] (got {})", where, kMaxGroupSize, group_size);
  if (bits < kMinBits || bits > kMaxBits) fail("{}: bits must be in [{}, {}] (got {})", where, kMinBits, kMaxBits, bits);
  if (beat_bytes < 1 || beat_bytes > kMaxBeatBytes || !std::has_single_bit(static_cast<uint64_t>(beat_bytes)))
    fail("{}: beat_bytes must be a power of two in [1, {}] (got {})", where, kMaxBeatBytes, beat_bytes);
  // Each row of a tile then starts on a byte boundary, which keeps the unpacker simple.
  if ((group_size * bits) % kBitsPerByte != 0)
    fail("{}: group_size * bits must be a multiple of 8 so tile rows start on a byte (got {} * {})", where,
         group_size, bits);
}

nlohmann::json macro_layout_to_json(const MacroLayout& l) {
  return {{"version", kMacroLayoutVersion},
          {"tile_rows", l.tile_rows},
          {"group_size", l.group_size},
          {"bits", l.bits},
          {"beat_bytes", l.beat_bytes},
          {"zero_point", l.zero_point},
          {"scale_dtype", "F16"},
          {"block_bytes", l.block_bytes()}};
}

MacroLayout macro_layout_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) fail("{}: macro_layout must be an object", where);
  auto need = [&](const char* k) -> const nlohmann::json& {
    if (!j.contains(k)) fail("{}: macro_layout.{} is missing", where, k);
    return j[k];
  };
  auto need_int = [&](const char* k) -> int64_t {
    const auto& v = need(k);
    if (!v.is_number_integer()) fail("{}: macro_layout.{} must be an integer", where, k);
    return v.get<int64_t>();
  };
  const int64_t version = need_int("version");
  if (version != kMacroLayoutVersion)
    fail("{}: macro_layout.version {} is not supported (this build reads version {})", where, version,
         kMacroLayoutVersion);
  MacroLayout l;
  l.tile_rows = need_int("tile_rows");
  l.group_size = need_int("group_size");
  const int64_t bits = need_int("bits");
  if (bits < kMinBits || bits > kMaxBits) fail("{}: macro_layout.bits must be in [{}, {}] (got {})", where, kMinBits, kMaxBits, bits);
  l.bits = static_cast<int>(bits);
  l.beat_bytes = need_int("beat_bytes");
  if (!need("zero_point").is_boolean()) fail("{}: macro_layout.zero_point must be true or false", where);
  l.zero_point = j["zero_point"].get<bool>();
  if (!need("scale_dtype").is_string() || j["scale_dtype"].get<std::string>() != "F16")
    fail("{}: macro_layout.scale_dtype must be \"F16\"", where);
  l.validate(where + ": macro_layout");
  const int64_t block = need_int("block_bytes");
  if (block != l.block_bytes())
    fail("{}: macro_layout.block_bytes is {} but the layout's fields imply {}", where, block, l.block_bytes());
  return l;
}

MacroStream pack_macro(const QuantLinear& q, const MacroLayout& layout) {
  const std::string where = fmt::format("quantized linear [{}, {}]", q.out_features, q.in_features);
  layout.validate("MACRO layout");
  if (q.in_features < 1 || q.out_features < 1) fail("{}: shape must be positive", where);
  if (q.group_size != layout.group_size)
    fail("{}: group_size {} differs from the MACRO layout's {}", where, q.group_size, layout.group_size);
  if (q.bits != layout.bits) fail("{}: {} bits differs from the MACRO layout's {}", where, q.bits, layout.bits);
  if (q.has_zero != layout.zero_point)
    fail("{}: zero point {} but the MACRO layout has zero_point {}", where, q.has_zero ? "on" : "off",
         layout.zero_point);
  const int64_t in = q.in_features, out = q.out_features, ng = q.n_groups();
  const auto n_codes = static_cast<size_t>(in * out), n_group_entries = static_cast<size_t>(out * ng);
  if (q.q.size() != n_codes) fail("{}: {} codes for {} weights", where, q.q.size(), n_codes);
  if (q.scales.size() != n_group_entries) fail("{}: {} scales for {} groups", where, q.scales.size(), n_group_entries);
  const uint8_t implicit = layout.implicit_zero();
  const unsigned code_limit = 1u << layout.bits;
  if (q.has_zero) {
    if (q.zeros.size() != n_group_entries) fail("{}: {} zeros for {} groups", where, q.zeros.size(), n_group_entries);
    for (size_t i = 0; i < q.zeros.size(); ++i)
      if (q.zeros[i] >= code_limit) fail("{}: zero {} at row {} group {} does not fit {} bits", where, q.zeros[i], i / ng, i % ng, layout.bits);
  } else {
    // Symmetric: zeros are implicit; accept none or the implicit value everywhere.
    if (!q.zeros.empty() && q.zeros.size() != n_group_entries) fail("{}: {} zeros for {} groups", where, q.zeros.size(), n_group_entries);
    for (uint8_t z : q.zeros)
      if (z != implicit) fail("{}: symmetric layer with zero {} (must be {})", where, z, implicit);
  }
  for (size_t i = 0; i < n_codes; ++i)
    if (q.q[i] >= code_limit) fail("{}: code {} at row {} column {} does not fit {} bits", where, q.q[i], i / in, i % in, layout.bits);

  MacroStream s;
  s.layout = layout;
  s.in_features = in;
  s.out_features = out;
  s.bytes.assign(static_cast<size_t>(s.expected_bytes()), 0);
  const int64_t T = layout.tile_rows, G = layout.group_size;
  std::vector<uint8_t> codes(static_cast<size_t>(T * G)), zeros(static_cast<size_t>(T));
  for (int64_t t = 0; t < s.n_tiles(); ++t) {
    for (int64_t g = 0; g < ng; ++g) {
      uint8_t* blk = s.bytes.data() + s.block_offset(t, g);
      uint8_t* scales = blk + layout.scales_offset();  // may be unaligned: memcpy only
      for (int64_t r = 0; r < T; ++r) {
        const int64_t o = t * T + r;
        uint8_t* row = codes.data() + r * G;
        if (o >= out) {  // padded row: scale +0, zero 0, codes at the row's zero point
          std::memset(row, q.has_zero ? 0 : implicit, static_cast<size_t>(G));
          zeros[static_cast<size_t>(r)] = 0;  // scale bytes stay +0
          continue;
        }
        const auto gi = static_cast<size_t>(o * ng + g);
        const uint8_t zero = q.has_zero ? q.zeros[gi] : implicit;
        zeros[static_cast<size_t>(r)] = zero;
        std::memcpy(scales + r * kMacroScaleBytes, &q.scales[gi], kMacroScaleBytes);
        const int64_t i0 = g * G, valid = std::min(G, in - i0);
        std::memcpy(row, q.q.data() + o * in + i0, static_cast<size_t>(valid));
        std::memset(row + valid, zero, static_cast<size_t>(G - valid));  // padded inputs dequantise to 0
      }
      pack_codes(codes.data(), T * G, layout.bits, blk);
      if (layout.zero_point) pack_codes(zeros.data(), T, layout.bits, blk + layout.zeros_offset());
    }
  }
  return s;
}

void unpack_macro_block(const uint8_t* block, const MacroLayout& layout, uint8_t* codes, uint16_t* scales,
                        uint8_t* zeros) {
  const int64_t T = layout.tile_rows;
  unpack_codes(block, T * layout.group_size, layout.bits, codes);
  std::memcpy(scales, block + layout.scales_offset(), static_cast<size_t>(T * kMacroScaleBytes));
  if (layout.zero_point) unpack_codes(block + layout.zeros_offset(), T, layout.bits, zeros);
  else std::memset(zeros, layout.implicit_zero(), static_cast<size_t>(T));
}

QuantLinear unpack_macro(const MacroStream& s, const std::string& where) {
  const MacroLayout& l = s.layout;
  l.validate(where + ": MACRO layout");
  if (s.in_features < 1 || s.out_features < 1)
    fail("{}: shape [{}, {}] must be positive", where, s.out_features, s.in_features);
  if (static_cast<int64_t>(s.bytes.size()) != s.expected_bytes())
    fail("{}: stream holds {} bytes but [{}, {}] in {} tiles x {} groups of {} bytes needs {}", where,
         s.bytes.size(), s.out_features, s.in_features, s.n_tiles(), s.n_groups(), l.block_bytes(),
         s.expected_bytes());
  QuantLinear q;
  q.in_features = s.in_features;
  q.out_features = s.out_features;
  q.group_size = l.group_size;
  q.bits = l.bits;
  q.has_zero = l.zero_point;
  const int64_t in = q.in_features, out = q.out_features, ng = q.n_groups(), T = l.tile_rows, G = l.group_size;
  q.q.resize(static_cast<size_t>(in * out));
  q.scales.resize(static_cast<size_t>(out * ng));
  q.zeros.resize(static_cast<size_t>(out * ng));
  std::vector<uint8_t> codes(static_cast<size_t>(T * G)), zeros(static_cast<size_t>(T));
  std::vector<uint16_t> scales(static_cast<size_t>(T));
  for (int64_t t = 0; t < s.n_tiles(); ++t) {
    for (int64_t g = 0; g < ng; ++g) {
      unpack_macro_block(s.block(t, g), l, codes.data(), scales.data(), zeros.data());
      const int64_t rows = std::min(T, out - t * T), i0 = g * G, valid = std::min(G, in - i0);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t o = t * T + r;
        const auto gi = static_cast<size_t>(o * ng + g);
        q.scales[gi] = scales[static_cast<size_t>(r)];
        q.zeros[gi] = zeros[static_cast<size_t>(r)];
        std::memcpy(q.q.data() + o * in + i0, codes.data() + r * G, static_cast<size_t>(valid));
      }
    }
  }
  // Padding must be exactly what pack_macro writes, so a stream the simulator fetches can never
  // carry stray codes; repacking and comparing checks every padding bit at once.
  const MacroStream canon = pack_macro(q, l);
  if (canon.bytes != s.bytes) {
    size_t k = 0;
    while (canon.bytes[k] == s.bytes[k]) ++k;
    const int64_t blk = static_cast<int64_t>(k) / l.block_bytes(), off = static_cast<int64_t>(k) % l.block_bytes();
    fail("{}: non-canonical padding in tile {} group {}: byte {} of the block ({}) is 0x{:02x}, expected 0x{:02x}",
         where, blk / ng, blk % ng, off, block_section(l, off), s.bytes[k], canon.bytes[k]);
  }
  return q;
}

}  // namespace fpgallm
