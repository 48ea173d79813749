// The CUDA kernels of the scans (dispatch/scan.hpp): one thread per (outer, inner) line of the
// contiguous [outer, n, inner] view, accumulating in the CPU's order and types (double for
// floats, wrapping uint64 for int64; -fmad=false), so results equal the CPU's bit for bit.
#include "dispatch/scan.hpp"
#include "kernels/scan_lines.hpp"
#include "kernels/cuda/launch.cuh"

namespace steepest::cuda {

namespace {

using dispatch::ScanOp;

using Lines = kernels::ScanLines;
template <class T> using Acc = kernels::ScanAcc<T>;
Lines lines_of(const Tensor& t, int64_t dim) { return kernels::scan_lines_of(t, dim); }

template <class T>
__global__ void scan_kernel(T* y, const T* x, Lines l, bool sum, bool reverse) {
  using A = typename Acc<T>::type;
  const int64_t lines = l.outer * l.inner;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < lines; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t / l.inner, i = t - o * l.inner;
    A acc = sum ? A(0) : A(1);
    for (int64_t j = 0; j < l.n; ++j) {
      const int64_t k = reverse ? l.n - 1 - j : j;
      const int64_t at = (o * l.n + k) * l.inner + i;
      const A v = A(x[at]);
      acc = sum ? acc + v : acc * v;
      y[at] = T(acc);
    }
  }
}

template <class T>
void scan_typed(const Tensor& out, const Tensor& x, int64_t dim, ScanOp op, bool reverse) {
  const Lines l = lines_of(x, dim);
  if (l.outer * l.inner == 0 || l.n == 0) return;
  scan_kernel<T><<<unsigned(blocks_for(l.outer * l.inner)), kThreadsPerBlock, 0, current_stream()>>>(
      out.data<T>(), x.data<T>(), l, op == ScanOp::Sum, reverse);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void scan(const Tensor& out, const Tensor& x, int64_t dim, ScanOp op, bool reverse) {
  switch (x.dtype()) {
    case kFloat32: return scan_typed<float>(out, x, dim, op, reverse);
    case kFloat64: return scan_typed<double>(out, x, dim, op, reverse);
    case kInt64: return scan_typed<int64_t>(out, x, dim, op, reverse);
    default: throw Error(str("scan kernel: unexpected dtype ", dtype_name(x.dtype())));
  }
}

// grad_x[k] = prod(x[<k]) S[k], S[k] = g[k] + x[k+1] S[k+1], in double as the CPU; S is kept
// in a float64 scratch tensor of x's shape.
template <class T>
__global__ void cumprod_backward_kernel(T* gx, const T* x, const T* g, double* s, Lines l) {
  const int64_t lines = l.outer * l.inner;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < lines; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t / l.inner, i = t - o * l.inner;
    auto at = [&](int64_t k) { return (o * l.n + k) * l.inner + i; };
    double acc = 0;
    for (int64_t k = l.n - 1; k >= 0; --k) {
      acc = double(g[at(k)]) + (k + 1 < l.n ? double(x[at(k + 1)]) * acc : 0.0);
      s[at(k)] = acc;
    }
    double left = 1;
    for (int64_t k = 0; k < l.n; ++k) {
      gx[at(k)] = T(left * s[at(k)]);
      left *= double(x[at(k)]);
    }
  }
}

template <class T>
void cumprod_backward_typed(const Tensor& gx, const Tensor& x, const Tensor& g, int64_t dim) {
  const Lines l = lines_of(x, dim);
  if (l.outer * l.inner == 0 || l.n == 0) return;
  Tensor s = Tensor::empty(x.shape(), kFloat64, x.device());
  cumprod_backward_kernel<T><<<unsigned(blocks_for(l.outer * l.inner)), kThreadsPerBlock, 0, current_stream()>>>(
      gx.data<T>(), x.data<T>(), g.data<T>(), s.data<double>(), l);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void cumprod_backward(const Tensor& gx, const Tensor& x, const Tensor& g, int64_t dim) {
  switch (x.dtype()) {
    case kFloat32: return cumprod_backward_typed<float>(gx, x, g, dim);
    case kFloat64: return cumprod_backward_typed<double>(gx, x, g, dim);
    default: throw Error(str("cumprod backward: unexpected dtype ", dtype_name(x.dtype())));
  }
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::scan_stub, CUDA, scan);
STEEPEST_REGISTER_KERNEL(dispatch::cumprod_backward_stub, CUDA, cumprod_backward);

}  // namespace steepest::cuda
