#include "dse/Resources.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"
#include "sim/accel/KernelPlan.h"

namespace fpgallm::dse {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

OpCost parse_op(YamlMap& m, const char* key, bool has_dsp) {
  YamlMap o = m.child(key, true);
  OpCost c;
  if (has_dsp) c.dsp48e2 = o.require<int64_t>("dsp48e2");
  c.luts = o.require<int64_t>("luts");
  c.ffs = o.require<int64_t>("ffs");
  for (const char* k : {"luts", "ffs"})
    if (o.get<int64_t>(k, 0) < 0) o.error(k, "must be >= 0");
  o.finish();
  return c;
}

/** UG573 36 Kb BRAM aspect ratios as data bits: 32K x 1 ... 512 x 64 (the parity bits unused). */
constexpr int64_t kBramWidths[] = {1, 2, 4, 8, 16, 32, 64};

}  // namespace

ResourceCosts load_resource_costs(const std::string& file) {
  ResourceCosts c;
  c.file = file;
  YamlMap root = YamlMap::load(file);
  YamlMap m = root.child("costs", true);
  c.fp32_mul = parse_op(m, "fp32_mul", true);
  c.fp32_add = parse_op(m, "fp32_add", true);
  c.pe_overhead = parse_op(m, "pe_overhead", false);
  c.unpack_lane = parse_op(m, "unpack_lane", false);
  c.dma_channel = parse_op(m, "dma_channel", false);
  c.control = parse_op(m, "control", false);
  c.bram36_bits = m.require<int64_t>("bram36_bits");
  c.uram288_depth = m.require<int64_t>("uram288_depth");
  c.uram288_data_bits = m.require<int64_t>("uram288_data_bits");
  c.lutram_bits_per_lut = m.require<int64_t>("lutram_bits_per_lut");
  c.fifo_control = m.require<int64_t>("fifo_control_luts");
  m.check_positive("lutram_bits_per_lut", c.lutram_bits_per_lut);
  if (c.fifo_control < 0) m.error("fifo_control_luts", "must be >= 0");
  m.check_positive("bram36_bits", c.bram36_bits);
  m.check_positive("uram288_depth", c.uram288_depth);
  m.check_positive("uram288_data_bits", c.uram288_data_bits);
  m.finish();
  root.finish();
  return c;
}

int64_t bram36_for(int64_t depth, int64_t width_bits, const ResourceCosts& c) {
  // 36 Kb = 32K data bits at widths 1..32 (x1..x36 with parity), 512 x 64 at the widest.
  const int64_t data_bits = c.bram36_bits / 9 * 8;
  int64_t best = std::numeric_limits<int64_t>::max();
  for (int64_t w : kBramWidths) {
    const int64_t d = data_bits / w;
    best = std::min(best, ceil_div(width_bits, w) * ceil_div(depth, d));
  }
  return best;
}

int64_t uram288_for(int64_t depth, int64_t width_bits, const ResourceCosts& c) {
  return ceil_div(width_bits, c.uram288_data_bits) * ceil_div(depth, c.uram288_depth);
}

namespace {

/** One of the kernel's arrays on its primitive: block RAM (BRAM or URAM, decided later), LUTRAM or registers. */
MemoryMap map_memory(const sim::KernelArray& x, const ResourceCosts& c, ResourceEstimate& r) {
  MemoryMap mm;
  mm.name = x.name;
  mm.copies = x.copies;
  mm.banks = x.banks;
  mm.depth = x.depth;
  mm.width_bits = x.width_bits;
  const int64_t n = x.banks * x.copies;
  const bool fifo = x.storage == sim::KernelStorage::FifoBram || x.storage == sim::KernelStorage::FifoLutram;
  if (fifo) r.luts += x.copies * c.fifo_control;
  switch (x.storage) {
    case sim::KernelStorage::Bram:
    case sim::KernelStorage::FifoBram: {
      mm.block_ram = true;
      mm.bram36 = n * bram36_for(x.depth, x.width_bits, c);
      mm.uram288 = n * uram288_for(x.depth, x.width_bits, c);
      // Whichever primitive holds it with less waste (data bits / primitive bits), BRAM on a tie.
      const double bram_bits = static_cast<double>(mm.bram36 * c.bram36_bits);
      const double uram_bits = static_cast<double>(mm.uram288 * c.uram288_depth * (c.uram288_data_bits + 8));
      mm.in_uram = uram_bits < bram_bits;
      break;
    }
    case sim::KernelStorage::Lutram:
    case sim::KernelStorage::FifoLutram:
      mm.kind = "lutram";
      mm.luts = n * ceil_div(x.depth * x.width_bits, c.lutram_bits_per_lut);
      r.luts += mm.luts;
      break;
    case sim::KernelStorage::Registers:
      mm.kind = "registers";
      mm.ffs = n * x.depth * x.width_bits;
      r.ffs += mm.ffs;
      break;
  }
  return mm;
}

/** Block RAM memories on BRAM or URAM, the largest moved to URAM while BRAM is over budget and URAM has room. */
void place_block_ram(ResourceEstimate& r, const sim::PlResources& pl, const ResourceMargins& m) {
  auto totals = [&] {
    r.bram36 = r.uram288 = 0;
    for (auto& mm : r.memories) {
      if (!mm.block_ram) continue;
      mm.kind = mm.in_uram ? "uram288" : "bram36";
      (mm.in_uram ? r.uram288 : r.bram36) += mm.in_uram ? mm.uram288 : mm.bram36;
    }
  };
  totals();
  // BRAM over budget while URAM has room: move the largest BRAM memories to URAM.
  const auto bram_cap = static_cast<int64_t>(static_cast<double>(pl.bram36) * m.bram36);
  const auto uram_cap = static_cast<int64_t>(static_cast<double>(pl.uram288) * m.uram288);
  std::vector<size_t> order(r.memories.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return r.memories[x].bram36 > r.memories[y].bram36; });
  for (size_t i : order) {
    if (r.bram36 <= bram_cap) break;
    auto& mm = r.memories[i];
    if (mm.block_ram && !mm.in_uram && r.uram288 + mm.uram288 <= uram_cap) {
      mm.in_uram = true;
      totals();
    }
  }

}

/** The largest utilisation, and the first resource over its margin makes the design infeasible. */
void check_budget(ResourceEstimate& r, const sim::PlResources& pl, const ResourceMargins& m) {
  struct Check {
    const char* name;
    int64_t used, total;
    double margin;
  };
  const Check checks[] = {{"dsp48e2", r.dsp48e2, pl.dsp48e2, m.dsp48e2},
                          {"luts", r.luts, pl.luts, m.luts},
                          {"ffs", r.ffs, pl.ffs, m.ffs},
                          {"bram36", r.bram36, pl.bram36, m.bram36},
                          {"uram288", r.uram288, pl.uram288, m.uram288}};
  for (const auto& k : checks) {
    r.max_utilisation = std::max(r.max_utilisation, static_cast<double>(k.used) / static_cast<double>(k.total));
    const double cap = static_cast<double>(k.total) * k.margin;
    if (r.feasible && static_cast<double>(k.used) > cap) {
      r.feasible = false;
      r.reason = fmt::format("{} {} > {:.0f} ({:.0f}% of the {}'s {})", k.name, k.used, cap, 100.0 * k.margin,
                             pl.device, k.total);
    }
  }
}

}  // namespace

ResourceEstimate estimate_resources(const sim::AccelConfig& a, const sim::PlResources& pl, const ResourceCosts& c,
                                    const ResourceMargins& m) {
  ResourceEstimate r;
  const sim::KernelPlan plan(a);
  const bool fixed = a.pe_accum_type == sim::PeNumType::Fixed64;
  // Operators: per PE a multiplier and (fp32 sums) an adder; the scale stage's lane combination,
  // scale multiply and accumulation per scale row; one bias add per output word a beat.
  const int64_t pes = a.pe_rows * a.pe_cols;
  const int64_t scale_adds = plan.scale_rows() * (fixed ? 1 : 7 + 1), scale_muls = plan.scale_rows();
  const int64_t bias_adds = a.n_channels * (a.macro.beat_bytes / kF32Bytes);
  const int64_t muls = pes + scale_muls, adds = (fixed ? 0 : pes) + scale_adds + bias_adds;
  r.dsp48e2 = plan.dsp48e2();
  // Codes decoded per cycle: the lanes the kernel really has, a beat per II each.
  const int64_t codes = plan.unpack_lanes() * plan.codes_per_beat() / plan.unpack_ii();
  r.luts = muls * c.fp32_mul.luts + adds * c.fp32_add.luts + pes * c.pe_overhead.luts + codes * c.unpack_lane.luts +
           a.n_channels * c.dma_channel.luts + c.control.luts;
  r.ffs = muls * c.fp32_mul.ffs + adds * c.fp32_add.ffs + pes * c.pe_overhead.ffs + codes * c.unpack_lane.ffs +
          a.n_channels * c.dma_channel.ffs + c.control.ffs;

  for (const sim::KernelArray& x : plan.arrays()) r.memories.push_back(map_memory(x, c, r));
  place_block_ram(r, pl, m);
  check_budget(r, pl, m);
  return r;
}

nlohmann::json memory_json(const MemoryMap& m) {
  nlohmann::json j{{"kind", m.kind}, {"depth", m.depth}, {"width_bits", m.width_bits}, {"banks", m.banks},
                   {"copies", m.copies}};
  if (m.block_ram) j["count"] = m.in_uram ? m.uram288 : m.bram36;
  if (m.luts) j["luts"] = m.luts;
  if (m.ffs) j["ffs"] = m.ffs;
  return j;
}

nlohmann::json ResourceEstimate::to_json() const {
  nlohmann::json j{{"luts", luts},       {"ffs", ffs},           {"dsp48e2", dsp48e2},
                   {"bram36", bram36},   {"uram288", uram288},   {"feasible", feasible},
                   {"reason", reason},   {"max_utilisation", max_utilisation}};
  for (const auto& m : memories) j["memories"][m.name] = memory_json(m);
  return j;
}

}  // namespace fpgallm::dse
