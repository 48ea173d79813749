// Thread control for OpenMP (our kernels) and OpenBLAS (GEMM) together, the memory cache,
// and build facts.
#include <omp.h>

#include "steepest/error.hpp"
#include "steepest/runtime.hpp"
#include "tensor/allocator.hpp"

extern "C" {
void scipy_openblas_set_num_threads(int);
int scipy_openblas_get_num_threads(void);
char* scipy_openblas_get_config(void);
}

#ifndef STEEPEST_VERSION
#define STEEPEST_VERSION "0.0.0"
#endif

namespace steepest {

namespace {
// OpenBLAS stays on one thread: steepest splits large GEMMs over its OpenMP threads itself
// (kernels/cpu/blas.hpp), so a single thread pool serves every kernel.
const bool blas_single_threaded = [] {
  scipy_openblas_set_num_threads(1);
  return true;
}();
}  // namespace

// OpenMP starts one OS thread, each with its own stack, per count at the next parallel region.
// Counts far above any machine's cores only oversubscribe it, and an absurd one (a typo, a
// byte count) would exhaust memory or the process's thread limit inside a kernel, where the
// failure can't be reported cleanly; so the count is refused up front.
constexpr int64_t kMaxThreads = 1024;

void set_num_threads(int64_t n) {
  STEEPEST_CHECK(n >= 1, ValueError, "set_num_threads: n must be >= 1, got ", n);
  STEEPEST_CHECK(n <= kMaxThreads, ValueError, "set_num_threads: n must be <= ", kMaxThreads, ", got ", n);
  omp_set_num_threads(int(n));
  scipy_openblas_set_num_threads(1);
}

int get_num_threads() { return omp_get_max_threads(); }

// The CPU allocator's statistics (see tensor/allocator.hpp).
size_t memory_cached() { return detail::allocator(kCPU).cached(); }
size_t memory_allocated() { return detail::allocator(kCPU).allocated(); }
size_t max_memory_allocated() { return detail::allocator(kCPU).peak(); }
void reset_peak_memory_stats() { detail::allocator(kCPU).reset_peak(); }
void empty_cache() { detail::allocator(kCPU).empty_cache(); }

BuildInfo build_info() {
  BuildInfo b;
  b.version = STEEPEST_VERSION;
#if defined(__clang__)
  b.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  b.compiler = "gcc " __VERSION__;
#endif
  b.blas = std::string("OpenBLAS (scipy-openblas32): ") + scipy_openblas_get_config();
  std::string isas = "scalar";
#ifdef STEEPEST_HAVE_ISA_avx2
  isas += ", avx2";
#endif
#ifdef STEEPEST_HAVE_ISA_avx512
  isas += ", avx512";
#endif
#ifdef STEEPEST_HAVE_ISA_neon
  isas += ", neon";
#endif
  b.isas_compiled = isas;
#ifdef STEEPEST_WITH_CUDA
  b.cuda = true;
#endif
  return b;
}

}  // namespace steepest
