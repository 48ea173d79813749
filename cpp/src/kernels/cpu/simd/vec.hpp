// Picks the vector types for the instruction set this translation unit is compiled for.
// Every ISA header defines, in namespace steepest::kernels::<isa>, the same interface:
//   VecF (float lanes) and VecD (double lanes) with ::size, load, store, broadcast, zero;
//   + - * / and unary -, fma(a,b,c)=a*b+c (one rounding), sqrt, abs, max_raw/min_raw
//   (hardware max/min: NaN handling is the caller's), cmp_lt/le/gt/ge/eq/ne -> mask,
//   isnan, select(mask, a, b), mask & | ~, reduce_add, reduce_max, reduce_min.
// Scalars (float, double) support the same calls through vec_scalar.hpp, so a kernel written
// as a template over its value type V runs unchanged on a scalar or a vector.
//
// Rule for code under kernels/cpu/isa: keep everything inside namespace
// steepest::kernels::STEEPEST_ISA and avoid instantiating std templates there: the linker
// merges identical inline symbols across TUs, and an AVX-512 copy must never stand in for
// the scalar one.
#pragma once

#ifndef STEEPEST_ISA
#define STEEPEST_ISA scalar
#define STEEPEST_ISA_scalar 1
#endif

#include "vec_scalar.hpp"
#if defined(STEEPEST_ISA_avx512)
#include "vec_avx512.hpp"
#elif defined(STEEPEST_ISA_avx2)
#include "vec_avx2.hpp"
#elif defined(STEEPEST_ISA_neon)
#include "vec_neon.hpp"
#else
namespace steepest::kernels::STEEPEST_ISA {
using VecF = float;
using VecD = double;
}
#endif

namespace steepest::kernels::STEEPEST_ISA {
template <class T> struct VecOf;
template <> struct VecOf<float> { using type = VecF; };
template <> struct VecOf<double> { using type = VecD; };
template <class T> using Vec = typename VecOf<T>::type;

// Lane count of V (1 for a plain scalar).
template <class V> STEEPEST_HD constexpr int lanes() {
  if constexpr (std::is_arithmetic_v<V>) return 1;
  else return V::size;
}
template <class V, class T> STEEPEST_HD inline V vload(const T* p) {
  if constexpr (std::is_arithmetic_v<V>) return *p;
  else return V::load(p);
}
template <class V, class T> STEEPEST_HD inline void vstore(T* p, V v) {
  if constexpr (std::is_arithmetic_v<V>) *p = v;
  else v.store(p);
}
template <class V, class T> STEEPEST_HD inline V vbroadcast(T x) {
  if constexpr (std::is_arithmetic_v<V>) return V(x);
  else return V::broadcast(x);
}
}  // namespace steepest::kernels::STEEPEST_ISA
