// The process-wide float32 matrix-product precision (torch.set_float32_matmul_precision and
// torch.backends.cuda.matmul.allow_tf32, which are two views of one setting). The CPU
// kernels always compute in full float32; the CUDA backend lets cuBLAS use TF32 tensor cores
// for float32 products when the precision is "high" or "medium".
#include <atomic>

#include "steepest/error.hpp"
#include "steepest/runtime.hpp"

namespace steepest {

namespace {
std::atomic<int> g_precision{0};  // 0 highest, 1 high, 2 medium
const char* const kNames[] = {"highest", "high", "medium"};
}  // namespace

void set_float32_matmul_precision(const std::string& p) {
  for (int i = 0; i < 3; ++i)
    if (p == kNames[i]) return g_precision.store(i, std::memory_order_relaxed);
  throw ValueError(str("set_float32_matmul_precision: precision must be 'highest', 'high' or 'medium', but got '", p,
                       "'"));
}
std::string float32_matmul_precision() { return kNames[g_precision.load(std::memory_order_relaxed)]; }
bool matmul_allow_tf32() { return g_precision.load(std::memory_order_relaxed) != 0; }

}  // namespace steepest
