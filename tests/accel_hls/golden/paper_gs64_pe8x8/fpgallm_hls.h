// fpgallm accelerator kernel: hand-written stages, parameterised by CONFIG_T (fpgallm_config.h).
// Copied unchanged into every emitted project by `fpgallm emit-hls`; only fpgallm_config.h and
// fpgallm_top.cpp are generated. Plain C++17: g++ builds it for C simulation without vendor headers.
//
// Numerics (the contract with the simulator, models/quant/AwqKernels.h): per output row and token,
// acc = 0; for groups in increasing order acc += partial * fp16_to_fp32(scale); y = acc (+ bias).
// partial keeps CONFIG_T::kPartialLanes fp32 lane sums, element i of the group going to lane
// i % kPartialLanes in increasing i, combined as ((l0+l4)+(l1+l5))+((l2+l6)+(l3+l7)). Every
// multiply and add is a separate fp32 operation (build with -ffp-contract=off: no fused MACs).
// With fixed64 accumulators (kFixedAccum) each fp32 product is rounded to fixed point and summed
// in integers in input order, scaled exactly by the fp16 scale, and converted to fp32 once per
// output: awq_linear_accum's Fixed64 arithmetic.
#pragma once
#include <cstdint>
#include <cstring>

// fixed64 accumulators: fpgallm's models/quant/AwqFixedPoint.h, copied unchanged.
#include "AwqFixedPoint.h"

#ifdef __SYNTHESIS__
#include <hls_stream.h>
#define FPGALLM_PRAGMA_SUB(x) _Pragma(#x)
#define HLS_PRAGMA(x) FPGALLM_PRAGMA_SUB(HLS x)
#else
#include <deque>
// g++ (C simulation) sees no HLS pragmas, so -Wall -Werror does not trip over unknown pragmas.
#define HLS_PRAGMA(x)
// Loop labels name the loops in the Vitis HLS reports; nothing jumps to them.
#pragma GCC diagnostic ignored "-Wunused-label"
#endif

namespace fpgallm_hls {

/** One AXI data beat: the width of every m_axi channel. */
template <int Bytes>
struct Beat {
  uint8_t byte[Bytes];
};

#ifdef __SYNTHESIS__
template <class T>
using Fifo = hls::stream<T>;
#else
/** C-simulation stand-in for hls::stream: unbounded, like hls::stream in csim. */
template <class T>
class Fifo {
 public:
  void write(const T& v) { q_.push_back(v); }
  T read() {
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  bool empty() const { return q_.empty(); }

 private:
  std::deque<T> q_;
};
#endif

/** The descriptor the PS writes into the s_axilite registers (the simulator's LinearJob). */
struct Job {
  uint64_t weight_off;  ///< MACRO stream, tile-major, group-minor blocks
  uint64_t act_off;     ///< fp32 [n_tokens, in_features]
  uint64_t out_off;     ///< fp32 [n_tokens, out_features]
  uint64_t bias_off;    ///< fp32 [out_features], 0 = no bias
  uint32_t in_features;
  uint32_t out_features;
  uint32_t n_tokens;
};

/** ap_return of the top function. */
enum Status : int {
  kOk = 0,
  kBadShape = 1,        ///< a dimension is 0
  kMisaligned = 2,      ///< an offset or a row is not a whole number of AXI beats
  kActRowTooLarge = 3,  ///< one activation row does not fit the activation buffer
};

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

/** IEEE binary16 -> binary32, exact (the same values as fpgallm's f16_to_f32, NaN payloads included). */
inline float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu;
  const uint32_t m = h & 0x3ffu;
  if (e == 0) {
    // m * 2^-24 is exact in fp32 (m < 2^10).
    const float v = static_cast<float>(m) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (e == 31) return f32_from_bits(sign | 0x7f800000u | (m << 13));
  return f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
}

/** Code k of an LSB-first bit stream of `Bits`-wide codes (the MACRO packing). */
template <int Bits>
inline uint8_t get_code(const uint8_t* bytes, int k) {
  const int bit = k * Bits;
  const uint32_t two = static_cast<uint32_t>(bytes[bit / 8]) | (static_cast<uint32_t>(bytes[bit / 8 + 1]) << 8);
  return static_cast<uint8_t>((two >> (bit % 8)) & ((1u << Bits) - 1u));
}

/** A decoded MACRO block: what the unpacker hands the PE array. */
template <class C>
struct Block {
  uint8_t code[C::kTileRows][C::kGroupSize];
  uint16_t scale[C::kTileRows];
  uint8_t zero[C::kTileRows];
};

template <class C>
inline int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}

/** Rejects a descriptor the kernel cannot run (the driver checks the same before starting). */
template <class C>
int check_job(const Job& j) {
  constexpr int kFloatsPerBeat = C::kBeatBytes / C::kFloatBytes;
  if (j.in_features == 0 || j.out_features == 0 || j.n_tokens == 0) return kBadShape;
  if (j.weight_off % C::kBeatBytes || j.act_off % C::kBeatBytes || j.out_off % C::kBeatBytes ||
      j.bias_off % C::kBeatBytes)
    return kMisaligned;
  if (j.in_features % kFloatsPerBeat || j.out_features % kFloatsPerBeat) return kMisaligned;
  if (j.in_features > static_cast<uint32_t>(C::kActFloats)) return kActRowTooLarge;
  return kOk;
}

/** Tokens per pass: bounded by the activation buffer and the output buffer, as in the simulator. */
template <class C>
int chunk_tokens(const Job& j) {
  int n = static_cast<int>(j.n_tokens);
  const int act = C::kActFloats / static_cast<int>(j.in_features);
  if (act < n) n = act;
  if (C::kMaxChunkTokens < n) n = C::kMaxChunkTokens;
  return n;
}

/** The fp32 words of one beat (little-endian). */
template <class C>
inline void beat_to_floats(const Beat<C::kBeatBytes>& w, float* out) {
  for (int f = 0; f < C::kBeatBytes / C::kFloatBytes; ++f) {
    uint32_t u;
    std::memcpy(&u, w.byte + f * C::kFloatBytes, sizeof u);
    out[f] = f32_from_bits(u);
  }
}

/** Channel `ch`'s share of a chunk's activations (the loads are split evenly over the channels). */
template <class C>
void load_act_share(const Beat<C::kBeatBytes>* mem, int ch, uint64_t act_off, int n_floats, float* act) {
  constexpr int kFloatsPerBeat = C::kBeatBytes / C::kFloatBytes;
  const int beats = n_floats / kFloatsPerBeat;
  const int share = ceil_div<C>(beats, C::kChannels);
  const int b0 = ch * share;
  const int b1 = b0 + share < beats ? b0 + share : beats;
  const uint64_t base = act_off / C::kBeatBytes;
load_act:
  for (int b = b0; b < b1; ++b) {
    HLS_PRAGMA(PIPELINE II = 1)
    beat_to_floats<C>(mem[base + b], act + b * kFloatsPerBeat);
  }
}

/** DMA channel `ch`: MACRO blocks ch, ch + kChannels, ... as whole bursts into its weight FIFO. */
template <class C>
void load_weights(const Beat<C::kBeatBytes>* mem, int ch, uint64_t weight_off, int n_blocks,
                  Fifo<Beat<C::kBeatBytes>>& q) {
  const uint64_t base = weight_off / C::kBeatBytes;
load_blocks:
  for (int k = ch; k < n_blocks; k += C::kChannels) {
  load_beats:
    for (int b = 0; b < C::kBlockBeats; ++b) {
      HLS_PRAGMA(PIPELINE II = 1)
      q.write(mem[base + static_cast<uint64_t>(k) * C::kBlockBeats + b]);
    }
  }
}

/** The unpacking unit: takes block k from channel k % kChannels (stream order) and decodes it. */
template <class C>
void unpack_blocks(Fifo<Beat<C::kBeatBytes>> q[C::kChannels], int n_blocks, Fifo<Block<C>>& out) {
  // One spare byte: get_code reads the byte after a code's first byte.
  uint8_t raw[C::kBlockBytes + 1];
  raw[C::kBlockBytes] = 0;
unpack:
  for (int k = 0; k < n_blocks; ++k) {
    const int ch = k % C::kChannels;
  gather:
    for (int b = 0; b < C::kBlockBeats; ++b) {
      HLS_PRAGMA(PIPELINE II = 1)
      const Beat<C::kBeatBytes> w = q[ch].read();
      for (int i = 0; i < C::kBeatBytes; ++i) raw[b * C::kBeatBytes + i] = w.byte[i];
    }
    Block<C> blk;
  decode_codes:
    for (int i = 0; i < C::kTileRows * C::kGroupSize; ++i) {
      HLS_PRAGMA(UNROLL factor = C::kUnpackCodesPerCycle)
      blk.code[i / C::kGroupSize][i % C::kGroupSize] = get_code<C::kBits>(raw, i);
    }
  decode_rows:
    for (int r = 0; r < C::kTileRows; ++r) {
      blk.scale[r] = static_cast<uint16_t>(raw[C::kScalesOffset + 2 * r] | (raw[C::kScalesOffset + 2 * r + 1] << 8));
      blk.zero[r] = C::kZeroPoint ? get_code<C::kBits>(raw + C::kZerosOffset, r) : static_cast<uint8_t>(C::kImplicitZero);
    }
    out.write(blk);
  }
}

/** Combination order of the lane sums, fixed by awq_group_partial. */
template <class C>
inline typename C::accum_t combine_lanes(const typename C::accum_t* a) {
  static_assert(C::kPartialLanes == 8, "combine_lanes spells out the 8-lane tree of awq_group_partial");
  return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

/**
 * The R x C PE array. A block is processed in ceil(tile_rows/R) row passes x ceil(G/C) column
 * steps x tokens; PE (r, c) adds element j*C + c of row pass*R + r into that element's lane.
 * Finished tiles leave as rows x tokens floats on the FIFO of their output batch's channel.
 */
template <class C>
void pe_array(Fifo<Block<C>>& in, const float* act, int in_features, int out_features, int ntok,
              Fifo<float> out[C::kChannels]) {
  using acc_t = typename C::accum_t;
  using op_t = typename C::operand_t;
  const int n_tiles = ceil_div<C>(out_features, C::kTileRows);
  const int n_groups = ceil_div<C>(in_features, C::kGroupSize);
  static acc_t lanes[C::kTileRows][C::kMaxChunkTokens][C::kPartialLanes];
  static acc_t acc[C::kTileRows][C::kMaxChunkTokens];
  HLS_PRAGMA(ARRAY_PARTITION variable = lanes dim = 1 complete)
  HLS_PRAGMA(ARRAY_PARTITION variable = lanes dim = 3 complete)
  HLS_PRAGMA(ARRAY_PARTITION variable = acc dim = 1 complete)
clear_acc:
  for (int r = 0; r < C::kTileRows; ++r)
    for (int t = 0; t < ntok; ++t) acc[r][t] = 0;
blocks:
  for (int k = 0; k < n_tiles * n_groups; ++k) {
    const Block<C> blk = in.read();
    const int tile = k / n_groups, g = k % n_groups;
    const int rows = out_features - tile * C::kTileRows < C::kTileRows ? out_features - tile * C::kTileRows
                                                                       : C::kTileRows;
    const int begin = g * C::kGroupSize;
    const int len = in_features - begin < C::kGroupSize ? in_features - begin : C::kGroupSize;
  clear_lanes:
    for (int r = 0; r < C::kTileRows; ++r)
      for (int t = 0; t < ntok; ++t)
        for (int l = 0; l < C::kPartialLanes; ++l) lanes[r][t][l] = 0;
  row_passes:
    for (int rp = 0; rp < ceil_div<C>(C::kTileRows, C::kPeRows); ++rp)
    col_steps:
      for (int j = 0; j < ceil_div<C>(C::kGroupSize, C::kPeCols); ++j)
      tokens:
        for (int t = 0; t < ntok; ++t) {
          HLS_PRAGMA(PIPELINE II = 1)
        pe_rows:
          for (int r = 0; r < C::kPeRows; ++r) {
            HLS_PRAGMA(UNROLL)
          pe_cols:
            for (int c = 0; c < C::kPeCols; ++c) {
              HLS_PRAGMA(UNROLL)
              const int row = rp * C::kPeRows + r, i = j * C::kPeCols + c;
              if (row < rows && i < len) {
                const op_t w = static_cast<op_t>(static_cast<int>(blk.code[row][i]) - static_cast<int>(blk.zero[row]));
                const op_t x = act[t * in_features + begin + i];
                const op_t p = w * x;
                if constexpr (C::kFixedAccum)  // one saturating sum in input order: lane 0 only
                  lanes[row][t][0] = fpgallm_fixed::add(lanes[row][t][0], fpgallm_fixed::from_float(p, C::kAccumFracBits));
                else
                  lanes[row][t][i % C::kPartialLanes] += p;
              }
            }
          }
        }
  scale_rows:
    for (int r = 0; r < rows; ++r)
      for (int t = 0; t < ntok; ++t) {
        HLS_PRAGMA(PIPELINE II = 1)
        if constexpr (C::kFixedAccum) {
          acc[r][t] = fpgallm_fixed::add(acc[r][t], fpgallm_fixed::scale(lanes[r][t][0], blk.scale[r]));
        } else {
          const acc_t partial = combine_lanes<C>(lanes[r][t]);
          const acc_t scaled = partial * fp16_to_fp32(blk.scale[r]);
          acc[r][t] += scaled;
        }
      }
    if (g == n_groups - 1) {
      Fifo<float>& q = out[(tile / C::kTilesPerBatch) % C::kChannels];
    drain_tile:
      for (int r = 0; r < rows; ++r)
        for (int t = 0; t < ntok; ++t) {
          HLS_PRAGMA(PIPELINE II = 1)
          if constexpr (C::kFixedAccum)  // converted to fp32 once, as the tile leaves the array
            q.write(fpgallm_fixed::to_float(acc[r][t], C::kAccumFracBits));
          else
            q.write(acc[r][t]);
          acc[r][t] = 0;
        }
    }
  }
}

/**
 * Write-back on channel `ch`: output batches ch, ch + kChannels, ... (a batch is kTilesPerBatch
 * tiles, at least one AXI beat of a token's row), bias added last as in the simulator.
 */
template <class C>
void store_batches(Beat<C::kBeatBytes>* mem, int ch, const Job& job, int tok0, int ntok,
                   Fifo<float>& in) {
  constexpr int kFloatsPerBeat = C::kBeatBytes / C::kFloatBytes;
  constexpr int kBatchRows = C::kTilesPerBatch * C::kTileRows;
  const int out_features = static_cast<int>(job.out_features);
  const int n_batches = ceil_div<C>(out_features, kBatchRows);
  static float line[kBatchRows][C::kMaxChunkTokens];
  float bias[kBatchRows];
batches:
  for (int b = ch; b < n_batches; b += C::kChannels) {
    const int row0 = b * kBatchRows;
    const int rows = out_features - row0 < kBatchRows ? out_features - row0 : kBatchRows;
  gather:
    for (int r = 0; r < rows; ++r)
      for (int t = 0; t < ntok; ++t) {
        HLS_PRAGMA(PIPELINE II = 1)
        line[r][t] = in.read();
      }
    // Rows of one tile arrive row-major then token; tiles of a batch arrive in order.
    if (job.bias_off) {
      const uint64_t base = (job.bias_off + static_cast<uint64_t>(row0) * C::kFloatBytes) / C::kBeatBytes;
    load_bias:
      for (int w = 0; w < rows / kFloatsPerBeat; ++w) {
        HLS_PRAGMA(PIPELINE II = 1)
        beat_to_floats<C>(mem[base + w], bias + w * kFloatsPerBeat);
      }
    }
  write_tokens:
    for (int t = 0; t < ntok; ++t) {
      const uint64_t base =
          (job.out_off + (static_cast<uint64_t>(tok0 + t) * job.out_features + row0) * C::kFloatBytes) /
          C::kBeatBytes;
    write_beats:
      for (int w = 0; w < rows / kFloatsPerBeat; ++w) {
        HLS_PRAGMA(PIPELINE II = 1)
        Beat<C::kBeatBytes> v;
        for (int f = 0; f < kFloatsPerBeat; ++f) {
          const int r = w * kFloatsPerBeat + f;
          const float y = job.bias_off ? line[r][t] + bias[r] : line[r][t];
          const uint32_t u = f32_bits(y);
          std::memcpy(v.byte + f * C::kFloatBytes, &u, sizeof u);
        }
        mem[base + w] = v;
      }
    }
  }
}

}  // namespace fpgallm_hls
