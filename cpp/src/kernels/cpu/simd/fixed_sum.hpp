// Sums whose rounding does not depend on the vector width or the thread count. Term i always
// goes to virtual lane i mod K (K fixed per call site, not per ISA), each lane adds its terms
// in index order, and the K lanes are combined by one fixed halving tree. So the scalar,
// AVX2, AVX-512 and NEON builds of a kernel that sums through here return the same bits
// (the rest of the kernel must compute each term the same way: simd/math.hpp does).
#pragma once
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {

// The N terms one call of a sum's term function returns: for a vector V, the terms of the W
// values starting at its index, lane by lane.
template <class V, int N>
struct Terms {
  V t[N];
};

// out[s] = sum over i < n of term s of element i, for s < N. terms(U{}, i) is called once for
// every index i (U = Vec<T> for whole vectors of values, U = T for the last n mod K), in
// increasing order, so it may also store per-element results as a side effect.
// K must be a multiple of every ISA's lane count for T (64 bytes of T covers AVX-512).
template <int K, class T, int N, class F>
inline void fixed_sums(int64_t n, F terms, T (&out)[N]) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  static_assert(K % W == 0 && (K & (K - 1)) == 0, "K: a power of two, whole vectors");
  constexpr int R = K / W;
  V acc[N][R];
  for (int s = 0; s < N; ++s)
    for (int r = 0; r < R; ++r) acc[s][r] = vbroadcast<V>(T(0));
  int64_t i = 0;
  for (; i + K <= n; i += K) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      Terms<V, N> t = terms(V{}, i + int64_t(r) * W);
      for (int s = 0; s < N; ++s) acc[s][r] = acc[s][r] + t.t[s];
    }
  }
  alignas(64) T lane[N][K];
  for (int s = 0; s < N; ++s)
    for (int r = 0; r < R; ++r) vstore(lane[s] + r * W, acc[s][r]);
  // The last n - i < K terms land in lanes 0, 1, ...: where a full group's would.
  for (int64_t j = i; j < n; ++j) {
    Terms<T, N> t = terms(T{}, j);
    for (int s = 0; s < N; ++s) lane[s][j - i] = lane[s][j - i] + t.t[s];
  }
  for (int s = 0; s < N; ++s) {
    for (int w = K / 2; w >= 1; w /= 2)
      for (int l = 0; l < w; ++l) lane[s][l] = lane[s][l] + lane[s][l + w];
    out[s] = lane[s][0];
  }
}

// One sum (N = 1).
template <int K, class T, class F>
inline T fixed_sum(int64_t n, F term) {
  T out[1];
  fixed_sums<K, T, 1>(n, [&](auto u, int64_t i) { return Terms<decltype(u), 1>{{term(u, i)}}; }, out);
  return out[0];
}

// Virtual lanes of the sums: 64 bytes' worth of values times 4 (enough independent
// accumulators for an AVX2 pipeline; an AVX-512 one runs half as many, twice as wide).
template <class T> constexpr int kFixedLanes = 256 / int(sizeof(T));
// For rows that are often short (a layer norm's features, a softmax's classes): half as many.
template <class T> constexpr int kRowLanes = 128 / int(sizeof(T));

}  // namespace steepest::kernels::STEEPEST_ISA
