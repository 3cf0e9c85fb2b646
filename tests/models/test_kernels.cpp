#include <gtest/gtest.h>

#include <omp.h>

#include <random>
#include <vector>

#include "models/llm/Kernels.h"

using namespace fpgallm;

namespace {

std::vector<float> randn(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

}  // namespace

TEST(Kernels, LinearF32EqualsOneDotPerTokenAndRowBitExactlyForAnyTokenCount) {
  // Shapes with remainders everywhere: tokens not a multiple of the 2-token tile, rows not a
  // multiple of the 4-row tile or the 64-row chunk, inputs not a multiple of the 8 lanes.
  for (auto [n, in, out] : {std::tuple<int64_t, int64_t, int64_t>{1, 19, 7}, {2, 8, 4}, {5, 37, 131},
                            {7, 896, 70}, {64, 203, 301}}) {
    const auto x = randn(static_cast<size_t>(n * in), 1), w = randn(static_cast<size_t>(out * in), 2);
    const auto bias = randn(static_cast<size_t>(out), 3);
    for (const float* b : {static_cast<const float*>(nullptr), bias.data()}) {
      std::vector<float> y(static_cast<size_t>(n * out));
      kernels::linear_f32(x.data(), n, w.data(), b, in, out, y.data());
      for (int64_t t = 0; t < n; ++t) {
        std::vector<float> row(static_cast<size_t>(out));  // the same token alone: decode's path
        kernels::linear_f32(x.data() + t * in, 1, w.data(), b, in, out, row.data());
        for (int64_t o = 0; o < out; ++o) {
          const float want = kernels::dot(x.data() + t * in, w.data() + o * in, in) + (b ? b[o] : 0.0f);
          ASSERT_EQ(y[t * out + o], want) << "n " << n << " in " << in << " out " << out << " t " << t << " o " << o;
          ASSERT_EQ(row[o], want) << "n " << n << " in " << in << " out " << out << " t " << t << " o " << o;
        }
      }
    }
  }
}

TEST(Kernels, LinearF32IsTheSameWithOneAndTwoThreads) {
  const int64_t n = 33, in = 512, out = 1000;  // above the threading threshold
  const auto x = randn(static_cast<size_t>(n * in), 4), w = randn(static_cast<size_t>(out * in), 5);
  std::vector<float> y1(static_cast<size_t>(n * out)), y2(y1.size());
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  kernels::linear_f32(x.data(), n, w.data(), nullptr, in, out, y2.data());
  omp_set_num_threads(1);
  kernels::linear_f32(x.data(), n, w.data(), nullptr, in, out, y1.data());
  omp_set_num_threads(threads);
  EXPECT_EQ(y1, y2);
}
