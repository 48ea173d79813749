// Tensor and TensorImpl: construction, the checked shape arithmetic every size entering through
// the API passes (shape.hpp), metadata queries and autograd-state accessors.
#include "steepest/tensor.hpp"

#include <algorithm>

#include "dispatch/stub.hpp"
#include "ops/view.hpp"
#include "steepest/autograd.hpp"

namespace steepest {

// Every tensor, view or not, is made here: a shape whose element count overflows never exists,
// so numel() may multiply unchecked.
TensorImpl::TensorImpl(std::shared_ptr<Storage> st, Shape sh, Strides sd, int64_t off, DType dt)
    : storage(std::move(st)), shape(std::move(sh)), strides(std::move(sd)), offset(off), dtype(dt) {
  checked_numel(shape);
}
TensorImpl::~TensorImpl() = default;

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  STEEPEST_CHECK(dim >= lo && dim <= hi, IndexError, "dimension out of range (expected to be in range of [",
                 lo, ", ", hi, "], but got ", dim, ")");
  return dim < 0 ? dim + std::max<int64_t>(ndim, 1) : dim;
}

namespace {
[[noreturn]] void storage_overflow(const Shape& shape, const Strides* strides) {
  throw Error(str("Storage size calculation overflowed with sizes=", detail::bracket(shape),
                  strides ? " and strides=" + detail::bracket(*strides) : std::string()));
}

}  // namespace

int64_t checked_numel(const Shape& shape) {
  int64_t bound = 1;  // the product of the nonzero sizes
  for (int64_t d : shape)
    if (__builtin_mul_overflow(bound, std::max<int64_t>(d, 1), &bound))
      throw Error("numel: integer multiplication overflow");
  return numel_of(shape);  // no larger than bound
}

int64_t contiguous_nbytes(const Shape& shape, size_t itemsize) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n)) storage_overflow(shape, nullptr);
  if (__builtin_mul_overflow(n, int64_t(itemsize), &n)) storage_overflow(shape, nullptr);
  return n;
}

ViewReach view_reach(const Shape& shape, const Strides& strides, int64_t offset, size_t itemsize) {
  ViewReach r{offset, offset, false};
  for (size_t i = 0; i < shape.size(); ++i) r.empty = r.empty || shape[i] == 0;
  if (r.empty) return r;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t ext = 0;
    bool bad = __builtin_mul_overflow(shape[i] - 1, strides[i], &ext) ||
               __builtin_add_overflow(ext < 0 ? r.lo : r.hi, ext, ext < 0 ? &r.lo : &r.hi);
    if (bad) storage_overflow(shape, &strides);
  }
  int64_t bytes = 0;
  if (__builtin_add_overflow(r.hi, 1, &bytes) || __builtin_mul_overflow(bytes, int64_t(itemsize), &bytes))
    storage_overflow(shape, &strides);
  return r;
}

int64_t storage_span(const Shape& shape, const Strides& strides) {
  ViewReach r = view_reach(shape, strides, 0, 1);
  return r.empty ? 0 : r.hi - r.lo + 1;
}

Tensor Tensor::make(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset,
                    DType dtype) {
  STEEPEST_CHECK(shape.size() == strides.size(), ValueError, "shape ", shape, " and strides ", strides,
                 " have different lengths");
  for (int64_t d : shape) STEEPEST_CHECK(d >= 0, ValueError, "negative dimension in shape ", shape);
  ViewReach r = view_reach(shape, strides, offset, steepest::itemsize(dtype));
  if (!r.empty) {
    int64_t cap = int64_t(storage->nbytes() / steepest::itemsize(dtype));
    STEEPEST_CHECK(r.lo >= 0 && r.hi < cap, ValueError, "view of shape ", shape, ", strides ", strides,
                   " at offset ", offset, " does not fit in a storage of ", cap, " elements");
  }
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), std::move(shape), std::move(strides),
                                             offset, dtype));
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) STEEPEST_CHECK(d >= 0, ValueError, "negative dimension in shape ", shape);
  auto storage = Storage::allocate(size_t(contiguous_nbytes(shape, steepest::itemsize(dtype))), device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), shape, contiguous_strides(shape), 0, dtype));
}

// (wrap_dim lets a 0-d tensor take dim 0 or -1, as reductions do; a size has no such dim.)
int64_t Tensor::size(int64_t d) const {
  STEEPEST_CHECK(dim() > 0, IndexError, "dimension specified as ", d, " but tensor has no dimensions");
  return impl_->shape[size_t(wrap_dim(d, dim()))];
}
int64_t Tensor::stride(int64_t d) const {
  STEEPEST_CHECK(dim() > 0, IndexError, "dimension specified as ", d, " but tensor has no dimensions");
  return impl_->strides[size_t(wrap_dim(d, dim()))];
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  const Shape& sh = impl_->shape;
  for (size_t i = sh.size(); i-- > 0;) {
    if (sh[i] == 0) return true;
    if (sh[i] != 1 && impl_->strides[i] != expected) return false;
    expected *= sh[i];
  }
  return true;
}

bool Tensor::requires_grad() const { return impl_->autograd && impl_->autograd->requires_grad; }

Tensor& Tensor::set_requires_grad(bool flag) {
  STEEPEST_CHECK(!flag || is_floating(dtype()), TypeError,
                 "only tensors of floating point dtype can require gradients (got ", dtype_name(dtype()), ")");
  if (!impl_->autograd) {
    if (!flag) return *this;
    impl_->autograd = std::make_unique<AutogradMeta>();
  }
  STEEPEST_CHECK(flag || !impl_->autograd->grad_fn, Error,
                 "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                 "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
  impl_->autograd->requires_grad = flag;
  return *this;
}

Tensor Tensor::grad() const { return impl_->autograd ? impl_->autograd->grad : Tensor(); }

void Tensor::set_grad(const Tensor& g) {
  if (g.defined()) {
    STEEPEST_CHECK(g.shape() == shape(), ValueError, "assigned grad has shape ", g.shape(),
                   " but the tensor has shape ", shape());
    STEEPEST_CHECK(g.dtype() == dtype(), TypeError, "assigned grad has dtype ", dtype_name(g.dtype()),
                   " but the tensor has dtype ", dtype_name(dtype()));
    STEEPEST_CHECK(g.device() == device(), ValueError, "assigned grad is on ", g.device().str(),
                   " but the tensor is on ", device().str());
  }
  if (!impl_->autograd) {
    if (!g.defined()) return;
    impl_->autograd = std::make_unique<AutogradMeta>();
  }
  impl_->autograd->grad = g;
}

void Tensor::set_data(const Tensor& other) {
  STEEPEST_CHECK(other.defined(), TypeError, "data: the new value is an undefined tensor");
  if (other.impl_ == impl_) return;
  impl_->storage = other.impl_->storage;
  impl_->shape = other.impl_->shape;
  impl_->strides = other.impl_->strides;
  impl_->offset = other.impl_->offset;
  impl_->dtype = other.impl_->dtype;
}

Tensor Tensor::alias() const {
  return Tensor(std::make_shared<TensorImpl>(impl_->storage, impl_->shape, impl_->strides, impl_->offset,
                                             impl_->dtype));
}

Scalar Tensor::item() const {
  STEEPEST_CHECK(numel() == 1, ValueError, "a Tensor with ", numel(),
                 " elements cannot be converted to Scalar");
  dispatch::check_on_host(*this, "item(): the tensor");
  return visit_dtype_float8(dtype(), [&](auto zero) -> Scalar {
    using T = decltype(zero);
    T v = *static_cast<const T*>(data_ptr());
    if constexpr (std::is_same_v<T, bool>) return Scalar(v);
    else if constexpr (std::is_integral_v<T>) return Scalar(int64_t(v));
    else return Scalar(double(v));
  });
}

}  // namespace steepest
