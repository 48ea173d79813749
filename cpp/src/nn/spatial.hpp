// Shared argument handling of the convolution and pooling ops: size arguments expanded to one
// value per spatial dim, range checks naming the op and argument, overflow-checked size
// arithmetic, and the batched/unbatched input convention.
#pragma once
#include <climits>
#include <cstdint>
#include <vector>

#include "nn/common.hpp"
#include "steepest/nn/conv.hpp"

namespace steepest::nn::functional::detail {

// Sizes this large are refused outright, so sums and products of a few of them stay far from
// int64 overflow (checked again where they multiply).
constexpr int64_t kMaxSizeArg = int64_t(1) << 40;

// `v` as n values: one value repeated, or n values as given. Each must lie in [lo, kMaxSizeArg].
inline std::vector<int64_t> expand_arg(const SizeArg& v, size_t n, int64_t lo, const char* op, const char* arg) {
  STEEPEST_CHECK(v.size() == 1 || v.size() == n, ValueError, op, ": expected ", arg, " to be a single int or ", n,
                 " ints, but got ", v.size(), " values");
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t x = v.size() == 1 ? v[0] : v[i];
    STEEPEST_CHECK(x >= lo, ValueError, op, ": ", arg, " must be ", lo == 0 ? "non-negative" : "positive",
                   ", but got ", x);
    STEEPEST_CHECK(x <= kMaxSizeArg, ValueError, op, ": ", arg, " of ", x, " is too large");
    out[i] = x;
  }
  return out;
}

inline int64_t checked_mul(int64_t a, int64_t b, const char* op) {
  int64_t r = 0;
  STEEPEST_CHECK(!__builtin_mul_overflow(a, b, &r), ValueError, op, ": sizes overflow (", a, " * ", b, ")");
  return r;
}

inline int64_t checked_add(int64_t a, int64_t b, const char* op) {
  int64_t r = 0;
  STEEPEST_CHECK(!__builtin_add_overflow(a, b, &r), ValueError, op, ": sizes overflow (", a, " + ", b, ")");
  return r;
}

// The input's batch size and whether it had a batch dim: `spatial` spatial dims after a channel
// dim, with or without a leading batch dim.
inline bool check_input_rank(const Tensor& x, int64_t spatial, const char* op) {
  STEEPEST_CHECK(x.dim() == spatial + 1 || x.dim() == spatial + 2, ValueError, op, ": expected a ", spatial + 1,
                 "-D (unbatched) or ", spatial + 2, "-D (batched) input, but got input of shape ", x.shape());
  return x.dim() == spatial + 2;
}

// The input as its batched view (a leading 1 added when unbatched).
inline Tensor as_batched(const Tensor& x, bool batched) { return batched ? x : unsqueeze(x, 0); }

}  // namespace steepest::nn::functional::detail
