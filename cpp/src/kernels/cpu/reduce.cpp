// The CPU kernels of the reductions (dispatch/reduce.hpp). Each call plans its layout once:
// kept dims (the outputs) and reduced dims are merged; a single reduced dim becomes "rows"
// (one kernel call per output, strided rows gathered per chunk), an outer reduced dim of a
// tensor with a dense inner kept dim becomes "columns" (rows of the input accumulated with
// vectors, no transpose), and anything else is first copied with the reduced dims innermost.
// Long rows are cut into fixed chunks whose partials are combined pairwise, so the bits of a
// result never depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "dispatch/reduce.hpp"
#include "kernels/cpu/kernel_table.hpp"
#include "ops/cast.hpp"
#include "steepest/ops.hpp"

namespace steepest::kernels::cpu {
namespace {

constexpr int64_t kChunk = 16384;          // fixed unit of a long row (multiple of the kernel block)
constexpr int64_t kRowChunk = 1024;        // fixed rows per partial in column reductions
constexpr int64_t kColChunk = 1024;        // columns per task in column reductions
constexpr int64_t kParallelGrain = 32768;  // elements below which a reduction stays serial

template <class T> constexpr bool is_float_v = std::is_floating_point_v<T> || detail::is_half_v<T>;
// The type rows are read in: float for the 16-bit floats, the storage type otherwise.
template <class T> using span_t = std::conditional_t<detail::is_half_v<T>, float, T>;

template <class S>
const kernels::TypedKernels<S>& kt() {
  if constexpr (std::is_same_v<S, float>) return kernels::cpu_kernels().f32;
  else return kernels::cpu_kernels().f64;
}

struct Plan {
  Shape out_shape;        // the result's shape (keepdim applied)
  int64_t nrows = 1;      // number of outputs
  int64_t n = 1;          // elements reduced into each output
  Shape kshape, kstride;  // kept dims of size > 1, merged, outermost first (element strides)
  Shape rshape, rstride;  // reduced dims of size > 1, merged, largest stride first
};

void merge_dims(Shape& shape, Shape& stride) {
  Shape s2, st2;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!s2.empty() && st2.back() == stride[i] * shape[i]) {
      s2.back() *= shape[i];
      st2.back() = stride[i];
    } else {
      s2.push_back(shape[i]);
      st2.push_back(stride[i]);
    }
  }
  shape = std::move(s2);
  stride = std::move(st2);
}

// `ordered`: keep the reduced dims in logical order (index-producing reductions); otherwise
// they are sorted by stride so a permuted but dense block still merges into one run.
Plan make_plan(const Shape& shape, const Strides& strides, const Shape& flags, bool keepdim, bool ordered = false) {
  Plan p;
  std::vector<std::pair<int64_t, int64_t>> red;  // (stride, size)
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t s = shape[d];
    if (flags[d]) {
      if (keepdim) p.out_shape.push_back(1);
      p.n *= s;
      if (s != 1) red.push_back({strides[d], s});
    } else {
      p.out_shape.push_back(s);
      p.nrows *= s;
      if (s != 1) { p.kshape.push_back(s); p.kstride.push_back(strides[d]); }
    }
  }
  if (!ordered) std::stable_sort(red.begin(), red.end(), [](auto a, auto b) { return a.first > b.first; });
  for (auto& r : red) { p.rshape.push_back(r.second); p.rstride.push_back(r.first); }
  merge_dims(p.kshape, p.kstride);
  merge_dims(p.rshape, p.rstride);
  return p;
}

// A copy of x with the kept dims first and the reduced dims last (both in their order), so
// each output's elements are one contiguous row. Returns the plan for the copy.
Plan make_rows_contiguous(Tensor& x, const Shape& flags, const Plan& p) {
  Shape sh, st, f2;
  for (int pass = 0; pass < 2; ++pass)
    for (size_t d = 0; d < x.shape().size(); ++d)
      if (bool(flags[d]) == bool(pass)) {
        sh.push_back(x.shape()[d]);
        st.push_back(x.strides()[d]);
        f2.push_back(pass);
      }
  x = clone(Tensor::make(x.storage(), sh, st, x.offset(), x.dtype()));
  Plan q = make_plan(x.shape(), x.strides(), f2, false);
  q.out_shape = p.out_shape;
  return q;
}

// Element offsets of successive outputs (odometer over the kept dims).
struct Walker {
  const Shape& shape;
  const Shape& stride;
  Shape idx;
  int64_t off = 0;
  Walker(const Shape& sh, const Shape& st, int64_t start) : shape(sh), stride(st), idx(sh.size(), 0) {
    for (size_t d = sh.size(); d-- > 0;) {
      idx[d] = start % sh[d];
      start /= sh[d];
      off += idx[d] * st[d];
    }
  }
  void next() {
    for (size_t d = shape.size(); d-- > 0;) {
      off += stride[d];
      if (++idx[d] < shape[d]) return;
      off -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
};

int64_t offset_of(const Shape& shape, const Shape& stride, int64_t i) {
  int64_t off = 0;
  for (size_t d = shape.size(); d-- > 0;) {
    off += (i % shape[d]) * stride[d];
    i /= shape[d];
  }
  return off;
}

bool go_parallel(int64_t work) { return work >= kParallelGrain && omp_get_max_threads() > 1 && !omp_in_parallel(); }

// Per-thread buffer that strided or 16-bit rows are gathered into, one chunk at a time.
struct Scratch {
  std::vector<double> buf;
  template <class A> A* get(int64_t n) {
    size_t words = (size_t(n) * sizeof(A) + sizeof(double) - 1) / sizeof(double);
    if (buf.size() < words) buf.resize(words);
    return reinterpret_cast<A*>(buf.data());
  }
};

// Elements [begin, begin+len) of a row (element stride `stride`) as a dense array of span_t<T>.
template <class T>
const span_t<T>* row_span(const T* row, int64_t stride, int64_t begin, int64_t len, Scratch& s) {
  using S = span_t<T>;
  if constexpr (std::is_same_v<S, T>)
    if (stride == 1 || len <= 1) return row + begin * stride;
  S* buf = s.get<S>(len);
  const T* p = row + begin * stride;
  for (int64_t k = 0; k < len; ++k) buf[k] = S(p[k * stride]);
  return buf;
}

// Combines partials[0..n) pairwise in place (bottom-up tree); the result is partials[0].
template <class Acc, class Combine>
Acc combine_tree(Acc* parts, int64_t n, const Combine& combine) {
  for (int64_t w = 1; w < n; w *= 2)
    for (int64_t i = 0; i + w < n; i += 2 * w) parts[i] = combine(parts[i], parts[i + w]);
  return parts[0];
}

// The row engine. Op supplies
//   Acc partial(int64_t row, const T* row_ptr, int64_t stride, int64_t begin, int64_t len, Scratch&)
//   Acc combine(Acc, Acc)            (left holds lower indices)
//   void finish(int64_t row, Acc)
// Rows longer than kChunk are cut at fixed multiples of kChunk, whatever the thread count.
template <class T, class Op>
void run_rows(const Tensor& x, const Plan& p, const Op& op) {
  using Acc = decltype(op.partial(0, (const T*)nullptr, 1, 0, 0, std::declval<Scratch&>()));
  const T* base = static_cast<const T*>(x.data_ptr());
  const int64_t n = p.n, nrows = p.nrows;
  const int64_t rs = p.rshape.empty() ? 1 : p.rstride[0];
  const int64_t nchunks = n <= kChunk ? 1 : (n + kChunk - 1) / kChunk;
  const bool par = go_parallel(nrows * n);
  if (nchunks == 1) {
    auto body = [&](int64_t r0, int64_t r1) {
      Scratch s;
      Walker w(p.kshape, p.kstride, r0);
      for (int64_t r = r0; r < r1; ++r, w.next()) op.finish(r, op.partial(r, base + w.off, rs, 0, n, s));
    };
    if (!par || nrows == 1) { body(0, nrows); return; }
#pragma omp parallel
    {
      int t = omp_get_thread_num(), nt = omp_get_num_threads();
      int64_t r0 = nrows * t / nt, r1 = nrows * (t + 1) / nt;
      if (r0 < r1) body(r0, r1);
    }
    return;
  }
  std::unique_ptr<Acc[]> parts(new Acc[size_t(nrows * nchunks)]);  // not vector: Acc may be bool
  const int64_t ntasks = nrows * nchunks;
#pragma omp parallel if (par)
  {
    Scratch s;
#pragma omp for schedule(static)
    for (int64_t t = 0; t < ntasks; ++t) {
      int64_t r = t / nchunks, c = t % nchunks, b = c * kChunk;
      parts[t] = op.partial(r, base + offset_of(p.kshape, p.kstride, r), rs, b, std::min(kChunk, n - b), s);
    }
  }
  for (int64_t r = 0; r < nrows; ++r)
    op.finish(r, combine_tree(parts.get() + r * nchunks, nchunks, [&](const Acc& a, const Acc& b) { return op.combine(a, b); }));
}

// ---- per-op row policies ----

template <class T, class O>
struct SumRows {
  O* out;
  bool mean;
  int64_t n;
  using S = span_t<T>;
  using Acc = std::conditional_t<is_float_v<T>, S, uint64_t>;  // ints wrap like int64
  Acc partial(int64_t, const T* row, int64_t st, int64_t b, int64_t len, Scratch& s) const {
    if constexpr (is_float_v<T>) {
      return kt<S>().sum(row_span(row, st, b, len, s), len);
    } else {
      uint64_t a = 0;
      const T* q = row + b * st;
      for (int64_t k = 0; k < len; ++k) a += uint64_t(int64_t(q[k * st]));
      return a;
    }
  }
  Acc combine(Acc a, Acc b) const { return a + b; }
  void finish(int64_t r, Acc a) const {
    if constexpr (is_float_v<T>) out[r] = detail::cast_to<O>(mean ? a / S(n) : a);
    else out[r] = detail::cast_to<O>(int64_t(a));
  }
};

template <class S> inline S nan_max(S a, S b) { return a != a ? a : b != b ? b : (b > a ? b : a); }
template <class S> inline S nan_min(S a, S b) { return a != a ? a : b != b ? b : (b < a ? b : a); }

template <class T, bool kMax>
struct ExtremeRows {
  T* out;
  using S = span_t<T>;
  S partial(int64_t, const T* row, int64_t st, int64_t b, int64_t len, Scratch& s) const {
    if constexpr (is_float_v<T>) {
      const S* q = row_span(row, st, b, len, s);
      return kMax ? kt<S>().max(q, len) : kt<S>().min(q, len);
    } else {
      const T* q = row + b * st;
      T m = q[0];
      for (int64_t k = 1; k < len; ++k) m = kMax ? std::max(m, q[k * st]) : std::min(m, q[k * st]);
      return m;
    }
  }
  S combine(S a, S b) const {
    if constexpr (is_float_v<T>) return kMax ? nan_max(a, b) : nan_min(a, b);
    else return kMax ? std::max(a, b) : std::min(a, b);
  }
  void finish(int64_t r, S a) const { out[r] = detail::cast_to<T>(a); }
};

template <class S> struct ValIdx { S v; int64_t i; };

// The first index of the max (min); a NaN wins, the first NaN's index is reported.
template <class T, bool kMax>
struct ArgRows {
  T* values;        // may be null
  int64_t* indices;
  using S = span_t<T>;
  ValIdx<S> partial(int64_t, const T* row, int64_t st, int64_t b, int64_t len, Scratch& s) const {
    if constexpr (is_float_v<T>) {
      const S* q = row_span(row, st, b, len, s);
      S m = kMax ? kt<S>().max(q, len) : kt<S>().min(q, len);
      int64_t k = 0;
      if (m != m) { while (q[k] == q[k]) ++k; }
      else { while (q[k] != m) ++k; }
      return {m, b + k};
    } else {
      const T* q = row + b * st;
      T m = q[0];
      int64_t best = 0;
      for (int64_t k = 1; k < len; ++k) {
        T v = q[k * st];
        if (kMax ? v > m : v < m) { m = v; best = k; }
      }
      return {m, b + best};
    }
  }
  ValIdx<S> combine(const ValIdx<S>& a, const ValIdx<S>& b) const {
    if constexpr (is_float_v<T>) {
      if (a.v != a.v) return a;
      if (b.v != b.v) return b;
    }
    return (kMax ? b.v > a.v : b.v < a.v) ? b : a;
  }
  void finish(int64_t r, const ValIdx<S>& a) const {
    if (values) values[r] = detail::cast_to<T>(a.v);
    indices[r] = a.i;
  }
};

template <class S> struct DevAcc { S sd, sd2; };

// Second pass of the corrected two-pass variance: sum of (x - mean) and of its square.
template <class T, class O>
struct VarRows {
  const span_t<T>* means;
  O* out;
  int64_t n;
  double correction;
  bool take_sqrt;
  using S = span_t<T>;
  DevAcc<S> partial(int64_t r, const T* row, int64_t st, int64_t b, int64_t len, Scratch& s) const {
    DevAcc<S> a{S(0), S(0)};
    kt<S>().sum_dev(row_span(row, st, b, len, s), len, means[r], &a.sd, &a.sd2);
    return a;
  }
  DevAcc<S> combine(const DevAcc<S>& a, const DevAcc<S>& b) const { return {a.sd + b.sd, a.sd2 + b.sd2}; }
  void finish(int64_t r, const DevAcc<S>& a) const {
    double sd = double(a.sd), ss = double(a.sd2) - sd * sd / double(n);
    if (ss < 0) ss = 0;  // rounding only; NaN stays NaN
    double v = ss / std::max(0.0, double(n) - correction);
    out[r] = detail::cast_to<O>(take_sqrt ? std::sqrt(v) : v);
  }
};

// ---- the column engine: reduce an outer dim, inner kept dim dense (f32/f64 sum/max/min) ----

enum class ColKind { Sum, Max, Min };

// Whether the plan is "columns": one reduced dim (not unit-stride) and an inner kept dim
// with unit stride, wide enough for vectors.
bool columns_layout(const Plan& p) {
  return p.rshape.size() == 1 && p.rstride[0] != 1 && !p.kshape.empty() && p.kstride.back() == 1 &&
         p.kshape.back() >= 8;
}

template <class T>
void run_columns(const Tensor& x, const Plan& p, T* out, ColKind kind, bool mean) {
  const auto& K = kt<T>();
  auto fn = kind == ColKind::Sum ? K.column_sum_ld : kind == ColKind::Max ? K.column_max : K.column_min;
  const T* base = static_cast<const T*>(x.data_ptr());
  const int64_t n = p.kshape.back(), R = p.rshape[0], ld = p.rstride[0];
  Shape oshape(p.kshape.begin(), p.kshape.end() - 1), ostride(p.kstride.begin(), p.kstride.end() - 1);
  const int64_t no = numel_of(oshape);
  const int64_t ncc = (n + kColChunk - 1) / kColChunk, nrc = (R + kRowChunk - 1) / kRowChunk;
  const bool par = go_parallel(p.nrows * p.n);
  auto finish_chunk = [&](T* o, int64_t m) {
    if (mean) for (int64_t j = 0; j < m; ++j) o[j] /= T(R);
  };
  if (nrc == 1) {
#pragma omp parallel for schedule(static) if (par && no * ncc > 1)
    for (int64_t t = 0; t < no * ncc; ++t) {
      int64_t o = t / ncc, j = (t % ncc) * kColChunk, m = std::min(kColChunk, n - j);
      T* dst = out + o * n + j;
      fn(base + offset_of(oshape, ostride, o) + j, R, ld, m, dst);
      finish_chunk(dst, m);
    }
    return;
  }
  // Partials per (outer, row chunk), each a full row of n values, combined pairwise.
  std::vector<T> parts(size_t(no * nrc * n));
  const int64_t ntasks = no * ncc * nrc;
#pragma omp parallel if (par)
  {
#pragma omp for schedule(static)
    for (int64_t t = 0; t < ntasks; ++t) {
      int64_t o = t / (ncc * nrc), rem = t % (ncc * nrc), c = rem / nrc, rc = rem % nrc;
      int64_t j = c * kColChunk, m = std::min(kColChunk, n - j), i0 = rc * kRowChunk;
      fn(base + offset_of(oshape, ostride, o) + i0 * ld + j, std::min(kRowChunk, R - i0), ld, m,
         parts.data() + (o * nrc + rc) * n + j);
    }
#pragma omp for schedule(static)
    for (int64_t t = 0; t < no * ncc; ++t) {
      int64_t o = t / ncc, j = (t % ncc) * kColChunk, m = std::min(kColChunk, n - j);
      T* P = parts.data() + o * nrc * n + j;
      for (int64_t w = 1; w < nrc; w *= 2)
        for (int64_t i = 0; i + w < nrc; i += 2 * w) {
          T* a = P + i * n;
          const T* b = P + (i + w) * n;
          if (kind == ColKind::Sum) for (int64_t k = 0; k < m; ++k) a[k] += b[k];
          else if (kind == ColKind::Max) for (int64_t k = 0; k < m; ++k) a[k] = nan_max(a[k], b[k]);
          else for (int64_t k = 0; k < m; ++k) a[k] = nan_min(a[k], b[k]);
        }
      T* dst = out + o * n + j;
      std::copy(P, P + m, dst);
      finish_chunk(dst, m);
    }
  }
}

// Column tasks for the reductions without a column kernel (arg max/min, var): each task owns
// (outer index, chunk of columns) and walks the rows in order, keeping per-column state; so
// no transpose and no dependence on the thread count.
//   body(const T* x /* row 0 of the chunk */, int64_t rows, int64_t ld, int64_t m, int64_t out_index)
template <class T, class Body>
void for_column_chunks(const Tensor& x, const Plan& p, const Body& body) {
  const T* base = static_cast<const T*>(x.data_ptr());
  const int64_t n = p.kshape.back(), R = p.rshape[0], ld = p.rstride[0];
  Shape oshape(p.kshape.begin(), p.kshape.end() - 1), ostride(p.kstride.begin(), p.kstride.end() - 1);
  const int64_t no = numel_of(oshape), ncc = (n + kColChunk - 1) / kColChunk;
  const bool par = go_parallel(p.nrows * p.n) && no * ncc > 1;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t t = 0; t < no * ncc; ++t) {
    int64_t o = t / ncc, j = (t % ncc) * kColChunk;
    body(base + offset_of(oshape, ostride, o) + j, R, ld, std::min(kColChunk, n - j), o * n + j);
  }
}

template <class T, bool kMax>
void arg_columns(const Tensor& x, const Plan& p, T* values, int64_t* indices) {
  using S = span_t<T>;
  for_column_chunks<T>(x, p, [&](const T* xc, int64_t R, int64_t ld, int64_t m, int64_t out) {
    S best[kColChunk];
    int64_t idx[kColChunk];
    for (int64_t j = 0; j < m; ++j) { best[j] = S(xc[j]); idx[j] = 0; }
    for (int64_t i = 1; i < R; ++i) {
      const T* xi = xc + i * ld;
      for (int64_t j = 0; j < m; ++j) {
        S v = S(xi[j]), b = best[j];
        bool better = kMax ? v > b : v < b;
        if constexpr (is_float_v<T>) better = better || (v != v && b == b);  // first NaN wins
        if (better) { best[j] = v; idx[j] = i; }
      }
    }
    for (int64_t j = 0; j < m; ++j) {
      if (values) values[out + j] = detail::cast_to<T>(best[j]);
      indices[out + j] = idx[j];
    }
  });
}

// Two passes down the columns with float64 accumulators (accurate for any row count).
template <class T>
void var_columns(const Tensor& x, const Plan& p, T* out, double correction, bool take_sqrt) {
  const double nn = double(p.n), div = std::max(0.0, nn - correction);
  for_column_chunks<T>(x, p, [&](const T* xc, int64_t R, int64_t ld, int64_t m, int64_t o) {
    double mu[kColChunk], sd[kColChunk], sd2[kColChunk];
    for (int64_t j = 0; j < m; ++j) mu[j] = sd[j] = sd2[j] = 0;
    for (int64_t i = 0; i < R; ++i)
      for (int64_t j = 0; j < m; ++j) mu[j] += double(xc[i * ld + j]);
    for (int64_t j = 0; j < m; ++j) mu[j] /= nn;
    for (int64_t i = 0; i < R; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double d = double(xc[i * ld + j]) - mu[j];
        sd[j] += d;
        sd2[j] += d * d;
      }
    for (int64_t j = 0; j < m; ++j) {
      double ss = sd2[j] - sd[j] * sd[j] / nn;
      if (ss < 0) ss = 0;
      double v = ss / div;
      out[o + j] = detail::cast_to<T>(take_sqrt ? std::sqrt(v) : v);
    }
  });
}

template <class Fn>
void visit_float(DType d, Fn&& fn) {
  switch (d) {
    case kFloat32: fn(float{}); return;
    case kFloat64: fn(double{}); return;
    case kBFloat16: fn(bfloat16{}); return;
    case kFloat16: fn(float16{}); return;
    default: throw TypeError(str("unexpected dtype ", dtype_name(d)));
  }
}

// Runs a row policy after making sure the plan is a rows plan (copying if it is not).
template <class T, class MakeOp>
void rows_or_copy(Tensor x, const Shape& flags, Plan p, MakeOp make_op) {
  if (p.rshape.size() > 1) p = make_rows_contiguous(x, flags, p);
  run_rows<T>(x, p, make_op(p));
}

// ---- the stub kernels: out allocated, at least one output and one element per output ----

void sum(const Tensor& out, const Tensor& x, const Shape& flags, bool mean) {
  Plan p = make_plan(x.shape(), x.strides(), flags, false);
  const DType out_dt = out.dtype();
  visit_dtype(x.dtype(), [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T>) {
      if (columns_layout(p)) {
        run_columns<T>(x, p, out.data<T>(), ColKind::Sum, mean);
        return;
      }
    }
    auto go = [&](auto o0) {
      using O = decltype(o0);
      O* o = static_cast<O*>(out.data_ptr());
      rows_or_copy<T>(x, flags, p, [&](const Plan& q) { return SumRows<T, O>{o, mean, q.n}; });
    };
    if (out_dt == x.dtype()) go(T{});
    else go(int64_t{});
  });
}

template <bool kMax>
void extreme(const Tensor& out, const Tensor& t, const Shape& flags) {
  Plan p = make_plan(t.shape(), t.strides(), flags, false);
  visit_dtype(t.dtype(), [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T>) {
      if (columns_layout(p)) {
        run_columns<T>(t, p, out.data<T>(), kMax ? ColKind::Max : ColKind::Min, false);
        return;
      }
    }
    T* o = out.data<T>();
    rows_or_copy<T>(t, flags, p, [&](const Plan&) { return ExtremeRows<T, kMax>{o}; });
  });
}

void extreme(const Tensor& out, const Tensor& t, const Shape& flags, bool is_max) {
  if (is_max) extreme<true>(out, t, flags);
  else extreme<false>(out, t, flags);
}

template <bool kMax>
void arg(const Tensor& values, const Tensor& indices, const Tensor& t, const Shape& flags) {
  Plan p = make_plan(t.shape(), t.strides(), flags, false, /*ordered=*/true);
  visit_dtype(t.dtype(), [&](auto z) {
    using T = decltype(z);
    T* v = values.defined() ? values.data<T>() : nullptr;
    int64_t* i = indices.data<int64_t>();
    if (columns_layout(p)) { arg_columns<T, kMax>(t, p, v, i); return; }
    rows_or_copy<T>(t, flags, p, [&](const Plan&) { return ArgRows<T, kMax>{v, i}; });
  });
}

void arg(const Tensor& values, const Tensor& indices, const Tensor& t, const Shape& flags, bool is_max) {
  if (is_max) arg<true>(values, indices, t, flags);
  else arg<false>(values, indices, t, flags);
}

void var(const Tensor& out, const Tensor& t, const Shape& flags, double correction, bool take_sqrt) {
  Plan p = make_plan(t.shape(), t.strides(), flags, false);
  Tensor x = t;
  if (p.rshape.size() > 1) p = make_rows_contiguous(x, flags, p);
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    using S = span_t<T>;
    if (columns_layout(p)) { var_columns<T>(x, p, out.data<T>(), correction, take_sqrt); return; }
    std::vector<S> means(size_t(p.nrows));
    run_rows<T>(x, p, SumRows<T, S>{means.data(), true, p.n});
    run_rows<T>(x, p, VarRows<T, T>{means.data(), out.data<T>(), p.n, correction, take_sqrt});
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::sum_stub, CPU, sum);
STEEPEST_REGISTER_KERNEL(dispatch::extreme_stub, CPU, extreme);
STEEPEST_REGISTER_KERNEL(dispatch::arg_stub, CPU, arg);
STEEPEST_REGISTER_KERNEL(dispatch::var_stub, CPU, var);

}  // namespace steepest::kernels::cpu
