// Process-wide settings: threads (OpenMP and OpenBLAS together), the SIMD instruction set
// in use, and what this build contains.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace steepest {

void set_num_threads(int64_t n);  // ValueError unless 1 <= n <= 1024
int get_num_threads();

// The instruction set the CPU kernels use: "scalar", "avx2", "avx512" or "neon". Chosen at
// first use from CPU detection, or from the environment variable STEEPEST_ISA.
std::string current_isa();
std::vector<std::string> supported_isas();   // compiled in and supported by this CPU
void set_isa(const std::string& name);       // ValueError if unknown or unsupported

// Deterministic algorithms (off by default). Reductions, softmax, layer norm, variance and
// gradient norms always sum in a fixed association, independent of the thread count and
// the instruction set. When this is on, matrix products (matmul, linear and their backward)
// do too: each output element is one fixed chain of fused multiply-adds, so results are
// bit-identical across thread counts and ISAs, at a cost in speed (see the README).
void set_deterministic(bool on);
bool deterministic();

// Float32 matrix-product precision, as torch's set_float32_matmul_precision: "highest" (the
// default: full float32), "high" or "medium" (the CUDA backend may then use TF32 tensor
// cores; CPU products are unchanged). matmul_allow_tf32() is backends.cuda.matmul.allow_tf32.
void set_float32_matmul_precision(const std::string& precision);  // ValueError if unknown
std::string float32_matmul_precision();
bool matmul_allow_tf32();

// CPU tensor memory is cached after release and reused by later tensors of a similar size.
size_t memory_cached();  // bytes held for reuse
void empty_cache();      // return them to the system
// Bytes of CPU tensor memory in use (blocks handed to live tensors, in the allocator's size
// classes; cached blocks excluded), its peak since start or the last reset, and the reset.
size_t memory_allocated();
size_t max_memory_allocated();
void reset_peak_memory_stats();  // the peak restarts from what is in use now

// The kernel of bfloat16 matrix products: "avx512_bf16" (vdpbf16ps, chosen when the CPU has
// AVX512_BF16 while the avx512 instruction set is in use) or "f32" (operands widened to
// float32 and multiplied by the float32 GEMM); STEEPEST_BF16_GEMM=f32 in the environment
// forces "f32" at start. Either accumulates in float32. set_bf16_gemm_path raises ValueError for an unknown or unsupported path.
std::string bf16_gemm_path();
void set_bf16_gemm_path(const std::string& name);
// GFLOP/s of a register-only vdpbf16ps loop on `threads` threads for about `seconds`: the
// bfloat16 ceiling benchmarks compare the GEMM with (0 without AVX512_BF16). cpu_time: per
// thread CPU seconds instead of wall-clock ones (less distorted on a shared machine).
double bf16_peak_gflops(int threads, double seconds, bool cpu_time = false);

// The CPU float convolution's path: "auto" (the direct kernel where it was measured faster than
// im2col + GEMM), "gemm" (never direct), "direct" or "direct_oc" (the direct kernel with
// vectors across the output width, or across output channels, wherever it applies: stride 1
// along the width, and for the data gradient stride 1 in both dims). ValueError otherwise.
std::string conv_path();
void set_conv_path(const std::string& name);

struct BuildInfo {
  std::string version, compiler, blas, isas_compiled;
  bool cuda = false;
};
BuildInfo build_info();

}  // namespace steepest
