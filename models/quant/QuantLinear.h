#pragma once
#include <cstdint>
#include <vector>

namespace fpgallm {

/**
 * AWQ/RTN-quantized weights of one linear layer, unpacked into one code per byte. The packed forms
 * (AutoAWQ int32 nibbles, MACRO blocks) are produced from and read back into this.
 * w[o, i] ~= (q[o, i] - zero[o, g]) * scale[o, g] with g = i / group_size.
 */
struct QuantLinear {
  int64_t in_features = 0;
  int64_t out_features = 0;
  int64_t group_size = 64;
  int bits = 4;
  bool has_zero = true;           ///< false: symmetric, zero fixed at 2^(bits-1)
  std::vector<uint8_t> q;         ///< [out, in] codes in [0, 2^bits)
  std::vector<uint16_t> scales;   ///< fp16 bits, [out, n_groups()]
  std::vector<uint8_t> zeros;     ///< [out, n_groups()]

  /** Groups per row; the last group is zero-padded when group_size does not divide in_features. */
  int64_t n_groups() const { return (in_features + group_size - 1) / group_size; }
};

}  // namespace fpgallm
