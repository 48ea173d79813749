// The CUDA elementwise engine replayed on the host: its operand packing and per-element step
// (kernels/cuda/elementwise_body.hpp) with its functors (elementwise_functors.hpp, the CPU's
// math) against the CPU kernels, byte for byte, over every unary and binary op, the float and
// integer dtypes, broadcast and transposed operands, numbers and special values. (On the device
// the same code is built by nvcc with -fmad=false; tests/test_cuda_ops.py checks it there.)
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include <steepest/steepest.hpp>

#include "dispatch/elementwise.hpp"
#include "kernels/cuda/elementwise_body.hpp"
#include "kernels/cuda/elementwise_functors.hpp"

using namespace steepest;
using cuda::Operand;

namespace {

template <class C, class O, int NIN, class F>
void replay(const Tensor& out, const std::array<Operand, NIN>& ins, DType ct, const F& f) {
  if (out.numel() == 0) return;
  const auto L = cuda::prepare_elementwise<C, NIN>(out, ins, ct);
  for (int64_t i = 0; i < L.n; ++i) cuda::elementwise_at<C, O, NIN>(L, ct, f, i);
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.numel() == b.numel() &&
         std::memcmp(a.data_ptr(), b.data_ptr(), size_t(a.numel()) * a.itemsize()) == 0;
}

// Values over a wide range plus the special ones, as float64, converted to d.
Tensor values(const Shape& shape, DType d, double scale, uint64_t seed) {
  Generator g(seed);
  Tensor x = mul(randn(shape, TensorOptions(kFloat64), &g), Scalar(scale));
  double* p = x.data<double>();
  const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1e-40, -1e-310, 88.8, -104.5, 1e5, 0.5, -2.5};
  for (size_t k = 0; k < sizeof(special) / sizeof(double) && int64_t(k) < x.numel(); ++k) p[k * 3 % x.numel()] = special[k];
  return to_dtype(x, d);
}

}  // namespace

TEST_CASE("cuda elementwise replay: every unary op equals the CPU kernel's bytes") {
  using kernels::UnaryOp;
  for (DType d : {kFloat32, kFloat64, kBFloat16, kFloat16}) {
    const Tensor x = transpose(values({37, 11}, d, 6.0, 1), 0, 1);  // strided
    for (int k = 0; k < int(UnaryOp::Count); ++k) {
      const auto op = UnaryOp(k);
      CAPTURE(k);
      CAPTURE(dtype_name(d));
      Tensor want = Tensor::empty(x.shape(), d), got = Tensor::empty(x.shape(), d);
      dispatch::unary_stub().get(kCPU)(op, want, x, d);
      if (d == kFloat64) replay<double, double, 1>(got, {Operand(x)}, d, cuda::FloatUnary<double>{op});
      else replay<float, float, 1>(got, {Operand(x)}, d, cuda::FloatUnary<float>{op});
      CHECK(same_bytes(want, got));
    }
  }
  const Tensor xi = to_dtype(values({50}, kFloat64, 100.0, 2), kInt64);
  for (UnaryOp op : {UnaryOp::Neg, UnaryOp::Abs, UnaryOp::Relu, UnaryOp::Sign, UnaryOp::Floor, UnaryOp::Round}) {
    Tensor want = Tensor::empty(xi.shape(), kInt64), got = Tensor::empty(xi.shape(), kInt64);
    dispatch::unary_stub().get(kCPU)(op, want, xi, kInt64);
    replay<int64_t, int64_t, 1>(got, {Operand(xi)}, kInt64, cuda::IntUnary<int64_t>{op});
    CHECK(same_bytes(want, got));
  }
}

TEST_CASE("cuda elementwise replay: binary ops, alpha, broadcast and numbers equal the CPU kernel's bytes") {
  using kernels::BinaryOp;
  for (DType d : {kFloat32, kFloat64, kBFloat16, kInt64, kInt32}) {
    const bool fl = is_floating(d);
    const Tensor a = values({4, 1, 9}, d, fl ? 3.0 : 50.0, 3), b = transpose(values({9, 3}, d, fl ? 2.0 : 7.0, 4), 0, 1);
    const Shape out_shape{4, 3, 9};
    for (int k = 0; k < int(BinaryOp::Count); ++k) {
      const auto op = BinaryOp(k);
      if (!fl && op == BinaryOp::Div) continue;  // integer division computes in floating point
      for (int form = 0; form < 3; ++form) {
        CAPTURE(k);
        CAPTURE(form);
        CAPTURE(dtype_name(d));
        const Operand oa = form == 2 ? Operand(Scalar(1.75)) : Operand(a);
        const Operand ob = form == 1 ? Operand(Scalar(int64_t(3))) : Operand(b);
        const Shape sh = form == 0 ? out_shape : form == 1 ? a.shape() : b.shape();
        const Scalar alpha = op == BinaryOp::Add && form == 0 ? Scalar(fl ? 0.5 : 2.0) : Scalar(int64_t(1));
        if (!fl && alpha.is_float()) continue;
        Tensor want = Tensor::empty(sh, d), got = Tensor::empty(sh, d);
        dispatch::binary_stub().get(kCPU)(op, want, oa, ob, d, alpha);
        if (d == kFloat64) {
          const bool ha = !(alpha.to_double() == 1.0) && op == BinaryOp::Add;
          replay<double, double, 2>(got, {oa, ob}, d, cuda::FloatBinary<double>{op, alpha.to<double>(), ha});
        } else if (fl) {
          const bool ha = !(alpha.to_double() == 1.0) && op == BinaryOp::Add;
          replay<float, float, 2>(got, {oa, ob}, d, cuda::FloatBinary<float>{op, alpha.to<float>(), ha});
        } else if (d == kInt64) {
          const bool ha = op == BinaryOp::Add && alpha.to_int() != 1;
          replay<int64_t, int64_t, 2>(got, {oa, ob}, d, cuda::IntBinary<int64_t>{op, alpha.to<int64_t>(), ha});
        } else {
          const bool ha = op == BinaryOp::Add && alpha.to_int() != 1;
          replay<int32_t, int32_t, 2>(got, {oa, ob}, d, cuda::IntBinary<int32_t>{op, alpha.to<int32_t>(), ha});
        }
        CHECK(same_bytes(want, got));
      }
    }
  }
}

TEST_CASE("cuda elementwise replay: clamp and mixed operand dtypes") {
  const Tensor x = values({40}, kFloat32, 5.0, 5);
  for (DType d : {kFloat32, kBFloat16, kFloat64}) {
    const Tensor xd = to_dtype(x, d);
    Tensor want = Tensor::empty(x.shape(), d), got = Tensor::empty(x.shape(), d);
    dispatch::clamp_stub().get(kCPU)(want, xd, Scalar(-1.5), Scalar(2.25), d);
    if (d == kFloat64) replay<double, double, 1>(got, {Operand(xd)}, d, cuda::Clamp<double>{-1.5, 2.25, true, true});
    else replay<float, float, 1>(got, {Operand(xd)}, d, cuda::Clamp<float>{-1.5f, 2.25f, true, true});
    CHECK(same_bytes(want, got));
  }
  // float32 and int64 operands of a bfloat16 op, rounded to bfloat16 first.
  const Tensor i = to_dtype(values({40}, kFloat64, 300.0, 6), kInt64);
  Tensor want = Tensor::empty(x.shape(), kBFloat16), got = Tensor::empty(x.shape(), kBFloat16);
  dispatch::binary_stub().get(kCPU)(kernels::BinaryOp::Mul, want, Operand(x), Operand(i), kBFloat16, Scalar(int64_t(1)));
  replay<float, float, 2>(got, {Operand(x), Operand(i)}, kBFloat16,
                          cuda::FloatBinary<float>{kernels::BinaryOp::Mul, 1.0f, false});
  CHECK(same_bytes(want, got));
}
