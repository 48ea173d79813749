// The LSTM cell of one batch row for one ISA (kernels/cpu/rnn.cpp runs the time loop): the
// gates' sum, their sigmoid/tanh, the state update and, backward, the gates' gradients, in one
// pass over vectors of hidden units instead of one pass per elementwise op. The order of every
// operation is the scalar formula's (rnn_cell.hpp runs the same on the GPU), so every ISA and
// the loop tail agree up to the sigmoid/tanh's own rounding.
#include "kernels/cpu/elementwise_ops.hpp"
#include "kernels/cpu/kernel_table.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

// Runs body(V-typed lane group at j) over j < n: full vectors, then scalars for the tail.
template <class T, class Body>
inline void lanes_of(int64_t n, Body body) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  int64_t j = 0;
  for (; j + W <= n; j += W) body(V{}, j);
  for (; j < n; ++j) body(T{}, j);
}

// Hidden units j < n of one row; every pointer is at the row's first unit of the range and
// the four gates (five saved values) lie H apart. xp, hp: the input and hidden projections,
// b the hidden bias or null, cp the previous cell state. Writes ws = i, f, g, o, c and h.
template <class T>
void lstm_cell(int64_t n, int64_t H, const T* xp, const T* hp, const T* b, const T* cp, T* ws, T* h) {
  lanes_of<T>(n, [&](auto v, int64_t j) {
    using V = decltype(v);
    auto pre = [&](int64_t k) {
      const V x = vload<V>(xp + k + j), q = vload<V>(hp + k + j);
      return b ? x + (q + vload<V>(b + k + j)) : x + q;
    };
    const V i = SigmoidOp{}(pre(0)), f = SigmoidOp{}(pre(H)), g = TanhOp{}(pre(2 * H)), o = SigmoidOp{}(pre(3 * H));
    const V c = f * vload<V>(cp + j) + i * g;
    vstore(ws + j, i);
    vstore(ws + H + j, f);
    vstore(ws + 2 * H + j, g);
    vstore(ws + 3 * H + j, o);
    vstore(ws + 4 * H + j, c);
    vstore(h + j, o * TanhOp{}(c));
  });
}

// The same units: ws as lstm_cell saved it, cp the previous cell state, go + dh the total
// gradient of h (the output's and the next step's), dc the cell gradient in, the previous
// cell's out. Writes g (four gates H apart), the gradients of the gates' pre-activations.
template <class T>
void lstm_cell_backward(int64_t n, int64_t H, const T* ws, const T* cp, const T* go, const T* dh, T* dc, T* g) {
  lanes_of<T>(n, [&](auto v, int64_t j) {
    using V = decltype(v);
    const V one = vbroadcast<V>(T(1));
    const V i = vload<V>(ws + j), f = vload<V>(ws + H + j), gg = vload<V>(ws + 2 * H + j);
    const V o = vload<V>(ws + 3 * H + j), tc = TanhOp{}(vload<V>(ws + 4 * H + j));
    const V dt = vload<V>(go + j) + vload<V>(dh + j);
    const V d = vload<V>(dc + j) + dt * o * (one - tc * tc);
    vstore(g + j, d * gg * i * (one - i));
    vstore(g + H + j, d * vload<V>(cp + j) * f * (one - f));
    vstore(g + 2 * H + j, d * i * (one - gg * gg));
    vstore(g + 3 * H + j, dt * tc * o * (one - o));
    vstore(dc + j, d * f);
  });
}

template <class T>
void fill(TypedKernels<T>& t) {
  t.lstm_cell = lstm_cell<T>;
  t.lstm_cell_backward = lstm_cell_backward<T>;
}

}  // namespace

void register_rnn(KernelTable& t) {
  fill(t.f32);
  fill(t.f64);
}

}  // namespace steepest::kernels::STEEPEST_ISA
