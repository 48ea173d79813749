// The direct convolutions of one ISA (kernel_table.hpp, ConvDirectArgs). conv_direct: vectors
// run across the output width, a register tile holds kRows output vectors of kConvDirectBlock
// output channels, and each step loads kRows input vectors and broadcasts one packed weight
// per channel. conv_direct_oc: vectors run across output channels, a tile holds kOcRows
// output positions of kOcVecs vectors of channels, and each step loads kOcVecs weight vectors
// and broadcasts one input value per position (rows of 14 on 8 lanes waste an eighth of the
// first kernel's fmas; 64 channels fill this one's). No column matrix: the input is read where
// it lies (already padded by the caller). Lanes never mix, so every output is the same fma
// chain whatever the kernel and the vector width.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

constexpr int kBlock = int(kConvDirectBlock);
// Tile sizes, each bounded by the register file (16 vector registers on AVX2, 32 on AVX-512 and
// NEON). Width kernel: kRows * kBlock accumulators, kRows input vectors and one broadcast.
// Channel kernel: kOcRows positions x kOcVecs vectors of accumulators, kOcVecs weight vectors
// and one broadcast.
constexpr int kOcVecs = 2;
#if defined(STEEPEST_ISA_avx512) || defined(STEEPEST_ISA_neon)
constexpr int kRows = 6, kOcRows = 12;
#elif defined(STEEPEST_ISA_avx2)
constexpr int kRows = 3, kOcRows = 6;
#else
constexpr int kRows = 2, kOcRows = 2;
#endif

// The size of part k when `len` items are cut into `parts` parts of nearly equal size (the
// first len % parts of them one larger).
inline int even_part(int64_t len, int64_t parts, int64_t k) { return int(len / parts + (k < len % parts ? 1 : 0)); }

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
      const int n = even_part(count, tiles, k);
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

// Positions per staged chunk of the channel kernel: its tiles write kOcVecs * W-channel vectors
// to a channel-last stage (chunk x block values, on the stack: 24 KB at most), transposed into
// y's channel planes once per chunk, so that y is written row by row (as fast as scattering
// each tile's few outputs into its planes at 14x14 on AVX2; kinder to large images).
constexpr int kOcChunk = 16 * kOcRows;

// The tile both channel kernels share: for its P rows r and the block's B = kOcVecs * W
// channels, out[r][0..B) = init[r] + sum over steps s of vec[s][0..B) * x[roff[r] + soff[s]],
// one fma chain per output in the order of s. The forward's rows are output positions and its
// steps the terms (channel, tap) with the packed weights as vec; the weight gradient's rows are
// terms and its steps output positions, with the output gradient (channel-last) as vec. init
// rows are init_stride apart (0: one row for all, the bias).
template <int P, class T>
void tile_oc(const T* x, const int64_t* roff, const int64_t* soff, int64_t steps, const T* vec, const T* init,
             int64_t init_stride, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>(), B = kOcVecs * W;
  const T* xp[P];
  for (int p = 0; p < P; ++p) xp[p] = x + roff[p];
  V acc[P][kOcVecs];
  for (int p = 0; p < P; ++p)
    for (int k = 0; k < kOcVecs; ++k) acc[p][k] = vload<V>(init + p * init_stride + k * W);
  const T* v = vec;
  for (int64_t s = 0; s < steps; ++s, v += B) {
    const int64_t o = soff[s];
    V wv[kOcVecs];
    for (int k = 0; k < kOcVecs; ++k) wv[k] = vload<V>(v + k * W);
    for (int p = 0; p < P; ++p) {
      const V xb = vbroadcast<V>(xp[p][o]);
      for (int k = 0; k < kOcVecs; ++k) acc[p][k] = fma(xb, wv[k], acc[p][k]);
    }
  }
  for (int p = 0; p < P; ++p)
    for (int k = 0; k < kOcVecs; ++k) vstore(out + p * B + k * W, acc[p][k]);
}

template <class T>
void tile_oc_n(int n, const T* x, const int64_t* roff, const int64_t* soff, int64_t steps, const T* vec,
               const T* init, int64_t init_stride, T* out) {
  switch (n) {
#if defined(STEEPEST_ISA_avx512) || defined(STEEPEST_ISA_neon)
    case 12: tile_oc<12>(x, roff, soff, steps, vec, init, init_stride, out); break;
    case 11: tile_oc<11>(x, roff, soff, steps, vec, init, init_stride, out); break;
    case 10: tile_oc<10>(x, roff, soff, steps, vec, init, init_stride, out); break;
    case 9: tile_oc<9>(x, roff, soff, steps, vec, init, init_stride, out); break;
    case 8: tile_oc<8>(x, roff, soff, steps, vec, init, init_stride, out); break;
    case 7: tile_oc<7>(x, roff, soff, steps, vec, init, init_stride, out); break;
#endif
#if !defined(STEEPEST_ISA_scalar)
    case 6: tile_oc<6>(x, roff, soff, steps, vec, init, init_stride, out); break;
    case 5: tile_oc<5>(x, roff, soff, steps, vec, init, init_stride, out); break;
    case 4: tile_oc<4>(x, roff, soff, steps, vec, init, init_stride, out); break;
    case 3: tile_oc<3>(x, roff, soff, steps, vec, init, init_stride, out); break;
#endif
    case 2: tile_oc<2>(x, roff, soff, steps, vec, init, init_stride, out); break;
    default: tile_oc<1>(x, roff, soff, steps, vec, init, init_stride, out); break;
  }
}

// Blocks of channels outer (their packed weights stay in cache while the positions stream
// past); per block, chunks of kOcChunk positions, each cut into tiles of nearly equal size
// (a one-position tile loads as many weights as a full one for a sixth of the fmas).
template <class T>
void conv_direct_oc(const ConvDirectArgs<T>& a) {
  constexpr int64_t B = kOcVecs * lanes<Vec<T>>();
  if (a.out_channels <= 0 || a.out_h <= 0 || a.out_w <= 0) return;
  const int64_t count = a.out_h * a.out_w, blocks = (a.out_channels + B - 1) / B;
  const int64_t terms = a.channels * a.kernel_h * a.kernel_w, wblock = terms * B;
  alignas(64) T stage[kOcChunk * B];
  alignas(64) T bias[B];
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t o0 = b * B, nvalid = a.out_channels - o0 < B ? a.out_channels - o0 : B;
    for (int64_t q = 0; q < B; ++q) bias[q] = a.bias && q < nvalid ? a.bias[o0 + q] : T(0);
    int64_t oh = 0, ow = 0;  // of the next position, stepped along (no division per tile)
    for (int64_t c0 = 0; c0 < count; c0 += kOcChunk) {
      const int64_t len = count - c0 < kOcChunk ? count - c0 : kOcChunk, tiles = (len + kOcRows - 1) / kOcRows;
      for (int64_t k = 0, p0 = 0; k < tiles; ++k) {
        const int n = even_part(len, tiles, k);
        int64_t xo[kOcRows];
        for (int p = 0; p < n; ++p) {
          xo[p] = oh * a.stride_h * a.ld + ow;
          if (++ow == a.out_w) ow = 0, ++oh;
        }
        tile_oc_n(n, a.x, xo, a.taps, terms, a.w + b * wblock, bias, 0, stage + p0 * B);
        p0 += n;
      }
      for (int64_t q = 0; q < nvalid; ++q) {
        T* yq = a.y + (o0 + q) * count + c0;
        const T* sq = stage + q;
        for (int64_t p = 0; p < len; ++p) yq[p] = sq[p * B];
      }
    }
  }
}

// One sample's share of the weight gradient (ConvWeightOcArgs): for every block and the terms
// [t0, t1), tiles of nearly equal size over the terms, each running over all the positions.
template <class T>
void conv_weight_oc(const ConvWeightOcArgs<T>& a) {
  constexpr int64_t B = kOcVecs * lanes<Vec<T>>();
  const int64_t span = a.t1 - a.t0;
  if (span <= 0 || a.count <= 0) return;
  const int64_t tiles = (span + kOcRows - 1) / kOcRows;
  for (int64_t b = 0; b < a.blocks; ++b) {
    const T* gy = a.gyt + b * a.count * B;
    T* acc = a.acc + b * a.terms * B;
    for (int64_t k = 0, t = a.t0; k < tiles; ++k) {
      const int n = even_part(span, tiles, k);
      tile_oc_n(n, a.x, a.taps + t, a.xo, a.count, gy, acc + t * B, B, acc + t * B);
      t += n;
    }
  }
}

}  // namespace

void register_conv(KernelTable& t) {
  t.f32.conv_direct_oc = conv_direct_oc<float>;
  t.f32.conv_oc_block = kOcVecs * lanes<Vec<float>>();
  t.f32.conv_weight_oc = conv_weight_oc<float>;
  t.f64.conv_direct_oc = conv_direct_oc<double>;
  t.f64.conv_oc_block = kOcVecs * lanes<Vec<double>>();
  t.f64.conv_weight_oc = conv_weight_oc<double>;
  t.f32.conv_direct = conv_direct<float>;
  t.f32.conv_lanes = lanes<Vec<float>>();
  t.f64.conv_direct = conv_direct<double>;
  t.f64.conv_lanes = lanes<Vec<double>>();
}

}  // namespace steepest::kernels::STEEPEST_ISA
