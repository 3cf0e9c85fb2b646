#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/quant/Macro.h"

using namespace fpgallm;

namespace {

QuantLinear random_quant(int64_t out, int64_t in, int64_t G, int bits, bool has_zero, uint32_t seed) {
  std::mt19937 rng(seed);
  QuantLinear q;
  q.in_features = in;
  q.out_features = out;
  q.group_size = G;
  q.bits = bits;
  q.has_zero = has_zero;
  const int levels = 1 << bits;
  std::uniform_int_distribution<int> code(0, levels - 1);
  std::uniform_real_distribution<float> scale(1e-3f, 0.1f);
  q.q.resize(static_cast<size_t>(out * in));
  for (auto& c : q.q) c = static_cast<uint8_t>(code(rng));
  q.scales.resize(static_cast<size_t>(out * q.n_groups()));
  for (auto& s : q.scales) s = f32_to_f16(scale(rng));
  q.zeros.resize(static_cast<size_t>(out * q.n_groups()));
  for (auto& z : q.zeros) z = has_zero ? static_cast<uint8_t>(code(rng)) : static_cast<uint8_t>(levels / 2);
  return q;
}

MacroLayout layout_of(int64_t T, int64_t G, int bits, int64_t beat, bool zp) {
  MacroLayout l;
  l.tile_rows = T;
  l.group_size = G;
  l.bits = bits;
  l.beat_bytes = beat;
  l.zero_point = zp;
  return l;
}

void expect_same(const QuantLinear& a, const QuantLinear& b) {
  EXPECT_EQ(a.in_features, b.in_features);
  EXPECT_EQ(a.out_features, b.out_features);
  EXPECT_EQ(a.group_size, b.group_size);
  EXPECT_EQ(a.bits, b.bits);
  EXPECT_EQ(a.has_zero, b.has_zero);
  EXPECT_EQ(a.q, b.q);
  EXPECT_EQ(a.scales, b.scales);
  EXPECT_EQ(a.zeros, b.zeros);
}

}  // namespace

TEST(MacroLayout, DefaultBlockIs288BytesOf128BitBeats) {
  MacroLayout l;
  EXPECT_EQ(l.codes_bytes(), 8 * 64 / 2);
  EXPECT_EQ(l.scales_bytes(), 16);
  EXPECT_EQ(l.zeros_bytes(), 4);
  EXPECT_EQ(l.payload_bytes(), 276);
  EXPECT_EQ(l.block_bytes(), 288);  // 18 beats of 16 bytes
  EXPECT_EQ(l.block_bytes() % l.beat_bytes, 0);
  l.zero_point = false;
  EXPECT_EQ(l.zeros_bytes(), 0);
  EXPECT_EQ(l.block_bytes(), 272);  // 256 + 16 is already beat-aligned
}

TEST(MacroLayout, ValidateRejectsEachBadField) {
  EXPECT_NO_THROW(MacroLayout().validate("x"));
  EXPECT_THROW(layout_of(0, 64, 4, 16, true).validate("x"), Error);
  EXPECT_THROW(layout_of(8, 0, 4, 16, true).validate("x"), Error);
  EXPECT_THROW(layout_of(8, 64, 9, 16, true).validate("x"), Error);
  EXPECT_THROW(layout_of(8, 64, 0, 16, true).validate("x"), Error);
  EXPECT_THROW(layout_of(8, 64, 4, 24, true).validate("x"), Error);   // not a power of two
  EXPECT_THROW(layout_of(8, 64, 4, 256, true).validate("x"), Error);  // wider than AXI allows
  EXPECT_THROW(layout_of(8, 6, 3, 16, true).validate("x"), Error);    // rows would not start on a byte
  try {
    layout_of(8, 64, 4, 24, true).validate("accel.macro");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("accel.macro: beat_bytes"), std::string::npos) << e.what();
  }
}

TEST(MacroPack, BytePlacementMatchesTheDocumentedLayout) {
  // 2 rows x 4 inputs, one block: codes low nibble first, fp16 scales little-endian, zeros packed.
  QuantLinear q;
  q.in_features = 4;
  q.out_features = 2;
  q.group_size = 4;
  q.q = {1, 2, 3, 4, 5, 6, 7, 8};
  q.scales = {0x3c00, 0xabcd};  // 1.0 and an arbitrary bit pattern
  q.zeros = {9, 10};
  const MacroStream s = pack_macro(q, layout_of(2, 4, 4, 16, true));
  const std::vector<uint8_t> want = {0x21, 0x43, 0x65, 0x87, 0x00, 0x3c, 0xcd, 0xab, 0xa9, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(s.bytes, want);
}

TEST(MacroPack, StreamOrderIsTileMajorThenGroup) {
  const QuantLinear q = random_quant(16, 128, 64, 4, true, 1);
  const MacroStream s = pack_macro(q, MacroLayout());
  ASSERT_EQ(s.n_tiles(), 2);
  ASSERT_EQ(s.n_groups(), 2);
  EXPECT_EQ(s.block_offset(0, 1), 288);
  EXPECT_EQ(s.block_offset(1, 0), 2 * 288);
  // Block (tile 1, group 1) starts with row 8's inputs 64 and 65.
  const uint8_t first = s.bytes[static_cast<size_t>(s.block_offset(1, 1))];
  EXPECT_EQ(first & 0x0f, q.q[8 * 128 + 64]);
  EXPECT_EQ(first >> 4, q.q[8 * 128 + 65]);
}

TEST(MacroPack, RoundTripIsExactAcrossLayouts) {
  struct Case { int64_t out, in, G; int bits; bool zp; int64_t T, beat; };
  const Case cases[] = {
      {20, 172, 32, 4, true, 8, 16},   // both paddings: 20 rows in tiles of 8, 172 inputs in groups of 32
      {8, 64, 64, 4, true, 8, 16},     // exact fit
      {7, 100, 64, 4, false, 3, 1},    // symmetric, odd tile, byte beats
      {13, 40, 8, 3, true, 5, 64},     // 3-bit codes straddle bytes
      {9, 33, 16, 8, true, 4, 32},     // 8-bit codes
      {5, 12, 4, 2, false, 2, 8},      // 2-bit, symmetric
  };
  uint32_t seed = 10;
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << c.out << "x" << c.in << " G" << c.G << " b" << c.bits << " T" << c.T);
    const QuantLinear q = random_quant(c.out, c.in, c.G, c.bits, c.zp, seed++);
    const MacroLayout l = layout_of(c.T, c.G, c.bits, c.beat, c.zp);
    const MacroStream s = pack_macro(q, l);
    EXPECT_EQ(static_cast<int64_t>(s.bytes.size()), s.n_tiles() * s.n_groups() * l.block_bytes());
    expect_same(unpack_macro(s), q);
  }
}

TEST(MacroPack, PaddedEntriesDequantiseToExactlyZero) {
  const QuantLinear q = random_quant(10, 40, 32, 4, true, 3);  // 2 tiles (6 rows padded), 2 groups (24 inputs padded)
  const MacroLayout l = layout_of(8, 32, 4, 16, true);
  const MacroStream s = pack_macro(q, l);
  std::vector<uint8_t> codes(8 * 32), zeros(8);
  std::vector<uint16_t> scales(8);
  for (int64_t t = 0; t < s.n_tiles(); ++t)
    for (int64_t g = 0; g < s.n_groups(); ++g) {
      unpack_macro_block(s.block(t, g), l, codes.data(), scales.data(), zeros.data());
      for (int64_t r = 0; r < 8; ++r)
        for (int64_t c = 0; c < 32; ++c) {
          const int64_t o = t * 8 + r, i = g * 32 + c;
          if (o < q.out_features && i < q.in_features) continue;
          const float w = static_cast<float>(codes[r * 32 + c] - zeros[r]) * f16_to_f32(scales[r]);
          EXPECT_EQ(f32_bits(w), 0u) << "row " << o << " input " << i;
        }
    }
}

TEST(MacroPack, BlockUnpackerMatchesTheQuantLinear) {
  const QuantLinear q = random_quant(24, 192, 64, 4, true, 4);
  const MacroLayout l;
  const MacroStream s = pack_macro(q, l);
  std::vector<uint8_t> codes(8 * 64), zeros(8);
  std::vector<uint16_t> scales(8);
  for (int64_t t = 0; t < s.n_tiles(); ++t)
    for (int64_t g = 0; g < s.n_groups(); ++g) {
      unpack_macro_block(s.block(t, g), l, codes.data(), scales.data(), zeros.data());
      for (int64_t r = 0; r < 8; ++r) {
        const int64_t o = t * 8 + r;
        ASSERT_EQ(scales[r], q.scales[o * 3 + g]);
        ASSERT_EQ(zeros[r], q.zeros[o * 3 + g]);
        for (int64_t c = 0; c < 64; ++c) ASSERT_EQ(codes[r * 64 + c], q.q[o * 192 + g * 64 + c]);
      }
    }
}

TEST(MacroPack, SymmetricBlocksReportTheImplicitZero) {
  const QuantLinear q = random_quant(8, 64, 64, 4, false, 5);
  const MacroLayout l = layout_of(8, 64, 4, 16, false);
  const MacroStream s = pack_macro(q, l);
  std::vector<uint8_t> codes(8 * 64), zeros(8);
  std::vector<uint16_t> scales(8);
  unpack_macro_block(s.block(0, 0), l, codes.data(), scales.data(), zeros.data());
  for (uint8_t z : zeros) EXPECT_EQ(z, 8);
  QuantLinear no_zeros = q;
  no_zeros.zeros.clear();  // symmetric layers may leave zeros empty
  EXPECT_EQ(pack_macro(no_zeros, l).bytes, s.bytes);
}

TEST(MacroPack, RejectsQuantLinearThatDoesNotMatchTheLayout) {
  const QuantLinear q = random_quant(8, 64, 64, 4, true, 6);
  EXPECT_THROW(pack_macro(q, layout_of(8, 32, 4, 16, true)), Error);   // group size
  EXPECT_THROW(pack_macro(q, layout_of(8, 64, 8, 16, true)), Error);   // bits
  EXPECT_THROW(pack_macro(q, layout_of(8, 64, 4, 16, false)), Error);  // zero point
  QuantLinear bad = q;
  bad.q[5] = 16;
  EXPECT_THROW(pack_macro(bad, MacroLayout()), Error);
  bad = q;
  bad.zeros[0] = 200;
  EXPECT_THROW(pack_macro(bad, MacroLayout()), Error);
  bad = q;
  bad.scales.pop_back();
  EXPECT_THROW(pack_macro(bad, MacroLayout()), Error);
}

TEST(MacroUnpack, RejectsWrongLengthAndNonCanonicalPadding) {
  const QuantLinear q = random_quant(10, 40, 32, 4, true, 7);
  const MacroLayout l = layout_of(8, 32, 4, 16, true);
  const MacroStream good = pack_macro(q, l);

  MacroStream s = good;
  s.bytes.pop_back();
  EXPECT_THROW(unpack_macro(s, "t"), Error);

  s = good;  // a beat-padding byte of block (0, 0)
  s.bytes[static_cast<size_t>(l.payload_bytes())] = 1;
  try {
    unpack_macro(s, "layer.q");
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layer.q"), std::string::npos) << m;
    EXPECT_NE(m.find("beat padding"), std::string::npos) << m;
  }

  s = good;  // a padded input of row 0 in the last group (input 40 = group 1, column 8)
  const int64_t byte = s.block_offset(0, 1) + 8 / 2;
  s.bytes[static_cast<size_t>(byte)] ^= 0x01;
  try {
    unpack_macro(s, "layer.k");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tile 0 group 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("codes"), std::string::npos) << e.what();
  }

  s = good;  // the scale of padded row 10 (tile 1, row 2)
  s.bytes[static_cast<size_t>(s.block_offset(1, 0) + l.scales_offset() + 2 * 2)] = 0x3c;
  EXPECT_THROW(unpack_macro(s, "t"), Error);
}

TEST(MacroLayoutJson, RoundTripsAndRejectsOtherVersions) {
  const MacroLayout l = layout_of(4, 32, 4, 32, false);
  EXPECT_EQ(macro_layout_from_json(macro_layout_to_json(l), "x"), l);
  auto j = macro_layout_to_json(l);
  j["version"] = kMacroLayoutVersion + 1;
  EXPECT_THROW(macro_layout_from_json(j, "x"), Error);
  j = macro_layout_to_json(l);
  j["block_bytes"] = 12;
  EXPECT_THROW(macro_layout_from_json(j, "x"), Error);
  j = macro_layout_to_json(l);
  j.erase("tile_rows");
  EXPECT_THROW(macro_layout_from_json(j, "x"), Error);
}
