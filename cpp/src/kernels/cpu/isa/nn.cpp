// Neural-network kernels for one ISA: fused softmax / log-softmax / log-sum-exp rows, the
// cross-entropy gradient row, layer norm rows (forward and backward), and erf / GELU / SiLU.
// The ops in src/nn drive them over rows (OpenMP) and own shapes, dtypes and autograd.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/fixed_sum.hpp"
#include "kernels/cpu/simd/math.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

// erf for float lanes, <= 2 ulp (coefficients fitted by least squares on Chebyshev nodes,
// checked against double erf over [0, 4]):
//   |x| < 0.921875:  x + x P(x^2)
//   below 3.9375:    1 - exp(Q(|x| - mid)), Q ~ log erfc on [0.921875, 2] and [2, 3.9375]
//   beyond:          +-1 (erfc < 2^-25 rounds away).
template <class V>
inline V erf_f32(V x) {
  V a = abs(x);
  V z = x * x;
  V p = vconst<V>(0x1.5eda9ap-14f);
  p = fma(p, z, vconst<V>(-0x1.aad7f8p-11f));
  p = fma(p, z, vconst<V>(0x1.54d8bap-8f));
  p = fma(p, z, vconst<V>(-0x1.b8103ep-6f));
  p = fma(p, z, vconst<V>(0x1.ce2e1cp-4f));
  p = fma(p, z, vconst<V>(-0x1.812744p-2f));
  p = fma(p, z, vconst<V>(0x1.06eba8p-3f));
  V small = fma(x, p, x);

  auto lo = cmp_lt(a, vconst<V>(2.0f));
  auto pick = [&](float c_lo, float c_hi) { return select(lo, vconst<V>(c_lo), vconst<V>(c_hi)); };
  V u = a - pick(1.4609375f, 2.96875f);
  V q = pick(-0x1.1a2784p-18f, 0x1.2fcb86p-20f);
  q = fma(q, u, pick(-0x1.4a307ep-16f, -0x1.01ac06p-17f));
  q = fma(q, u, pick(0x1.d1e394p-13f, 0x1.768bbep-15f));
  q = fma(q, u, pick(-0x1.5721eep-10f, -0x1.0a09acp-12f));
  q = fma(q, u, pick(0x1.9a138ap-8f, 0x1.6cfeacp-10f));
  q = fma(q, u, pick(-0x1.b6cc4ap-6f, -0x1.f0fe9ap-8f));
  q = fma(q, u, pick(-0x1.c77430p-1f, -0x1.e9d372p-1f));
  q = fma(q, u, pick(-0x1.b83726p+1f, -0x1.8f9cb0p+2f));
  q = fma(q, u, pick(-0x1.9fd85ap+1f, -0x1.50c71cp+3f));
  V big = vconst<V>(1.0f) - exp_f32(q);
  big = select(cmp_ge(a, vconst<V>(3.9375f)), vconst<V>(1.0f), big);
  V y = select(cmp_lt(a, vconst<V>(0.921875f)), small, copysign(big, x));
  return select(isnan(x), x, y);
}

template <class V>
inline V erf_v(V x) {
  if constexpr (is_f64<V>) return map_lanes(x, [](double v) { return __builtin_erf(v); });
  else return erf_f32(x);
}

// Applies op to n contiguous elements: vectors, then the scalar tail (same algorithm).
template <class T, class Op>
inline void map1(int64_t n, const T* x, T* y, Op op) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(y + i, op(vload<V>(x + i)));
  for (; i < n; ++i) y[i] = op(x[i]);
}
template <class T, class Op>
inline void map2(int64_t n, const T* x, const T* g, T* y, Op op) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(y + i, op(vload<V>(x + i), vload<V>(g + i)));
  for (; i < n; ++i) y[i] = op(x[i], g[i]);
}

// Sum over i < n of f(i-th vector or scalar), in fixed lanes: the same bits on every ISA.
template <class T, class F>
inline T row_sum(int64_t n, F f) {
  return fixed_sum<kRowLanes<T>, T>(n, f);
}

// Max of a row (a NaN need not survive: exp(NaN - m) spreads it through the sum anyway).
template <class T>
inline T row_max(const T* x, int64_t n) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  int64_t i = 0;
  T m = x[0];
  if (n >= W) {
    V m0 = vload<V>(x), m1 = m0;
    for (i = W; i + 2 * W <= n; i += 2 * W) {
      m0 = max_raw(m0, vload<V>(x + i));
      m1 = max_raw(m1, vload<V>(x + i + W));
    }
    for (; i + W <= n; i += W) m0 = max_raw(m0, vload<V>(x + i));
    m = reduce_max(max_raw(m0, m1));
  }
  for (; i < n; ++i) m = max_raw(m, x[i]);
  return m;
}

// sum(exp(x - m))
template <class T>
inline T sum_exp(const T* x, int64_t n, T m) {
  return row_sum<T>(n, [&](auto v, int64_t i) {
    using V = decltype(v);
    return exp(vload<V>(x + i) - vbroadcast<V>(m));
  });
}

template <class T>
void logsumexp(const T* x, int64_t n, T* max, T* logsum) {
  T m = row_max(x, n);
  *max = m;
  *logsum = log(sum_exp(x, n, m));
}

template <class T>
void softmax(const T* x, int64_t n, T* y, bool log_out) {
  T m = row_max(x, n);
  if (log_out) {  // (x - m) - log s: exact at any magnitude of x
    T ls = log(sum_exp(x, n, m));
    map1(n, x, y, [m, ls](auto v) {
      using V = decltype(v);
      return (v - vbroadcast<V>(m)) - vbroadcast<V>(ls);
    });
    return;
  }
  T s = row_sum<T>(n, [&](auto v, int64_t i) {  // stores e^(x - m) while summing it
    using V = decltype(v);
    V e = exp(vload<V>(x + i) - vbroadcast<V>(m));
    vstore(y + i, e);
    return e;
  });
  T r = T(1) / s;
  map1(n, y, y, [r](auto v) { return v * vbroadcast<decltype(v)>(r); });
}

template <class T>
void softmax_backward(const T* y, const T* g, int64_t n, T* gx, bool log_out) {
  if (log_out) {
    T s = row_sum<T>(n, [&](auto v, int64_t i) { return vload<decltype(v)>(g + i); });
    map2(n, y, g, gx, [s](auto yv, auto gv) {
      using V = decltype(yv);
      return gv - exp(yv) * vbroadcast<V>(s);
    });
    return;
  }
  T d = row_sum<T>(n, [&](auto v, int64_t i) {
    using V = decltype(v);
    return vload<V>(g + i) * vload<V>(y + i);
  });
  map2(n, y, g, gx, [d](auto yv, auto gv) { return yv * (gv - vbroadcast<decltype(yv)>(d)); });
}

template <class T, bool kW, bool kP>
void xent_grad_impl(const T* x, int64_t n, T m, T ls, T a, const T* w, const T* p, T ps, T pt, T b, T* gx) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  auto one = [&](auto xv, auto wv, auto pv) {
    using U = decltype(xv);
    U q = vbroadcast<U>(b);
    if constexpr (kW) q = q * wv;
    if constexpr (kP) q = q * fma(vbroadcast<U>(ps), pv, vbroadcast<U>(pt));
    return vbroadcast<U>(a) * exp((xv - vbroadcast<U>(m)) - vbroadcast<U>(ls)) - q;
  };
  int64_t i = 0;
  for (; i + W <= n; i += W)
    vstore(gx + i, one(vload<V>(x + i), kW ? vload<V>(w + i) : V{}, kP ? vload<V>(p + i) : V{}));
  for (; i < n; ++i) gx[i] = one(x[i], kW ? w[i] : T(0), kP ? p[i] : T(0));
}

template <class T>
void softmax_xent_grad(const T* x, int64_t n, T m, T ls, T a, const T* w, const T* p, T ps, T pt, T b, T* gx) {
  if (w && p) xent_grad_impl<T, true, true>(x, n, m, ls, a, w, p, ps, pt, b, gx);
  else if (w) xent_grad_impl<T, true, false>(x, n, m, ls, a, w, p, ps, pt, b, gx);
  else if (p) xent_grad_impl<T, false, true>(x, n, m, ls, a, w, p, ps, pt, b, gx);
  else xent_grad_impl<T, false, false>(x, n, m, ls, a, w, p, ps, pt, b, gx);
}

// Two passes (mean, then the mean square deviation): no cancellation, unlike E[x^2] - E[x]^2.
template <class T>
void layer_norm(const T* x, int64_t n, const T* w, const T* b, T eps, T* y, T* mean_out, T* rstd_out) {
  T mean = row_sum<T>(n, [&](auto v, int64_t i) { return vload<decltype(v)>(x + i); }) / T(n);
  T var = row_sum<T>(n, [&](auto v, int64_t i) {
            using V = decltype(v);
            V d = vload<V>(x + i) - vbroadcast<V>(mean);
            return d * d;
          }) / T(n);
  T rstd = T(1) / sqrt(var + eps);
  *mean_out = mean;
  *rstd_out = rstd;
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  auto one = [&](auto xv, int64_t i) {
    using U = decltype(xv);
    U h = (xv - vbroadcast<U>(mean)) * vbroadcast<U>(rstd);
    if (w) h = h * vload<U>(w + i);
    if (b) h = h + vload<U>(b + i);
    return h;
  };
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(y + i, one(vload<V>(x + i), i));
  for (; i < n; ++i) y[i] = one(x[i], i);
}

// gx = rstd (dy - mean(dy) - xhat mean(dy xhat)), dy = g w; gw += g xhat; gb += g.
template <class T>
void layer_norm_backward(const T* x, const T* g, int64_t n, T mean, T rstd, const T* w, T* gx, T* gw, T* gb) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  T sums[2];  // sum dy, sum dy xhat; the same pass accumulates gw and gb
  fixed_sums<kRowLanes<T>, T, 2>(n, [&](auto u, int64_t j) {
    using U = decltype(u);
    U gv = vload<U>(g + j);
    U h = (vload<U>(x + j) - vbroadcast<U>(mean)) * vbroadcast<U>(rstd);
    U dy = w ? gv * vload<U>(w + j) : gv;
    if (gw) vstore(gw + j, fma(gv, h, vload<U>(gw + j)));
    if (gb) vstore(gb + j, vload<U>(gb + j) + gv);
    return Terms<U, 2>{{dy, dy * h}};
  }, sums);
  const T s0 = sums[0], s1 = sums[1];
  int64_t i = 0;
  T c0 = s0 / T(n), c1 = s1 / T(n);
  auto one = [&](auto xv, auto gv, int64_t j) {
    using U = decltype(xv);
    U h = (xv - vbroadcast<U>(mean)) * vbroadcast<U>(rstd);
    U dy = w ? gv * vload<U>(w + j) : gv;
    return vbroadcast<U>(rstd) * (dy - vbroadcast<U>(c0) - h * vbroadcast<U>(c1));
  };
  for (; i + W <= n; i += W) vstore(gx + i, one(vload<V>(x + i), vload<V>(g + i), i));
  for (; i < n; ++i) gx[i] = one(x[i], g[i], i);
}

// GELU: exact x Phi(x) = x/2 (1 + erf(x / sqrt 2)); tanh form x/2 (1 + tanh(k (x + c x^3))).
constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kGeluC = 0.044715;

template <class T>
void erf_k(int64_t n, const T* x, T* y) {
  map1(n, x, y, [](auto v) { return erf_v(v); });
}

template <class T>
void gelu(int64_t n, const T* x, T* y, bool tanh_approx) {
  if (tanh_approx) {
    map1(n, x, y, [](auto v) {
      using V = decltype(v);
      V inner = vbroadcast<V>(T(kSqrt2OverPi)) * fma(vbroadcast<V>(T(kGeluC)) * v * v, v, v);
      return vbroadcast<V>(T(0.5)) * v * (vbroadcast<V>(T(1)) + tanh(inner));
    });
  } else {
    map1(n, x, y, [](auto v) {
      using V = decltype(v);
      return vbroadcast<V>(T(0.5)) * v * (vbroadcast<V>(T(1)) + erf_v(v * vbroadcast<V>(T(kSqrt1_2))));
    });
  }
}

template <class T>
void gelu_backward(int64_t n, const T* x, const T* g, T* gx, bool tanh_approx) {
  if (tanh_approx) {
    map2(n, x, g, gx, [](auto v, auto gv) {
      using V = decltype(v);
      V one = vbroadcast<V>(T(1)), half = vbroadcast<V>(T(0.5));
      V x2 = v * v;
      V t = tanh(vbroadcast<V>(T(kSqrt2OverPi)) * fma(vbroadcast<V>(T(kGeluC)) * x2, v, v));
      V dinner = vbroadcast<V>(T(kSqrt2OverPi)) * fma(vbroadcast<V>(T(3 * kGeluC)), x2, one);
      V d = half * (one + t) + half * v * (one - t * t) * dinner;
      return gv * d;
    });
  } else {
    map2(n, x, g, gx, [](auto v, auto gv) {
      using V = decltype(v);
      V cdf = vbroadcast<V>(T(0.5)) * (vbroadcast<V>(T(1)) + erf_v(v * vbroadcast<V>(T(kSqrt1_2))));
      V pdf = exp(vbroadcast<V>(T(-0.5)) * v * v) * vbroadcast<V>(T(kInvSqrt2Pi));
      return gv * fma(v, pdf, cdf);
    });
  }
}

template <class T>
void silu(int64_t n, const T* x, T* y) {
  map1(n, x, y, [](auto v) { return v * sigmoid(v); });
}

// d/dx x s(x) = s (1 + x (1 - s))
template <class T>
void silu_backward(int64_t n, const T* x, const T* g, T* gx) {
  map2(n, x, g, gx, [](auto v, auto gv) {
    using V = decltype(v);
    V s = sigmoid(v);
    V one = vbroadcast<V>(T(1));
    return gv * s * fma(v, one - s, one);
  });
}

template <class T>
void fill(TypedKernels<T>& k) {
  k.logsumexp = logsumexp<T>;
  k.softmax = softmax<T>;
  k.softmax_backward = softmax_backward<T>;
  k.softmax_xent_grad = softmax_xent_grad<T>;
  k.layer_norm = layer_norm<T>;
  k.layer_norm_backward = layer_norm_backward<T>;
  k.erf = erf_k<T>;
  k.gelu = gelu<T>;
  k.gelu_backward = gelu_backward<T>;
  k.silu = silu<T>;
  k.silu_backward = silu_backward<T>;
}

}  // namespace

void register_nn(KernelTable& t) {
  fill(t.f32);
  fill(t.f64);
}

}  // namespace steepest::kernels::STEEPEST_ISA
