// embedding: rows of a (num, dim) table gathered by integer indices; backward scatter-adds
// the output gradient into a zero (num, dim) gradient, skipping padding_idx (both loops in
// the device's kernels, dispatch/nn.hpp).
#include "dispatch/nn.hpp"
#include "nn/common.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(EmbeddingKernel, embedding_stub);
STEEPEST_DEFINE_STUB(EmbeddingBackwardKernel, embedding_backward_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
  const char* op = "embedding";
  const Device dev = dispatch::common_device(weight, indices);
  check_not_float8(weight.dtype(), op);
  STEEPEST_CHECK(weight.dim() == 2, ValueError, op, ": weight must be 2-D (num_embeddings, embedding_dim), but got shape ",
                 weight.shape());
  STEEPEST_CHECK(indices.dtype() == kInt64 || indices.dtype() == kInt32, TypeError, op,
                 ": indices must be an int64 or int32 tensor, but got ", dtype_name(indices.dtype()));
  const int64_t num = weight.shape()[0], dim = weight.shape()[1];
  if (padding_idx) {
    STEEPEST_CHECK(*padding_idx >= -num && *padding_idx < num, ValueError, op, ": padding_idx ", *padding_idx,
                   " must be within num_embeddings (", num, ")");
    if (*padding_idx < 0) *padding_idx += num;
  }
  Tensor idx;
  Tensor out;
  {
    autograd::NoGradGuard ng;
    idx = contiguous(reshape(to_dtype(indices, kInt64), {-1}));
    dispatch::BadIndex bad = dispatch::find_bad_index_stub().get(dev, op)(idx, num, std::nullopt);
    STEEPEST_CHECK(bad.pos < 0, IndexError, op, ": index ", bad.value, " is out of range for ", num,
                   " embeddings (at flat position ", bad.pos, ")");
    Shape os = indices.shape();
    os.push_back(dim);
    out = Tensor::empty(os, weight.dtype(), dev);
    dispatch::embedding_stub().get(dev, op)(out, contiguous(weight), idx);
  }
  if (autograd::needs_grad({&weight})) {
    const int64_t pad = padding_idx ? *padding_idx : -1;
    autograd::record("EmbeddingBackward0", {&weight}, {&out}, {idx},
                     [num, dim, pad, os = out.shape()](Node& nd, std::vector<Tensor>& g) {
      detail::check_grad_output(g[0], os, "embedding_backward");
      Tensor ix = nd.saved(0);
      DType dt = g[0].dtype();
      Tensor gc = contiguous(g[0]);
      Tensor gw = zeros({num, dim}, TensorOptions(dt == kFloat64 ? kFloat64 : kFloat32, ix.device()));
      Tensor g32 = dt == kFloat64 || dt == kFloat32 ? gc : to_dtype(gc, kFloat32);
      dispatch::embedding_backward_stub().get(dispatch::common_device(ix, g32), "embedding_backward")(gw, g32, ix,
                                                                                                 pad);
      return std::vector<Tensor>{to_dtype(gw, dt)};
    });
  }
  return out;
}

}  // namespace steepest::nn::functional
