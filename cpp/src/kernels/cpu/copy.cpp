// The CPU kernels of copy_ (with dtype conversion), fill_, arange and linspace
// (dispatch/elementwise.hpp).
#include <omp.h>

#include <cstring>

#include "dispatch/elementwise.hpp"
#include "kernels/cpu/kernel_table.hpp"
#include "ops/cast.hpp"
#include "ops/iter.hpp"

namespace steepest::kernels::cpu {

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

// dst.numel() > 0 (copy_ returns early otherwise).
void copy(const Tensor& dst, const Tensor& src) {
  if (dst.dtype() == src.dtype() && dst.shape() == src.shape() && dst.is_contiguous() && src.is_contiguous() &&
      dst.strides() == src.strides()) {
    if (dst.data_ptr() != src.data_ptr())
      dense_copy(static_cast<char*>(dst.data_ptr()), static_cast<const char*>(src.data_ptr()),
                 dst.numel() * int64_t(dst.itemsize()));
    return;
  }
  detail::ElementwiseIter it({dst, src});
  visit_dtype_float8(dst.dtype(), [&](auto d0) {
    using D = decltype(d0);
    visit_dtype_float8(src.dtype(), [&](auto s0) {
      using S = decltype(s0);
      it.for_each([](char* const* p, const int64_t* st, int64_t n) {
        char* o = p[0];
        const char* i = p[1];
        if (st[0] == int64_t(sizeof(D)) && st[1] == int64_t(sizeof(S))) {
          // autocast's casts of weights and activations between float32 and bfloat16/float16:
          // the ISA's conversion runs.
          if constexpr (std::is_same_v<D, float> && (std::is_same_v<S, bfloat16> || std::is_same_v<S, float16>)) {
            kernels::convert16(dtype_of<S>()).widen(n, reinterpret_cast<const uint16_t*>(i), reinterpret_cast<float*>(o));
            return;
          }
          if constexpr (std::is_same_v<S, float> && (std::is_same_v<D, bfloat16> || std::is_same_v<D, float16>)) {
            kernels::convert16(dtype_of<D>()).narrow(n, reinterpret_cast<const float*>(i), reinterpret_cast<uint16_t*>(o));
            return;
          }
          // Other dense runs as indexed arrays, which the compiler vectorizes.
          D* d = reinterpret_cast<D*>(o);
          const S* s = reinterpret_cast<const S*>(i);
          for (int64_t k = 0; k < n; ++k) d[k] = detail::cast_to<D>(s[k]);
          return;
        }
        for (int64_t k = 0; k < n; ++k, o += st[0], i += st[1])
          *reinterpret_cast<D*>(o) = detail::cast_to<D>(*reinterpret_cast<const S*>(i));
      }, detail::kGrainCheap);
    });
  });
}

void fill(const Tensor& t, Scalar value) {
  visit_dtype_float8(t.dtype(), [&](auto z) {
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
}

void arange(const Tensor& t, Scalar start, Scalar step, bool integral) {
  const int64_t n = t.numel();
  const double s = start.to_double(), st = step.to_double();
  visit_dtype(t.dtype(), [&](auto z) {
    using T = decltype(z);
    T* p = static_cast<T*>(t.data_ptr());
    for (int64_t i = 0; i < n; ++i) {
      if (integral) p[i] = detail::cast_to<T>(start.to_int() + i * step.to_int());
      else p[i] = detail::cast_to<T>(s + double(i) * st);
    }
  });
}

void linspace(const Tensor& t, double start, double end) {
  const int64_t steps = t.numel();
  double step = steps > 1 ? (end - start) / double(steps - 1) : 0.0;
  int64_t half = steps / 2;
  visit_dtype(t.dtype(), [&](auto z) {
    using T = decltype(z);
    T* p = static_cast<T*>(t.data_ptr());
    for (int64_t i = 0; i < steps; ++i) {
      // (steps == 1 gives start, as torch does.)
      double v = i < half || steps == 1 ? start + step * double(i) : end - step * double(steps - 1 - i);
      p[i] = detail::cast_to<T>(v);
    }
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::copy_stub, CPU, copy);
STEEPEST_REGISTER_KERNEL(dispatch::fill_stub, CPU, fill);
STEEPEST_REGISTER_KERNEL(dispatch::arange_stub, CPU, arange);
STEEPEST_REGISTER_KERNEL(dispatch::linspace_stub, CPU, linspace);

}  // namespace steepest::kernels::cpu
