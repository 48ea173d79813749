// Contiguous elementwise kernels for one ISA (compiled once per ISA, see cpp/CMakeLists.txt):
// each op's functor runs on full vectors, then on the scalar tail. The _sa/_sb forms take a
// broadcast scalar (a stride-0 operand) for a or b.
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
  for (; i + 2 * W <= n; i += 2 * W) {  // two independent chains hide the latency of long ops
    V y0 = op(vload<V>(x + i)), y1 = op(vload<V>(x + i + W));
    vstore(out + i, y0);
    vstore(out + i + W, y1);
  }
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
void add_alpha(int64_t n, const T* a, const T* b, T alpha, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  V va = vbroadcast<V>(alpha);
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(out + i, fma(vload<V>(b + i), va, vload<V>(a + i)));
  for (; i < n; ++i) out[i] = fma(b[i], alpha, a[i]);
}

template <class T>
void clamp(int64_t n, const T* x, T lo, T hi, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  MaximumOp mx;
  MinimumOp mn;
  V vlo = vbroadcast<V>(lo), vhi = vbroadcast<V>(hi);
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(out + i, mn(mx(vload<V>(x + i), vlo), vhi));
  for (; i < n; ++i) out[i] = mn(mx(x[i], lo), hi);
}

// Where a read-only stream leaves its result, so the loads can't be optimized away.
volatile float g_sink_f;
volatile double g_sink_d;

template <int K, class T>
void stream_k(int64_t n, const T* const* in, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  int64_t i = 0;
  if (!out) {  // reads only: the limit of a reduction
    V acc0 = vbroadcast<V>(T(0)), acc1 = acc0;
    for (; i + 2 * W <= n; i += 2 * W) {
      for (int k = 0; k < K; ++k) {
        acc0 = max_raw(acc0, vload<V>(in[k] + i));
        acc1 = max_raw(acc1, vload<V>(in[k] + i + W));
      }
    }
    T r = reduce_max(max_raw(acc0, acc1));
    for (; i < n; ++i)
      for (int k = 0; k < K; ++k) r = max_raw(r, in[k][i]);
    if constexpr (sizeof(T) == 4) g_sink_f = r;
    else g_sink_d = r;
    return;
  }
  for (; i + W <= n; i += W) {
    V v = vload<V>(in[0] + i);
    for (int k = 1; k < K; ++k) v = max_raw(v, vload<V>(in[k] + i));
    vstore(out + i, v);
  }
  for (; i < n; ++i) {
    T v = in[0][i];
    for (int k = 1; k < K; ++k) v = max_raw(v, in[k][i]);
    out[i] = v;
  }
}

template <class T>
void stream(int64_t n, const T* const* in, int nin, T* out) {
  switch (nin) {
    case 1: return stream_k<1>(n, in, out);
    case 2: return stream_k<2>(n, in, out);
    case 3: return stream_k<3>(n, in, out);
    default: return stream_k<4>(n, in, out);
  }
}

template <class T>
void fill(TypedKernels<T>& k) {
#define STEEPEST_UNARY(OP) k.unary[int(UnaryOp::OP)] = unary<OP##Op, T>;
  STEEPEST_UNARY(Neg)
  STEEPEST_UNARY(Abs)
  STEEPEST_UNARY(Exp)
  STEEPEST_UNARY(Log)
  STEEPEST_UNARY(Sqrt)
  STEEPEST_UNARY(Rsqrt)
  STEEPEST_UNARY(Sin)
  STEEPEST_UNARY(Cos)
  STEEPEST_UNARY(Tanh)
  STEEPEST_UNARY(Sigmoid)
  STEEPEST_UNARY(Relu)
  STEEPEST_UNARY(Sign)
  STEEPEST_UNARY(Log1p)
  STEEPEST_UNARY(Expm1)
  STEEPEST_UNARY(Floor)
  STEEPEST_UNARY(Ceil)
  STEEPEST_UNARY(Round)
  STEEPEST_UNARY(Trunc)
#undef STEEPEST_UNARY
#define STEEPEST_BINARY(OP)                                 \
  k.binary[int(BinaryOp::OP)] = binary<OP##Op, T>;          \
  k.binary_sa[int(BinaryOp::OP)] = binary_sa<OP##Op, T>;    \
  k.binary_sb[int(BinaryOp::OP)] = binary_sb<OP##Op, T>;
  STEEPEST_BINARY(Add)
  STEEPEST_BINARY(Sub)
  STEEPEST_BINARY(Mul)
  STEEPEST_BINARY(Div)
  STEEPEST_BINARY(Pow)
  STEEPEST_BINARY(Maximum)
  STEEPEST_BINARY(Minimum)
#undef STEEPEST_BINARY
  k.add_alpha = add_alpha<T>;
  k.clamp = clamp<T>;
  k.stream = stream<T>;
}

}  // namespace

void register_elementwise(KernelTable& t) {
  fill(t.f32);
  fill(t.f64);
}

}  // namespace steepest::kernels::STEEPEST_ISA
