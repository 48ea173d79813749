// Element types (DType), their sizes and names, and torch's type-promotion rules.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "float8.hpp"
#include "half.hpp"

namespace steepest {

// The two FP8 formats come last: they are storage formats (casts, copies, matrix products
// through _scaled_mm), and most ops refuse them, as torch does.
enum class DType : uint8_t { Bool, Int32, Int64, BFloat16, Float16, Float32, Float64, Float8E4M3FN, Float8E5M2 };
constexpr int kNumDTypes = 9;

constexpr DType kBool = DType::Bool, kInt32 = DType::Int32, kInt64 = DType::Int64,
                kBFloat16 = DType::BFloat16, kFloat16 = DType::Float16,
                kFloat32 = DType::Float32, kFloat64 = DType::Float64,
                kFloat8E4M3FN = DType::Float8E4M3FN, kFloat8E5M2 = DType::Float8E5M2;

size_t itemsize(DType d);
const char* dtype_name(DType d);          // "float32", "bfloat16", ...
DType dtype_from_name(const std::string& name);  // throws ValueError on an unknown name
inline bool is_floating(DType d) { return d >= DType::BFloat16; }
inline bool is_float8(DType d) { return d == DType::Float8E4M3FN || d == DType::Float8E5M2; }
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
template <> struct CType<DType::Float8E4M3FN> { using type = float8_e4m3fn; };
template <> struct CType<DType::Float8E5M2> { using type = float8_e5m2; };

// Raises NotImplementedError "<what> not implemented for 'Float8_e4m3fn'" (torch's words):
// what every op without FP8 support says.
[[noreturn]] void float8_unsupported(DType d, const char* what);
// Raises that error when `d` is an FP8 dtype.
inline void check_not_float8(DType d, const char* what) {
  if (d == DType::Float8E4M3FN || d == DType::Float8E5M2) float8_unsupported(d, what);
}

// Calls fn(T{}) with T the C++ type of `d`: STEEPEST_DISPATCH-style switch without macros.
// The FP8 dtypes are refused here (a kernel doing arithmetic never sees them); code that
// only moves or converts elements uses visit_dtype_float8 below.
template <class Fn>
decltype(auto) visit_dtype(DType d, Fn&& fn) {
  switch (d) {
    case DType::Float8E4M3FN: case DType::Float8E5M2: float8_unsupported(d, "this operation");
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

// visit_dtype including the FP8 types: for copies, casts, fills, printing and indexing.
template <class Fn>
decltype(auto) visit_dtype_float8(DType d, Fn&& fn) {
  if (d == DType::Float8E4M3FN) return fn(float8_e4m3fn{});
  if (d == DType::Float8E5M2) return fn(float8_e5m2{});
  return visit_dtype(d, std::forward<Fn>(fn));
}

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<bfloat16>() { return DType::BFloat16; }
template <> constexpr DType dtype_of<float16>() { return DType::Float16; }
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<float8_e4m3fn>() { return DType::Float8E4M3FN; }
template <> constexpr DType dtype_of<float8_e5m2>() { return DType::Float8E5M2; }

// The type arithmetic on T happens in: float for the 16-bit floats, T otherwise.
template <class T> struct MathType { using type = T; };
template <> struct MathType<bfloat16> { using type = float; };
template <> struct MathType<float16> { using type = float; };
template <> struct MathType<float8_e4m3fn> { using type = float; };
template <> struct MathType<float8_e5m2> { using type = float; };
template <class T> using math_t = typename MathType<T>::type;

}  // namespace steepest
