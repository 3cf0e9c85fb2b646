#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "models/core/Dtype.h"
#include "models/quant/AwqKernels.h"
#include "tests/models/RandomQuant.h"

using namespace fpgallm;

using test::random_floats;
using test::random_quant;

TEST(AwqFixed, FloatToFixedRoundsToNearestEvenAndSaturates) {
  EXPECT_EQ(awq_fixed_from_float(1.5f, 1), 3);
  EXPECT_EQ(awq_fixed_from_float(0.75f, 1), 2);    // 1.5 -> 2 (tie to even)
  EXPECT_EQ(awq_fixed_from_float(1.25f, 1), 2);    // 2.5 -> 2 (tie to even)
  EXPECT_EQ(awq_fixed_from_float(0.25f, 1), 0);    // 0.5 -> 0
  EXPECT_EQ(awq_fixed_from_float(-0.75f, 1), -2);
  EXPECT_EQ(awq_fixed_from_float(0.3f, 24), std::llrint(0.3f * 16777216.0));
  EXPECT_EQ(awq_fixed_from_float(1e-30f, 24), 0);
  EXPECT_EQ(awq_fixed_from_float(1e30f, 24), kAwqFixedLimit);
  EXPECT_EQ(awq_fixed_from_float(-INFINITY, 8), -kAwqFixedLimit);
  EXPECT_EQ(awq_fixed_from_float(NAN, 8), 0);
}

TEST(AwqFixed, ScalingByAnFp16ScaleIsExactThenRoundsHalfUp) {
  const int64_t one = int64_t{1} << 24;
  EXPECT_EQ(awq_fixed_scale(one, f32_to_f16(0.5f)), one / 2);
  EXPECT_EQ(awq_fixed_scale(one, f32_to_f16(-2.0f)), -2 * one);
  EXPECT_EQ(awq_fixed_scale(1, f32_to_f16(0.5f)), 1);   // 0.5 -> 1
  EXPECT_EQ(awq_fixed_scale(-1, f32_to_f16(0.5f)), 0);  // -0.5 -> 0 (half up)
  EXPECT_EQ(awq_fixed_scale(3, 0x0001), 0);              // subnormal scale 2^-24
  EXPECT_EQ(awq_fixed_scale(kAwqFixedLimit, f32_to_f16(60000.0f)), kAwqFixedLimit);
  EXPECT_EQ(awq_fixed_add(kAwqFixedLimit, kAwqFixedLimit), kAwqFixedLimit);
  EXPECT_EQ(awq_fixed_to_float(3 << 20, 20), 3.0f);
}

TEST(AwqFixed, Fp32AccumIsExactlyAwqLinear) {
  const QuantLinear q = random_quant(200, 24, 64, 1);
  const auto x = random_floats(3 * 200, 2);
  std::vector<float> a(3 * 24), b(3 * 24);
  awq_linear(q, x.data(), 3, nullptr, a.data());
  awq_linear_accum(q, x.data(), 3, nullptr, b.data(), AwqAccum{});
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0);
}

TEST(AwqFixed, Fixed64LinearIsWithinItsResolutionOfTheExactResult) {
  const int64_t in = 200, out = 24, G = 64, n = 3;
  const QuantLinear q = random_quant(in, out, G, 3);
  const auto x = random_floats(static_cast<size_t>(n * in), 4);
  const auto bias = random_floats(static_cast<size_t>(out), 5);
  for (int F : {12, 24}) {
    std::vector<float> y(static_cast<size_t>(n * out));
    awq_linear_accum(q, x.data(), n, bias.data(), y.data(), AwqAccum{AwqAccumKind::Fixed64, F});
    for (int64_t t = 0; t < n; ++t)
      for (int64_t o = 0; o < out; ++o) {
        double exact = 0;
        for (int64_t i = 0; i < in; ++i) {
          const int64_t g = i / G;
          exact += (static_cast<double>(q.q[o * in + i]) - q.zeros[o * q.n_groups() + g]) *
                   f16_to_f32(q.scales[o * q.n_groups() + g]) * x[t * in + i];
        }
        exact += bias[o];
        // Each product rounds by 2^-(F+1) (then scaled by <= 0.05), plus fp32 products and the final conversions.
        const double tol = in * std::ldexp(1.0, -F) + 1e-4 * (1.0 + std::fabs(exact));
        EXPECT_NEAR(y[t * out + o], exact, tol) << "F " << F << " token " << t << " row " << o;
      }
  }
}

TEST(AwqFixed, Fixed64PartialDoesNotDependOnTheOrderOfItsInputs) {
  // Integer sums are associative: reversing the group's inputs changes no bit (unlike fp32 lanes).
  const QuantLinear q = random_quant(64, 1, 64, 6);
  auto x = random_floats(64, 7);
  const int64_t fwd = awq_group_partial_fixed(q.q.data(), q.zeros[0], x.data(), 64, 24);
  std::vector<uint8_t> rc(q.q.rbegin(), q.q.rend());
  std::vector<float> rx(x.rbegin(), x.rend());
  EXPECT_EQ(awq_group_partial_fixed(rc.data(), q.zeros[0], rx.data(), 64, 24), fwd);
}
