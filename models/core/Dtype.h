#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace fpgallm {

enum class DType { F32, F16, BF16, I32, I8, U8, I64 };

/** Bytes of an fp32 / fp16 value: activations and KV are fp32, embeddings, norms and biases fp16 in a packed model. */
constexpr int64_t kF32Bytes = 4;
constexpr int64_t kF16Bytes = 2;

/** Bytes per element; throws for unknown. */
size_t dtype_size(DType t);
std::string dtype_name(DType t);            // safetensors spelling: "F32", "BF16", ...
bool dtype_from_name(const std::string& s, DType& out);

inline uint32_t f32_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float f32_from_bits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

/** Round-to-nearest-even, as torch's .to(bfloat16); NaN stays NaN. */
inline uint16_t f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16_to_f32(uint16_t h) { return f32_from_bits(static_cast<uint32_t>(h) << 16); }

/** IEEE binary16 conversions with round-to-nearest-even, subnormals and inf/NaN. */
uint16_t f32_to_f16(float f);
float f16_to_f32(uint16_t h);

}  // namespace fpgallm
