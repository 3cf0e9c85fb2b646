#include "sim/ddr/AddressMapping.h"

#include <cctype>
#include <charconv>

#include "models/core/Error.h"

namespace fpgallm::sim {

namespace {
constexpr const char* FIELD_NAMES[AddressMapping::NUM_FIELDS] = {"row", "rank", "bank", "bg", "col"};
}

AddressMapping::AddressMapping(const std::string& spec, const uint32_t (&field_bits)[NUM_FIELDS],
                               uint32_t offset_bits)
    : offset_bits_(offset_bits), spec_(spec) {
  // Tokens MSB→LSB; resolve LSB first so explicit widths take the low bits of a field.
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find('_', start);
    if (end == std::string::npos) end = spec.size();
    tokens.push_back(spec.substr(start, end - start));
    start = end + 1;
  }
  uint32_t used[NUM_FIELDS] = {0, 0, 0, 0, 0};
  bool seen_open[NUM_FIELDS] = {false, false, false, false, false};
  for (auto it = tokens.rbegin(); it != tokens.rend(); ++it) {
    std::string name = *it;
    std::string digits;
    while (!name.empty() && std::isdigit(static_cast<unsigned char>(name.back()))) {
      digits.insert(digits.begin(), name.back());
      name.pop_back();
    }
    int f = -1;
    for (int i = 0; i < NUM_FIELDS; ++i)
      if (name == FIELD_NAMES[i]) f = i;
    if (f < 0) fail("address mapping '{}': unknown field '{}' (use row, rank, bank, bg, col)", spec, *it);
    const uint32_t left = field_bits[f] - used[f];
    uint32_t bits = 0;
    if (!digits.empty()) {
      // from_chars, not stoul: a count too large for 32 bits is an error, never a wrapped value.
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
      if (ec != std::errc() || end != digits.data() + digits.size())
        fail("address mapping '{}': '{}' asks more bits than {} has ({} left)", spec, *it, name, left);
      if (bits == 0 || bits > left)
        fail("address mapping '{}': '{}' asks {} bits but {} has {} left", spec, *it, bits, name, left);
    } else {
      if (seen_open[f]) fail("address mapping '{}': field '{}' appears twice without a bit count", spec, name);
      seen_open[f] = true;
      bits = left;
    }
    if (bits > 0) pieces_.push_back(Piece{Field(f), bits, used[f]});
    used[f] += bits;
  }
  // The column run (see column_run()): COL pieces adjacent, nothing but bank-selecting bits below.
  uint32_t pos = 0;
  bool in_col = false, col_done = false, row_below = false;
  col_run_ok_ = true;
  for (const Piece& p : pieces_) {
    if (p.field == COL) {
      if (col_done) col_run_ok_ = false;
      if (!in_col) col_low_bits_ = pos;
      in_col = true;
      col_run_bits_ += p.bits;
    } else {
      if (in_col) in_col = false, col_done = true;
      if (!col_done && p.field == ROW) row_below = true;
    }
    pos += p.bits;
  }
  if (row_below || col_run_bits_ == 0) col_run_ok_ = false;
  for (int f = 0; f < NUM_FIELDS; ++f)
    if (used[f] != field_bits[f])
      fail("address mapping '{}': field '{}' needs {} bits but the mapping places {}", spec, FIELD_NAMES[f],
           field_bits[f], used[f]);
  // map() packs the fields into one 64-bit word; a field is a uint32_t coordinate.
  uint32_t total = 0;
  for (int f = 0; f < NUM_FIELDS; ++f) {
    if (used[f] > 32)
      fail("address mapping '{}': field '{}' has {} bits (at most 32)", spec, FIELD_NAMES[f], used[f]);
    field_pos_[f] = total;
    field_mask_[f] = (uint64_t(1) << used[f]) - 1;
    total += used[f];
  }
  if (total + offset_bits > 64)
    fail("address mapping '{}': {} address bits above the {}-bit access offset exceed 64", spec, total, offset_bits);
  uint32_t src = 0;
  for (Piece& p : pieces_) {
    p.src = src;
    p.dst = field_pos_[p.field] + p.shift;
    p.mask = (uint64_t(1) << p.bits) - 1;
    src += p.bits;
  }
}

}  // namespace fpgallm::sim
