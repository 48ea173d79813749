// The CUDA elementwise engine: one grid-stride kernel per (compute type, result type, arity,
// functor) running elementwise_body.hpp's per-element step over out's elements.
#pragma once
#include "dispatch/elementwise.hpp"
#include "kernels/cuda/elementwise_body.hpp"
#include "kernels/cuda/offset_calc.cuh"

namespace steepest::cuda {

template <class C, class O, int NIN, class F>
__global__ void elementwise_kernel(EwLaunch<C, NIN> L, DType ct, F f) {
  for (int64_t i = grid_first(); i < L.n; i += grid_step()) elementwise_at<C, O, NIN>(L, ct, f, i);
}

// out = f(ins...) elementwise over out's shape (each tensor operand broadcasts to it).
template <class C, class O, int NIN, class F>
void launch_elementwise(const Tensor& out, const std::array<Operand, NIN>& ins, DType ct, F f) {
  if (out.numel() == 0) return;
  const EwLaunch<C, NIN> L = prepare_elementwise<C, NIN>(out, ins, ct);
  elementwise_kernel<C, O, NIN, F><<<unsigned(blocks_for(L.n)), kThreadsPerBlock, 0, current_stream()>>>(L, ct, f);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace steepest::cuda
