// Fused pointwise maps for backward formulas: out[i] = f(a[i], b[i]) in one loop when both
// operands are contiguous float tensors of one shape and dtype (the usual case: a gradient
// and a saved output). Composing the same formula from elementwise ops costs an allocation
// and a dispatch per op, which dominates small models. The formula is a C++ lambda, so the
// loop runs on the host: CPU tensors only. Returns an undefined tensor when the fast path
// doesn't apply (another device included), so callers fall back to the composed form, whose
// ops dispatch by device.
#pragma once
#include "kernels/cpu/elementwise_engine.hpp"

namespace steepest::autograd {

template <class F>
Tensor map2(const Tensor& a, const Tensor& b, F f) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape() || !a.is_contiguous() || !b.is_contiguous() ||
      !a.device().is_cpu() || !b.device().is_cpu())
    return Tensor();
  auto run = [&](auto zero) {
    using T = decltype(zero);
    Tensor out = Tensor::empty(a.shape(), a.dtype());
    const T* pa = static_cast<const T*>(a.data_ptr());
    const T* pb = static_cast<const T*>(b.data_ptr());
    T* po = static_cast<T*>(out.data_ptr());
    detail::parallel_for(a.numel(), detail::kGrainCheap, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) po[i] = f(pa[i], pb[i]);
    });
    return out;
  };
  if (a.dtype() == kFloat32) return run(float{});
  if (a.dtype() == kFloat64) return run(double{});
  return Tensor();
}

}  // namespace steepest::autograd
