// Compiled with -mavx512f -mavx512dq -mavx512vl -mavx2 -mfma (models/CMakeLists.txt); called only
// after a CPU check in Gemm.cpp. Eigen's AVX-512 kernels hold twice the accumulators of the AVX2
// ones: ~20 % more multiply-adds per CPU second on the quantizer's shapes (docs/quantization.md).
#define Eigen fpgallm_eigen_avx512
#define FPGALLM_GEMM_ISA avx512
#include "models/core/GemmEigenImpl.inc"
