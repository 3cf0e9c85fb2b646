#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "models/core/Dtype.h"
#include "models/core/Error.h"
#include "models/quant/AwqKernels.h"
#include "tests/models/RandomQuant.h"

using namespace fpgallm;

using test::random_floats;
using test::random_quant;

TEST(AwqInt8, ActivationsQuantizePerTokenByAbsmaxWithTiesToEven) {
  // absmax 127: inv = 1, so q = round_even(x) and the scale is 1.
  const std::vector<float> x{127.0f, -127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 3.4f};
  std::vector<int8_t> q(x.size());
  EXPECT_EQ(awq_quantize_act_int8(x.data(), static_cast<int64_t>(x.size()), q.data()), 1.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{127, -127, 0, 2, 2, 0, -2, 3}));
  const std::vector<float> y{-2.0f, 1.0f, 0.0f};
  std::vector<int8_t> r(3);
  EXPECT_EQ(awq_quantize_act_int8(y.data(), 3, r.data()), 2.0f / 127.0f);
  EXPECT_EQ(r, (std::vector<int8_t>{-127, 64, 0}));  // 1 * 63.5 -> 64 (tie to even)
}

TEST(AwqInt8, AnAllZeroRowHasScaleZeroAndANonFiniteActivationIsAnError) {
  const std::vector<float> z(5, 0.0f);
  std::vector<int8_t> q(5, 9);
  EXPECT_EQ(awq_quantize_act_int8(z.data(), 5, q.data()), 0.0f);
  EXPECT_EQ(q, std::vector<int8_t>(5, 0));
  const std::vector<float> bad{1.0f, NAN};
  EXPECT_THROW(awq_quantize_act_int8(bad.data(), 2, q.data()), Error);
}

TEST(AwqInt8, GroupPartialsAreExactIntegerSumsOfTheLargestTerms) {
  // 8-bit codes at 255 with zero 0 against -127: the largest terms, 256 of them, still exact.
  const std::vector<uint8_t> codes(256, 255);
  const std::vector<int8_t> a(256, -127);
  EXPECT_EQ(awq_group_partial_int8(codes.data(), 0, a.data(), 256), -255 * 127 * 256);
}

TEST(AwqInt8, LinearIsTheGroupsDequantisedInOrderThenTheTokenScale) {
  const int64_t in = 200, out = 24, G = 64, n = 3;  // a short last group
  for (int bits : {2, 3, 4, 8}) {
    const QuantLinear q = random_quant(in, out, G, 7, bits);
    const auto x = random_floats(static_cast<size_t>(n * in), 8);
    const auto bias = random_floats(static_cast<size_t>(out), 9);
    std::vector<float> y(static_cast<size_t>(n * out));
    awq_linear_int8(q, x.data(), n, bias.data(), y.data());
    std::vector<int8_t> xq(static_cast<size_t>(in));
    for (int64_t t = 0; t < n; ++t) {
      const float s = awq_quantize_act_int8(x.data() + t * in, in, xq.data());
      for (int64_t o = 0; o < out; ++o) {
        float acc = 0.0f;
        double exact = 0.0;  // the unquantized product, to bound the int8 error
        for (int64_t g = 0; g * G < in; ++g) {
          const int64_t len = std::min(G, in - g * G);
          int32_t p = 0;
          double pe = 0.0;
          for (int64_t i = 0; i < len; ++i) {
            const int w = q.q[o * in + g * G + i] - q.zeros[o * q.n_groups() + g];
            p += w * xq[g * G + i];
            pe += w * static_cast<double>(x[t * in + g * G + i]);
          }
          const float sc = f16_to_f32(q.scales[o * q.n_groups() + g]);
          acc = acc + static_cast<float>(p) * sc;
          exact += pe * sc;
        }
        const float want = acc * s + bias[o];
        EXPECT_EQ(std::memcmp(&y[t * out + o], &want, 4), 0) << "bits " << bits << " token " << t << " row " << o;
        // Rounding each activation to the int8 grid moves it by at most half a step (s / 2).
        double bound = 0.0;
        for (int64_t g = 0; g * G < in; ++g)
          bound += (1 << bits) * static_cast<double>(std::min(G, in - g * G)) *
                   f16_to_f32(q.scales[o * q.n_groups() + g]) * s / 2;
        EXPECT_NEAR(y[t * out + o] - bias[o], exact, bound + 1e-4);
      }
    }
  }
}
