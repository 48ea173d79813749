// embedding: rows of a (num, dim) table gathered by integer indices; backward scatter-adds
// the output gradient into a zero (num, dim) gradient, skipping padding_idx.
#include <cstring>

#include "nn/common.hpp"

namespace steepest::nn::functional {

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
  const char* op = "embedding";
  steepest::detail::check_cpu(weight, op);
  steepest::detail::check_cpu(indices, op);
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
    const int64_t* pi = idx.data<int64_t>();
    const int64_t n = idx.numel();
    for (int64_t i = 0; i < n; ++i)
      STEEPEST_CHECK(pi[i] >= 0 && pi[i] < num, IndexError, op, ": index ", pi[i], " is out of range for ", num,
                     " embeddings (at flat position ", i, ")");
    Shape os = indices.shape();
    os.push_back(dim);
    out = Tensor::empty(os, weight.dtype());
    Tensor wc = contiguous(weight);
    const char* src = static_cast<const char*>(wc.data_ptr());
    char* dst = static_cast<char*>(out.data_ptr());
    const size_t row = size_t(dim) * wc.itemsize();
    detail::parallel_rows(n, dim, [&](int64_t i) { std::memcpy(dst + size_t(i) * row, src + size_t(pi[i]) * row, row); });
  }
  if (autograd::needs_grad({&weight})) {
    const int64_t pad = padding_idx ? *padding_idx : -1;
    autograd::record("EmbeddingBackward0", {&weight}, {&out}, {idx}, [num, dim, pad](Node& nd, std::vector<Tensor>& g) {
      Tensor ix = nd.saved(0);
      const int64_t* pi = ix.data<int64_t>();
      const int64_t n = ix.numel();
      DType dt = g[0].dtype();
      Tensor gc = contiguous(g[0]);
      Tensor gw = zeros({num, dim}, TensorOptions(dt == kFloat64 ? kFloat64 : kFloat32));
      Tensor g32 = dt == kFloat64 || dt == kFloat32 ? gc : to_dtype(gc, kFloat32);
      auto run = [&](auto z) {
        using T = decltype(z);
        const T* pg = g32.data<T>();
        T* pw = gw.data<T>();
        // Columns in parallel: each thread owns a slice of dim, so no two threads add into the
        // same element and the sum order (index order) is fixed.
        const int64_t blk = 64, nb = (dim + blk - 1) / blk;
        detail::parallel_rows(nb, n * blk, [&](int64_t b) {
          const int64_t j0 = b * blk, j1 = std::min(dim, j0 + blk);
          for (int64_t i = 0; i < n; ++i) {
            if (pi[i] == pad) continue;
            T* dst = pw + pi[i] * dim;
            const T* src = pg + i * dim;
            for (int64_t j = j0; j < j1; ++j) dst[j] += src[j];
          }
        });
      };
      if (g32.dtype() == kFloat64) run(double{});
      else run(float{});
      return std::vector<Tensor>{to_dtype(gw, dt)};
    });
  }
  return out;
}

}  // namespace steepest::nn::functional
