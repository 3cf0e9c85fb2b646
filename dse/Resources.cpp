#include "dse/Resources.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "models/core/Error.h"
#include "models/core/YamlConfig.h"

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

ResourceEstimate estimate_resources(const sim::AccelConfig& a, const sim::PlResources& pl, const ResourceCosts& c,
                                    const ResourceMargins& m) {
  ResourceEstimate r;
  // fp32 operands and accumulators (the only PE types the simulator accepts): one multiplier and
  // one adder per PE, and per PE row one more MAC for the per-group scale (acc += partial * s).
  const int64_t pes = a.pe_rows * a.pe_cols, macs = pes + a.pe_rows;
  const OpCost mac{c.fp32_mul.dsp48e2 + c.fp32_add.dsp48e2, c.fp32_mul.luts + c.fp32_add.luts,
                   c.fp32_mul.ffs + c.fp32_add.ffs};
  // A config that overrides dsp_per_pe (e.g. fewer DSPs, more fabric) is charged what it states.
  const int64_t dsp_per_mac = a.dsp_per_pe;
  r.dsp48e2 = macs * dsp_per_mac;
  r.luts = macs * mac.luts + pes * c.pe_overhead.luts + a.unpack_codes_per_cycle * c.unpack_lane.luts +
           a.n_channels * c.dma_channel.luts + c.control.luts;
  r.ffs = macs * mac.ffs + pes * c.pe_overhead.ffs + a.unpack_codes_per_cycle * c.unpack_lane.ffs +
          a.n_channels * c.dma_channel.ffs + c.control.ffs;

  // Memories at the widths the datapath reads them: the unpacker takes codes_per_cycle x bits of
  // the weight buffer per cycle, the PE array cols activations and rows outputs (fp32).
  const int64_t halves = a.weight_double_buffered ? 2 : 1;
  auto mem = [&](const char* name, int64_t bytes, int64_t copies, int64_t width_bits) {
    MemoryMap mm;
    mm.name = name;
    mm.copies = copies;
    mm.width_bits = width_bits;
    mm.depth = ceil_div(bytes * 8 / copies, width_bits);
    mm.bram36 = copies * bram36_for(mm.depth, width_bits, c);
    mm.uram288 = copies * uram288_for(mm.depth, width_bits, c);
    // Whichever primitive holds it with less waste (data bits / primitive bits), BRAM on a tie.
    const double bram_bits = static_cast<double>(mm.bram36 * c.bram36_bits);
    const double uram_bits = static_cast<double>(mm.uram288 * c.uram288_depth * (c.uram288_data_bits + 8));
    mm.in_uram = uram_bits < bram_bits;
    r.memories.push_back(mm);
  };
  mem("weight_buffer", a.weight_buffer_bytes, halves, std::max<int64_t>(a.unpack_codes_per_cycle * a.macro.bits, 8));
  mem("act_buffer", a.act_buffer_bytes, 1, a.pe_cols * 32);
  mem("out_buffer", a.out_buffer_bytes, 1, a.pe_rows * 32);
  auto totals = [&] {
    r.bram36 = r.uram288 = 0;
    for (const auto& mm : r.memories) (mm.in_uram ? r.uram288 : r.bram36) += mm.in_uram ? mm.uram288 : mm.bram36;
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
    if (!mm.in_uram && r.uram288 + mm.uram288 <= uram_cap) {
      mm.in_uram = true;
      totals();
    }
  }

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
  return r;
}

nlohmann::json ResourceEstimate::to_json() const {
  nlohmann::json j{{"luts", luts},       {"ffs", ffs},           {"dsp48e2", dsp48e2},
                   {"bram36", bram36},   {"uram288", uram288},   {"feasible", feasible},
                   {"reason", reason},   {"max_utilisation", max_utilisation}};
  for (const auto& m : memories)
    j["memories"][m.name] = {{"depth", m.depth}, {"width_bits", m.width_bits}, {"copies", m.copies},
                             {"kind", m.in_uram ? "uram288" : "bram36"}, {"count", m.in_uram ? m.uram288 : m.bram36}};
  return j;
}

}  // namespace fpgallm::dse
