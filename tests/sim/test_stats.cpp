#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>

#include "models/core/Error.h"
#include "sim/stats/Stats.h"

using fpgallm::stats::Group;
using fpgallm::stats::Quantity;

TEST(Stats, TreeAccumulatesAndFindsByDottedPath) {
  Group root("soc");
  root.child("ddr").add("row_hits", 3, Quantity::Count, "column accesses to an open row");
  root.child("ddr").add("row_hits", 4, Quantity::Count, "column accesses to an open row");
  root.child("ddr").child("bank0").set("activates", 2, Quantity::Count, "ACT commands");
  EXPECT_EQ(root.value("ddr.row_hits"), 7);
  EXPECT_EQ(root.value("ddr.bank0.activates"), 2);
  EXPECT_TRUE(std::isnan(root.value("ddr.nope")));
  EXPECT_EQ(root.find_child("ddr")->find("row_hits")->desc, "column accesses to an open row");
}

TEST(Stats, JsonCsvAndTableCarryEveryStatWithItsUnitsSpelling) {
  Group root("soc");
  root.child("axi").set("bytes_read", 4096, Quantity::Bytes, "bytes read through the port");
  root.set("time_ns", 12.5, Quantity::Ns, "simulated time");
  root.set("bandwidth", 3.5, Quantity::GBps, "bytes / busy time");
  const auto j = root.to_json();
  EXPECT_EQ(j["axi"]["bytes_read"]["value"], 4096);
  EXPECT_EQ(j["time_ns"]["unit"], "ns");
  EXPECT_EQ(j["bandwidth"]["unit"], "GB/s");
  std::ostringstream csv;
  root.write_csv(csv);
  EXPECT_NE(csv.str().find("soc.axi,bytes_read,4096,bytes,bytes read through the port"), std::string::npos);
  const auto table = root.to_table();
  EXPECT_NE(table.find("bytes_read"), std::string::npos);
  EXPECT_NE(table.find("12.5"), std::string::npos);
}

TEST(Stats, AStatWithoutADescriptionIsRefusedNamingIt) {
  Group root("soc");
  try {
    root.child("ddr").set("activates", 2, Quantity::Count, "");
    FAIL() << "an undescribed stat was accepted";
  } catch (const fpgallm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("ddr.activates"), std::string::npos) << e.what();
  }
}

TEST(Stats, EveryQuantityHasItsOwnSpelling) {
  std::set<std::string> seen;
  for (Quantity q : {Quantity::Count, Quantity::Bytes, Quantity::Ns, Quantity::Ms, Quantity::Cycles, Quantity::Percent,
                     Quantity::GBps, Quantity::TokensPerS, Quantity::Enum})
    EXPECT_TRUE(seen.insert(fpgallm::stats::quantity_name(q)).second) << fpgallm::stats::quantity_name(q);
}
