// Contiguous elementwise kernels for one ISA (compiled once per ISA, see cpp/CMakeLists.txt):
// each op's functor runs on full vectors, then on the scalar tail.
#include "kernels/cpu/elementwise_ops.hpp"
#include "kernels/cpu/kernel_table.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

template <class Op, class T>
void unary(int64_t n, const T* x, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  Op op;
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(out + i, op(vload<V>(x + i)));
  for (; i < n; ++i) out[i] = op(x[i]);
}

template <class Op, class T>
void binary(int64_t n, const T* a, const T* b, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  Op op;
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(out + i, op(vload<V>(a + i), vload<V>(b + i)));
  for (; i < n; ++i) out[i] = op(a[i], b[i]);
}

template <class Op, class T>
void binary_sa(int64_t n, T a, const T* b, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  Op op;
  V va = vbroadcast<V>(a);
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(out + i, op(va, vload<V>(b + i)));
  for (; i < n; ++i) out[i] = op(a, b[i]);
}

template <class Op, class T>
void binary_sb(int64_t n, const T* a, T b, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  Op op;
  V vb = vbroadcast<V>(b);
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(out + i, op(vload<V>(a + i), vb));
  for (; i < n; ++i) out[i] = op(a[i], b);
}

template <class T>
void fill(TypedKernels<T>& k) {
  k.unary[int(UnaryOp::Neg)] = unary<NegOp, T>;
  k.unary[int(UnaryOp::Abs)] = unary<AbsOp, T>;
  k.unary[int(UnaryOp::Sqrt)] = unary<SqrtOp, T>;
  k.unary[int(UnaryOp::Relu)] = unary<ReluOp, T>;
#define STEEPEST_BINARY(OP, F)                       \
  k.binary[int(BinaryOp::OP)] = binary<F, T>;        \
  k.binary_sa[int(BinaryOp::OP)] = binary_sa<F, T>;  \
  k.binary_sb[int(BinaryOp::OP)] = binary_sb<F, T>;
  STEEPEST_BINARY(Add, AddOp)
  STEEPEST_BINARY(Sub, SubOp)
  STEEPEST_BINARY(Mul, MulOp)
  STEEPEST_BINARY(Div, DivOp)
  STEEPEST_BINARY(Maximum, MaximumOp)
  STEEPEST_BINARY(Minimum, MinimumOp)
#undef STEEPEST_BINARY
}

}  // namespace

void register_elementwise(KernelTable& t) {
  fill(t.f32);
  fill(t.f64);
}

}  // namespace steepest::kernels::STEEPEST_ISA
