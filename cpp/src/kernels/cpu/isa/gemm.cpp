// The deterministic GEMM and dot of one ISA (used under use_deterministic_algorithms): every
// element of C is the one sequence acc = fma(A[i,k], B[k,j], acc), k = 0, 1, ..., K-1, from
// acc = 0, then alpha * acc (+ beta * C). Vectors run across j (each lane owns one element of
// C and never mixes with another), so the vector width, the register tile and the way rows
// are split over threads change the speed and never the bits.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/fixed_sum.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

// Register tile: kMR rows of C by kNV vectors (6 x 16 floats on AVX2: 12 accumulators, 2 B
// vectors and a broadcast fill 15 of 16 registers). kMC rows of A are kept hot per packed panel.
constexpr int kMR = 6;
constexpr int kNV = 2;
constexpr int64_t kMC = 96;
static_assert(kMC == kGemmFixedRows, "the caller sizes the scratch by kGemmFixedRows");

// Writes alpha * acc (+ beta * c) to c: the one rounding sequence every path shares.
template <class U, class T>
inline U finish(U acc, T alpha, T beta, const T* c_old) {
  U r = alpha == T(1) ? acc : acc * vbroadcast<U>(alpha);
  if (beta != T(0)) r = r + vbroadcast<U>(beta) * vload<U>(c_old);
  return r;
}

// C[0..MR) x [0..NR) of a tile; bp is the packed panel (k rows of NR values), nv the number
// of valid columns (the padding lanes compute on zeros and are not stored).
template <int MR, class T>
void tile(int64_t k, const T* a, int64_t lda, const T* bp, T alpha, T beta, T* c, int64_t ldc, int64_t nv) {
  using V = Vec<T>;
  constexpr int W = lanes<V>(), NR = kNV * W;
  V acc[MR][kNV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < kNV; ++v) acc[r][v] = vbroadcast<V>(T(0));
  for (int64_t p = 0; p < k; ++p) {
    V b[kNV];
    for (int v = 0; v < kNV; ++v) b[v] = vload<V>(bp + p * NR + v * W);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      V av = vbroadcast<V>(a[r * lda + p]);
      for (int v = 0; v < kNV; ++v) acc[r][v] = fma(av, b[v], acc[r][v]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    T* cr = c + r * ldc;
    if (nv == NR) {
      for (int v = 0; v < kNV; ++v) vstore(cr + v * W, finish(acc[r][v], alpha, beta, cr + v * W));
    } else {
      alignas(64) T lanes_buf[NR];
      for (int v = 0; v < kNV; ++v) vstore(lanes_buf + v * W, acc[r][v]);
      for (int64_t j = 0; j < nv; ++j) cr[j] = finish(lanes_buf[j], alpha, beta, cr + j);
    }
  }
}

template <class T>
void tile_rows(int mr, int64_t k, const T* a, int64_t lda, const T* bp, T alpha, T beta, T* c, int64_t ldc,
               int64_t nv) {
  switch (mr) {
    case 6: tile<6>(k, a, lda, bp, alpha, beta, c, ldc, nv); break;
    case 5: tile<5>(k, a, lda, bp, alpha, beta, c, ldc, nv); break;
    case 4: tile<4>(k, a, lda, bp, alpha, beta, c, ldc, nv); break;
    case 3: tile<3>(k, a, lda, bp, alpha, beta, c, ldc, nv); break;
    case 2: tile<2>(k, a, lda, bp, alpha, beta, c, ldc, nv); break;
    default: tile<1>(k, a, lda, bp, alpha, beta, c, ldc, nv); break;
  }
}

// C = alpha op(A) op(B) + beta C, row-major, op = transpose when ta / tb. Transposed operands
// are packed, not multiplied differently: A^T block by block into rows, B^T panel by panel
// (each panel reads NR rows of B, contiguous in k). ws holds (kMC + kGemmFixedPanel) * k
// values: the A block and the packed panel of B (NR columns, zero-padded past n).
template <class T>
void gemm_fixed(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                int64_t ldb, T beta, T* c, int64_t ldc, T* ws) {
  constexpr int W = lanes<Vec<T>>(), NR = kNV * W;
  T* apack = ws;
  T* bpack = ws + kMC * k;
  for (int64_t i0 = 0; i0 < m; i0 += kMC) {
    const int64_t mc = m - i0 < kMC ? m - i0 : kMC;
    const T* ablock = a + i0 * lda;
    int64_t ald = lda;
    if (ta) {  // op(A) rows i0.. are columns of A: gather them into rows of k values
      for (int64_t p = 0; p < k; ++p) {
        const T* arow = a + p * lda + i0;
        for (int64_t i = 0; i < mc; ++i) apack[i * k + p] = arow[i];
      }
      ablock = apack;
      ald = k;
    }
    for (int64_t j0 = 0; j0 < n; j0 += NR) {
      const int64_t nv = n - j0 < NR ? n - j0 : NR;
      if (!tb) {
        for (int64_t p = 0; p < k; ++p) {
          const T* brow = b + p * ldb + j0;
          T* dst = bpack + p * NR;
          for (int64_t j = 0; j < nv; ++j) dst[j] = brow[j];
          for (int64_t j = nv; j < NR; ++j) dst[j] = T(0);
        }
      } else {  // op(B) columns j0.. are rows of B
        for (int64_t j = 0; j < NR; ++j) {
          const T* bcol = b + (j0 + j) * ldb;
          for (int64_t p = 0; p < k; ++p) bpack[p * NR + j] = j < nv ? bcol[p] : T(0);
        }
      }
      for (int64_t i = 0; i < mc; i += kMR) {
        const int mr = int(mc - i < kMR ? mc - i : kMR);
        tile_rows(mr, k, ablock + i * ald, ald, bpack, alpha, beta, c + (i0 + i) * ldc + j0, ldc, nv);
      }
    }
  }
}

// B (k, n), element (p, j) at b[p * rs + j * cs], packed once into the panels gemm_fixed
// packs per call: panel q holds columns q NR.. as k rows of NR values, zeros past n. A
// product that reuses one B many times (the recurrent layers' hidden weights, once per step)
// then skips the packing.
template <class T>
void gemm_pack(int64_t k, int64_t n, const T* b, int64_t rs, int64_t cs, T* packed) {
  constexpr int NR = kNV * lanes<Vec<T>>();
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    T* panel = packed + j0 * k;
    const int64_t nv = n - j0 < NR ? n - j0 : NR;
    if (rs == 1) {  // read each column of B in order
      for (int64_t j = 0; j < NR; ++j)
        for (int64_t p = 0; p < k; ++p) panel[p * NR + j] = j < nv ? b[p + (j0 + j) * cs] : T(0);
    } else {
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < NR; ++j) panel[p * NR + j] = j < nv ? b[p * rs + (j0 + j) * cs] : T(0);
    }
  }
}

// C (m, n) = A (m, k; lda) B + beta C with B as gemm_pack left it, bp at the panel of C's
// first column (n may end inside a panel). Each element is gemm_fixed's fma chain.
template <class T>
void gemm_packed(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* bp, T beta, T* c, int64_t ldc) {
  constexpr int NR = kNV * lanes<Vec<T>>();
  // Rows in tiles of kMR, except that a short last tile (1 to 3 rows, too few accumulators to
  // keep the FMA units busy) shares the last kMR + rest rows with the one before: 32 rows run
  // as 6, 6, 6, 6, 4, 4 rather than 6, 6, 6, 6, 6, 2.
  const int64_t rest = m % kMR, even = rest > 0 && rest < kMR / 2 && m > kMR ? m - kMR - rest : m;
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    const int64_t nv = n - j0 < NR ? n - j0 : NR;
    for (int64_t i = 0; i < m;) {
      const int64_t left = m - i;
      const int mr = int(i < even ? (left < kMR ? left : kMR) : i == even ? (left + 1) / 2 : left);
      tile_rows(mr, k, a + i * lda, lda, bp + j0 * k, T(1), beta, c + i * ldc + j0, ldc, nv);
      i += mr;
    }
  }
}

// sum x[i] y[i] in fixed lanes (both unit stride).
template <class T>
T dot_fixed(const T* x, const T* y, int64_t n) {
  return fixed_sum<kFixedLanes<T>, T>(n, [x, y](auto u, int64_t i) {
    using U = decltype(u);
    return vload<U>(x + i) * vload<U>(y + i);
  });
}

template <class T>
void fill(TypedKernels<T>& t) {
  t.gemm_fixed = gemm_fixed<T>;
  t.dot_fixed = dot_fixed<T>;
  t.gemm_panel = kNV * lanes<Vec<T>>();
  t.gemm_pack = gemm_pack<T>;
  t.gemm_packed = gemm_packed<T>;
}

}  // namespace

void register_gemm(KernelTable& t) {
  fill(t.f32);
  fill(t.f64);
}

}  // namespace steepest::kernels::STEEPEST_ISA
