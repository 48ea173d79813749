// The CUDA kernels of convolution, unfold and fold (dispatch/conv.hpp): im2col + cuBLAS, as
// on the CPU, with no cuDNN. The batch is cut into chunks of samples whose column matrix fits
// a fixed budget (conv_geom.hpp's conv_chunks).
// - forward: im2col per chunk (unfold layout), then per group one strided-batched GEMM over
//   the chunk's samples, written straight into y over its preloaded bias (beta = 1);
// - data gradient: per group a strided-batched GEMM w^T gy into a column buffer, then col2im
//   as a gather (one thread per input element adds its taps in the CPU's order) with the bias;
// - weight gradient: the chunk's columns and output gradients side by side, so one GEMM per
//   group sums over every sample and position of the chunk; chunks accumulate (beta = 1).
// bfloat16/float16 keep 16-bit columns and multiply with float32 accumulation into float32
// buffers that are rounded once, as conv_lowp.cpp does. GEMM sums run in cuBLAS's order, so
// results are close to the CPU's, not bitwise equal; im2col and fold are exact copies/sums in
// the CPU's order.
#include <cuda_runtime.h>

#include <type_traits>

#include "dispatch/conv.hpp"
#include "kernels/cuda/blas_handle.cuh"
#include "kernels/cuda/conv_geom.hpp"
#include "kernels/cuda/element_cast.hpp"
#include "kernels/cuda/gemm_plan.hpp"
#include "kernels/cuda/launch.cuh"
#include "steepest/runtime.hpp"

namespace steepest::kernels::cuda_backend {
namespace {

using dispatch::ConvGeom;
using steepest::cuda::blocks_for;
using steepest::cuda::current_stream;
using steepest::cuda::kThreadsPerBlock;
namespace cg = steepest::cuda::convgeom;

// Column buffers hold at most this many elements per chunk (256 MiB of float32).
constexpr int64_t kColumnBudget = int64_t(1) << 26;

template <class T>
struct AccOf {
  using type = T;
};
template <>
struct AccOf<bfloat16> {
  using type = float;
};
template <>
struct AccOf<float16> {
  using type = float;
};

template <class T>
cudaDataType cuda_type() {
  if constexpr (std::is_same_v<T, double>) return CUDA_R_64F;
  else if constexpr (std::is_same_v<T, float>) return CUDA_R_32F;
  else if constexpr (std::is_same_v<T, bfloat16>) return CUDA_R_16BF;
  else return CUDA_R_16F;
}

// Group grp's product of `m` (conv_geom.hpp): C = A B + beta C, row-major, mapped onto cuBLAS's
// column-major call by gemm_plan.hpp (operands swapped, transposed views read with OP_T), one
// strided-batched call for the chunk's samples. float32 uses TF32 only where the float32
// matmul precision allows it; 16-bit operands accumulate in float32; C is T or float32.
template <class T, class C>
void run_gemm(const cg::ConvGemm& m, const T* A, const T* B, C* Cp, int64_t grp, double beta) {
  if (m.M == 0 || m.N == 0 || m.batch == 0) return;
  const steepest::cuda::GemmOperand a = steepest::cuda::gemm_operand(m.M, m.K, m.a_rs, m.a_cs);
  const steepest::cuda::GemmOperand b = steepest::cuda::gemm_operand(m.K, m.N, m.b_rs, m.b_cs);
  STEEPEST_CHECK(a.ok && b.ok, Error, "internal: a convolution GEMM operand is not addressable by cuBLAS");
  const auto c = steepest::cuda::column_major_call(m.M, m.N, m.K, a, b, m.ldc);
  A += grp * m.a_group;
  B += grp * m.b_group;
  Cp += grp * m.c_group;
  constexpr bool f64 = std::is_same_v<T, double>;
  const cublasComputeType_t ct = f64                                                        ? CUBLAS_COMPUTE_64F
                                 : std::is_same_v<T, float> && matmul_allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                                                            : CUBLAS_COMPUTE_32F;
  const double one_d = 1.0, beta_d = beta;
  const float one_f = 1.0f, beta_f = float(beta);
  const void* pa = f64 ? static_cast<const void*>(&one_d) : static_cast<const void*>(&one_f);
  const void* pb = f64 ? static_cast<const void*>(&beta_d) : static_cast<const void*>(&beta_f);
  const cublasOperation_t ta = c.transa ? CUBLAS_OP_T : CUBLAS_OP_N, tb = c.transb ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasHandle_t h = steepest::cuda::blas_handle();
  if (m.batch == 1)
    STEEPEST_CUBLAS_CHECK(cublasGemmEx_64(h, ta, tb, c.m, c.n, c.k, pa, B, cuda_type<T>(), c.lda, A, cuda_type<T>(),
                                          c.ldb, pb, Cp, cuda_type<C>(), c.ldc, ct, CUBLAS_GEMM_DEFAULT));
  else
    STEEPEST_CUBLAS_CHECK(cublasGemmStridedBatchedEx_64(h, ta, tb, c.m, c.n, c.k, pa, B, cuda_type<T>(), c.lda,
                                                        m.b_step, A, cuda_type<T>(), c.ldb, m.a_step, pb, Cp,
                                                        cuda_type<C>(), c.ldc, m.c_step, m.batch, ct,
                                                        CUBLAS_GEMM_DEFAULT));
}

#define STEEPEST_GRID_LOOP(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

unsigned grid(int64_t n) { return unsigned(blocks_for(n)); }

// col (nb samples in `lay`) = the patches of x's samples [0, nb) (x points at the first).
template <class T>
__global__ void im2col_kernel(const T* x, T* col, ConvGeom g, int64_t nb, cg::ColLayout lay) {
  const int64_t hw_out = g.out_h * g.out_w, rows = g.in_channels * g.kernel_h * g.kernel_w;
  const int64_t image = g.in_channels * g.in_h * g.in_w;
  STEEPEST_GRID_LOOP(e, nb * rows * hw_out) {
    const int64_t o = e % hw_out, t = e / hw_out, r = t % rows, s = t / rows;
    const int64_t src = cg::im2col_source(g, r, o);
    col[s * lay.sample_stride + r * lay.ld + o] = src < 0 ? T(0.0f) : x[s * image + src];
  }
}

// x (nb samples) = col summed back into place (+ bias per channel), each input element adding
// its taps in (i, j) order in the accumulation type A and rounded once.
template <class T, class A>
__global__ void col2im_kernel(const A* col, T* x, const T* bias, ConvGeom g, int64_t nb, cg::ColLayout lay) {
  const int64_t hw_in = g.in_h * g.in_w, kk = g.kernel_h * g.kernel_w;
  STEEPEST_GRID_LOOP(e, nb * g.in_channels * hw_in) {
    const int64_t w = e % g.in_w, h = (e / g.in_w) % g.in_h, c = (e / hw_in) % g.in_channels,
                  s = e / (hw_in * g.in_channels);
    const A* cs = col + s * lay.sample_stride + c * kk * lay.ld;
    A acc = A(0);
    for (int64_t i = 0; i < g.kernel_h; ++i)
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const int64_t o = cg::col2im_position(g, h, w, i, j);
        if (o >= 0) acc += cs[(i * g.kernel_w + j) * lay.ld + o];
      }
    if (bias) acc += A(bias[c]);
    x[e] = T(acc);
  }
}

// y (nb, channels, hw) = bias[c] everywhere (before a beta = 1 GEMM), or 0 without a bias.
template <class T>
__global__ void fill_bias_kernel(T* y, const T* bias, int64_t total, int64_t channels, int64_t hw) {
  STEEPEST_GRID_LOOP(e, total) y[e] = bias ? bias[(e / hw) % channels] : T(0.0f);
}

// y = round(acc + bias[c]): the 16-bit forward's single rounding.
template <class T>
__global__ void finish_kernel(T* y, const float* acc, const T* bias, int64_t total, int64_t channels, int64_t hw) {
  STEEPEST_GRID_LOOP(e, total) y[e] = T(bias ? acc[e] + float(bias[(e / hw) % channels]) : acc[e]);
}

// dst (channels, nb * hw) = the samples' (channels, hw) planes side by side.
template <class T>
__global__ void side_by_side_kernel(const T* src, T* dst, int64_t nb, int64_t channels, int64_t hw) {
  STEEPEST_GRID_LOOP(e, nb * channels * hw) {
    const int64_t p = e % hw, c = (e / hw) % channels, s = e / (hw * channels);
    dst[(c * nb + s) * hw + p] = src[e];
  }
}

template <class T>
__global__ void round_kernel(T* dst, const float* src, int64_t n) {
  STEEPEST_GRID_LOOP(e, n) dst[e] = T(src[e]);
}

template <class T>
__global__ void widen_kernel(const T* src, float* dst, int64_t n) {
  STEEPEST_GRID_LOOP(e, n) dst[e] = float(src[e]);
}

template <class T>
Tensor scratch(int64_t n, Device d) {
  return Tensor::empty({n}, dtype_of<T>(), d);
}

template <class T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.data_ptr()) : nullptr;
}

template <class T>
void fill_bias(T* y, const T* bias, int64_t total, int64_t channels, int64_t hw) {
  if (total == 0) return;
  fill_bias_kernel<T><<<grid(total), kThreadsPerBlock, 0, current_stream()>>>(y, bias, total, channels, hw);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class T>
void forward_t(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  using A = typename AccOf<T>::type;
  const int64_t hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w, G = g.groups;
  const int64_t K = cg::group_rows(g);
  const int64_t total = g.batch * g.out_channels * hw_out;
  if (total == 0) return;
  T* py = static_cast<T*>(y.data_ptr());
  const T* px = static_cast<const T*>(x.data_ptr());
  const T* pw = static_cast<const T*>(w.data_ptr());
  const T* pb = ptr_or_null<T>(bias);
  if (K == 0) return fill_bias(py, pb, total, g.out_channels, hw_out);
  constexpr bool wide = !std::is_same_v<T, A>;  // 16-bit: a float32 product, rounded once
  const bool direct = cg::is_pointwise(g);
  const cg::ConvChunks ch = cg::conv_chunks(g, kColumnBudget);
  const cg::ColLayout lay = direct ? cg::ColLayout{g.in_channels * hw_in, hw_in} : cg::unfold_layout(g);
  Tensor col = direct ? Tensor() : scratch<T>(ch.per * lay.sample_stride, y.device());
  Tensor acc = wide ? scratch<A>(ch.per * g.out_channels * hw_out, y.device()) : Tensor();
  if (!wide) fill_bias(py, pb, total, g.out_channels, hw_out);
  for (int64_t c = 0; c < ch.chunks; ++c) {
    const int64_t n0 = c * ch.per, nb = std::min(ch.per, g.batch - n0);
    const T* cm = px + n0 * g.in_channels * hw_in;
    if (!direct) {
      T* pc = static_cast<T*>(col.data_ptr());
      im2col_kernel<T><<<grid(nb * lay.sample_stride), kThreadsPerBlock, 0, current_stream()>>>(cm, pc, g, nb, lay);
      STEEPEST_CUDA_LAUNCH_CHECK();
      cm = pc;
    }
    A* out = wide ? static_cast<A*>(acc.data_ptr()) : reinterpret_cast<A*>(py + n0 * g.out_channels * hw_out);
    const cg::ConvGemm m = cg::forward_gemm(g, lay, nb);
    for (int64_t grp = 0; grp < G; ++grp) run_gemm<T, A>(m, pw, cm, out, grp, wide ? 0.0 : 1.0);
    if constexpr (wide) {
      const int64_t n = nb * g.out_channels * hw_out;
      finish_kernel<T><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(py + n0 * g.out_channels * hw_out, out,
                                                                          pb, n, g.out_channels, hw_out);
      STEEPEST_CUDA_LAUNCH_CHECK();
    }
  }
}

template <class T>
void backward_data_t(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  using A = typename AccOf<T>::type;
  const int64_t hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w, G = g.groups;
  const int64_t Og = g.out_channels / G;
  const int64_t total = g.batch * g.in_channels * hw_in;
  if (total == 0) return;
  T* pgx = static_cast<T*>(gx.data_ptr());
  const T* pgy = static_cast<const T*>(gy.data_ptr());
  const T* pw = static_cast<const T*>(w.data_ptr());
  const T* pb = ptr_or_null<T>(bias);
  if (Og == 0 || hw_out == 0) return fill_bias(pgx, pb, total, g.in_channels, hw_in);
  const cg::ConvChunks ch = cg::conv_chunks(g, kColumnBudget);
  const cg::ColLayout lay = cg::unfold_layout(g);
  Tensor col = scratch<A>(ch.per * lay.sample_stride, gx.device());
  A* pc = static_cast<A*>(col.data_ptr());
  for (int64_t c = 0; c < ch.chunks; ++c) {
    const int64_t n0 = c * ch.per, nb = std::min(ch.per, g.batch - n0);
    const T* gys = pgy + n0 * g.out_channels * hw_out;
    const cg::ConvGemm m = cg::backward_data_gemm(g, lay, nb);
    for (int64_t grp = 0; grp < G; ++grp) run_gemm<T, A>(m, pw, gys, pc, grp, 0.0);
    const int64_t n = nb * g.in_channels * hw_in;
    col2im_kernel<T, A><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(pc, pgx + n0 * g.in_channels * hw_in,
                                                                           pb, g, nb, lay);
    STEEPEST_CUDA_LAUNCH_CHECK();
  }
}

template <class T>
void backward_weight_t(const Tensor& gw, const Tensor& gy, const Tensor& x, const ConvGeom& g) {
  using A = typename AccOf<T>::type;
  constexpr bool wide = !std::is_same_v<T, A>;
  const int64_t hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w, G = g.groups;
  const int64_t K = cg::group_rows(g);
  const int64_t wsize = g.out_channels * K;
  if (wsize == 0) return;
  Tensor acc = wide ? scratch<A>(wsize, gw.device()) : Tensor();
  A* pacc = wide ? static_cast<A*>(acc.data_ptr()) : static_cast<A*>(gw.data_ptr());
  if (g.batch == 0 || hw_out == 0) {
    STEEPEST_CUDA_CHECK(cudaMemsetAsync(gw.data_ptr(), 0, size_t(wsize) * sizeof(T), current_stream()));
    return;
  }
  const T* pgy = static_cast<const T*>(gy.data_ptr());
  const T* px = static_cast<const T*>(x.data_ptr());
  const cg::ConvChunks ch = cg::conv_chunks(g, kColumnBudget);
  Tensor col = scratch<T>(ch.per * g.in_channels * g.kernel_h * g.kernel_w * hw_out, gw.device());
  Tensor stage = scratch<T>(ch.per * g.out_channels * hw_out, gw.device());
  T* pc = static_cast<T*>(col.data_ptr());
  T* ps = static_cast<T*>(stage.data_ptr());
  for (int64_t c = 0; c < ch.chunks; ++c) {
    const int64_t n0 = c * ch.per, nb = std::min(ch.per, g.batch - n0);
    const cg::ColLayout lay = cg::side_by_side_layout(g, nb);
    const int64_t ncol = nb * g.in_channels * g.kernel_h * g.kernel_w * hw_out;
    im2col_kernel<T><<<grid(ncol), kThreadsPerBlock, 0, current_stream()>>>(px + n0 * g.in_channels * hw_in, pc, g,
                                                                           nb, lay);
    STEEPEST_CUDA_LAUNCH_CHECK();
    const int64_t nst = nb * g.out_channels * hw_out;
    side_by_side_kernel<T><<<grid(nst), kThreadsPerBlock, 0, current_stream()>>>(
        pgy + n0 * g.out_channels * hw_out, ps, nb, g.out_channels, hw_out);
    STEEPEST_CUDA_LAUNCH_CHECK();
    const cg::ConvGemm m = cg::backward_weight_gemm(g, nb);
    for (int64_t grp = 0; grp < G; ++grp) run_gemm<T, A>(m, ps, pc, pacc, grp, c == 0 ? 0.0 : 1.0);
  }
  if constexpr (wide) {
    round_kernel<T><<<grid(wsize), kThreadsPerBlock, 0, current_stream()>>>(static_cast<T*>(gw.data_ptr()), pacc,
                                                                           wsize);
    STEEPEST_CUDA_LAUNCH_CHECK();
  }
}

template <class T>
void im2col_t(const Tensor& col, const Tensor& x, const ConvGeom& g) {
  const int64_t n = col.numel();
  if (n == 0) return;
  im2col_kernel<T><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(
      static_cast<const T*>(x.data_ptr()), static_cast<T*>(col.data_ptr()), g, g.batch, cg::unfold_layout(g));
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class T>
void col2im_t(const Tensor& x, const Tensor& col, const ConvGeom& g) {
  using A = typename AccOf<T>::type;
  const int64_t n = x.numel();
  if (n == 0) return;
  // The 16-bit fold sums in float32: widen the columns first (the CPU does the same per image).
  Tensor wide;
  const A* pc = nullptr;
  if constexpr (std::is_same_v<T, A>) {
    pc = static_cast<const A*>(col.data_ptr());
  } else {
    wide = Tensor::empty(col.shape(), kFloat32, col.device());
    const int64_t m = col.numel();
    if (m > 0) {
      widen_kernel<T><<<grid(m), kThreadsPerBlock, 0, current_stream()>>>(static_cast<const T*>(col.data_ptr()),
                                                                          static_cast<float*>(wide.data_ptr()), m);
      STEEPEST_CUDA_LAUNCH_CHECK();
    }
    pc = static_cast<const A*>(wide.data_ptr());
  }
  col2im_kernel<T, A><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(pc, static_cast<T*>(x.data_ptr()), nullptr,
                                                                         g, g.batch, cg::unfold_layout(g));
  STEEPEST_CUDA_LAUNCH_CHECK();
}

using steepest::cuda::visit_float_storage;

void conv_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  visit_float_storage(x.dtype(), [&](auto z) { forward_t<decltype(z)>(y, x, w, bias, g); });
}
void conv_backward_data(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  visit_float_storage(gy.dtype(), [&](auto z) { backward_data_t<decltype(z)>(gx, gy, w, bias, g); });
}
void conv_backward_weight(const Tensor& gw, const Tensor& gy, const Tensor& x, const ConvGeom& g) {
  visit_float_storage(gy.dtype(), [&](auto z) { backward_weight_t<decltype(z)>(gw, gy, x, g); });
}
void im2col(const Tensor& col, const Tensor& x, const ConvGeom& g) {
  visit_float_storage(x.dtype(), [&](auto z) { im2col_t<decltype(z)>(col, x, g); });
}
void col2im(const Tensor& x, const Tensor& col, const ConvGeom& g) {
  visit_float_storage(col.dtype(), [&](auto z) { col2im_t<decltype(z)>(x, col, g); });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::conv_forward_stub, CUDA, conv_forward);
STEEPEST_REGISTER_KERNEL(dispatch::conv_backward_data_stub, CUDA, conv_backward_data);
STEEPEST_REGISTER_KERNEL(dispatch::conv_backward_weight_stub, CUDA, conv_backward_weight);
STEEPEST_REGISTER_KERNEL(dispatch::im2col_stub, CUDA, im2col);
STEEPEST_REGISTER_KERNEL(dispatch::col2im_stub, CUDA, col2im);

}  // namespace steepest::kernels::cuda_backend
