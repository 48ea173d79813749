// torch's Tensor.random_() and random_(from, None): integers from `low` up to the dtype's
// top, inclusive. top is 2^digits for floating dtypes (2^24 float32, 2^53 float64, 2^11
// float16, 2^8 bfloat16: every integer up to it is exact), the maximum for integer dtypes and
// 1 for bool. random_(t, low, high) (ops/random.hpp) is the bounded form.
#pragma once
#include "random.hpp"

namespace steepest {

Tensor& random_from_(Tensor& t, int64_t low, Generator* gen = nullptr);

}  // namespace steepest
