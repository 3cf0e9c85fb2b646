#pragma once
#include <gtest/gtest.h>
#include <systemc>

#include "sim/soc/SimKernel.h"

namespace fpgallm::test {

/** Gives every SystemC test a fresh simulation context: the kernel elaborates once per context. */
class SimTest : public ::testing::Test {
 protected:
  void SetUp() override { fpgallm::sim::new_simulation_context(); }
};

}  // namespace fpgallm::test
