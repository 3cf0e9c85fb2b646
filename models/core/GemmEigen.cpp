// Compiled with -mavx2 -mfma (models/CMakeLists.txt) and called only after a CPU check in
// Gemm.cpp. This is the only translation unit that includes Eigen, so no Eigen template is ever
// instantiated twice with different instruction sets; it also uses no std containers, so no
// AVX copy of a std inline function can be picked by the linker for code that runs without AVX.
#define EIGEN_DONT_PARALLELIZE  // threads are split by the caller in fixed chunks (determinism)
#include <Eigen/Core>

#include <cstdint>

namespace fpgallm::gemm::detail {

namespace {
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<Eigen::Dynamic>;
using ConstMap = Eigen::Map<const RowMat, Eigen::Unaligned, Stride>;
using MutMap = Eigen::Map<RowMat, Eigen::Unaligned, Stride>;
}  // namespace

void xwt_eigen(const float* x, int64_t n, const float* w, int64_t in, int64_t out, float* y, int64_t ldy) {
  ConstMap X(x, n, in, Stride(in));
  ConstMap W(w, out, in, Stride(in));
  MutMap Y(y, n, out, Stride(ldy));
  Y.noalias() = X * W.transpose();
}

void ata_eigen(const float* a, int64_t n, int64_t k, int64_t lda, float* g) {
  ConstMap A(a, n, k, Stride(lda));
  MutMap G(g, k, k, Stride(k));
  G.noalias() = A.transpose() * A;
}

void ab_eigen(const float* a, int64_t m, int64_t k, const float* b, int64_t n, float* c) {
  ConstMap A(a, m, k, Stride(k));
  ConstMap B(b, k, n, Stride(n));
  MutMap C(c, m, n, Stride(n));
  C.noalias() = A * B;
}

void abt_strided_eigen(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n, int64_t k,
                       float* c, int64_t ldc) {
  ConstMap A(a, m, k, Stride(lda));
  ConstMap B(b, n, k, Stride(ldb));
  MutMap C(c, m, n, Stride(ldc));
  C.noalias() = A * B.transpose();
}

void ab_strided_eigen(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t k, int64_t n,
                      float* c, int64_t ldc) {
  ConstMap A(a, m, k, Stride(lda));
  ConstMap B(b, k, n, Stride(ldb));
  MutMap C(c, m, n, Stride(ldc));
  C.noalias() = A * B;
}

}  // namespace fpgallm::gemm::detail
