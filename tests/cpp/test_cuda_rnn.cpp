// The CUDA recurrent kernels' time loops (kernels/cuda/rnn_driver.hpp) and cell bodies
// (rnn_cell.hpp) replayed on the host against the CPU kernel: every mode, both directions,
// with and without bias and per-row lengths, float32 and float64. The products run through a
// host model of cuBLAS's column-major GEMM that also enforces cuBLAS's leading-dimension
// rules, so the argument mapping rnn.cu hands to cuBLAS is checked here. (On a GPU,
// tests/test_cuda_rnn.py checks the real thing.)
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <steepest/steepest.hpp>

#include "dispatch/rnn.hpp"
#include "kernels/cuda/rnn_driver.hpp"

using namespace steepest;
namespace rnn = steepest::cuda::rnn;
using dispatch::RnnMode;

namespace {

// rnn_driver.hpp's executor on host memory. Scratch starts as NaN so a read before a write
// shows in the results.
template <class T>
struct HostExec {
  std::vector<std::vector<T>> keep;
  int gemms = 0;

  T* scratch(int64_t n) {
    keep.emplace_back(size_t(n), std::numeric_limits<T>::quiet_NaN());
    return keep.back().data();
  }
  void gemm(const rnn::BlasCall<T>& c) {
    ++gemms;
    // cuBLAS rejects these (CUBLAS_STATUS_INVALID_VALUE).
    REQUIRE(c.m >= 0);
    REQUIRE(c.n >= 0);
    REQUIRE(c.k >= 0);
    REQUIRE(c.lda >= std::max<int64_t>(1, c.transa ? c.k : c.m));
    REQUIRE(c.ldb >= std::max<int64_t>(1, c.transb ? c.n : c.k));
    REQUIRE(c.ldc >= std::max<int64_t>(1, c.m));
    for (int64_t j = 0; j < c.n; ++j)
      for (int64_t i = 0; i < c.m; ++i) {
        T acc = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          const T a = c.transa ? c.a[p + i * c.lda] : c.a[i + p * c.lda];
          const T b = c.transb ? c.b[j + p * c.ldb] : c.b[p + j * c.ldb];
          acc += a * b;
        }
        T& out = c.c[i + j * c.ldc];
        out = c.beta == T(0) ? acc : acc + c.beta * out;  // beta == 0: C is not read
      }
  }
  void forward(const rnn::CellFwd<T>& a) {
    for (int64_t i = 0; i < a.B * a.H; ++i) rnn::cell_forward(a, i);
  }
  void backward(const rnn::CellBwd<T>& a) {
    for (int64_t i = 0; i < a.B * a.H; ++i) rnn::cell_backward(a, i);
  }
  void copy_rows(T* dst, int64_t dld, const T* src, int64_t sld, int64_t width, int64_t rows) {
    for (int64_t r = 0; r < rows; ++r) std::copy(src + r * sld, src + r * sld + width, dst + r * dld);
  }
  void zero(T* p, int64_t n) { std::fill(p, p + n, T(0)); }
  void column_sum(T* out, const T* in, int64_t rows, int64_t n) {
    for (int64_t j = 0; j < n; ++j) {
      T s = 0;
      for (int64_t r = 0; r < rows; ++r) s += in[r * n + j];
      out[j] = s;
    }
  }
};

Tensor rand_t(const Shape& s, DType d, uint64_t seed, double scale = 0.7) {
  Generator g(seed);
  return contiguous(to_dtype(mul(randn(s, TensorOptions(kFloat64), &g), Scalar(scale)), d));
}

template <class T>
T* p(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

// max |a - b| / (atol + rtol |b|) <= 1 elementwise, NaN anywhere failing.
void check_close(const Tensor& got, const Tensor& want, double rtol, double atol, const char* what) {
  CAPTURE(what);
  REQUIRE(got.shape() == want.shape());
  const Tensor a = to_dtype(got, kFloat64), b = to_dtype(want, kFloat64);
  const double *pa = a.data<double>(), *pb = b.data<double>();
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double e = std::abs(pa[i] - pb[i]) / (atol + rtol * std::abs(pb[i]));
    worst = std::isnan(e) ? INFINITY : std::max(worst, e);
  }
  CHECK(worst <= 1.0);
}

struct Case {
  RnnMode mode;
  bool reverse, bias, lengths;
  int64_t T, B, H;
};

template <class T>
void run_case(const Case& c, DType dt) {
  CAPTURE(int(c.mode));
  CAPTURE(c.reverse);
  CAPTURE(c.bias);
  CAPTURE(c.lengths);
  CAPTURE(c.T);
  CAPTURE(c.B);
  CAPTURE(c.H);
  const bool lstm = c.mode == RnnMode::Lstm;
  const rnn::Dims d = rnn::dims_of(c.mode, c.T, c.B, c.H);
  const double rtol = dt == kFloat64 ? 1e-12 : 2e-5, atol = dt == kFloat64 ? 1e-13 : 2e-6;
  Tensor xp = rand_t({c.T, c.B, d.G}, dt, 1), h0 = rand_t({c.B, c.H}, dt, 2), w = rand_t({d.G, c.H}, dt, 3);
  Tensor c0 = lstm ? rand_t({c.B, c.H}, dt, 4) : Tensor(), b = c.bias ? rand_t({d.G}, dt, 5) : Tensor();
  if (c.mode == RnnMode::Relu) xp = add(xp, Scalar(0.1));  // both sides of relu's kink
  Tensor lens;
  if (c.lengths) {
    lens = Tensor::empty({c.B}, kInt64);
    for (int64_t r = 0; r < c.B; ++r) lens.data<int64_t>()[r] = 1 + (r * 2 + 1) % c.T;  // 1..T, unsorted
  }
  auto outs = [&] {
    return std::vector<Tensor>{Tensor::empty({c.T, c.B, c.H}, dt), Tensor::empty({c.B, c.H}, dt),
                               lstm ? Tensor::empty({c.B, c.H}, dt) : Tensor(),
                               Tensor::empty({c.T, c.B, d.S}, dt)};
  };
  std::vector<Tensor> want = outs(), got = outs();
  dispatch::rnn_layer_stub().get(kCPU)(c.mode, c.reverse, want[0], want[1], want[2], want[3], xp, h0, c0, w, b, lens);
  HostExec<T> ex;
  const int64_t* len = lens.defined() ? lens.data<int64_t>() : nullptr;
  rnn::forward<T>(ex, c.mode, c.reverse, d, p<T>(xp), p<T>(h0), p<T>(c0), p<T>(w), p<T>(b), len, p<T>(got[0]),
                  p<T>(got[1]), p<T>(got[2]), d.S ? p<T>(got[3]) : nullptr);
  CHECK(ex.gemms == c.T);  // one product per step
  check_close(got[0], want[0], rtol, atol, "out");
  check_close(got[1], want[1], rtol, atol, "h_n");
  if (lstm) check_close(got[2], want[2], rtol, atol, "c_n");
  if (!c.lengths && d.S) check_close(got[3], want[3], rtol, atol, "ws");  // pass-through gates differ

  // Backward from the CPU forward's saved state, so both sides start alike.
  Tensor gout = rand_t({c.T, c.B, c.H}, dt, 6), ghn = rand_t({c.B, c.H}, dt, 7);
  Tensor gcn = lstm ? rand_t({c.B, c.H}, dt, 8) : Tensor();
  auto grads = [&] {
    return std::vector<Tensor>{Tensor::empty({c.T, c.B, d.G}, dt), Tensor::empty({c.B, c.H}, dt),
                               lstm ? Tensor::empty({c.B, c.H}, dt) : Tensor(), Tensor::empty({d.G, c.H}, dt),
                               c.bias ? Tensor::empty({d.G}, dt) : Tensor()};
  };
  std::vector<Tensor> gw_want = grads(), gw_got = grads();
  dispatch::rnn_layer_backward_stub().get(kCPU)(c.mode, c.reverse, gw_want[0], gw_want[1], gw_want[2], gw_want[3],
                                               gw_want[4], gout, ghn, gcn, want[0], want[3], h0, c0, w, lens);
  HostExec<T> bx;
  rnn::backward<T>(bx, c.mode, c.reverse, d, p<T>(gout), p<T>(ghn), p<T>(gcn), p<T>(want[0]),
                   d.S ? p<T>(want[3]) : nullptr, p<T>(h0), p<T>(c0), p<T>(w), len, p<T>(gw_got[0]), p<T>(gw_got[1]),
                   p<T>(gw_got[2]), p<T>(gw_got[3]), p<T>(gw_got[4]));
  CHECK(bx.gemms == c.T + (c.T > 1 ? 2 : 1));  // one per step, then the weights' one or two
  const char* names[] = {"gxp", "gh0", "gc0", "gw", "gb"};
  for (size_t k = 0; k < 5; ++k)
    if (gw_want[k].defined()) check_close(gw_got[k], gw_want[k], rtol * 10, atol * 10, names[k]);
}

}  // namespace

TEST_CASE("cuda rnn replay: every mode and direction, with and without bias and lengths, equals the CPU kernel") {
  const int64_t sizes[][3] = {{1, 1, 1}, {4, 3, 5}, {5, 1, 3}, {3, 4, 1}};
  for (RnnMode mode : {RnnMode::Tanh, RnnMode::Relu, RnnMode::Lstm, RnnMode::Gru})
    for (bool reverse : {false, true})
      for (bool bias : {true, false})
        for (bool lengths : {false, true})
          for (const auto& s : sizes) {
            const Case c{mode, reverse, bias, lengths, s[0], s[1], s[2]};
            run_case<double>(c, kFloat64);
            run_case<float>(c, kFloat32);
          }
}

TEST_CASE("cuda rnn replay: an empty batch writes zero weight gradients and nothing else") {
  HostExec<float> ex;
  const rnn::Dims d = rnn::dims_of(RnnMode::Lstm, 3, 0, 2);
  std::vector<float> gw(size_t(d.G * d.H), 7.0f), gb(size_t(d.G), 7.0f);
  rnn::backward<float>(ex, RnnMode::Lstm, false, d, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                       nullptr, nullptr, nullptr, nullptr, nullptr, gw.data(), gb.data());
  CHECK(std::all_of(gw.begin(), gw.end(), [](float v) { return v == 0.0f; }));
  CHECK(std::all_of(gb.begin(), gb.end(), [](float v) { return v == 0.0f; }));
  CHECK(ex.gemms == 0);
  rnn::forward<float>(ex, RnnMode::Lstm, false, d, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                      nullptr, nullptr, nullptr);
  CHECK(ex.gemms == 0);
}

TEST_CASE("cuda rnn: the per-step products map onto cuBLAS's column-major call as expected") {
  // hp (B, G) = h (B, H) W^T: cuBLAS computes hp^T = W h^T, W read transposed.
  const float* h = reinterpret_cast<const float*>(0x1000);
  const float* w = reinterpret_cast<const float*>(0x2000);
  float* c = reinterpret_cast<float*>(0x3000);
  const auto f = rnn::row_major_gemm<float>(3, 8, 2, h, 2, 1, w, 1, 2, c, 8, 0.0f);
  CHECK(f.transa);
  CHECK_FALSE(f.transb);
  CHECK(f.m == 8);
  CHECK(f.n == 3);
  CHECK(f.k == 2);
  CHECK(f.a == w);
  CHECK(f.lda == 2);
  CHECK(f.b == h);
  CHECK(f.ldb == 2);
  CHECK(f.ldc == 8);
  // gw (G, H) = gh^T (G, rows) h (rows, H): gh read transposed.
  const auto g = rnn::row_major_gemm<float>(8, 2, 6, w, 1, 8, h, 2, 1, c, 2, 1.0f);
  CHECK_FALSE(g.transa);
  CHECK(g.transb);
  CHECK(g.ldb == 8);
  CHECK(g.beta == 1.0f);
}

#ifdef STEEPEST_WITH_CUDA
TEST_CASE("cuda build: the recurrent stubs have CUDA kernels") {
  CHECK(dispatch::rnn_layer_stub().has(DeviceType::CUDA));
  CHECK(dispatch::rnn_layer_backward_stub().has(DeviceType::CUDA));
}
#endif
