// The driver of the 16-bit GEMM (gemm_lowp.hpp): picks the AVX512_BF16 kernel or the widened
// float32 path, splits C over the OpenMP threads, and measures the vdpbf16ps ceiling.
#include "kernels/cpu/gemm_lowp.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <ctime>

#include "kernels/cpu/bf16/gemm_avx512bf16.hpp"
#include "kernels/cpu/blas.hpp"
#include "kernels/cpu/kernel_table.hpp"
#include "steepest/error.hpp"
#include "steepest/half.hpp"
#include "steepest/runtime.hpp"
#include "steepest/tensor.hpp"

namespace steepest::kernels {
namespace {

bool cpu_has_bf16() {
#if defined(STEEPEST_HAVE_AVX512BF16)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

std::atomic<int> g_native{-1};  // -1: not decided yet

bool use_native() {
  int v = g_native.load(std::memory_order_relaxed);
  if (v < 0) {
    const char* env = std::getenv("STEEPEST_BF16_GEMM");
    const bool forced_f32 = env && std::string(env) == "f32";
    v = cpu_has_bf16() && !forced_f32 ? 1 : 0;
    g_native.store(v, std::memory_order_relaxed);
  }
  // An instruction set forced below AVX-512 (STEEPEST_ISA, set_isa) stands for a CPU without
  // it: bfloat16 products then take the widened path too.
  return v == 1 && std::string(cpu_kernels().isa) == "avx512";
}

// Products with fewer multiply-adds run on one thread (waking the second costs more).
constexpr double kParallelWork = double(1 << 21);

// Scratch memory from the CPU caching allocator: GEMMs of one size repeat, and a fresh
// malloc of megabytes would be page-faulted in again on every call.
Tensor scratch_floats(int64_t n) { return Tensor::empty({std::max<int64_t>(n, 1)}, kFloat32, Device()); }

// rows x cols of x (leading dimension ld) as a dense float32 matrix.
Tensor widen_matrix(const uint16_t* x, int64_t rows, int64_t cols, int64_t ld, bool f16) {
  Tensor out = scratch_floats(rows * cols);
  float* o = out.data<float>();
  const auto widen = convert16(f16 ? kFloat16 : kBFloat16).widen;
  // Small matrices (attention's per-head products) stay out of OpenMP entirely: even a
  // one-thread parallel region costs more than widening a few thousand values.
  const bool par = rows * cols >= (1 << 17) && omp_get_max_threads() > 1 && !omp_in_parallel();
  if (ld == cols) {  // dense: one run
    const int64_t n = rows * cols;
    if (!par) {
      widen(n, x, o);
      return out;
    }
#pragma omp parallel
    {
      const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
      widen(hi - lo, x + lo, o + lo);
    }
    return out;
  }
  if (!par) {
    for (int64_t r = 0; r < rows; ++r) widen(cols, x + r * ld, o + r * cols);
    return out;
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) widen(cols, x + r * ld, o + r * cols);
  return out;
}

// The widened path: both operands to float32, the float32 GEMM (OpenBLAS, or the fixed-order
// GEMM under deterministic algorithms), a bfloat16 C rounded once from the float32 result.
void gemm_widened(bool f16, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a,
                  int64_t lda, const uint16_t* b, int64_t ldb, float beta, float* c32, uint16_t* c16,
                  int64_t ldc) {
  STEEPEST_CHECK(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX && ldc <= INT_MAX, NotImplementedError,
                 "matmul: dims (", m, ", ", k, ", ", n, ") exceed the 32-bit BLAS interface of the float32 path");
  const int64_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
  Tensor a32 = widen_matrix(a, ar, ac, lda, f16);
  Tensor b32 = widen_matrix(b, br, bc, ldb, f16);
  const float* pa = a32.data<float>();
  const float* pb = b32.data<float>();
  const auto t = [](bool x) { return x ? blas::DoTrans : blas::NoTrans; };
  if (c32) {
    blas::gemm_ex<float>(t(ta), t(tb), int(m), int(n), int(k), alpha, pa, int(std::max<int64_t>(ac, 1)), pb,
                         int(std::max<int64_t>(bc, 1)), beta, c32, int(ldc));
    return;
  }
  Tensor out32 = scratch_floats(m * n);
  blas::gemm_ex<float>(t(ta), t(tb), int(m), int(n), int(k), alpha, pa, int(std::max<int64_t>(ac, 1)), pb,
                       int(std::max<int64_t>(bc, 1)), 0.0f, out32.data<float>(), int(n));
  // C = round(out (+ beta C)): C is a bfloat16 output only for bfloat16 inputs.
  const auto narrow = cpu_kernels().bf16.narrow;
  float* acc = out32.data<float>();
  for (int64_t i = 0; i < m; ++i) {
    if (beta != 0.0f)
      for (int64_t j = 0; j < n; ++j) acc[i * n + j] += beta * float(bfloat16::from_bits(c16[i * ldc + j]));
    narrow(n, acc + i * n, c16 + i * ldc);
  }
}

// C = beta C when k == 0 (beta == 0 writes zeros without reading C).
void scale_c(int64_t m, int64_t n, float beta, float* c32, uint16_t* c16, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      if (c32) c32[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c32[i * ldc + j];
      else c16[i * ldc + j] = beta == 0.0f ? 0 : bfloat16::round(beta * float(bfloat16::from_bits(c16[i * ldc + j])));
    }
}

#if defined(STEEPEST_HAVE_AVX512BF16)
void gemm_native(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a, int64_t lda,
                 const uint16_t* b, int64_t ldb, float beta, float* c32, uint16_t* c16, int64_t ldc) {
  namespace nat = avx512bf16;
  int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (double(m) * double(n) * double(k) < kParallelWork) nt = 1;
  // Split C into whole micro-tiles along its longer side; each thread packs its own panels.
  const bool by_rows = m >= n;
  const int64_t total = by_rows ? m : n, unit = by_rows ? nat::kMR : nat::kNR;
  nt = int(std::min<int64_t>(nt, (total + unit - 1) / unit));
  if (nt <= 1) {
    Tensor ws = scratch_floats(nat::workspace_bytes(m, n, k, c16 != nullptr) / 4 + 1);
    nat::gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c32, c16, ldc, ws.data_ptr());
    return;
  }
  // One scratch block for all threads, a slice each (sized for the largest split).
  const int64_t per = ((total + nt - 1) / nt + unit - 1) / unit * unit;
  const int64_t slice_floats =
      (nat::workspace_bytes(by_rows ? per : m, by_rows ? n : per, k, c16 != nullptr) + 63) / 64 * 16;
  Tensor ws_all = scratch_floats(slice_floats * nt);
  float* ws_base = ws_all.data<float>();
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    const int64_t lo = std::min(total, t * per), hi = std::min(total, lo + per);
    if (lo < hi && t < nt) {
      const int64_t mm = by_rows ? hi - lo : m, nn = by_rows ? n : hi - lo;
      float* ws = ws_base + t * slice_floats;
      const uint16_t* as = a;
      const uint16_t* bs = b;
      int64_t coff;
      if (by_rows) {
        as = ta ? a + lo : a + lo * lda;
        coff = lo * ldc;
      } else {
        bs = tb ? b + lo * ldb : b + lo;
        coff = lo;
      }
      nat::gemm(ta, tb, mm, nn, k, alpha, as, lda, bs, ldb, beta, c32 ? c32 + coff : nullptr,
                c16 ? c16 + coff : nullptr, ldc, ws);
    }
  }
}
#endif

}  // namespace

void gemm_lowp(bool f16, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a,
               int64_t lda, const uint16_t* b, int64_t ldb, float beta, float* c32, uint16_t* c16, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) return scale_c(m, n, beta, c32, c16, ldc);
#if defined(STEEPEST_HAVE_AVX512BF16)
  // Deterministic algorithms keep the widened path: its float32 GEMM has the same bits on
  // every CPU, which vdpbf16ps (pairwise, flushing subnormals) cannot promise.
  if (!f16 && use_native() && !deterministic())
    return gemm_native(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c32, c16, ldc);
#endif
  gemm_widened(f16, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c32, c16, ldc);
}

std::string bf16_gemm_path_impl() { return use_native() ? "avx512_bf16" : "f32"; }

void set_bf16_gemm_path_impl(const std::string& name) {
  if (name == "f32") {
    g_native.store(0);
    return;
  }
  STEEPEST_CHECK(name == "avx512_bf16", ValueError, "unknown bfloat16 GEMM path '", name,
                 "' (expected 'avx512_bf16' or 'f32')");
  STEEPEST_CHECK(cpu_has_bf16(), ValueError,
                 "bfloat16 GEMM path 'avx512_bf16' needs a CPU with AVX512_BF16 and a build that compiled it");
  STEEPEST_CHECK(std::string(cpu_kernels().isa) == "avx512", ValueError,
                 "bfloat16 GEMM path 'avx512_bf16' needs the avx512 instruction set, but '", cpu_kernels().isa,
                 "' is in use (set_isa / STEEPEST_ISA)");
  g_native.store(1);
}

// CPU time of the whole process (every thread), for figures that a loaded machine distorts less.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double bf16_peak_gflops_impl(int threads, double seconds, bool cpu_time) {
#if defined(STEEPEST_HAVE_AVX512BF16)
  if (!cpu_has_bf16()) return 0.0;
  STEEPEST_CHECK(threads >= 1 && threads <= 1024, ValueError, "bf16 peak: threads must be in [1, 1024], got ",
                 threads);
  // Calibrate on one thread, then run every thread for about `seconds`.
  using clock = std::chrono::steady_clock;
  int64_t iters = 1 << 14;
  for (;;) {
    const auto t0 = clock::now();
    volatile float sink = avx512bf16::peak_loop(iters);
    (void)sink;
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    if (dt > seconds / 4 || iters > (int64_t(1) << 40)) {
      iters = int64_t(double(iters) * seconds / std::max(dt, 1e-9)) + 1;
      break;
    }
    iters *= 4;
  }
  const auto t0 = clock::now();
  const double c0 = process_cpu_seconds();
#pragma omp parallel num_threads(threads)
  {
    volatile float sink = avx512bf16::peak_loop(iters);
    (void)sink;
  }
  const double dt = cpu_time ? (process_cpu_seconds() - c0) / threads
                             : std::chrono::duration<double>(clock::now() - t0).count();
  return double(iters) * 24 * 16 * 2 * 2 * threads / dt / 1e9;  // 16 lanes x 2 products x 2 flops
#else
  (void)threads;
  (void)seconds;
  (void)cpu_time;
  return 0.0;
#endif
}

}  // namespace steepest::kernels

namespace steepest {
std::string bf16_gemm_path() { return kernels::bf16_gemm_path_impl(); }
void set_bf16_gemm_path(const std::string& name) { kernels::set_bf16_gemm_path_impl(name); }
double bf16_peak_gflops(int threads, double seconds, bool cpu_time) {
  return kernels::bf16_peak_gflops_impl(threads, seconds, cpu_time);
}
}  // namespace steepest
