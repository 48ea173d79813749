// The CUDA slots of the optimizer driver's small device touches (dispatch/optim.hpp): the
// found_inf flag read, step counters and NAdam's products (many one-element tensors per
// launch, the new values copied back in one transfer), Muon's Frobenius norm, the per-tensor
// sums of squares of the layer-wise rules, and Adafactor's factored second moments. Each of
// these returns host values the step needs to build its scalars, so each waits for the stream
// once (the update launches do not).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "dispatch/optim.hpp"
#include "kernels/cuda/optim_reduce.cuh"
#include "optim/updates/adafactor.hpp"

namespace steepest::kernels::cuda_optim {

namespace {

void set_device(Device d) { STEEPEST_CUDA_CHECK(cudaSetDevice(d.index < 0 ? 0 : d.index)); }

void copy_to_host(void* dst, const void* src, size_t bytes) {
  STEEPEST_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, cuda::current_stream()));
  STEEPEST_CUDA_CHECK(cudaStreamSynchronize(cuda::current_stream()));
}

bool read_flag(const Tensor& flag) {
  set_device(flag.device());
  STEEPEST_CHECK(flag.numel() == 1, ValueError, "found_inf must have one element, got ", flag.numel());
  unsigned char b[8] = {};
  copy_to_host(b, flag.data_ptr(), flag.itemsize());
  switch (flag.dtype()) {
    case kFloat32: { float v; std::memcpy(&v, b, 4); return v != 0.0f; }
    case kFloat64: { double v; std::memcpy(&v, b, 8); return v != 0.0; }
    case kInt32: { int32_t v; std::memcpy(&v, b, 4); return v != 0; }
    case kInt64: { int64_t v; std::memcpy(&v, b, 8); return v != 0; }
    case kBool: return b[0] != 0;
    default: { uint16_t v; std::memcpy(&v, b, 2); return (v & 0x7fffu) != 0; }  // bfloat16/float16: nonzero bits
  }
}

// One-element tensors per launch: 300 * (8 + 4 + 1) bytes stays under 4 KB.
constexpr int kScalars = 300;
struct ScalarBatch {
  void* p[kScalars];
  float factor[kScalars];
  uint8_t f64[kScalars];
  int32_t n, base;
};
static_assert(sizeof(ScalarBatch) <= 4096, "kernel-parameter limit");

// count: *p += 1 (float32 or float64); mul: *p *= factor in float32. The new value into out.
__global__ void scalar_kernel(const __grid_constant__ ScalarBatch b, bool mul, double* out) {
  const int i = int(blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= b.n) return;
  if (b.f64[i]) {
    double* s = static_cast<double*>(b.p[i]);
    *s = *s + 1.0;
    out[b.base + i] = *s;
  } else {
    float* s = static_cast<float*>(b.p[i]);
    *s = mul ? __fmul_rn(*s, b.factor[i]) : __fadd_rn(*s, 1.0f);
    out[b.base + i] = double(*s);
  }
}

void scalar_pass(const std::vector<Tensor>& ts, const std::vector<double>* factors, std::vector<double>& values) {
  values.assign(ts.size(), 0.0);
  if (ts.empty()) return;
  const Device d = ts[0].device();
  set_device(d);
  Tensor out = device_doubles(int64_t(ts.size()), d);
  double* op = static_cast<double*>(out.data_ptr());
  for (size_t s = 0; s < ts.size(); s += kScalars) {
    ScalarBatch b;
    std::memset(&b, 0, sizeof(b));
    b.n = int32_t(std::min(ts.size() - s, size_t(kScalars)));
    b.base = int32_t(s);
    for (int i = 0; i < b.n; ++i) {
      const Tensor& t = ts[s + size_t(i)];
      STEEPEST_CHECK(t.device().is_cuda() && t.numel() == 1, ValueError, "optimizer step state must be a one-element tensor on ",
                     d.str());
      STEEPEST_CHECK(t.dtype() == kFloat32 || (!factors && t.dtype() == kFloat64), TypeError,
                     "optimizer step state: unexpected dtype ", dtype_name(t.dtype()));
      b.p[i] = t.data_ptr();
      b.f64[i] = t.dtype() == kFloat64;
      b.factor[i] = factors ? float((*factors)[s + size_t(i)]) : 0.0f;
    }
    scalar_kernel<<<unsigned((b.n + 127) / 128), 128, 0, cuda::current_stream()>>>(b, factors != nullptr, op);
    STEEPEST_CUDA_LAUNCH_CHECK();
  }
  values = host_doubles(out, int64_t(ts.size()));
}

void count_steps(const std::vector<Tensor>& counters, std::vector<double>& counts) { scalar_pass(counters, nullptr, counts); }

void multiply_scalars(const std::vector<Tensor>& scalars, const std::vector<double>& factors, std::vector<double>& values) {
  STEEPEST_CHECK(factors.size() == scalars.size(), ValueError, "multiply_scalars: ", scalars.size(), " scalars, ",
                 factors.size(), " factors");
  scalar_pass(scalars, &factors, values);
}

struct AddD {
  __device__ double operator()(double a, double b) const { return a + b; }
};

// sum(x*x) in double per chunk (a fixed tree per block), one partial per block.
__global__ void __launch_bounds__(kReduceThreads) sum_sq_kernel(const __grid_constant__ ListTable tab, double* part) {
  int64_t begin, n;
  const int t = list_locate(tab, int32_t(blockIdx.x), &begin, &n);
  const void* p = tab.data[t];
  const Elem e = tab.elem[t];
  double acc = 0;
  for (int64_t i = threadIdx.x; i < n; i += kReduceThreads) {
    const double x = load_elem(p, e, begin + i);
    acc = acc + x * x;
  }
  const double r = block_reduce(acc, AddD{});
  if (threadIdx.x == 0) part[tab.block_base + blockIdx.x] = r;
}

// The per-chunk partials of every entry, and the entry each partial belongs to, in order.
std::vector<double> sum_sq_parts(const std::vector<ListEntry>& entries, Device d, std::vector<size_t>* owner) {
  int64_t nb = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const int64_t c = (entries[i].numel + plan::kChunk - 1) / plan::kChunk;
    for (int64_t k = 0; k < c; ++k) owner->push_back(i);
    nb += c;
  }
  if (nb == 0) return {};
  Tensor part = device_doubles(nb, d);
  double* pp = static_cast<double*>(part.data_ptr());
  for_list_tables(entries, [&](const ListTable& tab, int64_t blocks) {
    sum_sq_kernel<<<unsigned(blocks), kReduceThreads, 0, cuda::current_stream()>>>(tab, pp);
  });
  return host_doubles(part, nb);
}

void row_sum_sq(const std::vector<optim::detail::NormInput>& inputs, std::vector<double>& out) {
  out.assign(inputs.size(), 0.0);
  std::vector<ListEntry> entries;
  for (const auto& in : inputs) entries.push_back({const_cast<void*>(in.data), in.numel, in.f64 ? Elem::F64 : Elem::F32});
  int dev = 0;
  STEEPEST_CUDA_CHECK(cudaGetDevice(&dev));
  std::vector<size_t> owner;
  const auto parts = sum_sq_parts(entries, Device(DeviceType::CUDA, dev), &owner);
  for (size_t i = 0; i < parts.size(); ++i) out[owner[i]] += parts[i];  // chunk order
}

double frobenius_sq(const Tensor& x) {
  set_device(x.device());
  STEEPEST_CHECK(x.is_contiguous() && (x.dtype() == kFloat32 || x.dtype() == kFloat64), TypeError,
                 "Frobenius norm: expected a contiguous float32/float64 tensor");
  std::vector<size_t> owner;
  const auto parts =
      sum_sq_parts({{x.data_ptr(), x.numel(), x.dtype() == kFloat64 ? Elem::F64 : Elem::F32}}, x.device(), &owner);
  double s = 0;
  for (double v : parts) s += v;
  return s;
}

// Adafactor's factored moments of one param of `batches` n x m matrices, in the CPU's order:
// a row's sum with eight double accumulators (one thread per row), a column's sum down the
// rows (one thread per column), the mean of the rows per matrix (one thread), then U.
template <class T>
__global__ void af_rows(const T* g, T gs, T* rv, int64_t rows, int64_t m, optim::updates::Lerp<T> lerp) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  const T* x = g + r * m;
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= m; i += 8)
    for (int j = 0; j < 8; ++j) {
      const double v = double(x[i + j] * gs);
      acc[j] = acc[j] + v * v;
    }
  for (int j = 0; i < m; ++i, ++j) {
    const double v = double(x[i] * gs);
    acc[j] = acc[j] + v * v;
  }
  const double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  rv[r] = lerp(rv[r], T(s / double(m)));
}

template <class T>
__global__ void af_cols(const T* g, T gs, T* cv, int64_t batches, int64_t n, int64_t m, optim::updates::Lerp<T> lerp) {
  const int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (q >= batches * m) return;
  const int64_t b = q / m, k = q % m;
  const T* x = g + b * n * m + k;
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = double(x[i * m] * gs);
    acc = acc + v * v;
  }
  cv[q] = lerp(cv[q], T(acc / double(n)));
}

template <class T>
__global__ void af_row_mean(const T* rv, T* rm, int64_t batches, int64_t n, T eps1) {
  const int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (b >= batches) return;
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s = s + double(rv[b * n + i]);
  T v = T(s / double(n));
  rm[b] = v < eps1 ? eps1 : v;  // clamp_(min=eps1), NaN kept
}

template <class T>
__global__ void af_update(const T* g, T gs, const T* rv, const T* cv, const T* rm, T* u, int64_t batches, int64_t n,
                          int64_t m, T eps1_sq) {
  const int64_t total = batches * n * m;
  for (int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; q < total; q += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = q / (n * m), rem = q % (n * m), i = rem / m, k = rem % m;
    u[q] = optim::updates::adafactor_update(T(g[q] * gs),
                                            optim::updates::adafactor_factored_var(rv[b * n + i], cv[b * m + k], rm[b]),
                                            eps1_sq);
  }
}

template <class T>
void factored(const dispatch::AdafactorFactoredRow& r, double gs_d) {
  const auto& shape = r.param.shape();
  const int64_t n = shape[shape.size() - 2], m = shape[shape.size() - 1];
  if (n * m == 0) return;
  const int64_t batches = r.param.numel() / (n * m);
  const T gs = T(gs_d);
  const optim::updates::Lerp<T> lerp(r.weight);
  const T* g = static_cast<const T*>(r.grad);
  T* rv = static_cast<T*>(r.row_var.data_ptr());
  T* cv = static_cast<T*>(r.col_var.data_ptr());
  T* u = static_cast<T*>(r.update.data_ptr());
  Tensor rm = Tensor::empty(Shape{batches}, r.param.dtype(), r.param.device());
  T* rmp = static_cast<T*>(rm.data_ptr());
  cudaStream_t s = cuda::current_stream();
  constexpr int kT = 128;
  af_rows<T><<<unsigned((batches * n + kT - 1) / kT), kT, 0, s>>>(g, gs, rv, batches * n, m, lerp);
  STEEPEST_CUDA_LAUNCH_CHECK();
  af_cols<T><<<unsigned((batches * m + kT - 1) / kT), kT, 0, s>>>(g, gs, cv, batches, n, m, lerp);
  STEEPEST_CUDA_LAUNCH_CHECK();
  af_row_mean<T><<<unsigned((batches + kT - 1) / kT), kT, 0, s>>>(rv, rmp, batches, n, T(r.eps1));
  STEEPEST_CUDA_LAUNCH_CHECK();
  af_update<T><<<unsigned(cuda::blocks_for(batches * n * m, 256)), 256, 0, s>>>(g, gs, rv, cv, rmp, u, batches, n, m,
                                                                                 T(r.eps1 * r.eps1));
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void adafactor_factored(const std::vector<dispatch::AdafactorFactoredRow>& rows, double gs) {
  if (rows.empty()) return;
  set_device(rows[0].param.device());
  for (const auto& r : rows) {
    STEEPEST_CHECK(r.param.dim() >= 2, ValueError, "Adafactor's factored moments need a param of >= 2 dims");
    if (r.param.dtype() == kFloat64) factored<double>(r, gs);
    else factored<float>(r, gs);
  }
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::optim_flag_stub, CUDA, read_flag);
STEEPEST_REGISTER_KERNEL(dispatch::optim_count_stub, CUDA, count_steps);
STEEPEST_REGISTER_KERNEL(dispatch::optim_scalar_mul_stub, CUDA, multiply_scalars);
STEEPEST_REGISTER_KERNEL(dispatch::optim_row_sum_sq_stub, CUDA, row_sum_sq);
STEEPEST_REGISTER_KERNEL(dispatch::optim_frobenius_sq_stub, CUDA, frobenius_sq);
STEEPEST_REGISTER_KERNEL(dispatch::optim_adafactor_stub, CUDA, adafactor_factored);

}  // namespace steepest::kernels::cuda_optim
