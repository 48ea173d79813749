// The CUDA kernels of the reductions (dispatch/reduce.hpp). Each output is reduced by one
// block of kThreadsPerBlock threads: thread t folds elements t, t + 256, t + 512, ... (in
// logical order), then the block combines its 256 partials by one fixed halving tree. The
// grid only decides which block takes which output, so a result never depends on the launch
// configuration or the GPU: the same bits on every run. Float sums accumulate in the
// element's math type (float for 16-bit floats), integer sums wrap in 64 bits.
#include <cmath>

#include "dispatch/reduce.hpp"
#include "kernels/cuda/element_cast.hpp"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce_plan.hpp"

namespace steepest::cuda {

namespace {

constexpr int kT = kThreadsPerBlock;

// Every thread gets the combination of the block's values, combined by a fixed tree.
template <class Acc, class Comb>
__device__ Acc block_tree(Acc v, Comb c) {
  __shared__ alignas(16) unsigned char raw[kT * sizeof(Acc)];
  Acc* sh = reinterpret_cast<Acc*>(raw);
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = kT / 2; s > 0; s >>= 1) {
    if (int(threadIdx.x) < s) sh[threadIdx.x] = c(sh[threadIdx.x], sh[threadIdx.x + s]);
    __syncthreads();
  }
  const Acc r = sh[0];
  __syncthreads();
  return r;
}

__device__ inline const char* at(const char* row, const ReducePlan& p, int64_t j) {
  int64_t off;
  p.red.offsets(j, &off);
  return row + off;
}

struct Out {
  char* p;
  DType d;
  __device__ char* operator[](int64_t r) const { return p + r * itemsize_of(d); }
};

// S: float or double (floats, mean allowed) or uint64_t (integers and bool, wrapping).
template <class S>
struct SumPolicy {
  Out out;
  DType xd;
  bool mean;
  __device__ void operator()(const char* row, const ReducePlan& p, int64_t r) const {
    S a = S(0);
    for (int64_t j = threadIdx.x; j < p.n; j += kT) {
      if constexpr (std::is_floating_point_v<S>) a += load_as<S>(at(row, p, j), xd, xd);
      else a += uint64_t(load_as<int64_t>(at(row, p, j), xd, DType::Int64));
    }
    a = block_tree(a, [](S u, S v) { return u + v; });
    if (threadIdx.x != 0) return;
    if constexpr (std::is_floating_point_v<S>) store_as<S>(out[r], out.d, out.d, mean ? a / S(p.n) : a);
    else store_as<int64_t>(out[r], out.d, DType::Int64, int64_t(a));
  }
};

// S: float, double or int64_t (integers and bool). NaN propagates.
template <class S>
struct ExtremePolicy {
  Out out;
  DType xd;
  bool is_max;
  __device__ void operator()(const char* row, const ReducePlan& p, int64_t r) const {
    const DType ct = std::is_floating_point_v<S> ? xd : DType::Int64;
    S a = load_as<S>(at(row, p, 0), xd, ct);  // element 0 belongs to every partial: max is idempotent
    for (int64_t j = threadIdx.x; j < p.n; j += kT) {
      const S v = load_as<S>(at(row, p, j), xd, ct);
      a = is_max ? nan_max(a, v) : nan_min(a, v);
    }
    const bool mx = is_max;
    a = block_tree(a, [mx](S u, S v) { return mx ? nan_max(u, v) : nan_min(u, v); });
    if (threadIdx.x == 0) store_as<S>(out[r], out.d, ct, a);
  }
};

template <class S>
struct ArgPolicy {
  Out values;  // p null: not wanted
  int64_t* indices;
  DType xd;
  bool is_max;
  __device__ void operator()(const char* row, const ReducePlan& p, int64_t r) const {
    const DType ct = std::is_floating_point_v<S> ? xd : DType::Int64;
    ValIdx<S> a{S(0), -1};
    for (int64_t j = threadIdx.x; j < p.n; j += kT) a = better(a, ValIdx<S>{load_as<S>(at(row, p, j), xd, ct), j}, is_max);
    const bool mx = is_max;
    a = block_tree(a, [mx](const ValIdx<S>& u, const ValIdx<S>& v) { return better(u, v, mx); });
    if (threadIdx.x != 0) return;
    indices[r] = a.i;
    if (values.p) store_as<S>(values[r], values.d, ct, a.v);
  }
};

template <class S>
struct Dev {
  S sd, sd2;
};

// Two passes over the row in the block: the mean (as the sum's mean), then the sums of
// x - mean and of its square; the variance is formed in double as on the CPU.
template <class S>
struct VarPolicy {
  Out out;
  DType xd;
  double correction;
  bool take_sqrt;
  __device__ void operator()(const char* row, const ReducePlan& p, int64_t r) const {
    S a = S(0);
    for (int64_t j = threadIdx.x; j < p.n; j += kT) a += load_as<S>(at(row, p, j), xd, xd);
    const S mean = block_tree(a, [](S u, S v) { return u + v; }) / S(p.n);
    Dev<S> d{S(0), S(0)};
    for (int64_t j = threadIdx.x; j < p.n; j += kT) {
      const S e = load_as<S>(at(row, p, j), xd, xd) - mean;
      d.sd += e;
      d.sd2 += e * e;
    }
    d = block_tree(d, [](const Dev<S>& u, const Dev<S>& v) { return Dev<S>{u.sd + v.sd, u.sd2 + v.sd2}; });
    if (threadIdx.x != 0) return;
    const double sd = double(d.sd);
    double ss = double(d.sd2) - sd * sd / double(p.n);
    if (ss < 0) ss = 0;  // rounding only; NaN stays NaN
    const double den = double(p.n) - correction;
    const double v = ss / (den > 0 ? den : 0.0);
    store_as<double>(out[r], out.d, out.d == DType::Float64 ? DType::Float64 : DType::Float32,
                     take_sqrt ? ::sqrt(v) : v);
  }
};

template <class Policy>
__global__ void __launch_bounds__(kT) reduce_kernel(const char* x, ReducePlan p, Policy pol) {
  for (int64_t r = blockIdx.x; r < p.nout; r += gridDim.x) {
    int64_t base;
    p.kept.offsets(r, &base);
    pol(x + base, p, r);
  }
}

ReducePlan plan_of(const Tensor& x, const Shape& flags, const Tensor& out) {
  STEEPEST_CHECK(out.is_contiguous(), ValueError, "reduce: the CUDA kernels write a contiguous result");
  ReducePlan p = plan_reduce(x.shape(), x.strides(), int64_t(x.itemsize()), flags);
  STEEPEST_CHECK(p.nout == out.numel(), ValueError, "reduce: ", out.numel(), " outputs allocated for ", p.nout);
  return p;
}

template <class Policy>
void launch(const Tensor& x, const ReducePlan& p, const Policy& pol) {
  if (p.nout == 0 || p.n == 0) return;
  const unsigned blocks = unsigned(p.nout < kMaxBlocks ? p.nout : kMaxBlocks);
  reduce_kernel<Policy><<<blocks, kT, 0, current_stream()>>>(static_cast<const char*>(x.data_ptr()), p, pol);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void sum(const Tensor& out, const Tensor& x, const Shape& flags, bool mean) {
  const ReducePlan p = plan_of(x, flags, out);
  const Out o{static_cast<char*>(out.data_ptr()), out.dtype()};
  const DType xd = x.dtype();
  if (xd == kFloat64) launch(x, p, SumPolicy<double>{o, xd, mean});
  else if (is_floating(xd)) launch(x, p, SumPolicy<float>{o, xd, mean});
  else launch(x, p, SumPolicy<uint64_t>{o, xd, false});
}

void extreme(const Tensor& out, const Tensor& x, const Shape& flags, bool is_max) {
  const ReducePlan p = plan_of(x, flags, out);
  const Out o{static_cast<char*>(out.data_ptr()), out.dtype()};
  const DType xd = x.dtype();
  if (xd == kFloat64) launch(x, p, ExtremePolicy<double>{o, xd, is_max});
  else if (is_floating(xd)) launch(x, p, ExtremePolicy<float>{o, xd, is_max});
  else launch(x, p, ExtremePolicy<int64_t>{o, xd, is_max});
}

void arg(const Tensor& values, const Tensor& indices, const Tensor& x, const Shape& flags, bool is_max) {
  const ReducePlan p = plan_of(x, flags, indices);
  STEEPEST_CHECK(!values.defined() || values.is_contiguous(), ValueError,
                 "reduce: the CUDA kernels write contiguous values");
  const Out v{values.defined() ? static_cast<char*>(values.data_ptr()) : nullptr,
              values.defined() ? values.dtype() : x.dtype()};
  int64_t* i = indices.data<int64_t>();
  const DType xd = x.dtype();
  if (xd == kFloat64) launch(x, p, ArgPolicy<double>{v, i, xd, is_max});
  else if (is_floating(xd)) launch(x, p, ArgPolicy<float>{v, i, xd, is_max});
  else launch(x, p, ArgPolicy<int64_t>{v, i, xd, is_max});
}

void var(const Tensor& out, const Tensor& x, const Shape& flags, double correction, bool take_sqrt) {
  const ReducePlan p = plan_of(x, flags, out);
  const Out o{static_cast<char*>(out.data_ptr()), out.dtype()};
  const DType xd = x.dtype();
  STEEPEST_CHECK(is_floating(xd), TypeError, "var/std need a floating dtype, got ", dtype_name(xd));
  if (xd == kFloat64) launch(x, p, VarPolicy<double>{o, xd, correction, take_sqrt});
  else launch(x, p, VarPolicy<float>{o, xd, correction, take_sqrt});
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::sum_stub, CUDA, sum);
STEEPEST_REGISTER_KERNEL(dispatch::extreme_stub, CUDA, extreme);
STEEPEST_REGISTER_KERNEL(dispatch::arg_stub, CUDA, arg);
STEEPEST_REGISTER_KERNEL(dispatch::var_stub, CUDA, var);

}  // namespace steepest::cuda
