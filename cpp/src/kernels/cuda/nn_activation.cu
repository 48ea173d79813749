// The CUDA kernels of the fused activations and their backward (dispatch/nn.hpp): erf, gelu
// (exact and tanh), silu and softplus in the element type, the parameterised ones (leaky_relu,
// elu, selu, celu, hardswish, hardsigmoid, hardtanh, mish, logsigmoid, softsign) in float64
// rounded once, with the CPU's formulas (kernels/cpu/activation_math.hpp, restated here for
// device code). One grid-stride loop over the dense tensor; bfloat16 and float16 compute in
// float32 and round once.
#include <cuda_runtime.h>

#include <type_traits>

#include "dispatch/nn.hpp"
#include "kernels/cuda/element_cast.hpp"
#include "kernels/cuda/launch.cuh"

namespace steepest::kernels::cuda_backend {
namespace {

using dispatch::Activation;
using steepest::cuda::blocks_for;
using steepest::cuda::current_stream;

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSqrtHalf = 0.70710678118654752440;      // 1/sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;    // 1/sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;   // sqrt(2/pi)
constexpr double kGeluC = 0.044715;

__device__ inline double softplus1(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

__device__ double act_value(Activation act, double x, double p0, double p1) {
  switch (act) {
    case Activation::LeakyRelu: return x > 0 ? x : p0 * x;
    case Activation::Elu: return x > 0 ? x : p0 * expm1(x);
    case Activation::Selu: return kSeluScale * (x > 0 ? x : kSeluAlpha * expm1(x));
    case Activation::Celu: return x > 0 ? x : p0 * expm1(x / p0);
    case Activation::Hardswish: return x <= -3 ? 0.0 : x >= 3 ? x : x * (x + 3) / 6;
    case Activation::Hardsigmoid: return x <= -3 ? 0.0 : x >= 3 ? 1.0 : x / 6 + 0.5;
    case Activation::Hardtanh: return x < p0 ? p0 : x > p1 ? p1 : x;
    case Activation::Mish: return x * tanh(softplus1(x));
    case Activation::LogSigmoid: return -softplus1(-x);
    case Activation::Softsign: return x / (1 + fabs(x));
    default: return x;
  }
}

__device__ double act_derivative(Activation act, double x, double p0, double p1) {
  switch (act) {
    case Activation::LeakyRelu: return x > 0 ? 1.0 : p0;
    case Activation::Elu: return x > 0 ? 1.0 : p0 * exp(x);
    case Activation::Selu: return kSeluScale * (x > 0 ? 1.0 : kSeluAlpha * exp(x));
    case Activation::Celu: return x > 0 ? 1.0 : exp(x / p0);
    case Activation::Hardswish: return x <= -3 ? 0.0 : x < 3 ? x / 3 + 0.5 : 1.0;
    case Activation::Hardsigmoid: return x > -3 && x < 3 ? 1.0 / 6 : 0.0;
    case Activation::Hardtanh: return x <= p0 || x >= p1 ? 0.0 : 1.0;
    case Activation::Mish: {
      const double t = tanh(softplus1(x)), s = 1 / (1 + exp(-x));
      return t + x * s * (1 - t * t);
    }
    case Activation::LogSigmoid: return 1 / (1 + exp(x));
    case Activation::Softsign: {
      const double d = 1 + fabs(x);
      return 1 / (d * d);
    }
    default: return 1.0;
  }
}

// Element-type math: float uses the single-precision intrinsics-free library calls.
__device__ inline float m_erf(float v) { return erff(v); }
__device__ inline double m_erf(double v) { return erf(v); }
__device__ inline float m_exp(float v) { return expf(v); }
__device__ inline double m_exp(double v) { return exp(v); }
__device__ inline float m_tanh(float v) { return tanhf(v); }
__device__ inline double m_tanh(double v) { return tanh(v); }

template <class T>
__device__ T value(Activation act, T x, double beta, double threshold) {
  switch (act) {
    case Activation::Erf: return m_erf(x);
    case Activation::Gelu: return T(0.5) * x * (T(1) + m_erf(x * T(kSqrtHalf)));
    case Activation::GeluTanh: {
      const T inner = T(kSqrt2OverPi) * (x + T(kGeluC) * x * x * x);
      return T(0.5) * x * (T(1) + m_tanh(inner));
    }
    case Activation::Silu: return x / (T(1) + m_exp(-x));
    case Activation::Softplus: {
      const double bx = beta * double(x);
      return bx > threshold ? x : T(log1p(exp(bx)) / beta);
    }
    default: return T(act_value(act, double(x), beta, threshold));
  }
}

template <class T>
__device__ T derivative_times(Activation act, T x, T g, double beta, double threshold) {
  switch (act) {
    case Activation::Gelu: {  // Phi(x) + x phi(x)
      const T cdf = T(0.5) * (T(1) + m_erf(x * T(kSqrtHalf)));
      const T pdf = T(kInvSqrt2Pi) * m_exp(T(-0.5) * x * x);
      return g * (cdf + x * pdf);
    }
    case Activation::GeluTanh: {
      const T x2 = x * x;
      const T inner = T(kSqrt2OverPi) * (x + T(kGeluC) * x2 * x);
      const T t = m_tanh(inner);
      const T dinner = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluC) * x2);
      return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dinner);
    }
    case Activation::Silu: {
      const T s = T(1) / (T(1) + m_exp(-x));
      return g * (s * (T(1) + x * (T(1) - s)));
    }
    case Activation::Softplus: {
      const double bx = beta * double(x);
      return bx > threshold ? g : T(double(g) / (1.0 + exp(-bx)));
    }
    default: return T(double(g) * act_derivative(act, double(x), beta, threshold));
  }
}

// S: the storage type; the math runs in C (float for float32, bfloat16 and float16), one
// rounding to S at the store.
template <class S, class C>
__global__ void activation_kernel(Activation act, const S* x, S* y, int64_t n, double beta, double threshold) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = S(value<C>(act, C(x[i]), beta, threshold));
}

template <class S, class C>
__global__ void activation_backward_kernel(Activation act, const S* x, const S* g, S* gx, int64_t n, double beta,
                                           double threshold) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    gx[i] = S(derivative_times<C>(act, C(x[i]), C(g[i]), beta, threshold));
}

using steepest::cuda::is_half_v;
using steepest::cuda::visit_float_storage;
// The type the math runs in for storage type S.
template <class S>
using compute_t = std::conditional_t<is_half_v<S>, float, S>;

void activation(Activation act, const Tensor& y, const Tensor& x, double beta, double threshold) {
  const int64_t n = x.numel();
  if (n == 0) return;
  const unsigned blocks = unsigned(blocks_for(n));
  visit_float_storage(x.dtype(), [&](auto s0) {
    using S = decltype(s0);
    using C = compute_t<S>;
    activation_kernel<S, C><<<blocks, 256, 0, current_stream()>>>(act, x.data<S>(), y.data<S>(), n, beta, threshold);
  });
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void activation_backward(Activation act, const Tensor& gx, const Tensor& x, const Tensor& g, double beta,
                         double threshold) {
  STEEPEST_CHECK(act != Activation::Erf, Error, "erf: its backward is composed of elementwise ops");
  const int64_t n = x.numel();
  if (n == 0) return;
  const unsigned blocks = unsigned(blocks_for(n));
  visit_float_storage(x.dtype(), [&](auto s0) {
    using S = decltype(s0);
    using C = compute_t<S>;
    activation_backward_kernel<S, C><<<blocks, 256, 0, current_stream()>>>(act, x.data<S>(), g.data<S>(),
                                                                           gx.data<S>(), n, beta, threshold);
  });
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::activation_stub, CUDA, activation);
STEEPEST_REGISTER_KERNEL(dispatch::activation_backward_stub, CUDA, activation_backward);

}  // namespace steepest::kernels::cuda_backend
