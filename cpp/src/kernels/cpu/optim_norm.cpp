// The CPU kernels of the multi-tensor passes (dispatch/optim.hpp): the global norm that
// clipping needs, in-place scaling, and GradScaler's check-and-unscale, over every tensor in
// chunks, in parallel, each chunk through the kernel table's SIMD pieces (half types through
// float32 blocks). Chunk results are combined in chunk order, so no result depends on the
// thread count.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "dispatch/optim.hpp"
#include "kernels/cpu/kernel_table.hpp"

namespace steepest::kernels {

namespace {

constexpr int64_t kChunk = 32768;
constexpr int64_t kParallelMin = 65536;

struct Piece {
  const void* data;
  int64_t n;
  DType dtype;
};

// The (validated, contiguous, float) tensors split into chunks of at most kChunk elements, in order.
std::vector<Piece> pieces_of(const std::vector<Tensor>& tensors, int64_t* total) {
  std::vector<Piece> out;
  *total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (!t.defined()) continue;
    const DType d = t.dtype();
    const char* base = static_cast<const char*>(t.data_ptr());
    for (int64_t b = 0; b < t.numel(); b += kChunk)
      out.push_back({base + b * int64_t(t.itemsize()), std::min(kChunk, t.numel() - b), d});
    *total += t.numel();
  }
  return out;
}

// Half-precision pieces go through float32 blocks of this many values.
constexpr int64_t kHalfBlock = 2048;

template <class H>
void widen_block(const void* src, float* dst, int64_t n) {
  const H* s = static_cast<const H*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = float(s[i]);
}
template <class H>
void narrow_block(const float* src, void* dst, int64_t n) {
  H* d = static_cast<H*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = H(src[i]);
}

// Calls fn(float* block, int64_t len) on float32 copies of a half piece, block by block;
// writes the blocks back if `write`.
template <class Fn>
void over_half(const Piece& p, bool write, Fn fn) {
  float buf[kHalfBlock];
  const size_t es = 2;
  for (int64_t b = 0; b < p.n; b += kHalfBlock) {
    const int64_t len = std::min(kHalfBlock, p.n - b);
    const void* src = static_cast<const char*>(p.data) + size_t(b) * es;
    if (p.dtype == kBFloat16) widen_block<bfloat16>(src, buf, len);
    else widen_block<float16>(src, buf, len);
    fn(buf, len);
    if (!write) continue;
    void* dst = const_cast<char*>(static_cast<const char*>(src));
    if (p.dtype == kBFloat16) narrow_block<bfloat16>(buf, dst, len);
    else narrow_block<float16>(buf, dst, len);
  }
}

// max |x| of a piece, NaN if any x is NaN (so a non-finite piece gives inf or NaN).
double piece_max_abs(const Piece& p) {
  const auto& k = cpu_kernels();
  if (p.dtype == kFloat64) return k.f64.optim.max_abs(static_cast<const double*>(p.data), p.n);
  if (p.dtype == kFloat32) return double(k.f32.optim.max_abs(static_cast<const float*>(p.data), p.n));
  double m = 0;
  over_half(p, false, [&](float* x, int64_t n) {
    const double v = double(k.f32.optim.max_abs(x, n));
    if (std::isnan(v) || std::isnan(m)) m = std::numeric_limits<double>::quiet_NaN();
    else m = v > m ? v : m;
  });
  return m;
}

double piece_sum(const Piece& p, bool squares) {
  const auto& k = cpu_kernels();
  if (p.dtype == kFloat64) {
    const double* x = static_cast<const double*>(p.data);
    return squares ? k.f64.optim.sum_sq(x, p.n) : k.f64.optim.sum_abs(x, p.n);
  }
  if (p.dtype == kFloat32) {
    const float* x = static_cast<const float*>(p.data);
    return squares ? k.f32.optim.sum_sq(x, p.n) : k.f32.optim.sum_abs(x, p.n);
  }
  double s = 0;
  over_half(p, false, [&](float* x, int64_t n) { s += squares ? k.f32.optim.sum_sq(x, n) : k.f32.optim.sum_abs(x, n); });
  return s;
}

void piece_scale(const Piece& p, double factor) {
  const auto& k = cpu_kernels();
  if (p.dtype == kFloat64) k.f64.optim.scale(static_cast<double*>(const_cast<void*>(p.data)), p.n, factor);
  else if (p.dtype == kFloat32) k.f32.optim.scale(static_cast<float*>(const_cast<void*>(p.data)), p.n, float(factor));
  else over_half(p, true, [&](float* x, int64_t n) { k.f32.optim.scale(x, n, float(factor)); });
}

bool go_parallel(int64_t total, size_t pieces) {
  return total >= kParallelMin && pieces > 1 && omp_get_max_threads() > 1;
}

double multi_norm(const std::vector<Tensor>& tensors, double norm_type) {
  const bool inf = std::isinf(norm_type);
  int64_t total = 0;
  const auto pieces = pieces_of(tensors, &total);
  std::vector<double> part(pieces.size());
  const int64_t np = int64_t(pieces.size());
  auto one = [&](int64_t i) {
    const Piece& p = pieces[size_t(i)];
    part[size_t(i)] = inf ? piece_max_abs(p) : piece_sum(p, norm_type == 2);
  };
  if (go_parallel(total, pieces.size())) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < np; ++i) one(i);
  } else {
    for (int64_t i = 0; i < np; ++i) one(i);
  }
  // Combined in piece order: the result doesn't depend on the thread count.
  if (inf) {
    double m = 0;
    for (double v : part) {
      if (std::isnan(v)) return v;
      m = v > m ? v : m;
    }
    return m;
  }
  double s = 0;
  for (double v : part) s += v;
  return norm_type == 2 ? std::sqrt(s) : s;
}

void multi_scale(const std::vector<Tensor>& tensors, double factor) {
  int64_t total = 0;
  const auto pieces = pieces_of(tensors, &total);
  const int64_t np = int64_t(pieces.size());
  if (go_parallel(total, pieces.size())) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < np; ++i) piece_scale(pieces[size_t(i)], factor);
  } else {
    for (int64_t i = 0; i < np; ++i) piece_scale(pieces[size_t(i)], factor);
  }
}

// One pass: each chunk is checked (max |x|) and then, if scaling, scaled while it is still in
// cache. Returns whether any value was inf or NaN.
bool multi_check_scale(const std::vector<Tensor>& tensors, bool scale, double factor) {
  int64_t total = 0;
  const auto pieces = pieces_of(tensors, &total);
  const int64_t np = int64_t(pieces.size());
  int bad = 0;
  auto one = [&](int64_t i) {
    const Piece& p = pieces[size_t(i)];
    const double m = piece_max_abs(p);
    if (scale) piece_scale(p, factor);
    return !std::isfinite(m);
  };
  if (go_parallel(total, pieces.size())) {
#pragma omp parallel for schedule(static) reduction(| : bad)
    for (int64_t i = 0; i < np; ++i) bad |= int(one(i));
  } else {
    for (int64_t i = 0; i < np; ++i) bad |= int(one(i));
  }
  return bad != 0;
}
}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::multi_norm_stub, CPU, multi_norm);
STEEPEST_REGISTER_KERNEL(dispatch::multi_scale_stub, CPU, multi_scale);
STEEPEST_REGISTER_KERNEL(dispatch::multi_check_scale_stub, CPU, multi_check_scale);

}  // namespace steepest::kernels
