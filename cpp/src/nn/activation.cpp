// Activations (erf, gelu, silu, softplus) and the fused softmax / log_softmax along any dim,
// each with its backward. 16-bit floats compute in float32 (through differentiable casts).
#include <cmath>
#include <type_traits>

#include "nn/common.hpp"

namespace steepest::nn::functional {

Reduction parse_reduction(const std::string& s, const char* op) {
  if (s == "mean") return Reduction::Mean;
  if (s == "sum") return Reduction::Sum;
  if (s == "none") return Reduction::None;
  throw ValueError(str(op, ": reduction must be 'none', 'mean' or 'sum', but got '", s, "'"));
}

namespace {

using V = std::vector<Tensor>;
using namespace detail;

template <class F>
void visit_float(DType d, F f) {
  if (d == kFloat64) f(double{});
  else f(float{});
}

// Elementwise over contiguous memory, in parallel chunks: f(T tag, n, offset).
template <class F>
void chunks(int64_t n, int64_t cost, F f) {
  constexpr int64_t kChunk = 8192;
  int64_t nchunks = (n + kChunk - 1) / kChunk;
  parallel_rows(nchunks, kChunk * cost, [&](int64_t c) {
    int64_t b = c * kChunk;
    f(b, std::min(n, b + kChunk) - b);
  });
}

// y = fwd(x) elementwise; fwd(tag T, n, const T* x, T* y).
template <class F>
Tensor map_unary(const Tensor& x, int64_t cost, F fwd) {
  autograd::NoGradGuard ng;
  Tensor xc = contiguous(x);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* px = xc.data<T>();
    T* py = out.data<T>();
    chunks(x.numel(), cost, [&](int64_t b, int64_t n) { fwd(z, n, px + b, py + b); });
  });
  return out;
}

// gx = bwd(x, g) elementwise; bwd(tag T, n, const T* x, const T* g, T* gx).
template <class F>
Tensor map_binary(const Tensor& x, const Tensor& g, int64_t cost, F bwd) {
  Tensor xc = contiguous(x), gc = contiguous(to_dtype(g, x.dtype()));
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* px = xc.data<T>();
    const T* pg = gc.data<T>();
    T* po = out.data<T>();
    chunks(x.numel(), cost, [&](int64_t b, int64_t n) { bwd(z, n, px + b, pg + b, po + b); });
  });
  return out;
}

// Unary float op with a 16-bit detour; body(x) computes and records for float32/float64.
template <class Body>
Tensor float_op(const char* op, const Tensor& x, Body body) {
  check_float(x, op, "input");
  if (is_16bit(x.dtype())) return to_dtype(body(to_dtype(x, kFloat32)), x.dtype());
  return body(x);
}

}  // namespace

Tensor erf(const Tensor& x) {
  return float_op("erf", x, [](const Tensor& x) {
    Tensor out = map_unary(x, 8, [](auto z, int64_t n, const auto* a, auto* y) {
      kern<decltype(z)>().erf(n, a, y);
    });
    if (autograd::needs_grad({&x}))  // d erf / dx = 2/sqrt(pi) exp(-x^2)
      autograd::record("ErfBackward0", {&x}, {&out}, {x}, [](Node& n, V& g) -> V {
        Tensor a = n.saved(0);
        return {mul(g[0], mul(exp(neg(mul(a, a))), Scalar(1.1283791670955126)))};
      });
    return out;
  });
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  STEEPEST_CHECK(approximate == "none" || approximate == "tanh", ValueError,
                 "gelu: approximate must be 'none' or 'tanh', but got '", approximate, "'");
  const bool th = approximate == "tanh";
  return float_op("gelu", x, [th](const Tensor& x) {
    Tensor out = map_unary(x, 8, [th](auto z, int64_t n, const auto* a, auto* y) {
      kern<decltype(z)>().gelu(n, a, y, th);
    });
    if (autograd::needs_grad({&x}))
      autograd::record("GeluBackward0", {&x}, {&out}, {x}, [th](Node& n, V& g) -> V {
        return {map_binary(n.saved(0), g[0], 8, [th](auto z, int64_t m, const auto* a, const auto* gg, auto* o) {
          kern<decltype(z)>().gelu_backward(m, a, gg, o, th);
        })};
      });
    return out;
  });
}

Tensor silu(const Tensor& x) {
  return float_op("silu", x, [](const Tensor& x) {
    Tensor out = map_unary(x, 4, [](auto z, int64_t n, const auto* a, auto* y) { kern<decltype(z)>().silu(n, a, y); });
    if (autograd::needs_grad({&x}))
      autograd::record("SiluBackward0", {&x}, {&out}, {x}, [](Node& n, V& g) -> V {
        return {map_binary(n.saved(0), g[0], 4, [](auto z, int64_t m, const auto* a, const auto* gg, auto* o) {
          kern<decltype(z)>().silu_backward(m, a, gg, o);
        })};
      });
    return out;
  });
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  return float_op("softplus", x, [beta, threshold](const Tensor& x) {
    Tensor out = map_unary(x, 8, [beta, threshold](auto z, int64_t n, const auto* a, auto* y) {
      using T = decltype(z);
      for (int64_t i = 0; i < n; ++i) {
        double bx = beta * double(a[i]);
        y[i] = bx > threshold ? a[i] : T(std::log1p(std::exp(bx)) / beta);
      }
    });
    if (autograd::needs_grad({&x}))  // sigmoid(beta x), 1 above the threshold
      autograd::record("SoftplusBackward0", {&x}, {&out}, {x}, [beta, threshold](Node& n, V& g) -> V {
        return {map_binary(n.saved(0), g[0], 8,
                           [beta, threshold](auto z, int64_t m, const auto* a, const auto* gg, auto* o) {
          using T = decltype(z);
          for (int64_t i = 0; i < m; ++i) {
            double bx = beta * double(a[i]);
            o[i] = bx > threshold ? gg[i] : T(double(gg[i]) / (1.0 + std::exp(-bx)));
          }
        })};
      });
    return out;
  });
}

// ---- softmax / log_softmax ----
namespace {

// For each row along `dim` of the same-shaped `ins`: fn(T tag, rows, n, const T* in0, ..., T* out)
// on copies moved so that dim is last and contiguous (no copy when it already is).
template <class F>
Tensor along_dim(const std::vector<Tensor>& ins, int64_t d, F fn) {
  const Tensor& x0 = ins[0];
  const int64_t last = std::max<int64_t>(x0.dim(), 1) - 1;
  std::vector<Tensor> moved;
  for (const Tensor& t : ins) {
    Tensor m = x0.dim() == 0 ? reshape(t, {1}) : d == last ? t : movedim(t, d, last);
    moved.push_back(contiguous(m));
  }
  Tensor out = Tensor::empty(moved[0].shape(), x0.dtype());
  if (out.numel() > 0) {
    const int64_t n = moved[0].shape().back(), rows = out.numel() / n;
    visit_float(x0.dtype(), [&](auto z) { fn(z, rows, n, moved, out); });
  }
  if (x0.dim() == 0) return reshape(out, {});
  return d == last ? out : contiguous(movedim(out, last, d));
}

Tensor softmax_impl(const Tensor& x0, int64_t dim, std::optional<DType> dtype, bool log_out) {
  const char* op = log_out ? "log_softmax" : "softmax";
  Tensor x = dtype ? to_dtype(x0, *dtype) : x0;
  check_float(x, op, "input");
  if (is_16bit(x.dtype())) return to_dtype(softmax_impl(to_dtype(x, kFloat32), dim, std::nullopt, log_out), x.dtype());
  const int64_t d = wrap_dim(dim, std::max<int64_t>(x.dim(), 1));
  Tensor out;
  {
    autograd::NoGradGuard ng;
    out = along_dim({x}, d, [log_out](auto z, int64_t rows, int64_t n, const std::vector<Tensor>& in, Tensor& o) {
      using T = decltype(z);
      const T* px = in[0].data<T>();
      T* py = o.data<T>();
      auto f = kern<T>().softmax;
      parallel_rows(rows, 4 * n, [&](int64_t r) { f(px + r * n, n, py + r * n, log_out); });
    });
  }
  if (autograd::needs_grad({&x}))
    autograd::record(log_out ? "LogSoftmaxBackward0" : "SoftmaxBackward0", {&x}, {&out}, {out},
                     [d, log_out](Node& nd, V& g) -> V {
      Tensor y = nd.saved(0);
      return {along_dim({y, to_dtype(g[0], y.dtype())}, d,
                        [log_out](auto z, int64_t rows, int64_t n, const std::vector<Tensor>& in, Tensor& o) {
        using T = decltype(z);
        const T* py = in[0].data<T>();
        const T* pg = in[1].data<T>();
        T* pgx = o.data<T>();
        auto f = kern<T>().softmax_backward;
        parallel_rows(rows, 3 * n, [&](int64_t r) { f(py + r * n, pg + r * n, n, pgx + r * n, log_out); });
      })};
    });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) { return softmax_impl(x, dim, dtype, false); }
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(x, dim, dtype, true);
}

}  // namespace steepest::nn::functional
