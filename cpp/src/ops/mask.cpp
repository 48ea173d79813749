// Boolean-mask ops: masked_fill (where mask, a value) and nonzero (the positions of the
// nonzero elements, which is also how bool masks index).
#include "autograd/record.hpp"
#include <cstring>

#include "ops/cast.hpp"
#include "ops/iter.hpp"
#include "ops/view.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/elementwise.hpp"
#include "steepest/ops/index.hpp"
#include "steepest/ops/shape.hpp"

namespace steepest {

using detail::bracket;

namespace {

void check_mask(const Tensor& mask) {
  STEEPEST_CHECK(mask.dtype() == kBool, TypeError, "masked_fill_ only supports boolean masks, but got mask with dtype ",
                 dtype_name(mask.dtype()));
}

Scalar scalar_of(const Tensor& value) {
  STEEPEST_CHECK(value.dim() == 0, ValueError,
                 "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ", value.dim(),
                 " dimension(s).");
  return value.item();
}

}  // namespace

Tensor& masked_fill_(Tensor& t, const Tensor& mask, Scalar value) {
  check_mask(mask);
  if (autograd::needs_grad({&t})) {  // out of place, recorded, then written back
    autograd::check_inplace_allowed(t);
    Tensor r = masked_fill(t, mask, value);
    STEEPEST_CHECK(r.shape() == t.shape(), ValueError, "masked_fill_: mask of shape ", bracket(mask.shape()),
                   " cannot be broadcast to the tensor's shape ", bracket(t.shape()));
    autograd::assign_recorded(t, r);
    return t;
  }
  STEEPEST_CHECK(t.device().is_cpu() && mask.device().is_cpu(), NotImplementedError, "masked_fill_ on ",
                 t.device().str(), " tensors");
  const Shape &ms = mask.shape(), &ts = t.shape();
  bool fits = ms.size() <= ts.size();
  for (size_t i = 1; fits && i <= ms.size(); ++i) fits = ms[ms.size() - i] == 1 || ms[ms.size() - i] == ts[ts.size() - i];
  STEEPEST_CHECK(fits, ValueError, "masked_fill_: mask of shape ", bracket(ms), " cannot be broadcast to the tensor's shape ",
                 bracket(ts));
  visit_dtype(t.dtype(), [&](auto z) {
    using T = decltype(z);
    T v;
    if constexpr (detail::is_half_v<T>) v = T(value.to<float>());
    else v = value.to<T>();
    detail::ElementwiseIter it({t, mask});
    it.for_each([v](char* const* p, const int64_t* st, int64_t n) {
      char* o = p[0];
      const char* m = p[1];
      for (int64_t k = 0; k < n; ++k, o += st[0], m += st[1])
        if (*reinterpret_cast<const bool*>(m)) *reinterpret_cast<T*>(o) = v;
    }, detail::kGrainCheap);
  });
  t.bump_version();
  return t;
}

Tensor masked_fill(const Tensor& t, const Tensor& mask, Scalar value) {
  check_mask(mask);
  Tensor out = Tensor::empty(broadcast_shapes(t.shape(), mask.shape()), t.dtype(), t.device());
  {
    autograd::NoGradGuard no_grad;
    copy_(out, t);
    masked_fill_(out, mask, value);
  }
  if (autograd::needs_grad({&t}))  // filled positions get no gradient
    autograd::record("MaskedFillBackward0", {&t}, {&out}, {mask},
                     [](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
      return {where(n.saved(0), Scalar(0.0), g[0])};
    });
  return out;
}

Tensor& masked_fill_(Tensor& t, const Tensor& mask, const Tensor& value) {
  return masked_fill_(t, mask, scalar_of(value));
}

Tensor masked_fill(const Tensor& t, const Tensor& mask, const Tensor& value) {
  return masked_fill(t, mask, scalar_of(value));
}

Tensor nonzero(const Tensor& t) {
  STEEPEST_CHECK(t.device().is_cpu(), NotImplementedError, "nonzero of ", t.device().str(), " tensors");
  const int64_t nd = t.dim(), numel = t.numel();
  // Walks t in C order with a multi-index, calling hit(idx) for each nonzero element.
  auto walk = [&](auto&& hit) {
    visit_dtype(t.dtype(), [&](auto z) {
      using T = decltype(z);
      if (numel == 0) return;
      const char* p = static_cast<const char*>(t.data_ptr());
      int64_t isz = int64_t(sizeof(T));
      Shape idx(size_t(nd), 0);
      for (int64_t i = 0; i < numel; ++i) {
        T v;
        std::memcpy(&v, p, sizeof(T));
        if (detail::cast_to<bool>(v)) hit(idx);
        for (int64_t d = nd - 1; d >= 0; --d) {
          p += t.strides()[size_t(d)] * isz;
          if (++idx[size_t(d)] < t.shape()[size_t(d)]) break;
          p -= t.strides()[size_t(d)] * isz * t.shape()[size_t(d)];
          idx[size_t(d)] = 0;
        }
      }
    });
  };
  int64_t count = 0;
  walk([&](const Shape&) { ++count; });
  Tensor out = Tensor::empty(Shape{count, nd}, kInt64);
  int64_t* o = out.data<int64_t>();
  walk([&](const Shape& idx) {
    for (int64_t d = 0; d < nd; ++d) *o++ = idx[size_t(d)];
  });
  return out;
}

std::vector<Tensor> nonzero_columns(const Tensor& t) {
  Tensor nz = nonzero(t.dim() == 0 ? view(t, Shape{1}) : t);
  std::vector<Tensor> cols;
  for (int64_t d = 0; d < nz.shape()[1]; ++d) cols.push_back(contiguous(select(nz, 1, d)));
  return cols;
}

}  // namespace steepest
