// Element types (DType), their sizes and names, and torch's type-promotion rules.
#pragma once
#include <cstdint>
#include <string>

#include "half.hpp"

namespace steepest {

enum class DType : uint8_t { Bool, Int32, Int64, BFloat16, Float16, Float32, Float64 };
constexpr int kNumDTypes = 7;

constexpr DType kBool = DType::Bool, kInt32 = DType::Int32, kInt64 = DType::Int64,
                kBFloat16 = DType::BFloat16, kFloat16 = DType::Float16,
                kFloat32 = DType::Float32, kFloat64 = DType::Float64;

size_t itemsize(DType d);
const char* dtype_name(DType d);          // "float32", "bfloat16", ...
DType dtype_from_name(const std::string& name);  // throws ValueError on an unknown name
inline bool is_floating(DType d) { return d >= DType::BFloat16; }
inline bool is_integral(DType d, bool include_bool) {
  return d == DType::Int32 || d == DType::Int64 || (include_bool && d == DType::Bool);
}

// The dtype both operands convert to (torch.promote_types).
DType promote_types(DType a, DType b);

// The default floating dtype (torch.get_default_dtype); float32 unless changed.
DType default_dtype();
void set_default_dtype(DType d);  // float32 or float64

// C++ element type for each DType, for kernels: CType<kFloat32>::type is float.
template <DType D> struct CType;
template <> struct CType<DType::Bool> { using type = bool; };
template <> struct CType<DType::Int32> { using type = int32_t; };
template <> struct CType<DType::Int64> { using type = int64_t; };
template <> struct CType<DType::BFloat16> { using type = bfloat16; };
template <> struct CType<DType::Float16> { using type = float16; };
template <> struct CType<DType::Float32> { using type = float; };
template <> struct CType<DType::Float64> { using type = double; };

// Calls fn(T{}) with T the C++ type of `d`: STEEPEST_DISPATCH-style switch without macros.
template <class Fn>
decltype(auto) visit_dtype(DType d, Fn&& fn) {
  switch (d) {
    case DType::Bool: return fn(bool{});
    case DType::Int32: return fn(int32_t{});
    case DType::Int64: return fn(int64_t{});
    case DType::BFloat16: return fn(bfloat16{});
    case DType::Float16: return fn(float16{});
    case DType::Float32: return fn(float{});
    case DType::Float64: break;
  }
  return fn(double{});
}

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<bfloat16>() { return DType::BFloat16; }
template <> constexpr DType dtype_of<float16>() { return DType::Float16; }
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }

// The type arithmetic on T happens in: float for the 16-bit floats, T otherwise.
template <class T> struct MathType { using type = T; };
template <> struct MathType<bfloat16> { using type = float; };
template <> struct MathType<float16> { using type = float; };
template <class T> using math_t = typename MathType<T>::type;

}  // namespace steepest
