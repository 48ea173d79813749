// The CUDA slots of the multi-tensor passes of clipping and loss scaling (dispatch/optim.hpp):
// the norm of all tensors as one vector (per-chunk partials in double, block trees in a fixed
// order, added on the host in chunk order), x *= factor, and GradScaler's inf/NaN check with
// the optional unscale in the same pass. The norm and the check return host values, so each
// waits for the stream once; the scale does not wait.
#include <cmath>
#include <limits>

#include "dispatch/optim.hpp"
#include "kernels/cuda/optim_reduce.cuh"
#include "kernels/cuda/optim_store.cuh"

namespace steepest::kernels::cuda_optim {

namespace {

enum class NormKind : int { L1 = 0, L2 = 1, Inf = 2 };

struct Add {
  __device__ double operator()(double a, double b) const { return a + b; }
};
// The larger, NaN if either is NaN.
struct MaxNan {
  __device__ double operator()(double a, double b) const { return a != a || b != b ? __longlong_as_double(0x7ff8000000000000LL) : (a > b ? a : b); }
};

__global__ void __launch_bounds__(kReduceThreads) norm_kernel(const __grid_constant__ ListTable tab, int kind, double* part) {
  int64_t begin, n;
  const int t = list_locate(tab, int32_t(blockIdx.x), &begin, &n);
  const void* p = tab.data[t];
  const Elem e = tab.elem[t];
  double acc = 0;
  for (int64_t i = threadIdx.x; i < n; i += kReduceThreads) {
    const double x = load_elem(p, e, begin + i);
    if (kind == int(NormKind::L2)) acc = acc + x * x;
    else if (kind == int(NormKind::L1)) acc = acc + fabs(x);
    else acc = MaxNan{}(acc, fabs(x));
  }
  const double r = kind == int(NormKind::Inf) ? block_reduce(acc, MaxNan{}) : block_reduce(acc, Add{});
  if (threadIdx.x == 0) part[tab.block_base + blockIdx.x] = r;
}

// x *= factor in the element's own precision (float32 for half kinds, rounded back to nearest
// even); with `flag`, a non-finite value seen first sets *flag.
__global__ void __launch_bounds__(kReduceThreads)
    scale_kernel(const __grid_constant__ ListTable tab, bool scale, double factor, int* flag) {
  int64_t begin, n;
  const int t = list_locate(tab, int32_t(blockIdx.x), &begin, &n);
  void* p = tab.data[t];
  const Elem e = tab.elem[t];
  const float ff = float(factor);
  bool bad = false;
  for (int64_t i = threadIdx.x; i < n; i += kReduceThreads) {
    const int64_t j = begin + i;
    if (e == Elem::F64) {
      double& x = static_cast<double*>(p)[j];
      bad = bad || !isfinite(x);
      if (scale) x = x * factor;
    } else if (e == Elem::F32) {
      float& x = static_cast<float*>(p)[j];
      bad = bad || !isfinite(x);
      if (scale) x = x * ff;
    } else {
      const float x = float(load_elem(p, e, j));
      bad = bad || !isfinite(x);
      if (scale) {
        const float y = x * ff;
        static_cast<uint16_t*>(p)[j] = e == Elem::BF16 ? bf16_nearest(bits_of(y)) : f16_nearest(y);
      }
    }
  }
  if (flag && bad) *flag = 1;  // every writer stores the same value
}

std::vector<ListEntry> entries_of(const std::vector<Tensor>& tensors, const char* what, Device* dev) {
  std::vector<ListEntry> out;
  for (const Tensor& x : tensors) {
    if (!x.defined()) continue;
    STEEPEST_CHECK(x.device().is_cuda(), ValueError, what, ": a tensor is on ", x.device().str(), ", expected cuda");
    STEEPEST_CHECK(x.is_contiguous(), ValueError, what, ": tensors must be contiguous");
    const DType d = x.dtype();
    STEEPEST_CHECK(d == kFloat32 || d == kFloat64 || d == kBFloat16 || d == kFloat16, TypeError, what,
                   ": expected floating-point tensors, got ", dtype_name(d));
    const Elem e = d == kFloat32 ? Elem::F32 : d == kFloat64 ? Elem::F64 : d == kBFloat16 ? Elem::BF16 : Elem::F16;
    out.push_back({x.data_ptr(), x.numel(), e});
    *dev = x.device();
  }
  return out;
}

// Blocks of all tables for the entries (the partials' count), without launching.
int64_t block_count(const std::vector<ListEntry>& entries) {
  int64_t n = 0;
  for (const ListEntry& e : entries) n += (e.numel + plan::kChunk - 1) / plan::kChunk;
  return n;
}

double multi_norm(const std::vector<Tensor>& tensors, double norm_type) {
  Device dev(DeviceType::CUDA, 0);
  const auto entries = entries_of(tensors, "clip_grad_norm_", &dev);
  const bool inf = std::isinf(norm_type);
  STEEPEST_CHECK(inf || norm_type == 1 || norm_type == 2, ValueError, "the CUDA grad norm supports norm_type 1, 2 or inf, got ",
                 norm_type);
  const int kind = inf ? int(NormKind::Inf) : norm_type == 2 ? int(NormKind::L2) : int(NormKind::L1);
  const int64_t nb = block_count(entries);
  if (nb == 0) return 0.0;
  Tensor part = device_doubles(nb, dev);
  double* pp = static_cast<double*>(part.data_ptr());
  for_list_tables(entries, [&](const ListTable& tab, int64_t blocks) {
    norm_kernel<<<unsigned(blocks), kReduceThreads, 0, cuda::current_stream()>>>(tab, kind, pp);
  });
  const std::vector<double> h = host_doubles(part, nb);
  if (inf) {
    double m = 0;
    for (double v : h) {
      if (std::isnan(v)) return v;
      m = v > m ? v : m;
    }
    return m;
  }
  double s = 0;
  for (double v : h) s += v;
  return norm_type == 2 ? std::sqrt(s) : s;
}

void multi_scale(const std::vector<Tensor>& tensors, double factor) {
  Device dev(DeviceType::CUDA, 0);
  const auto entries = entries_of(tensors, "clip_grad_norm_", &dev);
  for_list_tables(entries, [&](const ListTable& tab, int64_t blocks) {
    scale_kernel<<<unsigned(blocks), kReduceThreads, 0, cuda::current_stream()>>>(tab, true, factor, nullptr);
  });
}

bool multi_check_scale(const std::vector<Tensor>& tensors, bool scale, double factor) {
  Device dev(DeviceType::CUDA, 0);
  const auto entries = entries_of(tensors, "unscale_", &dev);
  if (entries.empty()) return false;
  Tensor flag = Tensor::empty(Shape{1}, kInt32, dev);
  int* fp = static_cast<int*>(flag.data_ptr());
  STEEPEST_CUDA_CHECK(cudaMemsetAsync(fp, 0, sizeof(int), cuda::current_stream()));
  for_list_tables(entries, [&](const ListTable& tab, int64_t blocks) {
    scale_kernel<<<unsigned(blocks), kReduceThreads, 0, cuda::current_stream()>>>(tab, scale, factor, fp);
  });
  int h = 0;
  STEEPEST_CUDA_CHECK(cudaMemcpyAsync(&h, fp, sizeof(int), cudaMemcpyDeviceToHost, cuda::current_stream()));
  STEEPEST_CUDA_CHECK(cudaStreamSynchronize(cuda::current_stream()));
  return h != 0;
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::multi_norm_stub, CUDA, multi_norm);
STEEPEST_REGISTER_KERNEL(dispatch::multi_scale_stub, CUDA, multi_scale);
STEEPEST_REGISTER_KERNEL(dispatch::multi_check_scale_stub, CUDA, multi_check_scale);

}  // namespace steepest::kernels::cuda_optim
