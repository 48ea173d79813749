// The CUDA kernels of binary arithmetic and the benchmarks' stream (dispatch/elementwise.hpp).
// Floating math is the CPU's functors (kernels/cpu/elementwise_ops.hpp), a + alpha b is the
// CPU's fma(b, alpha, a), and x ** number takes the CPU's fast paths (square, sqrt, rsqrt,
// reciprocal), so float32 results equal the CPU's bit for bit (pow itself goes through
// double pow, CUDA's here). Integers wrap; on bool, + is or and * is and.
#define STEEPEST_ISA cudadev
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/elementwise_functors.hpp"

namespace steepest::cuda {

namespace {

// x ** e for a number e that the CPU routes to a cheaper exact op; false when none applies.
template <class C>
bool pow_fast_path(const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  if (b.t != nullptr || a.t == nullptr) return false;
  const C e = number_as<C>(b, ct);
  if (e == C(2)) {
    launch_elementwise<C, C, 2>(out, {a, a}, ct, FloatBinary<C>{BinaryOp::Mul, C(0), false});
    return true;
  }
  if (e == C(0.5) || e == C(-0.5)) {
    dispatch::unary_stub().get(out.device())(e == C(0.5) ? UnaryOp::Sqrt : UnaryOp::Rsqrt, out, *a.t, ct);
    return true;
  }
  if (e == C(-1)) {
    Operand one{Scalar(1.0)};
    one.exact_number = true;
    launch_elementwise<C, C, 2>(out, {one, a}, ct, FloatBinary<C>{BinaryOp::Div, C(0), false});
    return true;
  }
  return false;
}

void binary(BinaryOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct, Scalar alpha) {
  visit_compute(ct, [&](auto z) {
    using C = decltype(z);
    if constexpr (std::is_floating_point_v<C>) {
      const bool has_alpha = op == BinaryOp::Add && !(alpha.to_double() == 1.0);
      if (op == BinaryOp::Pow && pow_fast_path<C>(out, a, b, ct)) return;
      launch_elementwise<C, C, 2>(out, {a, b}, ct, FloatBinary<C>{op, has_alpha ? alpha.to<C>() : C(1), has_alpha});
    } else {
      STEEPEST_CHECK(op != BinaryOp::Div, TypeError, "binary: integer division computes in floating point");
      const bool has_alpha = op == BinaryOp::Add && (alpha.to_int() != 1 || alpha.is_bool());
      launch_elementwise<C, C, 2>(out, {a, b}, ct, IntBinary<C>{op, alpha.to<C>(), has_alpha});
    }
  });
}

// Memory traffic of an elementwise op without its math: the max of the reads, written to
// `write`, or (reads only) kept per thread and stored under a condition the compiler cannot
// rule out, so the loads stay.
template <class T, int K>
__global__ void stream_kernel(int64_t n, const T* a, const T* b, const T* c, const T* d, T* out, T* sink) {
  const T* in[4] = {a, b, c, d};
  T acc = T(0);
  for (int64_t i = grid_first(); i < n; i += grid_step()) {
    T v = in[0][i];
    for (int k = 1; k < K; ++k) v = v > in[k][i] ? v : in[k][i];
    if (out) out[i] = v;
    else acc = acc > v ? acc : v;
  }
  if (!out && acc == T(-1.2345e-30)) *sink = acc;
}

void stream(const std::vector<Tensor>& reads, const Tensor& write) {
  const int64_t n = reads[0].numel();
  if (n == 0) return;
  auto go = [&](auto z) {
    using T = decltype(z);
    const T* p[4] = {};
    for (size_t i = 0; i < reads.size() && i < 4; ++i) p[i] = static_cast<const T*>(reads[i].data_ptr());
    T* out = write.defined() ? static_cast<T*>(write.data_ptr()) : nullptr;
    T* sink = out ? out : const_cast<T*>(p[0]);
    const unsigned g = unsigned(blocks_for(n, kThreadsPerBlock, 4));
    auto s = current_stream();
    switch (reads.size()) {
      case 1: stream_kernel<T, 1><<<g, kThreadsPerBlock, 0, s>>>(n, p[0], p[1], p[2], p[3], out, sink); break;
      case 2: stream_kernel<T, 2><<<g, kThreadsPerBlock, 0, s>>>(n, p[0], p[1], p[2], p[3], out, sink); break;
      case 3: stream_kernel<T, 3><<<g, kThreadsPerBlock, 0, s>>>(n, p[0], p[1], p[2], p[3], out, sink); break;
      default: stream_kernel<T, 4><<<g, kThreadsPerBlock, 0, s>>>(n, p[0], p[1], p[2], p[3], out, sink); break;
    }
    STEEPEST_CUDA_LAUNCH_CHECK();
  };
  if (reads[0].dtype() == kFloat32) go(float{});
  else go(double{});
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::binary_stub, CUDA, binary);
STEEPEST_REGISTER_KERNEL(dispatch::stream_stub, CUDA, stream);

}  // namespace steepest::cuda
