// gather / scatter along one dim (torch.gather, scatter_, scatter_add_, take_along_dim).
// The indexed tensor is seen through a view with index's shape and stride 0 along `dim`, so
// one elementwise pass over (that view, index, other operand) reaches every element pair.
// gather's backward is scatter_add and scatter's backward is gather, recorded beside each.
#include "autograd/record.hpp"
#include "ops/gather_loop.hpp"
#include "ops/iter.hpp"
#include "ops/view.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/elementwise.hpp"
#include "steepest/ops/index.hpp"
#include "steepest/ops/shape.hpp"

namespace steepest {

using detail::bracket;

namespace {

// Checks index's dtype, rank and sizes against t (and src), and every position against
// t's size along dim; returns the wrapped dim.
int64_t check_scatter_args(const char* op, const Tensor& t, int64_t dim, const Tensor& index, const Tensor* src) {
  STEEPEST_CHECK(t.device().is_cpu() && index.device().is_cpu(), NotImplementedError, op, " on ", t.device().str(),
                 " tensors");
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
  bool ok = true;
  int64_t bad = 0;
  detail::ElementwiseIter it({index});
  visit_dtype(index.dtype(), [&](auto z) {
    using I = decltype(z);
    if constexpr (std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>) {
      it.for_each([&](char* const* p, const int64_t* st, int64_t n) {
        const char* x = p[0];
        for (int64_t k = 0; k < n && ok; ++k, x += st[0]) {
          int64_t v = int64_t(*reinterpret_cast<const I*>(x));
          if (v < 0 || v >= size) { ok = false; bad = v; }
        }
      }, detail::kSerialGrain);
    }
  });
  STEEPEST_CHECK(ok, IndexError, op, "(): index ", bad, " is out of bounds for dimension ", d, " with size ", size);
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

// Calls body(element of t picked by the index, element of other) for every index element;
// serial when it writes t (two index elements may pick the same element).
template <class Body>
void scatter_loop(const Tensor& t_view, const Tensor& other, const Tensor& index, int64_t step_bytes, bool serial,
                  Body body) {
  detail::ElementwiseIter it({t_view, other, index});
  visit_dtype(index.dtype(), [&](auto z) {
    using I = decltype(z);
    if constexpr (std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>) {
      it.for_each([&](char* const* p, const int64_t* st, int64_t n) {
        char* a = p[0];
        char* b = p[1];
        const char* x = p[2];
        for (int64_t k = 0; k < n; ++k, a += st[0], b += st[1], x += st[2])
          body(a + int64_t(*reinterpret_cast<const I*>(x)) * step_bytes, b);
      }, serial ? detail::kSerialGrain : detail::kGrainCheap);
    }
  });
}

int64_t dim_step_bytes(const Tensor& t, int64_t d) {
  return (t.dim() == 0 ? 0 : t.strides()[size_t(d)]) * int64_t(t.itemsize());
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
  visit_dtype(t.dtype(), [&](auto z) {
    using T = decltype(z);
    scatter_loop(along_index(t, index, d), src_view(src, index), index, dim_step_bytes(t, d), true,
                 [](char* dst, char* s) { detail::add_into<T>(dst, s); });
  });
  t.bump_version();
  return t;
}

Tensor& scatter_raw(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  int64_t d = check_scatter_args("scatter_", t, dim, index, &src);
  STEEPEST_CHECK(src.dtype() == t.dtype(), TypeError, "scatter_(): Expected self.dtype to be equal to src.dtype (",
                 dtype_name(t.dtype()), " vs ", dtype_name(src.dtype()), ")");
  int64_t isz = int64_t(t.itemsize());
  scatter_loop(along_index(t, index, d), src_view(src, index), index, dim_step_bytes(t, d), true,
               [isz](char* dst, char* s) { detail::copy_run(dst, s, 1, isz, isz, isz); });
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
  int64_t isz = int64_t(t.itemsize());
  scatter_loop(along_index(t, index, d), out, index, dim_step_bytes(t, d), false,
               [isz](char* s, char* o) { detail::copy_run(o, s, 1, isz, isz, isz); });
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
