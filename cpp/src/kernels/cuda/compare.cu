// The CUDA kernels of comparisons, logical and bitwise ops, and where
// (dispatch/elementwise.hpp): exact in every dtype, so plain functors over the engine.
#include "kernels/cuda/elementwise.cuh"

namespace steepest::cuda {

namespace {

using dispatch::BitOp;
using dispatch::CompareOp;

template <class C>
struct Compare {
  CompareOp op;
  __device__ bool operator()(const C* v) const {
    const C a = v[0], b = v[1];
    switch (op) {
      case CompareOp::Eq: return a == b;
      case CompareOp::Ne: return a != b;
      case CompareOp::Lt: return a < b;
      case CompareOp::Le: return a <= b;
      case CompareOp::Gt: return a > b;
      case CompareOp::Ge: return a >= b;
    }
    return false;
  }
};

void compare(CompareOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  visit_compute(ct, [&](auto z) {
    using C = decltype(z);
    launch_elementwise<C, bool, 2>(out, {a, b}, ct, Compare<C>{op});
  });
}

// Logical ops (ct bool) read each operand as "nonzero"; bitwise ones compute in ct.
template <class T>
struct Bitwise {
  BitOp op;
  __device__ T operator()(const T* v) const {
    switch (op) {
      case BitOp::And: return T(v[0] & v[1]);
      case BitOp::Or: return T(v[0] | v[1]);
      case BitOp::Xor: return T(v[0] ^ v[1]);
    }
    return v[0];
  }
};

void bit(BitOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  STEEPEST_CHECK(is_integral(ct, true), TypeError, "bitwise ops need an integer or bool dtype, got ",
                 dtype_name(ct));
  visit_compute(ct, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_integral_v<T>) launch_elementwise<T, T, 2>(out, {a, b}, ct, Bitwise<T>{op});
  });
}

template <class T>
struct Not {
  __device__ T operator()(const T* v) const {
    if constexpr (std::is_same_v<T, bool>) return !v[0];
    else return T(~v[0]);
  }
};

void logical_not(const Tensor& out, const Tensor& a) {
  launch_elementwise<bool, bool, 1>(out, {Operand(a)}, kBool, Not<bool>{});
}

void bitwise_not(const Tensor& out, const Tensor& a) {
  const DType d = out.dtype();
  STEEPEST_CHECK(is_integral(d, true), TypeError, "bitwise_not needs an integer or bool dtype, got ", dtype_name(d));
  visit_compute(d, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_integral_v<T>) launch_elementwise<T, T, 1>(out, {Operand(a)}, d, Not<T>{});
  });
}

template <class C>
struct Where {
  __device__ C operator()(const C* v) const { return v[0] != C(0) ? v[1] : v[2]; }
};

void where(const Tensor& out, const Tensor& cond, const Operand& a, const Operand& b, DType ct) {
  visit_compute(ct, [&](auto z) {
    using C = decltype(z);
    launch_elementwise<C, C, 3>(out, {Operand(cond), a, b}, ct, Where<C>{});
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::compare_stub, CUDA, compare);
STEEPEST_REGISTER_KERNEL(dispatch::bit_stub, CUDA, bit);
STEEPEST_REGISTER_KERNEL(dispatch::logical_not_stub, CUDA, logical_not);
STEEPEST_REGISTER_KERNEL(dispatch::bitwise_not_stub, CUDA, bitwise_not);
STEEPEST_REGISTER_KERNEL(dispatch::where_stub, CUDA, where);

}  // namespace steepest::cuda
