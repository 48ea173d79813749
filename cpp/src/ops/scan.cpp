// cumsum, cumprod and prod: dtype rules, the contiguous compute copy and autograd; the running
// sums and products are the device's kernels (dispatch/scan.hpp). prod is the last element of
// cumprod, so its gradient is cumprod's, which never divides by the input.
#include "autograd/record.hpp"
#include "dispatch/scan.hpp"
#include "steepest/ops.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(ScanKernel, scan_stub);
STEEPEST_DEFINE_STUB(CumprodBackwardKernel, cumprod_backward_stub);
}  // namespace dispatch

namespace {

using dispatch::ScanOp;

const char* scan_name(ScanOp op) { return op == ScanOp::Sum ? "cumsum" : "cumprod"; }

// The result dtype (torch: integers and bool widen to int64) and the dtype the kernels run in.
DType result_dtype(const Tensor& a, std::optional<DType> dtype) {
  if (dtype) return *dtype;
  return is_floating(a.dtype()) ? a.dtype() : kInt64;
}
DType kernel_dtype(DType d) {
  if (d == kFloat64 || d == kFloat32) return d;
  return is_floating(d) ? kFloat32 : kInt64;  // 16-bit floats run in float32, integers in int64
}

Tensor run_scan(ScanOp op, const Tensor& x, int64_t dim, bool reverse) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch::scan_stub().get(dispatch::common_device(out, x), scan_name(op))(out, x, dim, op, reverse);
  return out;
}

// The differentiable core: x contiguous in a kernel dtype, dim already wrapped.
Tensor scan_core(ScanOp op, const Tensor& x, int64_t dim) {
  Tensor out = run_scan(op, x, dim, false);
  if (!autograd::needs_grad({&x}) || !is_floating(x.dtype())) return out;
  using V = std::vector<Tensor>;
  if (op == ScanOp::Sum) {  // each input reaches every later output: a reversed running sum
    autograd::record("CumsumBackward0", {&x}, {&out}, {}, [dim](Node&, V& g) -> V {
      return {run_scan(ScanOp::Sum, contiguous(g[0]), dim, true)};
    });
  } else {
    autograd::record("CumprodBackward0", {&x}, {&out}, {x}, [dim](Node& n, V& g) -> V {
      Tensor xs = n.saved(0), gc = contiguous(g[0]);
      Tensor r = Tensor::empty(xs.shape(), xs.dtype(), xs.device());
      dispatch::cumprod_backward_stub().get(dispatch::common_device({&r, &xs, &gc}), "cumprod backward")(r, xs, gc, dim);
      return {r};
    });
  }
  return out;
}

Tensor scan(ScanOp op, const Tensor& a, int64_t dim, std::optional<DType> dtype) {
  int64_t d = wrap_dim(dim, a.dim());
  DType rt = result_dtype(a, dtype);
  STEEPEST_CHECK(rt != kBool, TypeError, scan_name(op), ": dtype=bool is not supported");
  check_not_float8(a.dtype(), scan_name(op));
  check_not_float8(rt, scan_name(op));
  STEEPEST_CHECK(is_floating(rt) || !is_floating(a.dtype()), TypeError, scan_name(op), ": can't compute a ",
                 dtype_name(a.dtype()), " input in ", dtype_name(rt));
  DType kt = kernel_dtype(rt);
  Tensor x = contiguous(to_dtype(a, kt));
  if (x.dim() == 0) x = reshape(x, Shape{1});
  Tensor out = scan_core(op, x, d);
  if (a.dim() == 0) out = reshape(out, Shape{});
  return to_dtype(out, rt);
}

}  // namespace

Tensor cumsum(const Tensor& a, int64_t dim, std::optional<DType> dtype) { return scan(ScanOp::Sum, a, dim, dtype); }
Tensor cumprod(const Tensor& a, int64_t dim, std::optional<DType> dtype) { return scan(ScanOp::Prod, a, dim, dtype); }

namespace {
// The product over no elements: 1, still connected to the input so backward reaches it (with
// a zero gradient), as torch's.
Tensor empty_product(const Tensor& a, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  Tensor s = sum(to_dtype(a, result_dtype(a, dtype)), dims, keepdim);
  return to_dtype(add(mul(s, Scalar(0)), Scalar(1)), result_dtype(a, dtype));
}
}  // namespace

Tensor prod(const Tensor& a, std::optional<DType> dtype) {
  if (a.numel() == 0) return empty_product(a, {}, false, dtype);
  Tensor c = cumprod(reshape(a, Shape{-1}), 0, dtype);
  return select(c, 0, a.numel() - 1);
}

Tensor prod(const Tensor& a, int64_t dim, bool keepdim, std::optional<DType> dtype) {
  int64_t d = wrap_dim(dim, a.dim());
  if (a.dim() == 0) return cumprod(a, 0, dtype);
  int64_t n = a.shape()[size_t(d)];
  if (n == 0) return empty_product(a, {d}, keepdim, dtype);
  Tensor r = select(cumprod(a, d, dtype), d, n - 1);
  return keepdim ? unsqueeze(r, d) : r;
}

}  // namespace steepest
