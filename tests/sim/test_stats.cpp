#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "sim/stats/Stats.h"

using fpgallm::stats::Group;

TEST(Stats, TreeAccumulatesAndFindsByDottedPath) {
  Group root("soc");
  root.child("ddr").add("row_hits", 3, "count", "column accesses to an open row");
  root.child("ddr").add("row_hits", 4);
  root.child("ddr").child("bank0").set("activates", 2);
  EXPECT_EQ(root.value("ddr.row_hits"), 7);
  EXPECT_EQ(root.value("ddr.bank0.activates"), 2);
  EXPECT_TRUE(std::isnan(root.value("ddr.nope")));
  EXPECT_EQ(root.find_child("ddr")->find("row_hits")->desc, "column accesses to an open row");
}

TEST(Stats, JsonCsvAndTableCarryEveryStat) {
  Group root("soc");
  root.child("axi").set("bytes_read", 4096, "bytes");
  root.set("time_ns", 12.5, "ns", "simulated time");
  const auto j = root.to_json();
  EXPECT_EQ(j["axi"]["bytes_read"]["value"], 4096);
  EXPECT_EQ(j["time_ns"]["unit"], "ns");
  std::ostringstream csv;
  root.write_csv(csv);
  EXPECT_NE(csv.str().find("soc.axi,bytes_read,4096,bytes,"), std::string::npos);
  const auto table = root.to_table();
  EXPECT_NE(table.find("bytes_read"), std::string::npos);
  EXPECT_NE(table.find("12.5"), std::string::npos);
}
