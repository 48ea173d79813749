// Element conversions of the CUDA kernels, host-device: reading an element of any dtype into
// a compute type C through the op's compute dtype ct, and storing a C result through ct
// into any dtype -- the same two-step rounding as the CPU engine (a float32 operand of a
// bfloat16 op is rounded to bfloat16 first). The dtype is a run-time argument, so one
// kernel per compute type serves every storage dtype.
#pragma once
#include <cstdint>
#include <type_traits>

#include "steepest/dtype.hpp"

namespace steepest::cuda {

template <class T>
constexpr bool is_half_v = std::is_same_v<T, bfloat16> || std::is_same_v<T, float16>;

// f(T{}) for a floating dtype's storage type: float32, float64, bfloat16 or float16 (the op
// has checked that d is one of them).
template <class F>
void visit_float_storage(DType d, F f) {
  switch (d) {
    case DType::Float64: return f(double{});
    case DType::BFloat16: return f(bfloat16{});
    case DType::Float16: return f(float16{});
    default: return f(float{});
  }
}

// Bytes per element of d (steepest::itemsize, usable on the device).
STEEPEST_HD constexpr int itemsize_of(DType d) {
  return d == DType::Bool ? 1 : d == DType::Int32 || d == DType::Float32 ? 4 : d == DType::Int64 || d == DType::Float64 ? 8 : 2;
}

// torch's C-like element conversion: 16-bit floats go through float, anything nonzero is true.
template <class D, class S>
STEEPEST_HD inline D dcast(S s) {
  if constexpr (std::is_same_v<D, S>) return s;
  else if constexpr (is_half_v<S>) return dcast<D>(float(s));
  else if constexpr (std::is_same_v<D, bool>) return s != S(0);
  else if constexpr (is_half_v<D>) return D(float(s));
  else return static_cast<D>(s);
}

// v (already C) rounded to the compute dtype ct: only float carries 16-bit compute dtypes.
template <class C>
STEEPEST_HD inline C round_to_ct(C v, DType ct) {
  if constexpr (std::is_same_v<C, float>) {
    if (ct == DType::BFloat16) return float(bfloat16(v));
    if (ct == DType::Float16) return float(float16(v));
  }
  return v;
}

// The element at p (dtype d) as C, through ct.
template <class C>
STEEPEST_HD inline C load_as(const char* p, DType d, DType ct) {
  switch (d) {
    case DType::Bool: return round_to_ct(dcast<C>(*reinterpret_cast<const bool*>(p)), ct);
    case DType::Int32: return round_to_ct(dcast<C>(*reinterpret_cast<const int32_t*>(p)), ct);
    case DType::Int64: return round_to_ct(dcast<C>(*reinterpret_cast<const int64_t*>(p)), ct);
    case DType::BFloat16: return round_to_ct(dcast<C>(*reinterpret_cast<const bfloat16*>(p)), ct);
    case DType::Float16: return round_to_ct(dcast<C>(*reinterpret_cast<const float16*>(p)), ct);
    case DType::Float32: return round_to_ct(dcast<C>(*reinterpret_cast<const float*>(p)), ct);
    case DType::Float64: break;
  }
  return round_to_ct(dcast<C>(*reinterpret_cast<const double*>(p)), ct);
}

// Stores v at p (dtype d): rounded to ct, then converted.
template <class C>
STEEPEST_HD inline void store_as(char* p, DType d, DType ct, C v) {
  v = round_to_ct(v, ct);
  switch (d) {
    case DType::Bool: *reinterpret_cast<bool*>(p) = dcast<bool>(v); return;
    case DType::Int32: *reinterpret_cast<int32_t*>(p) = dcast<int32_t>(v); return;
    case DType::Int64: *reinterpret_cast<int64_t*>(p) = dcast<int64_t>(v); return;
    case DType::BFloat16: *reinterpret_cast<bfloat16*>(p) = dcast<bfloat16>(v); return;
    case DType::Float16: *reinterpret_cast<float16*>(p) = dcast<float16>(v); return;
    case DType::Float32: *reinterpret_cast<float*>(p) = dcast<float>(v); return;
    case DType::Float64: *reinterpret_cast<double*>(p) = dcast<double>(v); return;
  }
}

}  // namespace steepest::cuda
