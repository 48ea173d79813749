// The float32 and float64 launchers of every optimizer update kernel (optim_run.cuh).
#include "kernels/cuda/optim_run.cuh"

namespace steepest::kernels::cuda_optim {

void fill_plain(RunTable& t) {
#define STEEPEST_CUDA_FILL_PLAIN(N)                                     \
  t.f32[int(up::KernelId::N)] = run_group<up::N##Kernel, PlainStore<float>>; \
  t.f64[int(up::KernelId::N)] = run_group<up::N##Kernel, PlainStore<double>>;
  STEEPEST_OPTIM_KERNELS(STEEPEST_CUDA_FILL_PLAIN)
#undef STEEPEST_CUDA_FILL_PLAIN
}

}  // namespace steepest::kernels::cuda_optim
