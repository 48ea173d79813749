// The CUDA convolution and pooling kernels' index math (kernels/cuda/conv_geom.hpp) replayed on
// the host against the CPU kernels: im2col's source of every column entry, col2im's gather
// (each input element adding its taps in (i, j) order), the average-pooling backward gathers
// (each input element adding its windows in (oh, ow) order) and the adaptive window ranges,
// over awkward geometries (strides, paddings, dilations, kernels wider than the image). The
// gathers add in the CPU's order, so they are compared byte for byte. Also: the chunking of
// the batch, and (CUDA build) that every conv-family stub has a CUDA kernel.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include <steepest/steepest.hpp>

#include "dispatch/batch_norm.hpp"
#include "dispatch/conv.hpp"
#include "dispatch/stub.hpp"
#include "kernels/cuda/conv_geom.hpp"
#include "kernels/cuda/gemm_plan.hpp"

using namespace steepest;
using dispatch::ConvGeom;
using dispatch::PoolGeom;
namespace cg = steepest::cuda::convgeom;

namespace {

int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

ConvGeom conv_geom(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                   int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  ConvGeom g;
  g.batch = n, g.in_channels = c, g.out_channels = 1, g.groups = 1;
  g.in_h = h, g.in_w = w, g.kernel_h = kh, g.kernel_w = kw, g.stride_h = sh, g.stride_w = sw;
  g.pad_h = ph, g.pad_w = pw, g.dil_h = dh, g.dil_w = dw;
  g.out_h = out_size(h, kh, sh, ph, dh), g.out_w = out_size(w, kw, sw, pw, dw);
  return g;
}

std::vector<ConvGeom> conv_cases() {
  return {
      conv_geom(2, 3, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1),  // 3x3 "same"
      conv_geom(1, 2, 9, 6, 3, 2, 2, 3, 1, 0, 1, 1),  // strides
      conv_geom(3, 1, 8, 8, 3, 3, 1, 2, 2, 2, 2, 3),  // dilation and padding
      conv_geom(2, 2, 4, 3, 5, 5, 1, 1, 2, 2, 1, 1),  // kernel wider than the image
      conv_geom(1, 4, 6, 6, 1, 1, 1, 1, 0, 0, 1, 1),  // pointwise
      conv_geom(2, 1, 1, 11, 1, 4, 1, 3, 0, 1, 1, 2),  // one row (a 1-d conv)
      conv_geom(2, 3, 7, 5, 2, 3, 3, 2, 1, 1, 2, 1),
      conv_geom(2, 1, 1, 1, 1, 3, 1, 1, 0, 2, 1, 2),  // outer taps read only padding (once wrote past)
  };
}

Tensor random_float(const Shape& s, uint64_t seed) {
  Generator gen(seed);
  return randn(s, TensorOptions(kFloat32), &gen);
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.numel() == b.numel() && std::memcmp(a.data_ptr(), b.data_ptr(), size_t(a.numel()) * a.itemsize()) == 0;
}

}  // namespace

TEST_CASE("cuda conv replay: im2col's source of every column entry equals the CPU's unfold") {
  uint64_t seed = 1;
  for (const ConvGeom& g : conv_cases()) {
    CAPTURE(g.in_h);
    CAPTURE(g.in_w);
    CAPTURE(g.kernel_h);
    CAPTURE(g.stride_w);
    CAPTURE(g.dil_h);
    const int64_t rows = g.in_channels * g.kernel_h * g.kernel_w, hw_out = g.out_h * g.out_w;
    const int64_t image = g.in_channels * g.in_h * g.in_w;
    const Tensor x = random_float({g.batch, g.in_channels, g.in_h, g.in_w}, seed++);
    Tensor want = Tensor::empty({g.batch, rows, hw_out}, kFloat32);
    dispatch::im2col_stub().get(kCPU)(want, x, g);
    // Both layouts the CUDA kernels write: the unfold one and samples side by side.
    for (int side : {0, 1}) {
      const cg::ColLayout lay = side ? cg::side_by_side_layout(g, g.batch) : cg::unfold_layout(g);
      std::vector<float> got(size_t(g.batch * rows * hw_out), -1.0f);
      const float* px = x.data<float>();
      for (int64_t s = 0; s < g.batch; ++s)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t o = 0; o < hw_out; ++o) {
            const int64_t src = cg::im2col_source(g, r, o);
            got[size_t(s * lay.sample_stride + r * lay.ld + o)] = src < 0 ? 0.0f : px[s * image + src];
          }
      const float* pw = want.data<float>();
      bool ok = true;
      for (int64_t s = 0; s < g.batch; ++s)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t o = 0; o < hw_out; ++o)
            ok = ok && std::memcmp(&got[size_t(s * lay.sample_stride + r * lay.ld + o)],
                                   &pw[(s * rows + r) * hw_out + o], sizeof(float)) == 0;
      CHECK(ok);
    }
  }
}

TEST_CASE("cuda conv replay: col2im's gather equals the CPU's fold byte for byte") {
  uint64_t seed = 100;
  for (const ConvGeom& g : conv_cases()) {
    CAPTURE(g.in_h);
    CAPTURE(g.in_w);
    CAPTURE(g.kernel_h);
    CAPTURE(g.stride_w);
    CAPTURE(g.dil_h);
    const int64_t rows = g.in_channels * g.kernel_h * g.kernel_w, hw_out = g.out_h * g.out_w;
    const int64_t hw_in = g.in_h * g.in_w;
    const Tensor col = random_float({g.batch, rows, hw_out}, seed++);
    Tensor want = Tensor::empty({g.batch, g.in_channels, g.in_h, g.in_w}, kFloat32);
    dispatch::col2im_stub().get(kCPU)(want, col, g);
    Tensor got = Tensor::empty(want.shape(), kFloat32);
    const cg::ColLayout lay = cg::unfold_layout(g);
    const float* pc = col.data<float>();
    float* po = got.data<float>();
    const int64_t kk = g.kernel_h * g.kernel_w;
    for (int64_t e = 0; e < got.numel(); ++e) {  // the body of col2im_kernel
      const int64_t w = e % g.in_w, h = (e / g.in_w) % g.in_h, c = (e / hw_in) % g.in_channels,
                    s = e / (hw_in * g.in_channels);
      const float* cs = pc + s * lay.sample_stride + c * kk * lay.ld;
      float acc = 0.0f;
      for (int64_t i = 0; i < g.kernel_h; ++i)
        for (int64_t j = 0; j < g.kernel_w; ++j) {
          const int64_t o = cg::col2im_position(g, h, w, i, j);
          if (o >= 0) acc += cs[(i * g.kernel_w + j) * lay.ld + o];
        }
      po[e] = acc;
    }
    CHECK(same_bytes(want, got));
  }
}

TEST_CASE("cuda conv chunks: within the budget, at least one sample, covering the batch") {
  for (const ConvGeom& base : conv_cases())
    for (int64_t batch : {int64_t(0), int64_t(1), int64_t(7), int64_t(64), int64_t(1000)})
      for (int64_t budget : {int64_t(1), int64_t(100), int64_t(5000), int64_t(1) << 26}) {
        ConvGeom g = base;
        g.batch = batch;
        g.out_channels = 5;
        const cg::ConvChunks c = cg::conv_chunks(g, budget);
        const int64_t per_sample = (g.in_channels * g.kernel_h * g.kernel_w + g.out_channels) * g.out_h * g.out_w;
        CAPTURE(batch);
        CAPTURE(budget);
        CHECK(c.per >= 1);
        CHECK((c.per == 1 || c.per * per_sample <= budget));
        CHECK((batch == 0 || c.per <= batch));
        CHECK(c.chunks * c.per >= batch);
        CHECK((c.chunks == 0 || (c.chunks - 1) * c.per < batch));
      }
}

TEST_CASE("cuda pool geometry: the windows holding an input position, against brute force") {
  for (int64_t in = 1; in <= 13; ++in)
    for (int64_t k = 1; k <= 5; ++k)
      for (int64_t s = 1; s <= 4; ++s)
        for (int64_t p = 0; p <= k / 2; ++p) {
          const int64_t out = (in + 2 * p - k) / s + 1;
          if (out < 1) continue;
          for (int64_t h = 0; h < in; ++h) {
            int64_t lo, hi;
            cg::window_outputs(h, k, s, p, out, lo, hi);
            for (int64_t o = 0; o < out; ++o) {
              const bool holds = o * s - p <= h && h < o * s - p + k;
              CHECK(holds == (o >= lo && o < hi));
            }
          }
        }
  for (int64_t in = 1; in <= 17; ++in)
    for (int64_t out = 1; out <= 19; ++out)
      for (int64_t h = 0; h < in; ++h) {
        int64_t lo, hi;
        cg::adaptive_outputs(h, in, out, lo, hi);
        for (int64_t o = 0; o < out; ++o) {
          const bool holds = cg::adaptive_start(o, in, out) <= h && h < cg::adaptive_end(o, in, out);
          CHECK(holds == (o >= lo && o < hi));
        }
      }
}

namespace {

// The GEMM of conv_geom.hpp's description, run naively in double (beta 0 or 1).
void naive_gemm(const cg::ConvGemm& m, const double* A, const double* B, double* C, int64_t grp, double beta) {
  for (int64_t b = 0; b < m.batch; ++b)
    for (int64_t i = 0; i < m.M; ++i)
      for (int64_t j = 0; j < m.N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < m.K; ++k)
          s += A[grp * m.a_group + b * m.a_step + i * m.a_rs + k * m.a_cs] *
               B[grp * m.b_group + b * m.b_step + k * m.b_rs + j * m.b_cs];
        double& c = C[grp * m.c_group + b * m.c_step + i * m.ldc + j];
        c = beta == 0.0 ? s : c + s;
      }
}

bool addressable(const cg::ConvGemm& m) {
  return steepest::cuda::gemm_operand(m.M, m.K, m.a_rs, m.a_cs).ok &&
         steepest::cuda::gemm_operand(m.K, m.N, m.b_rs, m.b_cs).ok;
}

// Column matrix of samples [n0, n0 + nb) in `lay` (the body of im2col_kernel).
std::vector<double> columns(const ConvGeom& g, const double* x, int64_t n0, int64_t nb, const cg::ColLayout& lay) {
  const int64_t rows = g.in_channels * g.kernel_h * g.kernel_w, hw_out = g.out_h * g.out_w;
  const int64_t image = g.in_channels * g.in_h * g.in_w;
  std::vector<double> col(size_t(nb * rows * hw_out));
  for (int64_t s = 0; s < nb; ++s)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < hw_out; ++o) {
        const int64_t src = cg::im2col_source(g, r, o);
        col[size_t(s * lay.sample_stride + r * lay.ld + o)] = src < 0 ? 0.0 : x[(n0 + s) * image + src];
      }
  return col;
}

ConvGeom grouped(int64_t n, int64_t c, int64_t o, int64_t groups, int64_t h, int64_t w, int64_t k, int64_t s,
                 int64_t p, int64_t d) {
  ConvGeom g = conv_geom(n, c, h, w, k, k, s, s, p, p, d, d);
  g.out_channels = o, g.groups = groups;
  return g;
}

void check_close(const Tensor& want, const std::vector<double>& got) {
  const double* pw = want.data<double>();
  REQUIRE(int64_t(got.size()) == want.numel());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - pw[i]) / (1.0 + std::abs(pw[i])));
  CHECK(worst < 1e-12);
}

}  // namespace

TEST_CASE("cuda conv replay: the three passes' GEMM descriptions, chunked, equal the CPU convolution") {
  uint64_t seed = 500;
  for (const ConvGeom& g : {grouped(5, 4, 6, 2, 7, 6, 3, 1, 1, 1), grouped(3, 3, 1, 1, 5, 5, 3, 2, 1, 1),
                            grouped(4, 2, 4, 2, 6, 6, 1, 1, 0, 1), grouped(3, 6, 6, 6, 5, 4, 3, 1, 2, 2),
                            grouped(2, 1, 3, 1, 4, 9, 2, 2, 0, 1), grouped(7, 2, 2, 1, 1, 1, 1, 1, 0, 1)})
    for (int64_t budget : {int64_t(1), int64_t(400), int64_t(1) << 26}) {  // one sample per chunk, a few, all
      CAPTURE(g.in_channels);
      CAPTURE(g.out_channels);
      CAPTURE(g.groups);
      CAPTURE(g.in_h);
      CAPTURE(budget);
      const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w, Kg = cg::group_rows(g);
      const Tensor x = to_dtype(random_float({g.batch, g.in_channels, g.in_h, g.in_w}, seed++), kFloat64);
      const Shape ws{g.out_channels, g.in_channels / g.groups, g.kernel_h, g.kernel_w};
      const Tensor w = to_dtype(random_float(ws, seed++), kFloat64);
      const Tensor bias = to_dtype(random_float({g.out_channels}, seed++), kFloat64);
      const Tensor gy = to_dtype(random_float({g.batch, g.out_channels, g.out_h, g.out_w}, seed++), kFloat64);
      const double *px = x.data<double>(), *pw = w.data<double>(), *pb = bias.data<double>(), *pgy = gy.data<double>();
      const cg::ConvChunks ch = cg::conv_chunks(g, budget);

      // forward: im2col (or the image itself for a pointwise kernel), y preloaded with the bias, beta = 1.
      Tensor want = Tensor::empty(gy.shape(), kFloat64);
      dispatch::conv_forward_stub().get(kCPU)(want, x, w, bias, g);
      std::vector<double> y(size_t(want.numel()));
      for (size_t e = 0; e < y.size(); ++e) y[e] = pb[(int64_t(e) / hw_out) % g.out_channels];
      const bool direct = cg::is_pointwise(g);
      for (int64_t c = 0; c < ch.chunks; ++c) {
        const int64_t n0 = c * ch.per, nb = std::min(ch.per, g.batch - n0);
        const cg::ColLayout lay = direct ? cg::ColLayout{g.in_channels * hw_in, hw_in} : cg::unfold_layout(g);
        const std::vector<double> col = columns(g, px, n0, nb, lay);
        const double* cm = direct ? px + n0 * g.in_channels * hw_in : col.data();
        const cg::ConvGemm m = cg::forward_gemm(g, lay, nb);
        CHECK(addressable(m));
        for (int64_t grp = 0; grp < g.groups; ++grp)
          naive_gemm(m, pw, cm, y.data() + n0 * g.out_channels * hw_out, grp, 1.0);
      }
      check_close(want, y);

      // data gradient: GEMM into the unfold-layout buffer, then col2im's gather plus the bias.
      Tensor want_gx = Tensor::empty(x.shape(), kFloat64);
      dispatch::conv_backward_data_stub().get(kCPU)(want_gx, gy, w, Tensor(), g);
      std::vector<double> gx(size_t(x.numel()));
      const cg::ColLayout ul = cg::unfold_layout(g);
      for (int64_t c = 0; c < ch.chunks; ++c) {
        const int64_t n0 = c * ch.per, nb = std::min(ch.per, g.batch - n0);
        std::vector<double> col(size_t(nb * ul.sample_stride));
        const cg::ConvGemm m = cg::backward_data_gemm(g, ul, nb);
        CHECK(addressable(m));
        for (int64_t grp = 0; grp < g.groups; ++grp)
          naive_gemm(m, pw, pgy + n0 * g.out_channels * hw_out, col.data(), grp, 0.0);
        for (int64_t e = 0; e < nb * g.in_channels * hw_in; ++e) {
          const int64_t ww = e % g.in_w, hh = (e / g.in_w) % g.in_h, ci = (e / hw_in) % g.in_channels,
                        s = e / (hw_in * g.in_channels);
          double acc = 0;
          for (int64_t i = 0; i < g.kernel_h; ++i)
            for (int64_t j = 0; j < g.kernel_w; ++j) {
              const int64_t o = cg::col2im_position(g, hh, ww, i, j);
              const int64_t r = (ci * g.kernel_h + i) * g.kernel_w + j;
              if (o >= 0) acc += col[size_t(s * ul.sample_stride + r * ul.ld + o)];
            }
          gx[size_t(n0 * g.in_channels * hw_in + e)] = acc;
        }
      }
      check_close(want_gx, gx);

      // weight gradient: columns and output gradients side by side, chunks accumulating.
      Tensor want_gw = Tensor::empty(w.shape(), kFloat64);
      dispatch::conv_backward_weight_stub().get(kCPU)(want_gw, gy, x, g);
      std::vector<double> gw(size_t(w.numel()));
      for (int64_t c = 0; c < ch.chunks; ++c) {
        const int64_t n0 = c * ch.per, nb = std::min(ch.per, g.batch - n0);
        const cg::ColLayout sl = cg::side_by_side_layout(g, nb);
        const std::vector<double> col = columns(g, px, n0, nb, sl);
        std::vector<double> stage(size_t(nb * g.out_channels * hw_out));
        for (int64_t e = 0; e < int64_t(stage.size()); ++e) {  // the body of side_by_side_kernel
          const int64_t p = e % hw_out, o = (e / hw_out) % g.out_channels, s = e / (hw_out * g.out_channels);
          stage[size_t((o * nb + s) * hw_out + p)] = pgy[n0 * g.out_channels * hw_out + e];
        }
        const cg::ConvGemm m = cg::backward_weight_gemm(g, nb);
        CHECK(addressable(m));
        for (int64_t grp = 0; grp < g.groups; ++grp)
          naive_gemm(m, stage.data(), col.data(), gw.data(), grp, c == 0 ? 0.0 : 1.0);
      }
      CHECK(Kg * g.out_channels == w.numel());
      check_close(want_gw, gw);
    }
}

namespace {

PoolGeom pool_geom(int64_t planes, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                   int64_t pw, bool ceil_mode) {
  PoolGeom g;
  g.planes = planes, g.in_h = h, g.in_w = w, g.kernel_h = kh, g.kernel_w = kw, g.stride_h = sh, g.stride_w = sw;
  g.pad_h = ph, g.pad_w = pw;
  auto size = [&](int64_t in, int64_t k, int64_t s, int64_t p) {
    int64_t o = (in + 2 * p - k + (ceil_mode ? s - 1 : 0)) / s + 1;
    if (ceil_mode && (o - 1) * s >= in + p) --o;  // the last window must start inside
    return o;
  };
  g.out_h = size(h, kh, sh, ph), g.out_w = size(w, kw, sw, pw);
  return g;
}

}  // namespace

TEST_CASE("cuda pool replay: the average-pooling backward gather equals the CPU's scatter byte for byte") {
  uint64_t seed = 300;
  for (const PoolGeom& g : {pool_geom(3, 7, 5, 3, 2, 2, 1, 1, 1, false), pool_geom(2, 8, 8, 3, 3, 2, 2, 1, 1, true),
                            pool_geom(1, 5, 9, 4, 3, 1, 3, 2, 0, true), pool_geom(2, 6, 6, 2, 2, 2, 2, 0, 0, false),
                            pool_geom(1, 1, 10, 1, 4, 1, 3, 0, 2, true)})
    for (bool cip : {false, true})
      for (int64_t div : {int64_t(0), int64_t(3)}) {
        CAPTURE(g.in_h);
        CAPTURE(g.kernel_h);
        CAPTURE(cip);
        CAPTURE(div);
        const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
        const Tensor gy = random_float({g.planes, g.out_h, g.out_w}, seed++);
        Tensor want = Tensor::empty({g.planes, g.in_h, g.in_w}, kFloat32);
        dispatch::avg_pool_backward_stub().get(kCPU)(want, gy, g, cip, div);
        Tensor got = Tensor::empty(want.shape(), kFloat32);
        const float* pg = gy.data<float>();
        float* po = got.data<float>();
        for (int64_t e = 0; e < got.numel(); ++e) {  // the body of avg_pool_backward_kernel
          const int64_t p = e / hw_in, h = (e % hw_in) / g.in_w, w = e % g.in_w;
          int64_t oh0, oh1, ow0, ow1;
          cg::window_outputs(h, g.kernel_h, g.stride_h, g.pad_h, g.out_h, oh0, oh1);
          cg::window_outputs(w, g.kernel_w, g.stride_w, g.pad_w, g.out_w, ow0, ow1);
          float acc = 0.0f;
          for (int64_t oh = oh0; oh < oh1; ++oh)
            for (int64_t ow = ow0; ow < ow1; ++ow) {
              const cg::AvgWindow a = cg::avg_window(g, oh, ow, cip, div);
              acc += float(double(pg[p * hw_out + oh * g.out_w + ow]) / a.divisor);
            }
          po[e] = acc;
        }
        CHECK(same_bytes(want, got));
      }
}

TEST_CASE("cuda pool replay: the adaptive average backward gather equals the CPU's scatter byte for byte") {
  uint64_t seed = 400;
  for (auto [h, w, oh_n, ow_n] : std::vector<std::array<int64_t, 4>>{{7, 5, 3, 2}, {5, 5, 7, 9}, {1, 9, 1, 4},
                                                                        {10, 3, 10, 3}, {6, 4, 1, 1}}) {
    PoolGeom g;
    g.planes = 2, g.in_h = h, g.in_w = w, g.out_h = oh_n, g.out_w = ow_n;
    CAPTURE(h);
    CAPTURE(w);
    CAPTURE(oh_n);
    CAPTURE(ow_n);
    const int64_t hw_in = h * w, hw_out = oh_n * ow_n;
    const Tensor gy = random_float({g.planes, oh_n, ow_n}, seed++);
    Tensor want = Tensor::empty({g.planes, h, w}, kFloat32);
    dispatch::adaptive_avg_pool_backward_stub().get(kCPU)(want, gy, g);
    Tensor got = Tensor::empty(want.shape(), kFloat32);
    const float* pg = gy.data<float>();
    float* po = got.data<float>();
    for (int64_t e = 0; e < got.numel(); ++e) {  // the body of adaptive_avg_pool_backward_kernel
      const int64_t p = e / hw_in, hh = (e % hw_in) / w, ww = e % w;
      int64_t oh0, oh1, ow0, ow1;
      cg::adaptive_outputs(hh, h, oh_n, oh0, oh1);
      cg::adaptive_outputs(ww, w, ow_n, ow0, ow1);
      float acc = 0.0f;
      for (int64_t oh = oh0; oh < oh1; ++oh) {
        const int64_t hs = cg::adaptive_end(oh, h, oh_n) - cg::adaptive_start(oh, h, oh_n);
        for (int64_t ow = ow0; ow < ow1; ++ow) {
          const int64_t ws = cg::adaptive_end(ow, w, ow_n) - cg::adaptive_start(ow, w, ow_n);
          acc += float(double(pg[p * hw_out + oh * ow_n + ow]) / double(hs * ws));
        }
      }
      po[e] = acc;
    }
    CHECK(same_bytes(want, got));
  }
}

#ifdef STEEPEST_WITH_CUDA
TEST_CASE("cuda build: the conv, pooling and batch norm stubs have CUDA kernels") {
  const std::vector<const dispatch::StubBase*> stubs{
      &dispatch::conv_forward_stub(), &dispatch::conv_backward_data_stub(), &dispatch::conv_backward_weight_stub(),
      &dispatch::im2col_stub(), &dispatch::col2im_stub(), &dispatch::max_pool_stub(),
      &dispatch::adaptive_max_pool_stub(), &dispatch::max_pool_backward_stub(), &dispatch::avg_pool_stub(),
      &dispatch::avg_pool_backward_stub(), &dispatch::adaptive_avg_pool_stub(),
      &dispatch::adaptive_avg_pool_backward_stub(), &dispatch::batch_norm_stub(),
      &dispatch::batch_norm_backward_stub()};
  for (const dispatch::StubBase* s : stubs) {
    INFO(s->name());
    CHECK(s->has(DeviceType::CUDA));
  }
}
#endif
