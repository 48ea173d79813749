// The CPU kernels of the scans (dispatch/scan.hpp): running sums and products along one dim of
// a contiguous tensor, seen as [outer, n, inner]. Each (outer, inner) line is independent, so
// threads split the outer index and the bits never depend on the thread count. Floats
// accumulate in double and round each output once (torch's CPU cumsum/cumprod do the same);
// int64 wraps around on overflow, as torch's does.
#include <omp.h>

#include <cstdint>
#include <vector>

#include "dispatch/scan.hpp"
#include "kernels/scan_lines.hpp"
#include "steepest/ops.hpp"

namespace steepest::kernels::cpu {
namespace {

using dispatch::ScanOp;

using Lines = kernels::ScanLines;
template <class T> using Acc = kernels::ScanAcc<T>;
Lines lines_of(const Tensor& t, int64_t dim) { return kernels::scan_lines_of(t, dim); }

template <class T>
void scan_typed(const Tensor& out, const Tensor& x, int64_t dim, ScanOp op, bool reverse) {
  using A = typename Acc<T>::type;
  const Lines l = lines_of(x, dim);
  const T* xp = x.data<T>();
  T* yp = out.data<T>();
  const bool sum = op == ScanOp::Sum;
  const int64_t work = l.outer * l.n * l.inner;
#pragma omp parallel for schedule(static) if (work > 32768 && l.outer > 1)
  for (int64_t o = 0; o < l.outer; ++o) {
    std::vector<A> acc(size_t(l.inner), sum ? A(0) : A(1));
    for (int64_t j = 0; j < l.n; ++j) {
      const int64_t k = reverse ? l.n - 1 - j : j;
      const int64_t base = (o * l.n + k) * l.inner;
      for (int64_t i = 0; i < l.inner; ++i) {
        A v = A(xp[base + i]);
        acc[size_t(i)] = sum ? acc[size_t(i)] + v : acc[size_t(i)] * v;
        yp[base + i] = T(acc[size_t(i)]);
      }
    }
  }
}

void scan(const Tensor& out, const Tensor& x, int64_t dim, ScanOp op, bool reverse) {
  switch (x.dtype()) {
    case kFloat32: return scan_typed<float>(out, x, dim, op, reverse);
    case kFloat64: return scan_typed<double>(out, x, dim, op, reverse);
    case kInt64: return scan_typed<int64_t>(out, x, dim, op, reverse);
    default: throw Error(str("scan kernel: unexpected dtype ", dtype_name(x.dtype())));
  }
}

template <class T>
void cumprod_backward_typed(const Tensor& gx, const Tensor& x, const Tensor& g, int64_t dim) {
  const Lines l = lines_of(x, dim);
  const T* xp = x.data<T>();
  const T* gp = g.data<T>();
  T* rp = gx.data<T>();
  const int64_t work = l.outer * l.n * l.inner;
#pragma omp parallel for schedule(static) if (work > 32768 && l.outer > 1)
  for (int64_t o = 0; o < l.outer; ++o) {
    std::vector<double> s(size_t(l.n));
    for (int64_t i = 0; i < l.inner; ++i) {
      auto at = [&](int64_t k) { return (o * l.n + k) * l.inner + i; };
      // S[k] = g[k] + x[k+1] S[k+1]: what reaches x[k] from outputs k.. once prod(x[<k]) is factored out
      double acc = 0;
      for (int64_t k = l.n - 1; k >= 0; --k) {
        acc = double(gp[at(k)]) + (k + 1 < l.n ? double(xp[at(k + 1)]) * acc : 0.0);
        s[size_t(k)] = acc;
      }
      double left = 1;  // prod(x[<k])
      for (int64_t k = 0; k < l.n; ++k) {
        rp[at(k)] = T(left * s[size_t(k)]);
        left *= double(xp[at(k)]);
      }
    }
  }
}

void cumprod_backward(const Tensor& gx, const Tensor& x, const Tensor& g, int64_t dim) {
  switch (x.dtype()) {
    case kFloat32: return cumprod_backward_typed<float>(gx, x, g, dim);
    case kFloat64: return cumprod_backward_typed<double>(gx, x, g, dim);
    default: throw Error(str("cumprod backward: unexpected dtype ", dtype_name(x.dtype())));
  }
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::scan_stub, CPU, scan);
STEEPEST_REGISTER_KERNEL(dispatch::cumprod_backward_stub, CPU, cumprod_backward);

}  // namespace steepest::kernels::cpu
