// The GEMM of 16-bit floating inputs (bfloat16, float16) with float32 accumulation, writing a
// float32 or bfloat16 C: on CPUs with AVX512_BF16, bfloat16 runs its own packed vdpbf16ps
// kernel (bf16/gemm_avx512bf16.cpp); everywhere else, and for float16, the operands are
// widened to float32 and multiplied by the float32 GEMM (blas.hpp).
#pragma once
#include <cstdint>
#include <string>

namespace steepest::kernels {

// C = alpha op(A) op(B) + beta C, row-major; op transposes when ta / tb. A and B hold the bits
// of bfloat16 (a_f16 false) or float16 values; C is float32 (c32) or bfloat16 (c16 bits, the
// other null), accumulated in float32 and rounded once. beta == 0 never reads C. Sizes are
// checked by the caller (lda etc. >= the row length they address). Threads over OpenMP
// unless called from inside a parallel region.
void gemm_lowp(bool f16, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a,
               int64_t lda, const uint16_t* b, int64_t ldb, float beta, float* c32, uint16_t* c16, int64_t ldc);

// The path and the ceiling behind steepest::bf16_gemm_path / set_bf16_gemm_path /
// bf16_peak_gflops (runtime.hpp).
std::string bf16_gemm_path_impl();
void set_bf16_gemm_path_impl(const std::string& name);
double bf16_peak_gflops_impl(int threads, double seconds, bool cpu_time);

}  // namespace steepest::kernels
