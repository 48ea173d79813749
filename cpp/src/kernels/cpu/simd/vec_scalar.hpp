// The scalar forms of the vector interface (see vec.hpp): plain float/double, masks are bool.
#pragma once
#include <type_traits>

namespace steepest::kernels::STEEPEST_ISA {

inline float fma(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
inline double fma(double a, double b, double c) { return __builtin_fma(a, b, c); }
inline float sqrt(float a) { return __builtin_sqrtf(a); }
inline double sqrt(double a) { return __builtin_sqrt(a); }
inline float abs(float a) { return __builtin_fabsf(a); }
inline double abs(double a) { return __builtin_fabs(a); }
// Like the x86 instructions: return b unless a is strictly greater (smaller).
inline float max_raw(float a, float b) { return a > b ? a : b; }
inline double max_raw(double a, double b) { return a > b ? a : b; }
inline float min_raw(float a, float b) { return a < b ? a : b; }
inline double min_raw(double a, double b) { return a < b ? a : b; }
template <class T, class = std::enable_if_t<std::is_floating_point_v<T>>>
inline bool isnan(T a) { return a != a; }
inline bool cmp_lt(float a, float b) { return a < b; }
inline bool cmp_le(float a, float b) { return a <= b; }
inline bool cmp_gt(float a, float b) { return a > b; }
inline bool cmp_ge(float a, float b) { return a >= b; }
inline bool cmp_eq(float a, float b) { return a == b; }
inline bool cmp_ne(float a, float b) { return a != b; }
inline bool cmp_lt(double a, double b) { return a < b; }
inline bool cmp_le(double a, double b) { return a <= b; }
inline bool cmp_gt(double a, double b) { return a > b; }
inline bool cmp_ge(double a, double b) { return a >= b; }
inline bool cmp_eq(double a, double b) { return a == b; }
inline bool cmp_ne(double a, double b) { return a != b; }
inline float select(bool m, float a, float b) { return m ? a : b; }
inline double select(bool m, double a, double b) { return m ? a : b; }
inline float reduce_add(float a) { return a; }
inline double reduce_add(double a) { return a; }
inline float reduce_max(float a) { return a; }
inline double reduce_max(double a) { return a; }
inline float reduce_min(float a) { return a; }
inline double reduce_min(double a) { return a; }

}  // namespace steepest::kernels::STEEPEST_ISA
