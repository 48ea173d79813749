// Every optimizer update kernel, registered once. A kernel is a struct <Name>Kernel in its
// update header with `Step` (the per-step scalars), `kLowPrecision` (whether bfloat16/float16
// storage is instantiated) and `visit<T>(step, fn)`, which hands fn the functor instantiation
// the step's flags select. From this list come the kernel ids, every CPU ISA's table entries
// (kernels/cpu/isa/optim.cpp) and, on a CUDA build, the device launches: a kernel that is
// listed here is in every table, and one that is not is in none.
#pragma once
#include <cstddef>

#include "optim/updates/adadelta.hpp"
#include "optim/updates/adafactor.hpp"
#include "optim/updates/adagrad.hpp"
#include "optim/updates/adam.hpp"
#include "optim/updates/adamax.hpp"
#include "optim/updates/adan.hpp"
#include "optim/updates/lamb.hpp"
#include "optim/updates/lars.hpp"
#include "optim/updates/lion.hpp"
#include "optim/updates/muon.hpp"
#include "optim/updates/nadam.hpp"
#include "optim/updates/radam.hpp"
#include "optim/updates/rmsprop.hpp"
#include "optim/updates/schedule_free.hpp"
#include "optim/updates/sgd.hpp"
#include "optim/updates/sophia.hpp"
#include "optim/updates/touch.hpp"
#include "optim/updates/touch_masked.hpp"

// X(Name): updates::NameKernel. Order is the kernel id; append new kernels anywhere.
#define STEEPEST_OPTIM_KERNELS(X)                                                                      \
  X(SGD) X(Adam) X(Adagrad) X(RMSprop) X(NAdam) X(RAdam) X(Adamax) X(Lion) X(Sophia) X(SophiaHessian) \
  X(ScheduleFreeAdamW) X(LerpTo) X(LambMoments) X(ScaledAdd) X(Lars) X(MuonMomentum)                 \
  X(AdafactorVariance) X(Adan) X(Touch) X(TouchLastReadOnly) X(Adadelta)

namespace steepest::optim::updates {

// The id of each kernel: kernel_id<AdamKernel>::value.
enum class KernelId : int {
#define STEEPEST_KERNEL_ENUM(N) N,
  STEEPEST_OPTIM_KERNELS(STEEPEST_KERNEL_ENUM)
#undef STEEPEST_KERNEL_ENUM
  Count
};
constexpr int kNumKernels = int(KernelId::Count);

template <class K> struct kernel_id;
#define STEEPEST_KERNEL_ID(N) \
  template <> struct kernel_id<N##Kernel> { static constexpr KernelId value = KernelId::N; };
STEEPEST_OPTIM_KERNELS(STEEPEST_KERNEL_ID)
#undef STEEPEST_KERNEL_ID

// The kernel names, for messages and the tests that check every table is full.
inline const char* kernel_name(KernelId id) {
  static const char* const names[] = {
#define STEEPEST_KERNEL_NAME(N) #N,
      STEEPEST_OPTIM_KERNELS(STEEPEST_KERNEL_NAME)
#undef STEEPEST_KERNEL_NAME
  };
  static_assert(sizeof(names) / sizeof(names[0]) == std::size_t(kNumKernels), "one name per kernel");
  return names[int(id)];
}

}  // namespace steepest::optim::updates
