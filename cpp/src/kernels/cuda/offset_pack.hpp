// Strided indexing of the CUDA kernels, host half: up to N operands' sizes and byte strides
// over one common shape, packed into a by-value kernel argument (dims merged where every
// operand is contiguous across them, size-1 dims dropped, innermost first), and the map
// from a linear C-order index to each operand's byte offset. Plain header (no CUDA), so the
// CPU test binary checks it against a reference loop (tests/cpp/test_cuda_offsets.cpp).
#pragma once
#include <cstdint>
#include <vector>

#include "steepest/error.hpp"
#include "steepest/half.hpp"  // STEEPEST_HD

namespace steepest::cuda {

constexpr int kMaxDims = 8;

template <int N>
struct OffsetPack {
  int ndim = 0;                        // merged dims, innermost first
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxDims][N] = {};   // bytes, per dim and operand

  // off[k] = byte offset of operand k's element at C-order position `linear` (< the element
  // count). The outermost dim takes what is left without a division, so dense operands
  // (merged to one dim) need none.
  STEEPEST_HD void offsets(int64_t linear, int64_t* off) const {
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = 0; d + 1 < ndim; ++d) {
      const int64_t q = linear / sizes[d], i = linear - q * sizes[d];
      linear = q;
      for (int k = 0; k < N; ++k) off[k] += i * strides[d][k];
    }
    if (ndim > 0)
      for (int k = 0; k < N; ++k) off[k] += linear * strides[ndim - 1][k];
  }
};

// Byte strides of a tensor of shape `shape` (element strides `strides`) broadcast to `out`
// (right-aligned; stride 0 where the tensor has size 1 or lacks the dim).
template <class S>
std::vector<int64_t> broadcast_byte_strides(const S& shape, const S& strides, int64_t itemsize, const S& out) {
  const int64_t nd = int64_t(out.size()), td = int64_t(shape.size());
  STEEPEST_CHECK(td <= nd, ValueError, "cannot broadcast a ", td, "-d operand to ", nd, " dims");
  std::vector<int64_t> r(static_cast<size_t>(nd), 0);
  for (int64_t j = 0; j < td; ++j) {
    const int64_t d = nd - td + j;
    if (shape[size_t(j)] == out[size_t(d)]) r[size_t(d)] = shape[size_t(j)] == 1 ? 0 : strides[size_t(j)] * itemsize;
    else STEEPEST_CHECK(shape[size_t(j)] == 1, ValueError, "operand size ", shape[size_t(j)], " at dim ", j,
                        " does not broadcast to ", out[size_t(d)]);
  }
  return r;
}

// Packs shape (C order) and strides[k][d] (bytes, operand k, dim d). ValueError when more
// than kMaxDims dims remain after merging.
template <int N, class S>
OffsetPack<N> pack_offsets(const S& shape, const std::vector<std::vector<int64_t>>& strides) {
  STEEPEST_CHECK(int(strides.size()) == N, ValueError, "pack_offsets: ", strides.size(), " operands, expected ", N);
  const int64_t nd = int64_t(shape.size());
  for (const auto& s : strides)
    STEEPEST_CHECK(int64_t(s.size()) == nd, ValueError, "pack_offsets: strides of ", s.size(), " dims for a ", nd,
                   "-d shape");
  OffsetPack<N> p;
  std::vector<int64_t> sizes;
  std::vector<std::vector<int64_t>> st;  // merged dims, innermost first
  for (int64_t d = nd - 1; d >= 0; --d) {
    const int64_t sz = shape[size_t(d)];
    if (sz == 1) continue;
    bool merge = !sizes.empty();
    for (int k = 0; k < N && merge; ++k) merge = strides[size_t(k)][size_t(d)] == st.back()[size_t(k)] * sizes.back();
    if (merge) {
      sizes.back() *= sz;
      continue;
    }
    sizes.push_back(sz);
    std::vector<int64_t> col(N);
    for (int k = 0; k < N; ++k) col[size_t(k)] = strides[size_t(k)][size_t(d)];
    st.push_back(col);
  }
  STEEPEST_CHECK(sizes.size() <= size_t(kMaxDims), ValueError, "CUDA kernels take at most ", kMaxDims,
                 " dims after merging contiguous ones; these operands need ", sizes.size(),
                 " (call .contiguous() first)");
  p.ndim = int(sizes.size());
  for (size_t d = 0; d < sizes.size(); ++d) {
    p.sizes[d] = sizes[d];
    for (int k = 0; k < N; ++k) p.strides[d][k] = st[d][size_t(k)];
  }
  return p;
}

}  // namespace steepest::cuda
