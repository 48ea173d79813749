// FP8 ops (steepest/ops/float8.hpp): _scaled_mm, the saturating scaled cast and the
// delayed-scaling update. Every dtype, shape and device is checked here before a kernel
// (dispatch/float8.hpp, or the bfloat16 GEMM behind gemm_) touches memory.
#include <cmath>

#include "dispatch/float8.hpp"
#include "steepest/autograd.hpp"
#include "steepest/ops.hpp"
#include "steepest/ops/float8.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(Float8CastKernel, float8_cast_stub);
STEEPEST_DEFINE_STUB(Float8ScalingKernel, float8_scaling_stub);
}  // namespace dispatch

namespace {

TensorOptions on(DType dt, Device dev) {
  TensorOptions o(dt);
  o.device = dev;
  return o;
}

double fp8_max(DType d) { return d == kFloat8E4M3FN ? double(float8_e4m3fn::kMax) : double(float8_e5m2::kMax); }

void check_fp8_dtype(DType d, const char* op, const char* arg) {
  STEEPEST_CHECK(is_float8(d), TypeError, op, ": expected ", arg, " to be float8_e4m3fn or float8_e5m2, but got ",
                 dtype_name(d));
}

void check_one_float(const Tensor& t, const char* op, const char* arg) {
  STEEPEST_CHECK(t.dtype() == kFloat32 && t.numel() == 1, ValueError, op, ": ", arg,
                 " must be a float32 tensor of one element, but got a ", dtype_name(t.dtype()), " tensor of shape ",
                 t.shape());
}

}  // namespace

Tensor scaled_mm(const Tensor& a, const Tensor& b, const Tensor& scale_a, const Tensor& scale_b,
                 const std::optional<Tensor>& bias, std::optional<DType> out_dtype,
                 const std::optional<Tensor>& scale_result, bool use_fast_accum) {
  const char* op = "_scaled_mm";
  const Tensor none;
  const Device dev = dispatch::common_device({&a, &b, &scale_a, &scale_b, bias ? &*bias : &none,
                                              scale_result ? &*scale_result : &none});
  STEEPEST_CHECK(a.dim() == 2, ValueError, op, ": mat1 must be a matrix, but got shape ", a.shape());
  STEEPEST_CHECK(b.dim() == 2, ValueError, op, ": mat2 must be a matrix, but got shape ", b.shape());
  check_fp8_dtype(a.dtype(), op, "mat1");
  check_fp8_dtype(b.dtype(), op, "mat2");
  const int64_t M = a.shape()[0], K = a.shape()[1], N = b.shape()[1];
  STEEPEST_CHECK(b.shape()[0] == K, ValueError, op, ": mat1 and mat2 shapes cannot be multiplied (", M, "x", K,
                 " and ", b.shape()[0], "x", N, ")");
  const bool tensorwise = scale_a.numel() == 1 && scale_b.numel() == 1;
  const bool rowwise = scale_a.shape() == Shape{M, 1} && scale_b.shape() == Shape{1, N};
  STEEPEST_CHECK(scale_a.dtype() == kFloat32 && scale_b.dtype() == kFloat32 && (tensorwise || rowwise), ValueError,
                 op, ": invalid scaling: scale_a and scale_b must be float32 and either one element each (per "
                 "tensor) or of shapes (", M, ", 1) and (1, ", N, ") (per row of mat1 and column of mat2), but got ",
                 dtype_name(scale_a.dtype()), " ", scale_a.shape(), " and ", dtype_name(scale_b.dtype()), " ",
                 scale_b.shape());
  const DType od = out_dtype.value_or(a.dtype());
  STEEPEST_CHECK(is_floating(od), TypeError, op, ": out_dtype must be a floating dtype, but got ", dtype_name(od));
  if (bias) {
    STEEPEST_CHECK(is_floating(bias->dtype()) && !is_float8(bias->dtype()), TypeError, op,
                   ": bias must be float32, float64, bfloat16 or float16, but got ", dtype_name(bias->dtype()));
    STEEPEST_CHECK(bias->numel() == N && bias->dim() >= 1 && bias->dim() <= 2 && bias->shape().back() == N,
                   ValueError, op, ": bias must be of size ", N, ", but got shape ", bias->shape());
  }
  if (scale_result) check_one_float(*scale_result, op, "scale_result");

  autograd::NoGradGuard ng;
  Tensor acc = zeros({M, N}, on(kFloat32, dev));
  if (M > 0 && N > 0 && K > 0) {
    // Every FP8 value is exact in bfloat16, so the bfloat16 GEMM (float32 accumulation)
    // computes the FP8 product exactly up to its float32 sums.
    gemm_(acc, to_dtype(a, kBFloat16), to_dtype(b, kBFloat16));
  }
  Tensor r = mul(mul(acc, reshape(scale_a, {tensorwise ? 1 : M, 1})), reshape(scale_b, {1, tensorwise ? 1 : N}));
  if (bias) r = add(r, to_dtype(reshape(*bias, {N}), kFloat32));
  // As torch on the CPU: scale_result divides only an explicitly requested FP8 output.
  if (out_dtype && is_float8(od) && scale_result) r = div(r, reshape(*scale_result, {1, 1}));
  return to_dtype(r, od);
}

Tensor float8_scaled_cast(const Tensor& x, const Tensor& scale, DType dtype, const std::optional<Tensor>& amax) {
  const char* op = "float8_scaled_cast";
  const Tensor none;
  const Device dev = dispatch::common_device({&x, &scale, amax ? &*amax : &none});
  STEEPEST_CHECK(x.dtype() == kFloat32 || x.dtype() == kBFloat16 || x.dtype() == kFloat16, TypeError, op,
                 ": expected a float32, bfloat16 or float16 input, but got ", dtype_name(x.dtype()));
  check_fp8_dtype(dtype, op, "dtype");
  check_one_float(scale, op, "scale");
  if (amax) check_one_float(*amax, op, "amax");
  autograd::NoGradGuard ng;
  Tensor out = Tensor::empty(x.shape(), dtype, dev);
  dispatch::float8_cast_stub().get(dev, op)(out, contiguous(x), scale, amax ? *amax : Tensor());
  return out;
}

void float8_update_scaling(const Float8Scaling& s, const Tensor& amax, DType dtype, double margin) {
  const char* op = "float8_update_scaling";
  const Device dev = dispatch::common_device({&s.amax_history, &s.scale, &amax});
  STEEPEST_CHECK(s.amax_history.dtype() == kFloat32 && s.amax_history.dim() == 1 && s.amax_history.numel() >= 1 &&
                     s.amax_history.is_contiguous(),
                 ValueError, op, ": amax_history must be a contiguous 1-D float32 tensor of at least one element, "
                 "but got a ", dtype_name(s.amax_history.dtype()), " tensor of shape ", s.amax_history.shape());
  check_one_float(s.scale, op, "scale");
  check_one_float(amax, op, "amax");
  check_fp8_dtype(dtype, op, "dtype");
  STEEPEST_CHECK(std::isfinite(margin), ValueError, op, ": margin must be finite, got ", margin);
  dispatch::float8_scaling_stub().get(dev, op)(s.amax_history, s.scale, amax, fp8_max(dtype), margin);
}

}  // namespace steepest
