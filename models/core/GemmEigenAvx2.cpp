// Compiled with -mavx2 -mfma (models/CMakeLists.txt); called only after a CPU check in Gemm.cpp.
#define Eigen fpgallm_eigen_avx2
#define FPGALLM_GEMM_ISA avx2
#include "models/core/GemmEigenImpl.inc"
