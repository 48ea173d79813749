// The bfloat16 GEMM on AVX512_BF16 (vdpbf16ps): op(B) packed in panels of kNR columns and op(A)
// in panels of kMR rows, both with the two values of a k-pair side by side in one 32-bit word
// (the layout vdpbf16ps multiplies), then a 12x32 register tile per micro-kernel call: per
// k-pair two 16-lane loads of B and 24 vdpbf16ps whose A operand is a broadcast 32-bit word.
// Cache blocking: kKC values of k (B's micro-panel stays in L1), kMC rows of A (in L2), kNC
// columns of B. Compiled alone with -mavx512bf16 and called only after the CPU check.
#include "kernels/cpu/bf16/gemm_avx512bf16.hpp"

#include <immintrin.h>

namespace steepest::kernels::avx512bf16 {
namespace {

constexpr int kNV = int(kNR / 16);  // zmm vectors per tile row
constexpr int kRows = int(kMR);
constexpr int64_t kKC = 512;  // values of k per block (even)
constexpr int64_t kMC = 192;  // rows of A per block (a multiple of kMR)
constexpr int64_t kNC = 512;  // columns of B per block (a multiple of kNR)

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }
// Row stride of the float32 staging C: one cache line past a multiple of 16, so that the 12
// rows of a tile do not all fall into one L1 set when n is a power of two.
inline int64_t staged_ld(int64_t n) { return round_up(n, 16) + 16; }

inline uint32_t load32(const uint16_t* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

// Lane order of a pair interleave: word 2j from the first row's j, word 2j+1 from the second's.
alignas(64) const uint16_t kInterleave[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                              8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};

// 16 (or fewer, by mask) values of two rows, interleaved into 16 pairs.
inline __m512i interleave(const uint16_t* r0, const uint16_t* r1, __mmask16 mask) {
  const __m256i x0 = _mm256_maskz_loadu_epi16(mask, r0);
  const __m256i x1 = r1 ? _mm256_maskz_loadu_epi16(mask, r1) : _mm256_setzero_si256();
  const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(x0), x1, 1);
  return _mm512_permutexvar_epi16(_mm512_load_si512(kInterleave), z);
}

inline __mmask16 lanes(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u); }

// Rows k0.. k0+kc of op(X) restricted to `width` columns c0.. as panels of `panel` columns:
// out[(c / panel) * kp * panel + p * panel + c % panel] = (X(2p, c), X(2p+1, c)), zero-padded.
// `along_rows`: op(X)(kk, c) = x[kk * ld + c] (pairs from two rows), else x[c * ld + kk].
template <int64_t panel>
void pack(bool along_rows, const uint16_t* x, int64_t ld, int64_t k0, int64_t kc, int64_t c0, int64_t width,
          uint32_t* out) {
  const int64_t kp = (kc + 1) / 2;
  if (along_rows) {  // row pair by row pair, each read whole (sequential), spread over the panels
    for (int64_t p = 0; p < kp; ++p) {
      const uint16_t* r0 = x + (k0 + 2 * p) * ld + c0;
      const uint16_t* r1 = 2 * p + 1 < kc ? r0 + ld : nullptr;
      for (int64_t cp = 0; cp < width; cp += panel) {
        const int64_t w = min64(panel, width - cp);
        uint32_t* o = out + (cp / panel) * kp * panel + p * panel;
        for (int64_t v = 0; v < panel; v += 16) {
          const int64_t left = w - v;
          const __m512i z =
              left > 0 ? interleave(r0 + cp + v, r1 ? r1 + cp + v : nullptr, lanes(left)) : _mm512_setzero_si512();
          if (v + 16 <= panel) _mm512_storeu_si512(o + v, z);
          else _mm512_mask_storeu_epi32(o + v, lanes(panel - v), z);
        }
      }
    }
    return;
  }
  for (int64_t cp = 0; cp < width; cp += panel) {
    const int64_t w = min64(panel, width - cp);
    uint32_t* o = out + (cp / panel) * kp * panel;
    {
      const int64_t full = kc / 2;
      for (int64_t c = 0; c < panel; ++c) {
        if (c >= w) {
          for (int64_t p = 0; p < kp; ++p) o[p * panel + c] = 0;
          continue;
        }
        const uint16_t* src = x + (c0 + cp + c) * ld + k0;
        // The source rows sit ld apart, too far for the hardware prefetcher to follow from one
        // row's end to the next row's start: fetch the next row while this one is copied.
        if (c + 1 < w) {
          const char* next = reinterpret_cast<const char*>(src + ld);
          for (int64_t off = 0; off < kc * 2; off += 64) _mm_prefetch(next + off, _MM_HINT_T0);
        }
        for (int64_t p = 0; p < full; ++p) o[p * panel + c] = load32(src + 2 * p);
        if (kc & 1) o[full * panel + c] = src[kc - 1];
      }
    }
  }
}

// float32 -> bfloat16 bits, to nearest even, NaN kept a quiet NaN (as half.hpp rounds).
inline __m256i round_bf16(__m512 r) {
  const __m512i u = _mm512_castps_si512(r);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  __m512i t = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb));
  const __mmask16 nan = _mm512_cmp_ps_mask(r, r, _CMP_UNORD_Q);
  t = _mm512_mask_or_epi32(t, nan, u, _mm512_set1_epi32(0x400000));
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(t, 16));
}
inline __m512 widen_bf16(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }

// C tile (mr <= kMR rows, nr <= kNR columns) = alpha * sum over kp pairs + beta * C.
void micro(int64_t kp, const uint32_t* pa, const uint32_t* pb, int64_t mr, int64_t nr, float alpha, float beta,
           float* c32, uint16_t* c16, int64_t ldc) {
  // The k loop in assembly: GCC spills the 12x2 accumulators once the A broadcast is folded
  // into vdpbf16ps ({1to16}) through asm operands, so the loop is written out with fixed
  // registers: zmm0-23 accumulate tile row i in zmm(2i), zmm(2i+1); zmm30/31 hold B's two
  // vectors of the k-pair. The sums land in acc for the stores below.
  static_assert(kRows == 12 && kNV == 2, "the asm loop below is written for a 12x32 tile");
  // Fetch the C tile now so that it arrives while the k loop runs: from the second k block
  // on C is read back, and a tile of a large C is no longer in cache by then.
  {
    const char* c0 = c32 ? reinterpret_cast<const char*>(c32) : reinterpret_cast<const char*>(c16);
    const int64_t row_bytes = c32 ? ldc * 4 : ldc * 2, tile_bytes = c32 ? kNR * 4 : kNR * 2;
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t off = 0; off < tile_bytes; off += 64) _mm_prefetch(c0 + i * row_bytes + off, _MM_HINT_T0);
  }
  alignas(64) float accbuf[kRows * kNV * 16];
  {
    const uint32_t* a_ = pa;
    const uint32_t* b_ = pb;
    int64_t n_ = kp;
    __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"
      "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"
      "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
      "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"
      "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"
      "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"
      "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"
      "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"
      "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"
      "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"
      "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"
      "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"
      "vpxord %%zmm14, %%zmm14, %%zmm14\n\t"
      "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"
      "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
      "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
      "vpxord %%zmm18, %%zmm18, %%zmm18\n\t"
      "vpxord %%zmm19, %%zmm19, %%zmm19\n\t"
      "vpxord %%zmm20, %%zmm20, %%zmm20\n\t"
      "vpxord %%zmm21, %%zmm21, %%zmm21\n\t"
      "vpxord %%zmm22, %%zmm22, %%zmm22\n\t"
      "vpxord %%zmm23, %%zmm23, %%zmm23\n\t"
      "test %[n], %[n]\n\t"
      "jle 2f\n\t"
      "1:\n\t"
      "vmovdqu32 (%[pb]), %%zmm30\n\t"
      "vmovdqu32 64(%[pb]), %%zmm31\n\t"
      "vdpbf16ps 0(%[pa])%{1to16%}, %%zmm30, %%zmm0\n\t"
      "vdpbf16ps 0(%[pa])%{1to16%}, %%zmm31, %%zmm1\n\t"
      "vdpbf16ps 4(%[pa])%{1to16%}, %%zmm30, %%zmm2\n\t"
      "vdpbf16ps 4(%[pa])%{1to16%}, %%zmm31, %%zmm3\n\t"
      "vdpbf16ps 8(%[pa])%{1to16%}, %%zmm30, %%zmm4\n\t"
      "vdpbf16ps 8(%[pa])%{1to16%}, %%zmm31, %%zmm5\n\t"
      "vdpbf16ps 12(%[pa])%{1to16%}, %%zmm30, %%zmm6\n\t"
      "vdpbf16ps 12(%[pa])%{1to16%}, %%zmm31, %%zmm7\n\t"
      "vdpbf16ps 16(%[pa])%{1to16%}, %%zmm30, %%zmm8\n\t"
      "vdpbf16ps 16(%[pa])%{1to16%}, %%zmm31, %%zmm9\n\t"
      "vdpbf16ps 20(%[pa])%{1to16%}, %%zmm30, %%zmm10\n\t"
      "vdpbf16ps 20(%[pa])%{1to16%}, %%zmm31, %%zmm11\n\t"
      "vdpbf16ps 24(%[pa])%{1to16%}, %%zmm30, %%zmm12\n\t"
      "vdpbf16ps 24(%[pa])%{1to16%}, %%zmm31, %%zmm13\n\t"
      "vdpbf16ps 28(%[pa])%{1to16%}, %%zmm30, %%zmm14\n\t"
      "vdpbf16ps 28(%[pa])%{1to16%}, %%zmm31, %%zmm15\n\t"
      "vdpbf16ps 32(%[pa])%{1to16%}, %%zmm30, %%zmm16\n\t"
      "vdpbf16ps 32(%[pa])%{1to16%}, %%zmm31, %%zmm17\n\t"
      "vdpbf16ps 36(%[pa])%{1to16%}, %%zmm30, %%zmm18\n\t"
      "vdpbf16ps 36(%[pa])%{1to16%}, %%zmm31, %%zmm19\n\t"
      "vdpbf16ps 40(%[pa])%{1to16%}, %%zmm30, %%zmm20\n\t"
      "vdpbf16ps 40(%[pa])%{1to16%}, %%zmm31, %%zmm21\n\t"
      "vdpbf16ps 44(%[pa])%{1to16%}, %%zmm30, %%zmm22\n\t"
      "vdpbf16ps 44(%[pa])%{1to16%}, %%zmm31, %%zmm23\n\t"
      "add $128, %[pb]\n\t"
      "add $48, %[pa]\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "2:\n\t"
      "vmovups %%zmm0, 0(%[out])\n\t"
      "vmovups %%zmm1, 64(%[out])\n\t"
      "vmovups %%zmm2, 128(%[out])\n\t"
      "vmovups %%zmm3, 192(%[out])\n\t"
      "vmovups %%zmm4, 256(%[out])\n\t"
      "vmovups %%zmm5, 320(%[out])\n\t"
      "vmovups %%zmm6, 384(%[out])\n\t"
      "vmovups %%zmm7, 448(%[out])\n\t"
      "vmovups %%zmm8, 512(%[out])\n\t"
      "vmovups %%zmm9, 576(%[out])\n\t"
      "vmovups %%zmm10, 640(%[out])\n\t"
      "vmovups %%zmm11, 704(%[out])\n\t"
      "vmovups %%zmm12, 768(%[out])\n\t"
      "vmovups %%zmm13, 832(%[out])\n\t"
      "vmovups %%zmm14, 896(%[out])\n\t"
      "vmovups %%zmm15, 960(%[out])\n\t"
      "vmovups %%zmm16, 1024(%[out])\n\t"
      "vmovups %%zmm17, 1088(%[out])\n\t"
      "vmovups %%zmm18, 1152(%[out])\n\t"
      "vmovups %%zmm19, 1216(%[out])\n\t"
      "vmovups %%zmm20, 1280(%[out])\n\t"
      "vmovups %%zmm21, 1344(%[out])\n\t"
      "vmovups %%zmm22, 1408(%[out])\n\t"
      "vmovups %%zmm23, 1472(%[out])\n\t"
      : [pa] "+r"(a_), [pb] "+r"(b_), [n] "+r"(n_)
      : [out] "r"(accbuf)
      : "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10", "zmm11", "zmm12", "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21", "zmm22", "zmm23", "zmm30", "zmm31", "memory", "cc");
  }
  __m512 acc[kRows][kNV];
  for (int i = 0; i < kRows; ++i)
    for (int v = 0; v < kNV; ++v) acc[i][v] = _mm512_load_ps(accbuf + (i * kNV + v) * 16);
  __mmask16 mask[kNV];
  for (int v = 0; v < kNV; ++v) mask[v] = lanes(nr - 16 * v > 0 ? nr - 16 * v : 0);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) {
    if (i >= mr) break;
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) {
      if (!mask[v]) continue;
      __m512 r = _mm512_mul_ps(va, acc[i][v]);
      if (c32) {
        float* dst = c32 + i * ldc + 16 * v;
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], dst), r);
        _mm512_mask_storeu_ps(dst, mask[v], r);
      } else {
        uint16_t* dst = c16 + i * ldc + 16 * v;
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, widen_bf16(_mm256_maskz_loadu_epi16(mask[v], dst)), r);
        _mm256_mask_storeu_epi16(dst, mask[v], round_bf16(r));
      }
    }
  }
}

}  // namespace

int64_t workspace_bytes(int64_t m, int64_t n, int64_t k, bool c_bf16) {
  const int64_t kp = (min64(k, kKC) + 1) / 2;
  int64_t bytes = kp * (kMC + round_up(min64(n, kNC), kNR)) * 4 + 64;
  if (c_bf16 && k > kKC) bytes += m * staged_ld(n) * 4;  // float32 C while k runs over several blocks
  return bytes;
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a, int64_t lda,
          const uint16_t* b, int64_t ldb, float beta, float* c32, uint16_t* c16, int64_t ldc, void* ws) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  const int64_t kpmax = (min64(k, kKC) + 1) / 2;
  uint32_t* pa = reinterpret_cast<uint32_t*>((reinterpret_cast<uintptr_t>(ws) + 63) & ~uintptr_t(63));
  uint32_t* pb = pa + kpmax * kMC;
  float* acc32 = c32;
  int64_t ldacc = ldc;
  float beta0 = beta;
  // A bfloat16 C over several k blocks: accumulate in float32, round once at the end.
  const bool staged = c16 && k > kKC;
  if (staged) {
    acc32 = reinterpret_cast<float*>(pb + kpmax * round_up(min64(n, kNC), kNR));
    ldacc = staged_ld(n);
    beta0 = 0.0f;
  }
  uint16_t* direct16 = staged ? nullptr : c16;
  for (int64_t jc = 0; jc < n; jc += kNC) {
    const int64_t nc = min64(kNC, n - jc);
    for (int64_t pc = 0; pc < k; pc += kKC) {
      const int64_t kc = min64(kKC, k - pc), kp = (kc + 1) / 2;
      const float bt = pc == 0 ? beta0 : 1.0f;
      pack<kNR>(!tb, b, ldb, pc, kc, jc, nc, pb);
      for (int64_t ic = 0; ic < m; ic += kMC) {
        const int64_t mc = min64(kMC, m - ic);
        pack<kMR>(ta, a, lda, pc, kc, ic, mc, pa);
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          const uint32_t* bp = pb + (jr / kNR) * kp * kNR;
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            const int64_t row = ic + ir, col = jc + jr;
            micro(kp, pa + (ir / kMR) * kp * kMR, bp, min64(kMR, mc - ir), min64(kNR, nc - jr), alpha, bt,
                  direct16 ? nullptr : acc32 + row * ldacc + col, direct16 ? direct16 + row * ldc + col : nullptr,
                  direct16 ? ldc : ldacc);
          }
        }
      }
    }
  }
  if (!staged) return;
  const __m512 vb = _mm512_set1_ps(beta);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; j += 16) {
      const __mmask16 mk = lanes(n - j);
      __m512 r = _mm512_maskz_loadu_ps(mk, acc32 + i * ldacc + j);
      uint16_t* dst = c16 + i * ldc + j;
      if (beta != 0.0f) r = _mm512_fmadd_ps(vb, widen_bf16(_mm256_maskz_loadu_epi16(mk, dst)), r);
      _mm256_mask_storeu_epi16(dst, mk, round_bf16(r));
    }
  }
}

float peak_loop(int64_t iters) {
  __m512 acc[24];
  for (int j = 0; j < 24; ++j) acc[j] = _mm512_setzero_ps();
  __m512i x = _mm512_set1_epi32(0x3f803f80), y = _mm512_set1_epi32(0x3c003c00);  // 1.0 and 2^-7 pairs
  __asm__ volatile("" : "+v"(x), "+v"(y));  // opaque: the loop cannot be folded
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int j = 0; j < 24; ++j) acc[j] = _mm512_dpbf16_ps(acc[j], (__m512bh)x, (__m512bh)y);
  }
  __m512 s = acc[0];
  for (int j = 1; j < 24; ++j) s = _mm512_add_ps(s, acc[j]);
  return _mm512_reduce_add_ps(s);
}

}  // namespace steepest::kernels::avx512bf16
