// The flat arena (steepest/optim.hpp flatten_): params and grads moved into one contiguous
// buffer per dtype, each param becoming a view of it with its identity kept, so a step, a
// zero_grad or an all-reduce bucket is one pass over one buffer.
#include <algorithm>

#include "dispatch/stub.hpp"
#include "steepest/ops.hpp"
#include "steepest/optim.hpp"

namespace steepest::optim {

std::vector<Tensor> flatten_(const std::vector<Tensor>& params) {
  std::vector<DType> dtypes;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    STEEPEST_CHECK(p.defined(), ValueError, "flatten_: param ", i, " is None");
    for (size_t j = 0; j < i; ++j)
      STEEPEST_CHECK(!params[j].is_same(p), ValueError, "flatten_: param ", i, " is the same tensor as param ", j);
    if (std::find(dtypes.begin(), dtypes.end(), p.dtype()) == dtypes.end()) dtypes.push_back(p.dtype());
  }
  std::vector<const Tensor*> operands;
  for (const Tensor& p : params) operands.push_back(&p);
  const Device device = dispatch::common_device(operands);  // one arena per device
  std::vector<Tensor> flat_params, flat_grads;
  for (DType dt : dtypes) {
    int64_t total = 0;
    for (const Tensor& p : params)
      if (p.dtype() == dt) total += p.numel();
    Tensor pbuf = Tensor::empty(Shape{total}, dt, device), gbuf = zeros(Shape{total}, TensorOptions(dt, device));
    int64_t off = 0;
    for (const Tensor& p : params) {
      if (p.dtype() != dt) continue;
      const Strides strides = contiguous_strides(p.shape());
      Tensor pv = Tensor::make(pbuf.storage(), p.shape(), strides, off, dt);
      copy_(pv, p.detach());
      Tensor g = p.grad();
      Tensor gv = Tensor::make(gbuf.storage(), p.shape(), strides, off, dt);
      if (g.defined()) {
        STEEPEST_CHECK(g.shape() == p.shape() && g.dtype() == dt, ValueError, "flatten_: the grad of a param of shape ",
                       p.shape(), " (", dtype_name(dt), ") has shape ", g.shape(), " (", dtype_name(g.dtype()), ")");
        copy_(gv, g.detach());
      }
      // The param keeps its TensorImpl (identity, autograd meta) and now views the arena.
      TensorImpl* impl = p.impl();
      impl->storage = pbuf.storage();
      impl->strides = strides;
      impl->offset = off;
      Tensor(p).set_grad(gv);
      off += p.numel();
    }
    flat_params.push_back(pbuf);
    flat_grads.push_back(gbuf);
  }
  flat_params.insert(flat_params.end(), flat_grads.begin(), flat_grads.end());
  return flat_params;
}

}  // namespace steepest::optim
