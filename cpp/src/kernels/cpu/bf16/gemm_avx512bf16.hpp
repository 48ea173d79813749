// The entry points of the AVX512_BF16 GEMM kernel (gemm_avx512bf16.cpp, the only file compiled
// with -mavx512bf16). It includes nothing from the standard library but <cstdint>, so no inline
// function compiled for AVX-512 can be picked by the linker for code running elsewhere.
#pragma once
#include <cstdint>

namespace steepest::kernels::avx512bf16 {
// Present only in builds with STEEPEST_HAVE_AVX512BF16; called only on CPUs that have it.
// One thread's GEMM (same contract as gemm_lowp for bfloat16), using ws of workspace_bytes.
int64_t workspace_bytes(int64_t m, int64_t n, int64_t k, bool c_bf16);
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a, int64_t lda,
          const uint16_t* b, int64_t ldb, float beta, float* c32, uint16_t* c16, int64_t ldc, void* ws);
// `iters` rounds of 24 independent vdpbf16ps; returns a sum so the loop cannot be dropped.
float peak_loop(int64_t iters);
// Rows (of C) and columns one micro-tile covers: thread splits fall on these.
constexpr int64_t kMR = 12, kNR = 32;
}  // namespace steepest::kernels::avx512bf16
