// gather / scatter along one dim (torch.gather, scatter_, scatter_add_, take_along_dim).
// The indexed tensor is seen through a view with index's shape and stride 0 along `dim`, so
// one elementwise pass over (that view, index, other operand) reaches every element pair.
// gather's backward is scatter_add and scatter's backward is gather, recorded beside each.
// The pass itself runs in the device's kernel (dispatch/index.hpp).
#include "autograd/record.hpp"
#include "dispatch/index.hpp"
#include "ops/view.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/elementwise.hpp"
#include "steepest/ops/index.hpp"
#include "steepest/ops/shape.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(ScatterKernel, scatter_stub);
}  // namespace dispatch

using detail::bracket;

namespace {

// Checks index's dtype, rank and sizes against t (and src), and every position against
// t's size along dim; returns the wrapped dim.
int64_t check_scatter_args(const char* op, const Tensor& t, int64_t dim, const Tensor& index, const Tensor* src) {
  dispatch::common_device({&t, &index, src});
  STEEPEST_CHECK(is_integral(index.dtype(), false), TypeError, op, "(): Expected dtype int64 for index (got ",
                 dtype_name(index.dtype()), ")");
  int64_t d = wrap_dim(dim, t.dim());
  STEEPEST_CHECK(index.dim() == t.dim() || (index.dim() <= 1 && t.dim() <= 1), ValueError, op,
                 "(): Index tensor must have the same number of dimensions as input tensor (", index.dim(), " vs ",
                 t.dim(), ")");
  for (int64_t i = 0; i < index.dim(); ++i) {
    int64_t n = index.shape()[size_t(i)];
    STEEPEST_CHECK(i == d || t.dim() == 0 || n <= t.shape()[size_t(i)], ValueError, op,
                   "(): Size does not match at dimension ", i, " expected index ", bracket(index.shape()),
                   " to be no larger than self ", bracket(t.shape()), " apart from dimension ", d);
    if (src) {
      STEEPEST_CHECK(src->dim() == index.dim() || src->dim() == 0, ValueError, op,
                     "(): Index tensor must have the same number of dimensions as src tensor");
      STEEPEST_CHECK(src->dim() == 0 || n <= src->shape()[size_t(i)], ValueError, op,
                     "(): Size does not match at dimension ", i, " expected index ", bracket(index.shape()),
                     " to be no larger than src ", bracket(src->shape()));
    }
  }
  int64_t size = t.dim() == 0 ? 1 : t.shape()[size_t(d)];
  dispatch::BadIndex bad = dispatch::find_bad_index_stub().get(index.device(), op)(index, size, std::nullopt);
  STEEPEST_CHECK(bad.pos < 0, IndexError, op, "(): index ", bad.value, " is out of bounds for dimension ", d,
                 " with size ", size);
  return d;
}

// t seen with index's shape: its own strides, but 0 along dim (the index supplies that step).
Tensor along_index(const Tensor& t, const Tensor& index, int64_t d) {
  if (t.dim() == 0) return detail::make_view(t, index.shape(), Strides(index.shape().size(), 0), t.offset());
  Strides st = t.strides();
  st[size_t(d)] = 0;
  return detail::make_view(t, index.shape(), std::move(st), t.offset());
}

// The first index.shape() elements of src (src may be larger in every dim).
Tensor src_view(const Tensor& src, const Tensor& index) {
  if (src.dim() == 0) return expand(src, index.shape());
  return detail::make_view(src, index.shape(), src.strides(), src.offset());
}

// Bytes between neighbours along d; 0 where d has at most one element (its stride, which a
// huge slice step may leave large, is never stepped over then).
int64_t dim_step_bytes(const Tensor& t, int64_t d) {
  if (t.dim() == 0 || t.shape()[size_t(d)] <= 1) return 0;
  return t.strides()[size_t(d)] * int64_t(t.itemsize());
}

// One pass of the device's scatter kernel over (t seen along index, other, index).
void scatter_pass(dispatch::ScatterKind kind, const char* op, const Tensor& t, int64_t d, const Tensor& index,
                  const Tensor& other) {
  dispatch::scatter_stub().get(t.device(), op)(kind, along_index(t, index, d), other, index, dim_step_bytes(t, d));
}

Tensor zeros_for(const Shape& shape, const Tensor& g) { return zeros(shape, TensorOptions(g.dtype(), g.device())); }

// The gradient of src, which may be larger than index in every dim (only its first
// index.shape() elements were read) or 0-d (broadcast; the engine sums it).
Tensor src_grad(const Tensor& g, int64_t d, const Tensor& index, const Shape& src_shape) {
  Tensor picked = gather(g, d, index);
  if (src_shape.empty() || src_shape == index.shape()) return picked;
  Tensor z = zeros_for(src_shape, g);
  Tensor part = detail::make_view(z, index.shape(), z.strides(), z.offset());
  copy_(part, picked);
  return z;
}

Tensor& scatter_add_raw(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  int64_t d = check_scatter_args("scatter_add_", t, dim, index, &src);
  STEEPEST_CHECK(src.dtype() == t.dtype(), TypeError, "scatter_add_(): Expected self.dtype to be equal to src.dtype (",
                 dtype_name(t.dtype()), " vs ", dtype_name(src.dtype()), ")");
  scatter_pass(dispatch::ScatterKind::ScatterAdd, "scatter_add_", t, d, index, src_view(src, index));
  t.bump_version();
  return t;
}

Tensor& scatter_raw(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  int64_t d = check_scatter_args("scatter_", t, dim, index, &src);
  STEEPEST_CHECK(src.dtype() == t.dtype(), TypeError, "scatter_(): Expected self.dtype to be equal to src.dtype (",
                 dtype_name(t.dtype()), " vs ", dtype_name(src.dtype()), ")");
  scatter_pass(dispatch::ScatterKind::Scatter, "scatter_", t, d, index, src_view(src, index));
  t.bump_version();
  return t;
}

// Records a scatter (add or not) of src into a copy of `in` (or `in` itself) held by
// `target`: in's history and src feed one node, which target then takes over.
void record_scatter(const Tensor& in, Tensor& target, int64_t dim, const Tensor& index, const Tensor& src, bool add) {
  Tensor result = Tensor::empty(Shape{0}, in.dtype());  // only carries the node to rebase_history
  int64_t d = wrap_dim(dim, in.dim());
  autograd::record(add ? "ScatterAddBackward0" : "ScatterBackward0", {&in, &src}, {&result}, {},
                   [d, index, add, sshape = src.shape()](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
    if (!g[0].defined()) return {Tensor(), Tensor()};
    Tensor gt, gs;
    if (n.needs_input_grad(0)) {  // scatter_ overwrote the positions it wrote
      gt = g[0];
      if (!add) {
        gt = clone(g[0]);
        scatter_(gt, d, index, Scalar(0.0));
      }
    }
    if (n.needs_input_grad(1)) gs = src_grad(g[0], d, index, sshape);
    return {gt, gs};
  });
  autograd::rebase_history(target, result);
}

// The in-place scatters with grad on: checked, written, recorded.
Tensor& scatter_recorded_(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src, bool add) {
  autograd::check_inplace_allowed(t);
  STEEPEST_CHECK(t.requires_grad() || t.storage().use_count() == 1, NotImplementedError,
                 add ? "scatter_add_" : "scatter_", ": writing a src that requires grad into a tensor that shares "
                 "memory with other tensors (a view?) is not supported");
  {
    autograd::NoGradGuard no_grad;
    add ? scatter_add_raw(t, dim, index, src) : scatter_raw(t, dim, index, src);
  }
  record_scatter(t, t, dim, index, src, add);
  return t;
}

}  // namespace

Tensor gather(const Tensor& t, int64_t dim, const Tensor& index) {
  int64_t d = check_scatter_args("gather", t, dim, index, nullptr);
  Tensor out = Tensor::empty(index.shape(), t.dtype(), t.device());
  scatter_pass(dispatch::ScatterKind::Gather, "gather", t, d, index, out);
  if (autograd::needs_grad({&t}))  // each element read adds its gradient where it was read
    autograd::record("GatherBackward0", {&t}, {&out}, {},
                     [in = t.shape(), d, index](Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
      if (!g[0].defined()) return {Tensor()};
      Tensor z = zeros_for(in, g[0]);
      scatter_add_(z, d, index, g[0]);
      return {z};
    });
  return out;
}

Tensor& scatter_add_(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  if (autograd::needs_grad({&t, &src}) && is_floating(t.dtype())) return scatter_recorded_(t, dim, index, src, true);
  return scatter_add_raw(t, dim, index, src);
}

Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out;
  {
    autograd::NoGradGuard no_grad;
    out = clone(t);
    scatter_add_raw(out, dim, index, src);
  }
  if (autograd::needs_grad({&t, &src}) && is_floating(t.dtype())) record_scatter(t, out, dim, index, src, true);
  return out;
}

Tensor& scatter_(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  if (autograd::needs_grad({&t, &src}) && is_floating(t.dtype())) return scatter_recorded_(t, dim, index, src, false);
  return scatter_raw(t, dim, index, src);
}

Tensor& scatter_(Tensor& t, int64_t dim, const Tensor& index, Scalar value) {
  return scatter_(t, dim, index, full(Shape{}, value, TensorOptions(t.dtype())));
}

Tensor take_along_dim(const Tensor& t, const Tensor& index, std::optional<int64_t> dim) {
  if (!dim) return gather(reshape(t, Shape{-1}), 0, reshape(index, Shape{-1}));
  STEEPEST_CHECK(t.dim() == index.dim(), ValueError,
                 "take_along_dim(): input and indices should have the same number of dimensions, but got ", t.dim(),
                 " dimensions for input, and ", index.dim(), " dimensions for indices");
  int64_t d = wrap_dim(*dim, t.dim());
  if (t.dim() == 0) return gather(t, d, index);
  Shape ts = t.shape();
  ts[size_t(d)] = index.shape()[size_t(d)];
  Shape b = broadcast_shapes(ts, index.shape());
  Tensor idx = expand(index, b);
  b[size_t(d)] = t.shape()[size_t(d)];
  return gather(expand(t, b), d, idx);
}

}  // namespace steepest
