// The inner loops of the CPU index kernels (advanced indexing, gather and scatter): moving
// (or adding) many equally shaped strided blocks between two tensors, block b from
// src + soff[b] to dst + doff[b].
// Copies move bytes by item size (no per-dtype code); adds dispatch on the dtype.
#pragma once
#include <cstring>
#include <type_traits>

#include "ops/cast.hpp"
#include "steepest/tensor.hpp"

namespace steepest::detail {

// A grain for ElementwiseIter::for_each that keeps the loop on one thread (for loops that
// may write one place twice, or that record errors as they go).
constexpr int64_t kSerialGrain = int64_t(1) << 60;

template <class U>
inline void copy_run_as(char* d, const char* s, int64_t n, int64_t ds, int64_t ss) {
  for (int64_t k = 0; k < n; ++k, d += ds, s += ss) std::memcpy(d, s, sizeof(U));
}

// n elements of `isz` bytes from s (stride ss bytes) to d (stride ds bytes).
inline void copy_run(char* d, const char* s, int64_t n, int64_t ds, int64_t ss, int64_t isz) {
  if (ds == isz && ss == isz) { std::memcpy(d, s, size_t(n * isz)); return; }
  switch (isz) {
    case 1: copy_run_as<uint8_t>(d, s, n, ds, ss); break;
    case 2: copy_run_as<uint16_t>(d, s, n, ds, ss); break;
    case 4: copy_run_as<uint32_t>(d, s, n, ds, ss); break;
    default: copy_run_as<uint64_t>(d, s, n, ds, ss); break;
  }
}

// *d += *s for one element of type T (bool: logical or; 16-bit floats add in float).
template <class T>
inline void add_into(char* d, const char* s) {
  T a, b;
  std::memcpy(&a, d, sizeof(T));
  std::memcpy(&b, s, sizeof(T));
  T r;
  if constexpr (std::is_same_v<T, bool>) r = a || b;
  else if constexpr (is_half_v<T>) r = T(float(a) + float(b));
  else r = T(a + b);
  std::memcpy(d, &r, sizeof(T));
}

template <class T>
inline void add_run(char* d, const char* s, int64_t n, int64_t ds, int64_t ss) {
  for (int64_t k = 0; k < n; ++k, d += ds, s += ss) add_into<T>(d, s);
}

// The shape shared by all blocks with the strides (in bytes) of both sides, size-1 dims
// dropped and dims merged where both sides step densely over them.
class BlockGeometry {
 public:
  BlockGeometry(const Shape& shape, const Strides& dst_elems, const Strides& src_elems, int64_t isz) {
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 1) continue;
      int64_t ds = dst_elems[i] * isz, ss = src_elems[i] * isz;
      if (!shape_.empty() && dst_.back() == ds * shape[i] && src_.back() == ss * shape[i]) {
        shape_.back() *= shape[i];
        dst_.back() = ds;
        src_.back() = ss;
        continue;
      }
      shape_.push_back(shape[i]);
      dst_.push_back(ds);
      src_.push_back(ss);
    }
    numel_ = numel_of(shape);
    if (shape_.empty()) {
      shape_.push_back(1);
      dst_.push_back(isz);
      src_.push_back(isz);
    }
  }

  int64_t numel() const { return numel_; }

  // Calls run(d, s, n, dst_stride, src_stride) for every innermost run of one block.
  template <class Run>
  void for_each_run(char* d, const char* s, Run&& run) const {
    size_t nd = shape_.size();
    int64_t inner = shape_[nd - 1];
    if (nd == 1) { run(d, s, inner, dst_[0], src_[0]); return; }
    Shape idx(nd - 1, 0);
    while (true) {
      run(d, s, inner, dst_[nd - 1], src_[nd - 1]);
      size_t k = nd - 1;
      while (k-- > 0) {
        d += dst_[k];
        s += src_[k];
        if (++idx[k] < shape_[k]) break;
        d -= dst_[k] * shape_[k];
        s -= src_[k] * shape_[k];
        idx[k] = 0;
        if (k == 0) return;
      }
    }
  }

 private:
  Shape shape_;
  Strides dst_, src_;
  int64_t numel_ = 0;
};

}  // namespace steepest::detail
