// Tensor: a strided view (shape, strides, offset, dtype) onto refcounted Storage.
// Tensor is a cheap handle; copies share the same TensorImpl, so they are the same tensor
// (same grad, same identity), as Python objects referring to one torch tensor are.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "device.hpp"
#include "dtype.hpp"
#include "error.hpp"
#include "scalar.hpp"
#include "shape.hpp"
#include "storage.hpp"

namespace steepest {

struct AutogradMeta;  // autograd.hpp
struct Node;
class Tensor;

struct TensorImpl : std::enable_shared_from_this<TensorImpl> {
  TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset,
             DType dtype);
  ~TensorImpl();

  std::shared_ptr<Storage> storage;
  Shape shape;
  Strides strides;      // in elements
  int64_t offset = 0;   // in elements, from storage->data()
  DType dtype;
  std::unique_ptr<AutogradMeta> autograd;  // null until autograd needs it
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A view onto `storage` (no copy). Shape/strides are validated against its size.
  static Tensor make(std::shared_ptr<Storage> storage, Shape shape, Strides strides,
                     int64_t offset, DType dtype);
  // Fresh uninitialised contiguous memory.
  static Tensor empty(const Shape& shape, DType dtype = kFloat32, Device device = kCPU);

  bool defined() const { return bool(impl_); }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  const Shape& shape() const { return impl_->shape; }
  const Strides& strides() const { return impl_->strides; }
  int64_t dim() const { return int64_t(impl_->shape.size()); }
  int64_t size(int64_t d) const;    // negative d counts from the end
  int64_t stride(int64_t d) const;
  int64_t numel() const { return numel_of(impl_->shape); }
  int64_t offset() const { return impl_->offset; }
  DType dtype() const { return impl_->dtype; }
  size_t itemsize() const { return steepest::itemsize(impl_->dtype); }
  Device device() const { return impl_->storage->device(); }
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }
  bool is_contiguous() const;

  // Address of element [0, 0, ...].
  void* data_ptr() const {
    return static_cast<char*>(impl_->storage->data()) + impl_->offset * int64_t(itemsize());
  }
  template <class T> T* data() const {
    STEEPEST_CHECK(dtype_of<T>() == dtype(), TypeError, "data<", dtype_name(dtype_of<T>()),
                   ">() called on a ", dtype_name(dtype()), " tensor");
    return static_cast<T*>(data_ptr());
  }

  // Autograd state (the engine is in autograd.hpp).
  bool requires_grad() const;
  Tensor& set_requires_grad(bool flag);  // only floating tensors may require grad
  Tensor grad() const;
  void set_grad(const Tensor& g);
  // A leaf has no grad_fn: tensors that don't require grad, and user-made ones that do.
  bool is_leaf() const;
  std::shared_ptr<Node> grad_fn() const;
  // The same data with no history (shares storage and version counter).
  Tensor detach() const;
  // torch's `t.data = other`: this tensor object now views other's memory (shape, strides,
  // dtype included); its autograd flags, grad and hooks stay. Records no history.
  void set_data(const Tensor& other);
  // Backpropagates from this tensor (see autograd::backward).
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;

  uint64_t version() const { return impl_->storage->version(); }
  void bump_version() const { impl_->storage->bump_version(); }

  // A new handle sharing storage, shape and strides but no autograd history.
  Tensor alias() const;

  // Value of a one-element tensor, as a Scalar of its kind (float/int/bool).
  Scalar item() const;
  template <class T> T item() const { return item().to<T>(); }

  std::string repr() const;  // torch-like: tensor([[1., 2.], [3., 4.]])

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Wraps a negative dim (-1 = last) and checks it against `ndim`; IndexError otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim);

// Bytes the view spans in storage, from its first to its last element.
int64_t storage_span(const Shape& shape, const Strides& strides);

}  // namespace steepest
