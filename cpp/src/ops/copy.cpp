// Copies and dtype conversions: copy_, fill_, to_dtype, contiguous, clone.
#include "autograd/record.hpp"
#include <omp.h>

#include <cstring>

#include "ops/cast.hpp"
#include "ops/checks.hpp"
#include "ops/iter.hpp"
#include "steepest/ops/elementwise.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest {

namespace {

// Parallel memcpy for large dense copies (memory bandwidth wants both cores).
void dense_copy(char* dst, const char* src, int64_t nbytes) {
  const int64_t grain = 1 << 20;
  if (nbytes < 2 * grain || omp_get_max_threads() == 1) { std::memcpy(dst, src, size_t(nbytes)); return; }
#pragma omp parallel
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t chunk = ((nbytes + nt - 1) / nt + 63) / 64 * 64;
    int64_t b = std::min<int64_t>(t * chunk, nbytes), e = std::min<int64_t>(b + chunk, nbytes);
    if (b < e) std::memcpy(dst + b, src + b, size_t(e - b));
  }
}

}  // namespace

Tensor& copy_(Tensor& dst, const Tensor& src) {
  detail::check_cpu(dst, "copy_");
  detail::check_cpu(src, "copy_");
  if (dst.numel() == 0) { broadcast_shapes(dst.shape(), src.shape()); return dst; }
  if (dst.dtype() == src.dtype() && dst.shape() == src.shape() && dst.is_contiguous() && src.is_contiguous() &&
      dst.strides() == src.strides()) {
    if (dst.data_ptr() != src.data_ptr())
      dense_copy(static_cast<char*>(dst.data_ptr()), static_cast<const char*>(src.data_ptr()),
                 dst.numel() * int64_t(dst.itemsize()));
    dst.bump_version();
    return dst;
  }
  detail::ElementwiseIter it({dst, src});
  visit_dtype(dst.dtype(), [&](auto d0) {
    using D = decltype(d0);
    visit_dtype(src.dtype(), [&](auto s0) {
      using S = decltype(s0);
      it.for_each([](char* const* p, const int64_t* st, int64_t n) {
        char* o = p[0];
        const char* i = p[1];
        for (int64_t k = 0; k < n; ++k, o += st[0], i += st[1])
          *reinterpret_cast<D*>(o) = detail::cast_to<D>(*reinterpret_cast<const S*>(i));
      }, detail::kGrainCheap);
    });
  });
  dst.bump_version();
  return dst;
}

Tensor& fill_(Tensor& t, Scalar value) {
  detail::check_cpu(t, "fill_");
  visit_dtype(t.dtype(), [&](auto z) {
    using T = decltype(z);
    T v;
    if constexpr (detail::is_half_v<T>) v = T(value.to<float>());
    else v = value.to<T>();
    detail::ElementwiseIter it({t});
    it.for_each([v](char* const* p, const int64_t* st, int64_t n) {
      char* o = p[0];
      if (st[0] == int64_t(sizeof(T))) {
        T* d = reinterpret_cast<T*>(o);
        for (int64_t k = 0; k < n; ++k) d[k] = v;
      } else {
        for (int64_t k = 0; k < n; ++k, o += st[0]) *reinterpret_cast<T*>(o) = v;
      }
    }, detail::kGrainCheap);
  });
  t.bump_version();
  return t;
}

Tensor& zero_(Tensor& t) { return fill_(t, Scalar(0)); }

// The gradient of a copy is the incoming gradient (the engine casts it back to the input's
// dtype), so clones and conversions share one node type.
static void record_copy(const char* name, const Tensor& t, Tensor& out) {
  if (autograd::needs_grad({&t}) && is_floating(out.dtype()))
    autograd::record(name, {&t}, {&out}, {}, [](Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
      return {g[0]};
    });
}

Tensor to_dtype(const Tensor& t, DType dtype, bool copy) {
  if (t.dtype() == dtype && !copy) return t;
  Tensor out = Tensor::empty(t.shape(), dtype, t.device());
  copy_(out, t);
  record_copy("ToCopyBackward0", t, out);
  return out;
}

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  return clone(t);
}

Tensor clone(const Tensor& t) {
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  copy_(out, t);
  record_copy("CloneBackward0", t, out);
  return out;
}

}  // namespace steepest
