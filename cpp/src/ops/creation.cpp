// Creation ops: empty/zeros/ones/full, arange, linspace, eye, the *_like forms. Values are
// written by the device's fill kernels (dispatch/elementwise.hpp).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "dispatch/elementwise.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(ArangeKernel, arange_stub);
STEEPEST_DEFINE_STUB(LinspaceKernel, linspace_stub);
}  // namespace dispatch

namespace {
Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad) t.set_requires_grad(true);
  return t;
}
}  // namespace

Tensor empty(const Shape& shape, TensorOptions o) { return finish(Tensor::empty(shape, o.dtype, o.device), o); }

Tensor full(const Shape& shape, Scalar value, TensorOptions o) {
  Tensor t = Tensor::empty(shape, o.dtype, o.device);
  fill_(t, value);
  return finish(t, o);
}
Tensor zeros(const Shape& shape, TensorOptions o) { return full(shape, Scalar(0), o); }
Tensor ones(const Shape& shape, TensorOptions o) { return full(shape, Scalar(1), o); }

Tensor scalar_tensor(Scalar value, std::optional<DType> dtype) {
  return full(Shape{}, value, TensorOptions(dtype.value_or(value.natural_dtype())));
}

Tensor arange(Scalar start, Scalar end, Scalar step, std::optional<DType> dtype, Device device) {
  bool all_int = !start.is_float() && !end.is_float() && !step.is_float();
  DType dt = dtype.value_or(all_int ? kInt64 : default_dtype());
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  STEEPEST_CHECK(st != 0, ValueError, "arange: step must be nonzero");
  STEEPEST_CHECK(std::isfinite(s) && std::isfinite(e) && std::isfinite(st), ValueError,
                 "arange: start, end and step must be finite");
  STEEPEST_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), ValueError,
                 "arange: upper bound and lower bound inconsistent with step sign (start=", s, ", end=", e,
                 ", step=", st, ")");
  // The length in 128 bits (end - start alone can exceed int64), then checked to fit.
  __int128 n128 = all_int ? (__int128(end.to_int()) - start.to_int() + step.to_int() + (st > 0 ? -1 : 1)) / step.to_int()
                          : __int128(std::min(std::ceil((e - s) / st), 0x1p64));
  STEEPEST_CHECK(n128 <= INT64_MAX, Error, "arange: the range [", s, ", ", e, ") with step ", st,
                 " holds more than 2^63 - 1 elements");
  int64_t n = int64_t(n128);
  Tensor t = Tensor::empty(Shape{std::max<int64_t>(n, 0)}, dt, device);
  if (n > 0) dispatch::arange_stub().get(device, "arange")(t, start, step, all_int);
  return t;
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions o) {
  STEEPEST_CHECK(steps >= 0, ValueError, "linspace: number of steps must be non-negative, got ", steps);
  Tensor t = Tensor::empty(Shape{steps}, o.dtype, o.device);
  if (steps > 0) dispatch::linspace_stub().get(o.device, "linspace")(t, start, end);
  return finish(t, o);
}

Tensor eye(int64_t n, std::optional<int64_t> m_opt, TensorOptions o) {
  int64_t m = m_opt.value_or(n);
  STEEPEST_CHECK(n >= 0 && m >= 0, ValueError, "eye: sizes must be non-negative, got n=", n, ", m=", m);
  checked_numel(Shape{n, m});  // torch's error for an n x m that overflows, before the byte size
  Tensor t = zeros(Shape{n, m}, TensorOptions(o.dtype, o.device));
  if (std::min(n, m) > 0) {  // (m + 1 can't overflow once n x m fits and n > 0)
    Tensor diagonal = Tensor::make(t.storage(), Shape{std::min(n, m)}, Strides{m + 1}, t.offset(), t.dtype());
    fill_(diagonal, Scalar(1));
  }
  return finish(t, o);
}

Tensor empty_like(const Tensor& t, std::optional<DType> d) { return Tensor::empty(t.shape(), d.value_or(t.dtype()), t.device()); }
Tensor zeros_like(const Tensor& t, std::optional<DType> d) { return full_like(t, Scalar(0), d); }
Tensor ones_like(const Tensor& t, std::optional<DType> d) { return full_like(t, Scalar(1), d); }
Tensor full_like(const Tensor& t, Scalar v, std::optional<DType> d) {
  return full(t.shape(), v, TensorOptions(d.value_or(t.dtype()), t.device()));
}

}  // namespace steepest
