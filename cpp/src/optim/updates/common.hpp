// The vocabulary shared by the per-element optimizer updates in this folder: the host/device
// marker, scalar forms of the math the SIMD vector types provide, and the torch op shapes
// (lerp, addcmul, addcdiv) the updates are written in. The scalar reference, the SIMD paths
// and (later) CUDA compile these same headers; functors use no standard library.
#pragma once

#if defined(__CUDACC__)
#define STEEPEST_HOST_DEVICE __host__ __device__
#else
#define STEEPEST_HOST_DEVICE
#endif

// Every backend compiles its own copy of the updates into its own inline namespace (the CPU
// ISA being compiled, or cuda), so the linker can never hand the scalar path a function that
// was compiled with AVX-512 enabled. Code names them as steepest::optim::updates::X.
#if defined(__CUDACC__)
#define STEEPEST_UPDATES_ABI cuda
#elif defined(STEEPEST_ISA)
#define STEEPEST_UPDATES_ABI STEEPEST_ISA
#else
#define STEEPEST_UPDATES_ABI host
#endif

namespace steepest::optim::updates {
inline namespace STEEPEST_UPDATES_ABI {

// Scalar forms; vector types bring their own overloads, found by argument-dependent lookup.
#if defined(__CUDA_ARCH__)
STEEPEST_HOST_DEVICE inline float fma(float a, float b, float c) { return ::fmaf(a, b, c); }
STEEPEST_HOST_DEVICE inline double fma(double a, double b, double c) { return ::fma(a, b, c); }
STEEPEST_HOST_DEVICE inline float sqrt(float a) { return ::sqrtf(a); }
STEEPEST_HOST_DEVICE inline double sqrt(double a) { return ::sqrt(a); }
STEEPEST_HOST_DEVICE inline float abs(float a) { return ::fabsf(a); }
STEEPEST_HOST_DEVICE inline double abs(double a) { return ::fabs(a); }
#else
inline float fma(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
inline double fma(double a, double b, double c) { return __builtin_fma(a, b, c); }
inline float sqrt(float a) { return __builtin_sqrtf(a); }
inline double sqrt(double a) { return __builtin_sqrt(a); }
inline float abs(float a) { return __builtin_fabsf(a); }
inline double abs(double a) { return __builtin_fabs(a); }
#endif
// b unless a is strictly greater: like the x86 instruction, so NaN in a yields b.
STEEPEST_HOST_DEVICE inline float max_raw(float a, float b) { return a > b ? a : b; }
STEEPEST_HOST_DEVICE inline double max_raw(double a, double b) { return a > b ? a : b; }
STEEPEST_HOST_DEVICE inline bool cmp_gt(float a, float b) { return a > b; }
STEEPEST_HOST_DEVICE inline bool cmp_gt(double a, double b) { return a > b; }
STEEPEST_HOST_DEVICE inline bool cmp_lt(float a, float b) { return a < b; }
STEEPEST_HOST_DEVICE inline bool cmp_lt(double a, double b) { return a < b; }
STEEPEST_HOST_DEVICE inline float select(bool m, float a, float b) { return m ? a : b; }
STEEPEST_HOST_DEVICE inline double select(bool m, double a, double b) { return m ? a : b; }
STEEPEST_HOST_DEVICE inline bool isnan(float a) { return a != a; }
STEEPEST_HOST_DEVICE inline bool isnan(double a) { return a != a; }

template <class V> struct IsScalar { static constexpr bool value = false; };
template <> struct IsScalar<float> { static constexpr bool value = true; };
template <> struct IsScalar<double> { static constexpr bool value = true; };

// A scalar of the element type as a V (every lane equal).
template <class V, class T> STEEPEST_HOST_DEVICE inline V splat(T x) {
  if constexpr (IsScalar<V>::value) return V(x);
  else return V::broadcast(x);
}

// torch's ops on float tensors with Python-scalar arguments, as their CPU kernels compute
// them (docs/optimizers.md §0.1); the scalars arrive already rounded to the element type.
// x.lerp_(y, w): w and 1-w are per-step constants, and so is the branch on |w| < 0.5.
template <class T> struct Lerp {
  T w = 0, one_minus_w = 0;
  bool small = true;
  Lerp() = default;
  STEEPEST_HOST_DEVICE explicit Lerp(double weight)
      : w(T(weight)), one_minus_w(T(1) - T(weight)), small((w < 0 ? -w : w) < T(0.5)) {}
  template <class V> STEEPEST_HOST_DEVICE V operator()(V x, V y) const {
    V d = y - x;
    return small ? fma(splat<V>(w), d, x) : fma(-d, splat<V>(one_minus_w), y);
  }
};
// x.addcmul_(y, z, value=v) = fma(v*y, z, x)
template <class V> STEEPEST_HOST_DEVICE inline V addcmul(V x, V v, V y, V z) { return fma(v * y, z, x); }
// x.addcdiv_(y, z, value=v) = x + (v*y)/z (no fma)
template <class V> STEEPEST_HOST_DEVICE inline V addcdiv(V x, V v, V y, V z) { return x + (v * y) / z; }
// torch.maximum: the larger, and NaN when either is NaN (max_raw alone keeps a NaN only
// from b, so a NaN already in a running max would be forgotten).
template <class V> STEEPEST_HOST_DEVICE inline V maximum(V a, V b) { return select(isnan(a), a, max_raw(a, b)); }
// torch.sign: +1, -1, and 0 for zeros and NaN.
template <class V> STEEPEST_HOST_DEVICE inline V sign(V x) {
  V zero = splat<V>(0.0f), one = splat<V>(1.0f);
  return select(cmp_gt(x, zero), one, select(cmp_lt(x, zero), -one, zero));
}

}  // namespace STEEPEST_UPDATES_ABI

// How an optimizer applies weight decay (Step structs carry it as an int).
enum class Decay : int { None = 0, L2 = 1, Decoupled = 2 };

// Array slots of an update: every functor sees x[kParam] and x[kGrad], then its own state
// slots from kFirstState on, named in its header (e.g. AdamSlots::kExpAvg). The driver's plan
// fills the same slots from the rule's state lists, so no index is written twice.
enum Slot : int { kParam = 0, kGrad = 1, kFirstState = 2 };
constexpr int kMaxSlots = 6;

inline namespace STEEPEST_UPDATES_ABI {

// Run-time flags of a Step turned into compile-time template arguments: each kernel's
// visit() picks its functor instantiation with these (one branch per chunk, none per element).
template <bool B> struct BoolC { static constexpr bool value = B; };
template <class Fn> STEEPEST_HOST_DEVICE inline void with_bool(bool b, Fn&& fn) {
  if (b) fn(BoolC<true>{});
  else fn(BoolC<false>{});
}
template <Decay D> struct DecayC { static constexpr Decay value = D; };
template <class Fn> STEEPEST_HOST_DEVICE inline void with_decay(int d, Fn&& fn) {
  if (d == int(Decay::L2)) fn(DecayC<Decay::L2>{});
  else if (d == int(Decay::Decoupled)) fn(DecayC<Decay::Decoupled>{});
  else fn(DecayC<Decay::None>{});
}
template <int M> struct IntC { static constexpr int value = M; };
// 0, 1 or 2 as a compile-time int (momentum modes: none, running, first step).
template <class Fn> STEEPEST_HOST_DEVICE inline void with_mode(int m, Fn&& fn) {
  if (m == 0) fn(IntC<0>{});
  else if (m == 1) fn(IntC<1>{});
  else fn(IntC<2>{});
}
}  // namespace STEEPEST_UPDATES_ABI

#define STEEPEST_C(x) decltype(x)::value

// The slots a functor reads (bit k = slot k). By default the first kArrays; a functor whose
// slots have gaps (a configuration without some state) lists them in `kUses`.
template <class F, class = void> struct UsesOf { static constexpr unsigned value = (1u << F::kArrays) - 1u; };
template <class F> struct UsesOf<F, decltype(void(F::kUses))> { static constexpr unsigned value = F::kUses; };
// The slots a functor never stores: the grad always, plus its `kReadOnly` bits.
template <class F, class = void> struct ReadOnlyOf { static constexpr unsigned value = 1u << kGrad; };
template <class F> struct ReadOnlyOf<F, decltype(void(F::kReadOnly))> {
  static constexpr unsigned value = F::kReadOnly | (1u << kGrad);
};

}  // namespace steepest::optim::updates
