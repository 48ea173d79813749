// matmul (and mm, bmm, mv, dot) with torch's semantics: 1-D operands promoted and squeezed
// back, batch dims broadcast. Shape and dtype checks, the result and autograd here; the
// product in the device's kernel (dispatch/linalg.hpp).
#include "autograd/record.hpp"
#include "dispatch/linalg.hpp"
#include "runtime/autocast_policy.hpp"
#include "steepest/ops.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/linalg.hpp"
#include "ops/matmul_float32.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(MatmulKernel, matmul_stub);
STEEPEST_DEFINE_STUB(GemmKernel, gemm_stub);
}  // namespace dispatch

namespace {

// Batch shape of the result, naming both operand shapes when the batch dims don't broadcast.
Shape broadcast_batch(const char* op, const Tensor& a, const Tensor& b, const Shape& ba, const Shape& bb) {
  size_t n = std::max(ba.size(), bb.size());
  Shape out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - ba.size() ? 1 : ba[i - (n - ba.size())];
    int64_t db = i < n - bb.size() ? 1 : bb[i - (n - bb.size())];
    STEEPEST_CHECK(da == db || da == 1 || db == 1, ValueError, op, ": batch dims of shapes ", a.shape(), " and ",
                   b.shape(), " cannot be broadcast (", da, " vs ", db, " at batch dim ", i, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// The batch dims of a matmul operand (none for 1-D and 2-D).
Shape batch_dims(const Tensor& t) { return t.dim() > 2 ? Shape(t.shape().begin(), t.shape().end() - 2) : Shape{}; }

Tensor matmul_impl(const char* op, const Tensor& a0, const Tensor& b0, bool float32_out = false) {
  const Device dev = dispatch::common_device(a0, b0);
  STEEPEST_CHECK(a0.dim() >= 1 && b0.dim() >= 1, ValueError, op, ": both arguments need to be at least 1-D, but ",
                 "they are ", a0.dim(), "-D and ", b0.dim(), "-D (shapes ", a0.shape(), " and ", b0.shape(), ")");
  STEEPEST_CHECK(a0.dtype() == b0.dtype(), TypeError, op, ": expected both operands to have the same dtype, but got ",
                 dtype_name(a0.dtype()), " and ", dtype_name(b0.dtype()));
  DType dt = a0.dtype();
  STEEPEST_CHECK(dt != kBool, TypeError, op, ": bool tensors are not supported");
  check_not_float8(dt, op);
  int64_t ka = a0.shape().back(), kb = b0.dim() == 1 ? b0.shape()[0] : b0.shape()[size_t(b0.dim() - 2)];
  STEEPEST_CHECK(ka == kb, ValueError, op, ": shapes ", a0.shape(), " and ", b0.shape(), " cannot be multiplied (",
                 ka, " != ", kb, ")");

  const bool a_vec = a0.dim() == 1, b_vec = b0.dim() == 1;
  Shape out_shape = broadcast_batch(op, a0, b0, batch_dims(a0), batch_dims(b0));
  if (!a_vec) out_shape.push_back(a0.shape()[size_t(a0.dim() - 2)]);
  if (!b_vec) out_shape.push_back(b0.shape().back());
  Tensor out = Tensor::empty(out_shape, float32_out ? kFloat32 : dt, dev);
  if (out.numel() == 0) return out;
  if (ka == 0) return zero_(out);
  dispatch::matmul_stub().get(dev, op)(out, a0, b0);
  return out;
}

Tensor matmul_recorded(const char* op, const Tensor& a, const Tensor& b) {
  if (!autograd::needs_grad({&a, &b})) return matmul_impl(op, a, b);
  Tensor out;
  {
    autograd::NoGradGuard no_grad;
    out = matmul_impl(op, a, b);
  }
  if (!is_floating(out.dtype())) return out;
  const char* name = a.dim() == 1 && b.dim() == 1 ? "DotBackward0"
                     : a.dim() == 2 && b.dim() == 2 ? "MmBackward0"
                     : a.dim() == 2 && b.dim() == 1 ? "MvBackward0"
                                                     : "MatmulBackward0";
  autograd::record(name, {&a, &b}, {&out}, {a, b}, [](Node& n, std::vector<Tensor>& gs) -> std::vector<Tensor> {
    Tensor A = n.saved(0), B = n.saved(1), g = gs[0];
    bool a_vec = A.dim() == 1, b_vec = B.dim() == 1;
    if (a_vec && b_vec) {  // dot: g is 0-d
      return {n.needs_input_grad(0) ? mul(B, g) : Tensor(), n.needs_input_grad(1) ? mul(A, g) : Tensor()};
    }
    Tensor Am = a_vec ? unsqueeze(A, 0) : A;
    Tensor Bm = b_vec ? unsqueeze(B, 1) : B;
    Tensor gm = g;
    if (a_vec) gm = unsqueeze(gm, -2);
    if (b_vec) gm = unsqueeze(gm, -1);
    Tensor ga, gb;
    if (n.needs_input_grad(0)) {
      ga = matmul_impl("matmul", gm, mT(Bm));
      if (a_vec) ga = squeeze(ga, -2);
    }
    if (n.needs_input_grad(1)) {
      if (Bm.dim() == 2 && Am.dim() > 2) {  // fold the batch into one GEMM
        // rows spelled out: reshape's -1 is ambiguous when K or N is 0
        int64_t K = Am.shape().back(), N = gm.shape().back(), rows = 1;
        for (int64_t i = 0; i + 1 < Am.dim(); ++i) rows *= Am.shape()[size_t(i)];
        gb = matmul_impl("matmul", mT(reshape(Am, {rows, K})), reshape(gm, {rows, N}));
      } else {
        gb = matmul_impl("matmul", mT(Am), gm);
      }
      if (b_vec) gb = squeeze(gb, -1);
    }
    return {ga, gb};
  });
  return out;
}

}  // namespace

Tensor detail::matmul_float32_out(const Tensor& a, const Tensor& b) {
  STEEPEST_CHECK(a.dtype() == kBFloat16 || a.dtype() == kFloat16, TypeError,
                 "matmul (float32 result): expected bfloat16 or float16 operands, but got ", dtype_name(a.dtype()));
  autograd::NoGradGuard no_grad;
  return matmul_impl("matmul", a, b, true);
}

Tensor matmul(const Tensor& a0, const Tensor& b0) {
  autocast::Args ac(autocast::Policy::LowerPrecision, {&a0, &b0});
  return matmul_recorded("matmul", ac[0], ac[1]);
}

Tensor mm(const Tensor& a0, const Tensor& b0) {
  autocast::Args ac(autocast::Policy::LowerPrecision, {&a0, &b0});
  const Tensor &a = ac[0], &b = ac[1];
  STEEPEST_CHECK(a.dim() == 2 && b.dim() == 2, ValueError, "mm: expected 2-D tensors, but got ", a.dim(), "-D and ",
                 b.dim(), "-D (shapes ", a.shape(), " and ", b.shape(), ")");
  return matmul_recorded("mm", a, b);
}

Tensor bmm(const Tensor& a0, const Tensor& b0) {
  autocast::Args ac(autocast::Policy::LowerPrecision, {&a0, &b0});
  const Tensor &a = ac[0], &b = ac[1];
  STEEPEST_CHECK(a.dim() == 3 && b.dim() == 3, ValueError, "bmm: expected 3-D tensors, but got ", a.dim(),
                 "-D and ", b.dim(), "-D (shapes ", a.shape(), " and ", b.shape(), ")");
  STEEPEST_CHECK(a.shape()[0] == b.shape()[0], ValueError, "bmm: batch sizes of shapes ", a.shape(), " and ",
                 b.shape(), " differ (", a.shape()[0], " != ", b.shape()[0], ")");
  return matmul_recorded("bmm", a, b);
}

Tensor mv(const Tensor& a, const Tensor& b) {
  STEEPEST_CHECK(a.dim() == 2 && b.dim() == 1, ValueError, "mv: expected a 2-D matrix and a 1-D vector, but got ",
                 a.dim(), "-D and ", b.dim(), "-D (shapes ", a.shape(), " and ", b.shape(), ")");
  return matmul_recorded("mv", a, b);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  STEEPEST_CHECK(a.dim() == 1 && b.dim() == 1, ValueError, "dot: expected 1-D tensors, but got ", a.dim(), "-D and ",
                 b.dim(), "-D (shapes ", a.shape(), " and ", b.shape(), ")");
  return matmul_recorded("dot", a, b);
}

Tensor& gemm_(Tensor& c, const Tensor& a, const Tensor& b, double alpha, double beta) {
  const Device dev = dispatch::common_device({&c, &a, &b});
  STEEPEST_CHECK(a.dim() == 2 && b.dim() == 2 && c.dim() == 2, ValueError, "gemm_: expected 2-D tensors, but got ",
                 "c ", c.shape(), ", a ", a.shape(), ", b ", b.shape());
  STEEPEST_CHECK(a.dtype() == b.dtype(), TypeError, "gemm_: a and b must share a dtype, but got ",
                 dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  const DType dt = a.dtype();
  const bool lowp = dt == kBFloat16 || dt == kFloat16;
  STEEPEST_CHECK(lowp || dt == kFloat32 || dt == kFloat64, TypeError, "gemm_: a and b must be floating, got ",
                 dtype_name(dt));
  STEEPEST_CHECK(c.dtype() == dt || (lowp && c.dtype() == kFloat32), TypeError, "gemm_: c of dtype ",
                 dtype_name(c.dtype()), " cannot hold the product of ", dtype_name(dt), " operands");
  const int64_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
  STEEPEST_CHECK(b.shape()[0] == k && c.shape()[0] == m && c.shape()[1] == n, ValueError, "gemm_: shapes a ",
                 a.shape(), ", b ", b.shape(), " and c ", c.shape(), " do not fit c = a @ b");
  STEEPEST_CHECK((n <= 1 || c.strides()[1] == 1) && (m <= 1 || c.strides()[0] >= std::max<int64_t>(n, 1)),
                 ValueError, "gemm_: c must be row-major with unit column stride, but has strides ", c.strides());
  STEEPEST_CHECK(!autograd::needs_grad({&c, &a, &b}), ValueError,
                 "gemm_: works outside autograd; call it under no_grad or on tensors that do not require grad");
  if (m == 0 || n == 0) return c;
  dispatch::gemm_stub().get(dev, "gemm_")(c, a, b, alpha, beta);
  return c;
}

}  // namespace steepest
