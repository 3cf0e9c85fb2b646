// The PL resource estimate: DSPs per MAC from PG060, BRAM/URAM packing from UG573, margins.
#include <gtest/gtest.h>

#include "dse/Resources.h"
#include "sim/soc/SocConfig.h"

using namespace fpgallm;
using namespace fpgallm::dse;

namespace {
const std::string kSrc = FPGALLM_SOURCE_DIR;
sim::SocConfig paper() {
  return sim::load_soc_config(kSrc + "/configs/platform/kv260.yaml", kSrc + "/configs/accel/paper_gs64_pe8x8.yaml");
}
ResourceCosts costs() { return load_resource_costs(kSrc + "/configs/dse/resource_costs.yaml"); }
}  // namespace

TEST(Resources, PaperDesignFitsTheXck26AndCountsDspsLikeTheAccelConfig) {
  const auto soc = paper();
  const ResourceEstimate r = estimate_resources(soc.accel, soc.pl, costs(), ResourceMargins{});
  EXPECT_TRUE(r.feasible) << r.reason;
  EXPECT_EQ(r.dsp48e2, soc.accel.dsp_used());
  EXPECT_EQ(r.dsp48e2, 8 * 8 * 5 + 1 * (7 * 2 + 3 + 2) + 4 * 4 * 2);  // PE array, one scale row, 16 bias adds
  EXPECT_GT(r.luts, 0);
  EXPECT_GT(r.ffs, r.luts);
  EXPECT_LE(r.bram36 + r.uram288, soc.pl.bram36 + soc.pl.uram288);
  EXPECT_GT(r.max_utilisation, 0.0);
}

TEST(Resources, A16x16ArrayOverflowsTheDspsAndSaysSo) {
  auto soc = paper();
  soc.accel.pe_rows = soc.accel.pe_cols = 16;
  const ResourceEstimate r = estimate_resources(soc.accel, soc.pl, costs(), ResourceMargins{});
  EXPECT_FALSE(r.feasible);
  // 16 columns: 4 column steps for the 8-row tile, so the scale stage takes 2 rows a cycle.
  EXPECT_EQ(r.dsp48e2, 16 * 16 * 5 + 2 * (7 * 2 + 3 + 2) + 4 * 4 * 2);
  EXPECT_EQ(r.reason.rfind("dsp48e2", 0), 0u) << r.reason;
  EXPECT_NE(r.reason.find("1248"), std::string::npos) << r.reason;
}

TEST(Resources, TheLutMarginIsASetting) {
  auto soc = paper();
  ResourceMargins m;
  const ResourceEstimate ok = estimate_resources(soc.accel, soc.pl, costs(), m);
  m.luts = static_cast<double>(ok.luts - 1) / static_cast<double>(soc.pl.luts);
  const ResourceEstimate tight = estimate_resources(soc.accel, soc.pl, costs(), m);
  EXPECT_FALSE(tight.feasible);
  EXPECT_EQ(tight.reason.rfind("luts", 0), 0u) << tight.reason;
}

TEST(Resources, BramPackingUsesTheBestUg573AspectRatio) {
  const ResourceCosts c = costs();
  EXPECT_EQ(bram36_for(512, 64, c), 1);    // 512 x 72
  EXPECT_EQ(bram36_for(1024, 64, c), 2);
  EXPECT_EQ(bram36_for(4096, 8, c), 1);    // 4K x 9
  EXPECT_EQ(bram36_for(4097, 8, c), 2);
  EXPECT_EQ(bram36_for(32768, 1, c), 1);   // 32K x 1
  EXPECT_EQ(bram36_for(100, 256, c), 4);   // four 512 x 72 side by side
  EXPECT_EQ(uram288_for(4096, 64, c), 1);  // 4K x 72
  EXPECT_EQ(uram288_for(4096, 256, c), 4);
  EXPECT_EQ(uram288_for(8192, 64, c), 2);
}

TEST(Resources, BuffersMoveToUramWhenBramRunsOut) {
  auto soc = paper();
  soc.accel.weight_buffer_bytes = 512 * 1024;  // 128 BRAM36 as 2 x 256 KiB ping-pong
  soc.accel.act_buffer_bytes = 128 * 1024;
  const ResourceEstimate r = estimate_resources(soc.accel, soc.pl, costs(), ResourceMargins{});
  EXPECT_TRUE(r.feasible) << r.reason;
  EXPECT_GT(r.uram288, 0);
  EXPECT_LE(r.bram36, soc.pl.bram36);
}
