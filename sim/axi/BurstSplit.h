#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/axi/AxiConfig.h"

namespace fpgallm::sim {

/** x / d and x % d by a shift and a mask when d is a power of two (beats and DRAM lines are): the
 *  fast models split every transfer, and 64-bit divisions were most of their time. */
struct Divisor {
  uint64_t d;
  int shift;
  explicit Divisor(uint64_t v) : d(v), shift(v != 0 && (v & (v - 1)) == 0 ? __builtin_ctzll(v) : -1) {}
  uint64_t quot(uint64_t x) const { return shift >= 0 ? x >> shift : x / d; }
  uint64_t rem(uint64_t x) const { return shift >= 0 ? x & (d - 1) : x % d; }
};

/**
 * Bytes of the next AXI burst of a transaction with `left` bytes at `addr`: at most
 * `max_burst_bytes` counted from the first beat's start (an unaligned start wastes part of that
 * beat), never across a 4 KB boundary. The one split rule of the cycle and fast AXI paths.
 */
inline uint64_t axi_burst_bytes(uint64_t addr, uint64_t left, const Divisor& beat, uint64_t max_burst_bytes) {
  constexpr uint64_t kBoundary = axi_defaults::kBurstBoundaryBytes;
  static_assert((kBoundary & (kBoundary - 1)) == 0, "the AXI burst boundary is a power of two");
  return std::min({left, max_burst_bytes - beat.rem(addr), kBoundary - (addr & (kBoundary - 1))});
}
inline uint64_t axi_burst_bytes(uint64_t addr, uint64_t left, uint64_t beat_bytes, uint64_t max_burst_bytes) {
  return axi_burst_bytes(addr, left, Divisor(beat_bytes), max_burst_bytes);
}

/** Beats of a burst of `bytes` at `addr` (partial first and last beats count whole). */
inline uint64_t axi_burst_beats(uint64_t addr, uint64_t bytes, const Divisor& beat) {
  return beat.quot(beat.rem(addr) + bytes + beat.d - 1);
}
inline uint64_t axi_burst_beats(uint64_t addr, uint64_t bytes, uint64_t beat_bytes) {
  return axi_burst_beats(addr, bytes, Divisor(beat_bytes));
}

/**
 * What a transfer puts on an AXI port and on the DRAM: its transactions, bursts and beats; the
 * `line_bytes` DRAM accesses (BL8 x bus width) the bursts touch; and where a burst starts on the
 * line the previous one ended on (that line is read twice, back to back in one bank group).
 */
struct BurstFootprint {
  uint64_t transactions = 0, bursts = 0, beats = 0, lines = 0;
  uint64_t shared_starts = 0;        ///< bursts starting on the line the transaction's previous burst ended on
  uint64_t shared_piece_starts = 0;  ///< pieces starting on the line the previous piece ended on
  BurstFootprint& operator+=(const BurstFootprint& o) {
    transactions += o.transactions, bursts += o.bursts, beats += o.beats, lines += o.lines;
    shared_starts += o.shared_starts, shared_piece_starts += o.shared_piece_starts;
    return *this;
  }
};

/**
 * One AXI transaction of `bytes` at `addr` split by axi_burst_bytes. A burst that does not start
 * and end on a line boundary reads whole lines, so back-to-back unaligned bursts read their shared
 * line twice: the DRAM's side of it, which the cycle DDR model sees burst by burst.
 */
/** Adds to `f` one burst of `take` bytes at `addr`; `prev_last_line` is the last line of the burst before it. */
inline void add_burst(BurstFootprint& f, uint64_t addr, uint64_t take, const Divisor& beat, const Divisor& line,
                      uint64_t& prev_last_line) {
  const uint64_t first_line = line.quot(addr), last_line = line.quot(addr + take - 1);
  ++f.bursts;
  f.beats += axi_burst_beats(addr, take, beat);
  f.lines += last_line - first_line + 1;
  if (first_line == prev_last_line) ++f.shared_starts;
  prev_last_line = last_line;
}

inline BurstFootprint burst_footprint(uint64_t addr, uint64_t bytes, const Divisor& beat, uint64_t max_burst_bytes,
                                      const Divisor& line) {
  BurstFootprint f;
  f.transactions = bytes > 0 ? 1 : 0;
  uint64_t prev_last_line = UINT64_MAX;
  while (bytes > 0) {
    const uint64_t take = axi_burst_bytes(addr, bytes, beat, max_burst_bytes);
    add_burst(f, addr, take, beat, line, prev_last_line);
    addr += take, bytes -= take;
  }
  return f;
}

inline BurstFootprint burst_footprint(uint64_t addr, uint64_t bytes, uint64_t beat_bytes, uint64_t max_burst_bytes,
                                      uint64_t line_bytes) {
  return burst_footprint(addr, bytes, Divisor(beat_bytes), max_burst_bytes, Divisor(line_bytes));
}

/**
 * burst_footprint(addr, n, ...) of every n up to `max_bytes` from one fixed `addr` (the PS port's
 * chunks all start at its scratch buffer): the longest transfer's bursts are walked once, and a
 * shorter one is the same bursts cut inside the one holding its last byte (a shorter `left` changes
 * axi_burst_bytes only there), in O(log bursts).
 */
class BurstPrefix {
 public:
  BurstPrefix() = default;
  BurstPrefix(uint64_t addr, uint64_t max_bytes, uint64_t beat_bytes, uint64_t max_burst_bytes, uint64_t line_bytes)
      : addr_(addr), max_bytes_(max_bytes), max_burst_bytes_(max_burst_bytes), beat_(beat_bytes), line_(line_bytes) {
    BurstFootprint f;
    f.transactions = 1;
    uint64_t prev = UINT64_MAX, off = 0;
    while (off < max_bytes) {
      const uint64_t take = axi_burst_bytes(addr + off, max_bytes - off, beat_, max_burst_bytes);
      bursts_.push_back(Burst{off, off + take, prev, f});
      add_burst(f, addr + off, take, beat_, line_, prev);
      off += take;
    }
  }
  BurstFootprint operator()(uint64_t bytes) const {
    if (bytes == 0) return BurstFootprint{};
    if (bytes > max_bytes_) return burst_footprint(addr_, bytes, beat_, max_burst_bytes_, line_);
    const auto it = std::lower_bound(bursts_.begin(), bursts_.end(), bytes,
                                     [](const Burst& b, uint64_t n) { return b.end < n; });
    BurstFootprint f = it->before;
    uint64_t prev = it->prev_last_line;
    add_burst(f, addr_ + it->start, bytes - it->start, beat_, line_, prev);
    return f;
  }

 private:
  struct Burst {
    uint64_t start, end;      ///< offsets of its first byte and past its last
    uint64_t prev_last_line;  ///< last line of the burst before it
    BurstFootprint before;    ///< the bursts before it
  };
  uint64_t addr_ = 0, max_bytes_ = 0, max_burst_bytes_ = 0;
  Divisor beat_{1}, line_{1};
  std::vector<Burst> bursts_;
};

/**
 * A transfer that stands for back-to-back AXI transactions of `piece_bytes` each (0: one
 * transaction): the sum of their footprints. The fast DMA moves many MACRO blocks in one
 * transfer where the cycle DMA (and the emitted kernel's load_weights) issues one transaction per
 * block; this is what those cost.
 */
inline BurstFootprint pieces_footprint(uint64_t addr, uint64_t bytes, uint64_t piece_bytes, uint64_t beat_bytes,
                                       uint64_t max_burst_bytes, uint64_t line_bytes) {
  if (piece_bytes == 0 || piece_bytes >= bytes) return burst_footprint(addr, bytes, beat_bytes, max_burst_bytes, line_bytes);
  const Divisor beat(beat_bytes), line(line_bytes);
  BurstFootprint f;
  for (uint64_t off = 0; off < bytes; off += piece_bytes) {
    const uint64_t a = addr + off;
    if (off > 0 && line.quot(a) == line.quot(a - 1)) ++f.shared_piece_starts;
    f += burst_footprint(a, std::min(piece_bytes, bytes - off), beat, max_burst_bytes, line);
  }
  return f;
}

/**
 * Time a port-paced stream loses at one refresh: the DRAM moves no data for `pause_ns`; the port
 * keeps streaming the `in_flight` bursts already granted (of beats / bursts beats each on average),
 * then waits for the rest.
 */
inline double refresh_port_stall_ns(double pause_ns, uint64_t in_flight, uint64_t beats, uint64_t bursts, double beat_ns) {
  const double drain_ns = bursts > 0 ? static_cast<double>(in_flight) * static_cast<double>(beats) / static_cast<double>(bursts) * beat_ns : 0.0;
  return std::max(0.0, pause_ns - drain_ns);
}

}  // namespace fpgallm::sim
