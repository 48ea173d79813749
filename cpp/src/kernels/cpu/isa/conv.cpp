// The direct convolution of one ISA (kernel_table.hpp, ConvDirectArgs): vectors run across the
// output width, a register tile holds kRows output vectors of kConvDirectBlock output
// channels, and each step loads kRows input vectors and broadcasts one packed weight per
// channel. No column matrix: the input is read where it lies (already padded by the caller).
// Lanes never mix, so every output is the same fma chain whatever the vector width.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

constexpr int kBlock = int(kConvDirectBlock);
// Output vectors per tile: kRows * kBlock accumulators, kRows input vectors and one broadcast
// must fit the register file (16 vector registers on AVX2, 32 on AVX-512 and NEON).
#if defined(STEEPEST_ISA_avx512) || defined(STEEPEST_ISA_neon)
constexpr int kRows = 6;
#elif defined(STEEPEST_ISA_avx2)
constexpr int kRows = 3;
#else
constexpr int kRows = 2;
#endif

// One tile: R output vectors (input offsets xo, output offsets yo) of the block whose packed
// weights are wb and whose first channel is o0 (nvalid of them real). valid_lanes < the vector
// width means the rows are narrower than a vector: only that many lanes are stored.
template <int R, class T>
void tile(const ConvDirectArgs<T>& a, const T* wb, int64_t o0, int64_t nvalid, const int64_t* xo, const int64_t* yo,
          int64_t valid_lanes) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  V acc[R][kBlock];
  for (int q = 0; q < kBlock; ++q) {
    const V b = vbroadcast<V>(a.bias && q < nvalid ? a.bias[o0 + q] : T(0));
    for (int r = 0; r < R; ++r) acc[r][q] = b;
  }
  const int64_t kk = a.kernel_h * a.kernel_w, row_step = a.dil_h * a.ld;
  for (int64_t c = 0; c < a.channels; ++c) {
    const T* xc = a.x + c * a.plane;
    const T* wc = wb + c * kk * kBlock;
    for (int64_t i = 0; i < a.kernel_h; ++i) {
      const T* xi = xc + i * row_step;
      const T* wi = wc + i * a.kernel_w * kBlock;
      for (int64_t j = 0; j < a.kernel_w; ++j) {
        const T* xij = xi + j * a.dil_w;
        const T* wij = wi + j * kBlock;
        V xv[R];
        for (int r = 0; r < R; ++r) xv[r] = vload<V>(xij + xo[r]);
        for (int q = 0; q < kBlock; ++q) {
          const V wv = vbroadcast<V>(wij[q]);
          for (int r = 0; r < R; ++r) acc[r][q] = fma(xv[r], wv, acc[r][q]);
        }
      }
    }
  }
  const int64_t hw = a.out_h * a.out_w;
  for (int q = 0; q < kBlock && q < nvalid; ++q) {
    T* yq = a.y + (o0 + q) * hw;
    for (int r = 0; r < R; ++r) {
      if (valid_lanes >= W) {
        vstore(yq + yo[r], acc[r][q]);
      } else {
        T buf[W];
        vstore(buf, acc[r][q]);
        for (int64_t l = 0; l < valid_lanes; ++l) yq[yo[r] + l] = buf[l];
      }
    }
  }
}

template <class T>
void tile_n(int n, const ConvDirectArgs<T>& a, const T* wb, int64_t o0, int64_t nvalid, const int64_t* xo,
            const int64_t* yo, int64_t valid_lanes) {
  switch (n) {
#if defined(STEEPEST_ISA_avx512) || defined(STEEPEST_ISA_neon)
    case 6: tile<6>(a, wb, o0, nvalid, xo, yo, valid_lanes); break;
    case 5: tile<5>(a, wb, o0, nvalid, xo, yo, valid_lanes); break;
    case 4: tile<4>(a, wb, o0, nvalid, xo, yo, valid_lanes); break;
#endif
#if !defined(STEEPEST_ISA_scalar)
    case 3: tile<3>(a, wb, o0, nvalid, xo, yo, valid_lanes); break;
#endif
    case 2: tile<2>(a, wb, o0, nvalid, xo, yo, valid_lanes); break;
    default: tile<1>(a, wb, o0, nvalid, xo, yo, valid_lanes); break;
  }
}

// The output is cut into vectors: each output row into ceil(out_w / W) of them, the last one
// shifted left to end at the row's end (it recomputes a few outputs of its neighbour, the same
// bits, rather than storing a partial vector); rows narrower than a vector take one partial
// vector. Tiles take up to kRows consecutive vectors, for each block of output channels in turn.
template <class T>
void conv_direct(const ConvDirectArgs<T>& a) {
  constexpr int W = lanes<Vec<T>>();
  if (a.out_channels <= 0 || a.out_h <= 0 || a.out_w <= 0) return;
  const int64_t per_row = a.out_w >= W ? (a.out_w + W - 1) / W : 1;
  const int64_t valid_lanes = a.out_w >= W ? W : a.out_w;
  const int64_t count = a.out_h * per_row, blocks = (a.out_channels + kBlock - 1) / kBlock;
  const int64_t wblock = a.channels * a.kernel_h * a.kernel_w * kBlock;
  // Blocks outer: one block's packed weights (channels * taps * kBlock values) stay in L1
  // while the tiles stream the input past them.
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t o0 = b * kBlock;
    // tiles of nearly equal size (28 vectors on 3 rows: 3 x 8 + 2 x 2, not 3 x 9 + 1): a
    // one-vector tile loads as many weights as a full one for a third of the fmas
    const int64_t tiles = (count + kRows - 1) / kRows;
    for (int64_t k = 0, p0 = 0; k < tiles; ++k) {
      const int n = int(count / tiles + (k < count % tiles ? 1 : 0));
      int64_t xo[kRows], yo[kRows];
      for (int r = 0; r < n; ++r) {
        const int64_t oh = (p0 + r) / per_row, v = (p0 + r) % per_row;
        int64_t ow = v * W;
        if (a.out_w >= W && ow + W > a.out_w) ow = a.out_w - W;
        xo[r] = oh * a.stride_h * a.ld + ow;
        yo[r] = oh * a.out_w + ow;
      }
      tile_n(n, a, a.w + b * wblock, o0, a.out_channels - o0, xo, yo, valid_lanes);
      p0 += n;
    }
  }
}

}  // namespace

void register_conv(KernelTable& t) {
  t.f32.conv_direct = conv_direct<float>;
  t.f32.conv_lanes = lanes<Vec<float>>();
  t.f64.conv_direct = conv_direct<double>;
  t.f64.conv_lanes = lanes<Vec<double>>();
}

}  // namespace steepest::kernels::STEEPEST_ISA
