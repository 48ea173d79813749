// The mixed-precision launchers (every kMixedModes entry) of the optimizer update kernels that
// declare kLowPrecision (optim_run.cuh).
#include <utility>

#include "kernels/cuda/optim_run.cuh"

namespace steepest::kernels::cuda_optim {

namespace {
template <class K, int... M>
void fill_modes(GroupFn* row, std::integer_sequence<int, M...>) {
  if constexpr (K::kLowPrecision) ((row[M] = run_group<K, MixedStore<M>>), ...);
}
}  // namespace

void fill_mixed(RunTable& t) {
#define STEEPEST_CUDA_FILL_MIXED(N) \
  fill_modes<up::N##Kernel>(t.mixed[int(up::KernelId::N)], std::make_integer_sequence<int, up::kNumMixedModes>{});
  STEEPEST_OPTIM_KERNELS(STEEPEST_CUDA_FILL_MIXED)
#undef STEEPEST_CUDA_FILL_MIXED
}

}  // namespace steepest::kernels::cuda_optim
