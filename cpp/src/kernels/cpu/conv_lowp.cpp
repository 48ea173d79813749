// Convolution in bfloat16/float16: the same im2col plan as the float32 kernels (conv.cpp), with
// the column matrix kept in 16 bits (half the memory traffic of widening it) and the GEMMs run
// by the 16-bit GEMM (gemm_lowp.hpp), which accumulates in float32. Every result is rounded
// once: the forward's bias is added to the float32 product, the data gradient is summed back
// into the image (col2im) in float32, and the weight gradient's per-chunk products accumulate
// in float32 buffers, one per thread, added in order.
#include "kernels/cpu/conv_lowp.hpp"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu/bf16/gemm_avx512bf16.hpp"
#include "kernels/cpu/conv_im2col.hpp"
#include "kernels/cpu/gemm_lowp.hpp"
#include "kernels/cpu/kernel_table.hpp"
#include "steepest/half.hpp"
#include "steepest/runtime.hpp"

namespace steepest::kernels::cpu {
namespace {

using dispatch::ConvGeom;
using namespace conv_detail;
using u16 = uint16_t;

inline float widen(u16 v, bool f16) { return f16 ? float16::widen(v) : f32_from_bits(uint32_t(v) << 16); }
inline u16 narrow(float v, bool f16) { return f16 ? float16::round(v) : bfloat16::round(v); }
inline const Convert16& convert(bool f16) { return convert16(f16 ? kFloat16 : kBFloat16); }
// d[i] = round(s[i] + b) for i < n, through the ISA's conversion run (a float32 stack block at
// a time); b = 0 still adds, so a -0 result rounds to +0 with or without a bias.
void narrow_add(const float* s, float b, u16* d, int64_t n, bool f16) {
  const auto run = convert(f16).narrow;
  alignas(64) float t[256];
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    const int64_t m = std::min<int64_t>(256, n - i0);
    for (int64_t i = 0; i < m; ++i) t[i] = s[i0 + i] + b;
    run(m, t, d + i0);
  }
}

const u16* bits(const Tensor& t) { return t.defined() ? static_cast<const u16*>(t.data_ptr()) : nullptr; }
u16* bits_mut(const Tensor& t) { return static_cast<u16*>(t.data_ptr()); }

// Per-thread scratch in one float32 block: `h` 16-bit elements, then `f` floats, per thread.
struct LowpScratch {
  Tensor keep;
  int64_t halves = 0, floats = 0, stride = 0;  // stride in floats, a multiple of 16 (64 bytes)
  LowpScratch(int64_t h, int64_t f, int threads) : halves(h), floats(f) {
    stride = ((h + 1) / 2 + f + 15) / 16 * 16;
    if (stride > 0) keep = Tensor::empty({stride * threads}, kFloat32);
  }
  float* base(int t) const { return stride ? keep.data<float>() + t * stride : nullptr; }
  u16* half(int t) const { return halves ? reinterpret_cast<u16*>(base(t)) : nullptr; }
  float* f32(int t) const { return floats ? base(t) + (halves + 1) / 2 : nullptr; }
};

}  // namespace

void conv_forward_lowp(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  const Plan p = make_plan(g, true);
  if (g.batch == 0 || g.out_channels == 0 || p.hw_out == 0) return;
  const bool f16 = x.dtype() == kFloat16;
  const u16* px = bits(x);
  const u16* pw = bits(w);
  const u16* pb = bits(bias);
  u16* py = bits_mut(y);
  // bfloat16 with one sample per GEMM writes the output in place (beta = 1 over the bias, still
  // one rounding); otherwise the float32 product is staged and rounded with the bias added.
  const bool in_place = !f16 && p.per == 1;
  const LowpScratch scratch(p.direct ? 0 : p.K * p.ld(), in_place ? 0 : p.Og * p.ld(), p.threads);
  each_chunk(p, [&](int64_t chunk, int t) {
    const int64_t n0 = chunk * p.per, nb = std::min(p.per, g.batch - n0), ld = p.ld();
    u16* col = scratch.half(t);
    float* acc = scratch.f32(t);
    for (int64_t grp = 0; grp < p.G; ++grp) {
      u16* y0 = py + (n0 * g.out_channels + grp * p.Og) * p.hw_out;
      if (p.K == 0) {
        for (int64_t j = 0; j < nb; ++j)
          for (int64_t o = 0; o < p.Og; ++o) {
            u16* r = y0 + (j * g.out_channels + o) * p.hw_out;
            std::fill(r, r + p.hw_out, pb ? pb[grp * p.Og + o] : u16(0));
          }
        continue;
      }
      const u16* cm = px + (n0 * g.in_channels + grp * p.Cg) * p.hw_in;
      if (!p.direct) {
        for (int64_t j = 0; j < nb; ++j)
          im2col_image(px + ((n0 + j) * g.in_channels + grp * p.Cg) * p.hw_in, col + j * p.hw_out, p.Cg, g, ld);
        cm = col;
      }
      const u16* wg = pw + grp * p.Og * p.K;
      if (in_place) {
        if (pb)
          for (int64_t o = 0; o < p.Og; ++o) std::fill(y0 + o * p.hw_out, y0 + (o + 1) * p.hw_out, pb[grp * p.Og + o]);
        gemm_lowp(false, false, false, p.Og, p.hw_out, p.K, 1.0f, wg, p.K, cm, ld, pb ? 1.0f : 0.0f, nullptr, y0,
                  p.hw_out);
        continue;
      }
      gemm_lowp(f16, false, false, p.Og, nb * p.hw_out, p.K, 1.0f, wg, p.K, cm, ld, 0.0f, acc, nullptr, ld);
      for (int64_t j = 0; j < nb; ++j)
        for (int64_t o = 0; o < p.Og; ++o) {
          const float* src = acc + o * ld + j * p.hw_out;
          u16* dst = y0 + (j * g.out_channels + o) * p.hw_out;
          const float b = pb ? widen(pb[grp * p.Og + o], f16) : 0.0f;
          narrow_add(src, b, dst, p.hw_out, f16);
        }
    }
  });
}

void conv_backward_data_lowp(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias,
                             const ConvGeom& g) {
  const Plan p = make_plan(g, true);
  if (g.batch == 0 || g.in_channels == 0 || p.hw_in == 0) return;
  const bool f16 = gy.dtype() == kFloat16;
  const u16* pgy = bits(gy);
  const u16* pw = bits(w);
  const u16* pb = bits(bias);
  u16* pgx = bits_mut(gx);
  // Per thread: the gathered output gradient (several samples per chunk), the float32 column
  // product, and one sample's image in float32 (not needed when the columns are the image).
  const int64_t image = p.direct ? 0 : p.Cg * p.hw_in;
  const LowpScratch scratch(p.per > 1 ? p.Og * p.ld() : 0, p.K * p.ld() + image, p.threads);
  each_chunk(p, [&](int64_t chunk, int t) {
    const int64_t n0 = chunk * p.per, nb = std::min(p.per, g.batch - n0), ld = p.ld();
    float* col = scratch.f32(t);
    float* img = col ? col + p.K * ld : nullptr;
    for (int64_t grp = 0; grp < p.G; ++grp) {
      const u16* wg = pw + grp * p.Og * p.K;
      const u16* gys = pgy + (n0 * g.out_channels + grp * p.Og) * p.hw_out;
      if (p.per > 1) {
        gather_rows(pgy, scratch.half(t), n0, nb, grp, p, g.out_channels);
        gys = scratch.half(t);
      }
      const bool product = p.Og > 0 && p.K > 0;
      if (product)
        gemm_lowp(f16, true, false, p.K, nb * p.hw_out, p.Og, 1.0f, wg, p.K, gys, ld, 0.0f, col, nullptr, ld);
      for (int64_t j = 0; j < nb; ++j) {
        const float* src = img;
        if (p.direct) {
          src = col;  // one sample, K = Cg rows of hw_in = hw_out columns: already the image
          if (!product) std::fill(col, col + p.Cg * p.hw_in, 0.0f);
        } else {
          std::fill(img, img + image, 0.0f);
          if (product) col2im_image(col + j * p.hw_out, img, p.Cg, g, ld, true);
        }
        u16* gxs = pgx + ((n0 + j) * g.in_channels + grp * p.Cg) * p.hw_in;
        for (int64_t c = 0; c < p.Cg; ++c) {
          const float b = pb ? widen(pb[grp * p.Cg + c], f16) : 0.0f;
          const float* s = src + c * p.hw_in;
          u16* d = gxs + c * p.hw_in;
          narrow_add(s, b, d, p.hw_in, f16);
        }
      }
    }
  });
}

void conv_backward_weight_lowp(const Tensor& gw, const Tensor& gy, const Tensor& x, const ConvGeom& g) {
  const Plan p = make_plan(g, !deterministic());
  const bool f16 = gy.dtype() == kFloat16;
  u16* pgw = bits_mut(gw);
  const int64_t wsize = g.out_channels * p.K;
  if (wsize == 0) return;
  if (g.batch == 0 || p.hw_out == 0) {
    std::fill(pgw, pgw + wsize, u16(0));
    return;
  }
  const u16* pgy = bits(gy);
  const u16* px = bits(x);
  // The GEMM kernel's tiles are kMR rows by kNR columns: gw (Og, K) or its transpose (K, Og),
  // whichever wastes less of them (a first layer's K = 9 or 25 fills few of 32 columns). The
  // transposed orientation accumulates (K, Og) per group and is transposed when rounded.
  const auto fill = [](int64_t rows, int64_t cols) {
    const int64_t mr = avx512bf16::kMR, nr = avx512bf16::kNR;
    return double(rows) / double((rows + mr - 1) / mr * mr) * double(cols) / double((cols + nr - 1) / nr * nr);
  };
  const bool transposed = fill(p.K, p.Og) > fill(p.Og, p.K);
  // Per thread: the columns and gathered gradient rows in 16 bits, and a float32 accumulator.
  const int64_t halves = (p.direct ? 0 : p.K * p.ld()) + (p.per > 1 ? p.Og * p.ld() : 0);
  const LowpScratch scratch(halves, wsize, p.threads);
  int used = 1;  // the threads OpenMP actually gave (it may give fewer than asked)
#pragma omp parallel num_threads(p.threads) if (p.threads > 1)
  {
    const int t = omp_get_thread_num(), parts = omp_get_num_threads();
    if (t == 0) used = parts;
    const int64_t lo = p.chunks * t / parts, hi = p.chunks * (t + 1) / parts;
    float* acc = scratch.f32(t);
    u16* col = scratch.half(t);
    u16* rows = col ? col + (p.direct ? 0 : p.K * p.ld()) : nullptr;
    if (lo == hi) std::fill(acc, acc + wsize, 0.0f);
    for (int64_t chunk = lo; chunk < hi; ++chunk) {
      const int64_t n0 = chunk * p.per, nb = std::min(p.per, g.batch - n0), ld = p.ld();
      for (int64_t grp = 0; grp < p.G; ++grp) {
        const u16* gys = pgy + (n0 * g.out_channels + grp * p.Og) * p.hw_out;
        if (p.per > 1) {
          gather_rows(pgy, rows, n0, nb, grp, p, g.out_channels);
          gys = rows;
        }
        const u16* cm = px + (n0 * g.in_channels + grp * p.Cg) * p.hw_in;
        if (!p.direct) {
          for (int64_t j = 0; j < nb; ++j)
            im2col_image(px + ((n0 + j) * g.in_channels + grp * p.Cg) * p.hw_in, col + j * p.hw_out, p.Cg, g, ld);
          cm = col;
        }
        const float beta = chunk == lo ? 0.0f : 1.0f;
        float* c = acc + grp * p.Og * p.K;
        if (transposed)
          gemm_lowp(f16, false, true, p.K, p.Og, nb * p.hw_out, 1.0f, cm, ld, gys, ld, beta, c, nullptr, p.Og);
        else
          gemm_lowp(f16, false, true, p.Og, p.K, nb * p.hw_out, 1.0f, gys, ld, cm, ld, beta, c, nullptr, p.K);
      }
    }
  }
  float* total = scratch.f32(0);
  for (int q = 1; q < used; ++q) {
    const float* part = scratch.f32(q);
    for (int64_t i = 0; i < wsize; ++i) total[i] += part[i];
  }
  if (!transposed) {
    convert(f16).narrow(wsize, total, pgw);
    return;
  }
  for (int64_t grp = 0; grp < p.G; ++grp) {
    const float* t = total + grp * p.Og * p.K;  // (K, Og)
    u16* w = pgw + grp * p.Og * p.K;            // (Og, K)
    for (int64_t o = 0; o < p.Og; ++o)
      for (int64_t kk = 0; kk < p.K; ++kk) w[o * p.K + kk] = narrow(t[kk * p.Og + o], f16);
  }
}

// unfold: a copy, so the 16 bits move as they are.
void im2col_lowp(const Tensor& col, const Tensor& x, const ConvGeom& g) {
  const int64_t kk = g.kernel_h * g.kernel_w, hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w;
  const u16* px = bits(x);
  u16* pc = bits_mut(col);
  const int64_t items = g.batch * g.in_channels;
  const bool par = items > 1 && double(items) * double(kk * hw_out) >= 65536.0 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t i = 0; i < items; ++i) im2col_image(px + i * hw_in, pc + i * kk * hw_out, 1, g, hw_out);
}

// fold: each plane's overlapping columns are summed in float32 and rounded once.
void col2im_lowp(const Tensor& x, const Tensor& col, const ConvGeom& g) {
  const bool f16 = col.dtype() == kFloat16;
  const int64_t kk = g.kernel_h * g.kernel_w, hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w;
  const u16* pc = bits(col);
  u16* px = bits_mut(x);
  const int64_t items = g.batch * g.in_channels;
  const bool par = items > 1 && double(items) * double(kk * hw_out) >= 65536.0 && !omp_in_parallel();
#pragma omp parallel if (par)
  {
    std::vector<float> c32(static_cast<size_t>(kk * hw_out)), plane(static_cast<size_t>(hw_in));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < items; ++i) {
      const u16* src = pc + i * kk * hw_out;
      convert(f16).widen(kk * hw_out, src, c32.data());
      std::fill(plane.begin(), plane.end(), 0.0f);
      col2im_image(c32.data(), plane.data(), 1, g, hw_out, true);
      u16* dst = px + i * hw_in;
      convert(f16).narrow(hw_in, plane.data(), dst);
    }
  }
}

}  // namespace steepest::kernels::cpu
