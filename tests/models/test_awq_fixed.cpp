#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "models/core/Dtype.h"
#include "models/quant/AwqKernels.h"

using namespace fpgallm;

namespace {

QuantLinear random_layer(int64_t in, int64_t out, int64_t G, uint32_t seed) {
  std::mt19937 rng(seed);
  QuantLinear q;
  q.in_features = in;
  q.out_features = out;
  q.group_size = G;
  q.q.resize(static_cast<size_t>(in * out));
  q.scales.resize(static_cast<size_t>(out * q.n_groups()));
  q.zeros.resize(q.scales.size());
  std::uniform_int_distribution<int> code(0, 15);
  std::uniform_real_distribution<float> sc(0.001f, 0.05f);
  for (auto& v : q.q) v = static_cast<uint8_t>(code(rng));
  for (auto& v : q.zeros) v = static_cast<uint8_t>(code(rng));
  for (auto& v : q.scales) v = f32_to_f16(sc(rng));
  return q;
}

std::vector<float> normals(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace

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
  const QuantLinear q = random_layer(200, 24, 64, 1);
  const auto x = normals(3 * 200, 2);
  std::vector<float> a(3 * 24), b(3 * 24);
  awq_linear(q, x.data(), 3, nullptr, a.data());
  awq_linear_accum(q, x.data(), 3, nullptr, b.data(), AwqAccum{});
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0);
}

TEST(AwqFixed, Fixed64LinearIsWithinItsResolutionOfTheExactResult) {
  const int64_t in = 200, out = 24, G = 64, n = 3;
  const QuantLinear q = random_layer(in, out, G, 3);
  const auto x = normals(static_cast<size_t>(n * in), 4);
  const auto bias = normals(static_cast<size_t>(out), 5);
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
  const QuantLinear q = random_layer(64, 1, 64, 6);
  auto x = normals(64, 7);
  const int64_t fwd = awq_group_partial_fixed(q.q.data(), q.zeros[0], x.data(), 64, 24);
  std::vector<uint8_t> rc(q.q.rbegin(), q.q.rend());
  std::vector<float> rx(x.rbegin(), x.rend());
  EXPECT_EQ(awq_group_partial_fixed(rc.data(), q.zeros[0], rx.data(), 64, 24), fwd);
}
