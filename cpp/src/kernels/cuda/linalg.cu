// The CUDA kernels of the linear algebra family (dispatch/linalg.hpp) through cuBLAS:
// matmul (broadcast batches as strided-batched GEMMs, transposed views read with OP_T rather
// than copied), steepest::gemm_, and nn.linear's forward (bias rows preloaded, beta = 1) and
// backward (gb as deterministic column sums). float32 uses TF32 tensor cores only when the
// float32 matmul precision allows it; bfloat16/float16 accumulate in float32; float64 is
// float64 throughout. The row-major -> column-major mapping is gemm_plan.hpp's.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>
#include <vector>

#include "dispatch/linalg.hpp"
#include "kernels/cuda/blas_handle.cuh"
#include "kernels/cuda/column_reduce.cuh"
#include "kernels/cuda/gemm_plan.hpp"
#include "steepest/ops.hpp"
#include "steepest/runtime.hpp"

namespace steepest::kernels::cuda_backend {
namespace {

using steepest::cuda::blocks_for;
using steepest::cuda::current_stream;
using steepest::cuda::GemmOperand;

// A matrix operand: element (i, j) of batch 0 at p + i * rs + j * cs (elements).
struct MatDesc {
  const void* p = nullptr;
  int64_t rows = 1, cols = 1, rs = 0, cs = 0;
  GemmOperand op() const { return steepest::cuda::gemm_operand(rows, cols, rs, cs); }
};

cudaDataType cuda_type(DType d) {
  switch (d) {
    case kFloat32: return CUDA_R_32F;
    case kFloat64: return CUDA_R_64F;
    case kBFloat16: return CUDA_R_16BF;
    case kFloat16: return CUDA_R_16F;
    default:
      throw NotImplementedError(str("matmul: ", dtype_name(d),
                                    " products are not implemented for cuda tensors (float32, float64, bfloat16 "
                                    "and float16 are)"));
  }
}

cublasComputeType_t compute_type(DType d) {
  if (d == kFloat64) return CUBLAS_COMPUTE_64F;
  if (d == kFloat32 && matmul_allow_tf32()) return CUBLAS_COMPUTE_32F_FAST_TF32;
  return CUBLAS_COMPUTE_32F;  // float32, and bfloat16/float16 accumulated in float32
}

// C (M, N; row stride ldc; `batch` matrices step_c apart) = alpha A B + beta C, row-major,
// A and B `batch` matrices step_a / step_b apart. Both operands must be cuBLAS-addressable.
void gemm_rowmajor(DType in, DType out, int64_t M, int64_t N, int64_t K, const MatDesc& A, const MatDesc& B,
                   void* C, int64_t ldc, double alpha, double beta, int64_t batch = 1, int64_t step_a = 0,
                   int64_t step_b = 0, int64_t step_c = 0) {
  if (M == 0 || N == 0 || batch == 0) return;
  const GemmOperand a = A.op(), b = B.op();
  STEEPEST_CHECK(a.ok && b.ok, Error, "internal: gemm operand not addressable by cuBLAS");
  const auto c = steepest::cuda::column_major_call(M, N, K, a, b, ldc);
  const cublasOperation_t ta = c.transa ? CUBLAS_OP_T : CUBLAS_OP_N, tb = c.transb ? CUBLAS_OP_T : CUBLAS_OP_N;
  const double ad = alpha, bd = beta;
  const float af = float(alpha), bf = float(beta);
  const void* pa = in == kFloat64 ? static_cast<const void*>(&ad) : static_cast<const void*>(&af);
  const void* pb = in == kFloat64 ? static_cast<const void*>(&bd) : static_cast<const void*>(&bf);
  cublasHandle_t h = steepest::cuda::blas_handle();
  if (batch == 1) {
    STEEPEST_CUBLAS_CHECK(cublasGemmEx_64(h, ta, tb, c.m, c.n, c.k, pa, B.p, cuda_type(in), c.lda, A.p, cuda_type(in),
                                          c.ldb, pb, C, cuda_type(out), c.ldc, compute_type(in), CUBLAS_GEMM_DEFAULT));
  } else {
    STEEPEST_CUBLAS_CHECK(cublasGemmStridedBatchedEx_64(h, ta, tb, c.m, c.n, c.k, pa, B.p, cuda_type(in), c.lda,
                                                        step_b, A.p, cuda_type(in), c.ldb, step_a, pb, C,
                                                        cuda_type(out), c.ldc, step_c, batch, compute_type(in),
                                                        CUBLAS_GEMM_DEFAULT));
  }
}

const char* at(const void* p, int64_t elems, size_t item) {
  return static_cast<const char*>(p) + elems * int64_t(item);
}

// ---- small kernels: bias rows, column sums, scaling ----

// y (rows, n) = the row b repeated; E is the element's storage type (bit copies).
template <class E>
__global__ void fill_rows_kernel(E* y, const E* b, int64_t rows, int64_t n) {
  const int64_t total = rows * n;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = b[i % n];
}

void fill_rows(const Tensor& out, const Tensor& bias, int64_t rows, int64_t n) {
  const int64_t total = rows * n;
  if (total == 0) return;
  const int blocks = int(blocks_for(total));
  const size_t item = out.itemsize();
  if (item == 8)
    fill_rows_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<uint64_t*>(out.data_ptr()),
                                                           static_cast<const uint64_t*>(bias.data_ptr()), rows, n);
  else if (item == 4)
    fill_rows_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<uint32_t*>(out.data_ptr()),
                                                           static_cast<const uint32_t*>(bias.data_ptr()), rows, n);
  else
    fill_rows_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<uint16_t*>(out.data_ptr()),
                                                           static_cast<const uint16_t*>(bias.data_ptr()), rows, n);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class E> struct Acc { using type = float; };
template <> struct Acc<double> { using type = double; };
__device__ inline float load(const float* p) { return *p; }
__device__ inline double load(const double* p) { return *p; }
__device__ inline float load(const __nv_bfloat16* p) { return __bfloat162float(*p); }
__device__ inline float load(const __half* p) { return __half2float(*p); }
__device__ inline void store(float* p, float v) { *p = v; }
__device__ inline void store(double* p, double v) { *p = v; }
__device__ inline void store(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }
__device__ inline void store(__half* p, float v) { *p = __float2half_rn(v); }

// out[j] = sum over rows of g[r, j] (column_reduce.cuh's fixed order), accumulated in float32
// for 16-bit g and rounded once.
template <class E>
struct ColumnTerm {
  const E* g;
  int64_t n;
  __device__ void operator()(int64_t r, int64_t j, typename Acc<E>::type* acc) const { acc[0] += load(g + r * n + j); }
};
template <class E>
struct ColumnOut {
  E* out;
  __device__ void operator()(int, int64_t j, typename Acc<E>::type t) const { store(out + j, t); }
};

void column_sum(const Tensor& out, const Tensor& g, int64_t rows, int64_t n) {
  if (n == 0 || rows == 0) return;
  auto go = [&](auto* pg, auto* po) {
    using E = std::remove_const_t<std::remove_pointer_t<decltype(pg)>>;
    using O = std::remove_pointer_t<decltype(po)>;
    steepest::cuda::column_reduce<1, typename Acc<E>::type>(ColumnTerm<E>{pg, n}, ColumnOut<O>{po}, rows, n,
                                                            g.device());
  };
  // A 16-bit g sums into out of its own dtype, or into a float32 out (autocast's float32 bias),
  // which is then never rounded.
  auto go16 = [&](auto* pg) {
    using E = std::remove_const_t<std::remove_pointer_t<decltype(pg)>>;
    if (out.dtype() == kFloat32) go(pg, static_cast<float*>(out.data_ptr()));
    else go(pg, static_cast<E*>(out.data_ptr()));
  };
  switch (g.dtype()) {
    case kFloat32: go(static_cast<const float*>(g.data_ptr()), static_cast<float*>(out.data_ptr())); break;
    case kFloat64: go(static_cast<const double*>(g.data_ptr()), static_cast<double*>(out.data_ptr())); break;
    case kBFloat16: go16(static_cast<const __nv_bfloat16*>(g.data_ptr())); break;
    default: go16(static_cast<const __half*>(g.data_ptr())); break;
  }
}

// c (m, n; row stride ldc) = beta c, and exactly 0 for beta == 0 (NaN in c is not kept): the
// product of a k == 0 gemm_.
template <class E>
__global__ void scale_rows_kernel(E* c, int64_t m, int64_t n, int64_t ldc, double beta) {
  const int64_t total = m * n;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    E* p = c + (i / n) * ldc + i % n;
    store(p, beta == 0 ? typename Acc<E>::type(0) : typename Acc<E>::type(load(p) * beta));
  }
}

void scale_rows(const Tensor& c, int64_t m, int64_t n, int64_t ldc, double beta) {
  const int blocks = int(blocks_for(m * n));
  switch (c.dtype()) {
    case kFloat32:
      scale_rows_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<float*>(c.data_ptr()), m, n, ldc, beta);
      break;
    case kFloat64:
      scale_rows_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<double*>(c.data_ptr()), m, n, ldc, beta);
      break;
    case kBFloat16:
      scale_rows_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<__nv_bfloat16*>(c.data_ptr()), m, n, ldc,
                                                              beta);
      break;
    default:
      scale_rows_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<__half*>(c.data_ptr()), m, n, ldc, beta);
      break;
  }
  STEEPEST_CUDA_LAUNCH_CHECK();
}

// ---- matmul ----

// An operand as a batch of matrices (a 1-D left operand is a row, a 1-D right one a column).
struct Mat {
  MatDesc d;
  std::vector<int64_t> bshape, bstride;
};

Mat as_mat(const Tensor& t, bool is_left) {
  Mat m;
  m.d.p = t.data_ptr();
  const int64_t nd = t.dim();
  if (nd == 1) {
    if (is_left) m.d = MatDesc{t.data_ptr(), 1, t.shape()[0], 0, t.strides()[0]};
    else m.d = MatDesc{t.data_ptr(), t.shape()[0], 1, t.strides()[0], 0};
    return m;
  }
  m.bshape.assign(t.shape().begin(), t.shape().end() - 2);
  m.bstride.assign(t.strides().begin(), t.strides().end() - 2);
  m.d.rows = t.shape()[size_t(nd - 2)];
  m.d.cols = t.shape()[size_t(nd - 1)];
  m.d.rs = t.strides()[size_t(nd - 2)];
  m.d.cs = t.strides()[size_t(nd - 1)];
  return m;
}

// The operand's stride per result batch dim (right-aligned; 0 where it broadcasts).
std::vector<int64_t> batch_strides(const std::vector<int64_t>& out_batch, const Mat& m) {
  std::vector<int64_t> s(out_batch.size(), 0);
  const size_t off = out_batch.size() - m.bshape.size();
  for (size_t i = 0; i < m.bshape.size(); ++i) s[off + i] = m.bshape[i] == 1 ? 0 : m.bstride[i];
  return s;
}

void matmul(const Tensor& out, const Tensor& a0, const Tensor& b0) {
  const DType dt = out.dtype();
  (void)cuda_type(dt);  // NotImplementedError for integer products before any work
  Tensor a = a0, b = b0;
  Mat A = as_mat(a, true), B = as_mat(b, false);
  if (!A.d.op().ok) { a = clone(a); A = as_mat(a, true); }
  if (!B.d.op().ok) { b = clone(b); B = as_mat(b, false); }
  const bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
  const int64_t M = A.d.rows, N = B.d.cols, K = A.d.cols;
  const std::vector<int64_t> batch(out.shape().begin(), out.shape().end() - (a_vec ? 0 : 1) - (b_vec ? 0 : 1));
  const auto plan = steepest::cuda::plan_batches(batch, batch_strides(batch, A), batch_strides(batch, B));
  const size_t item = a.itemsize();
  for (int64_t o = 0, n = plan.outer_count(); o < n; ++o) {
    int64_t oa = 0, ob = 0;
    plan.outer_offsets(o, oa, ob);
    MatDesc da = A.d, db = B.d;
    da.p = at(A.d.p, oa, item);
    db.p = at(B.d.p, ob, item);
    void* c = const_cast<char*>(at(out.data_ptr(), o * plan.inner * M * N, item));
    gemm_rowmajor(dt, dt, M, N, K, da, db, c, N, 1.0, 0.0, plan.inner, plan.step_a, plan.step_b, M * N);
  }
}

// ---- steepest::gemm_ ----

void gemm_kernel(const Tensor& c, const Tensor& a0, const Tensor& b0, double alpha, double beta) {
  Tensor a = as_mat(a0, true).d.op().ok ? a0 : clone(a0);
  Tensor b = as_mat(b0, false).d.op().ok ? b0 : clone(b0);
  const int64_t m = c.shape()[0], n = c.shape()[1], k = a.shape()[1];
  const int64_t ldc = m == 1 ? std::max<int64_t>(n, 1) : c.strides()[0];
  if (m == 0 || n == 0) return;
  if (k == 0) return scale_rows(c, m, n, ldc, beta);
  gemm_rowmajor(a.dtype(), c.dtype(), m, n, k, as_mat(a, true).d, as_mat(b, false).d, c.data_ptr(), ldc, alpha, beta);
}

// ---- nn.linear ----

// W^T (in, out) as a matrix descriptor, W copied when cuBLAS cannot read it as is.
MatDesc weight_t(Tensor& w) {
  MatDesc d{w.data_ptr(), w.shape()[1], w.shape()[0], w.strides()[1], w.strides()[0]};
  if (!d.op().ok) {
    w = contiguous(w);
    d = MatDesc{w.data_ptr(), w.shape()[1], w.shape()[0], 1, w.shape()[1]};
  }
  return d;
}

void zero_fill(const Tensor& t) {
  Tensor v = t;
  zero_(v);
}

void linear(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  const DType dt = x.dtype();
  Tensor xc = contiguous(x);
  const int64_t M = in_f > 0 ? xc.numel() / in_f : out.numel() / std::max<int64_t>(out_f, 1);
  if (bias.defined()) fill_rows(out, contiguous(bias), M, out_f);
  else if (in_f == 0) zero_fill(out);
  if (M == 0 || out_f == 0 || in_f == 0) return;
  Tensor w = weight;
  const MatDesc wt = weight_t(w);
  gemm_rowmajor(dt, dt, M, out_f, in_f, MatDesc{xc.data_ptr(), M, in_f, in_f, 1}, wt, out.data_ptr(), out_f, 1.0,
                bias.defined() ? 1.0 : 0.0);
}

void linear_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                     const Tensor& weight) {
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  const int64_t M = out_f > 0 ? g.numel() / out_f : (in_f > 0 ? x.numel() / in_f : 0);
  const DType dt = g.dtype();
  if (gx.defined()) {
    if (out_f == 0) zero_fill(gx);
    else if (M > 0 && in_f > 0) {  // gx (M, in) = g (M, out) W (out, in)
      Tensor w = weight;
      MatDesc wd{w.data_ptr(), out_f, in_f, w.strides()[0], w.strides()[1]};
      if (!wd.op().ok) {
        w = contiguous(w);
        wd = MatDesc{w.data_ptr(), out_f, in_f, in_f, 1};
      }
      gemm_rowmajor(dt, dt, M, in_f, out_f, MatDesc{g.data_ptr(), M, out_f, out_f, 1}, wd, gx.data_ptr(), in_f, 1.0,
                    0.0);
    }
  }
  if (gw.defined()) {
    if (M == 0) zero_fill(gw);
    else if (out_f > 0 && in_f > 0) {  // gw (out, in) = g^T (out, M) x (M, in)
      Tensor xc = contiguous(x);
      gemm_rowmajor(dt, gw.dtype(), out_f, in_f, M, MatDesc{g.data_ptr(), out_f, M, 1, out_f},
                    MatDesc{xc.data_ptr(), M, in_f, in_f, 1}, gw.data_ptr(), in_f, 1.0, 0.0);
    }
  }
  if (gb.defined() && M > 0 && out_f > 0) column_sum(gb, g, M, out_f);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::gemm_stub, CUDA, gemm_kernel);
STEEPEST_REGISTER_KERNEL(dispatch::matmul_stub, CUDA, matmul);
STEEPEST_REGISTER_KERNEL(dispatch::linear_stub, CUDA, linear);
STEEPEST_REGISTER_KERNEL(dispatch::linear_backward_stub, CUDA, linear_backward);

}  // namespace steepest::kernels::cuda_backend
