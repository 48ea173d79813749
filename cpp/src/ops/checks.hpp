// Argument checks shared by the op families.
#pragma once
#include "steepest/tensor.hpp"

namespace steepest::detail {

// CPU kernels only: a tensor on another device gets a NotImplementedError naming the op.
inline void check_cpu(const Tensor& t, const char* op) {
  STEEPEST_CHECK(t.device().is_cpu(), NotImplementedError, op, ": ", t.device().str(),
                 " tensors are not supported by this build");
}

}  // namespace steepest::detail
