#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace fpgallm::sim {

/** Where one 64-byte DRAM access lands. */
struct DramCoord {
  uint32_t rank = 0, bank_group = 0, bank = 0;  // bank within its group
  uint32_t row = 0, column = 0;                 // column in units of one burst (access_bytes)
};

/**
 * Physical address → DRAM coordinates by a bit order written MSB→LSB as fields joined by '_':
 * "row_bank_col_bg" puts the bank group just above the 64-byte access offset (consecutive
 * accesses alternate bank groups, so tCCD_S rather than tCCD_L paces streaming), then the
 * column, bank, row. A field may be split by giving a bit count to its low pieces:
 * "row_bank_col_bg_col2" = 2 low column bits, then bg, then the rest of the column. Fields:
 * row, rank, bank, bg, col; a field with zero width (rank with 1 rank) may be omitted.
 */
class AddressMapping {
 public:
  enum Field : uint8_t { ROW, RANK, BANK, BG, COL, NUM_FIELDS };

  /** `field_bits` = widths of row, rank, bank, bg, col; `offset_bits` = log2(access bytes). */
  AddressMapping(const std::string& spec, const uint32_t (&field_bits)[NUM_FIELDS], uint32_t offset_bits);

  DramCoord map(uint64_t addr) const {
    const uint64_t a = addr >> offset_bits_;
    // The fields side by side in one register word (they need no more bits than the address):
    // each piece is moved from its own position, no chain through `a` or through memory.
    uint64_t w = 0;
    for (const auto& p : pieces_) w |= ((a >> p.src) & p.mask) << p.dst;
    auto field = [&](Field f) { return uint32_t((w >> field_pos_[f]) & field_mask_[f]); };
    return DramCoord{field(RANK), field(BG), field(BANK), field(ROW), field(COL)};
  }
  uint32_t offset_bits() const { return offset_bits_; }
  /**
   * Whether the column bits form one contiguous run with only bank-selecting bits (bg, bank,
   * rank) below it: then, along a run of consecutive accesses, every access with the same bits
   * outside the column run hits the same bank and row. `low_bits` = bits below the run,
   * `col_bits` = its width (in access units).
   */
  bool column_run(uint32_t& low_bits, uint32_t& col_bits) const {
    low_bits = col_low_bits_, col_bits = col_run_bits_;
    return col_run_ok_;
  }
  /** Lowest access-index bit (address >> offset_bits) that selects field `f`; 64 when none does. */
  uint32_t lowest_bit(Field f) const {
    for (const auto& p : pieces_)
      if (p.field == f) return p.src;  // pieces_ run LSB first
    return 64;
  }
  const std::string& spec() const { return spec_; }

 private:
  struct Piece {
    Field field;
    uint32_t bits, shift;  // bits taken, position inside the field
    uint32_t src = 0;      // position in the access index (address >> offset_bits)
    uint32_t dst = 0;      // position in the packed field word: field_pos_[field] + shift
    uint64_t mask = 0;     // (1 << bits) - 1
  };
  uint32_t field_pos_[NUM_FIELDS] = {0, 0, 0, 0, 0};  // where each field starts in the packed word
  uint64_t field_mask_[NUM_FIELDS] = {0, 0, 0, 0, 0};
  std::vector<Piece> pieces_;  // LSB first
  uint32_t offset_bits_;
  std::string spec_;
  bool col_run_ok_ = false;
  uint32_t col_low_bits_ = 0, col_run_bits_ = 0;
};

}  // namespace fpgallm::sim
