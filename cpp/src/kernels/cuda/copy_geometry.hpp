// Host-side geometry of the CUDA copy and fill kernels: the source broadcast to the
// destination's shape (stride 0 on broadcast dimensions), size-1 dimensions dropped and
// neighbours that are one run in both tensors merged, so most copies index with few dims.
// Plain C++ (no CUDA header): the CPU test binary checks it.
#pragma once
#include <cstdint>
#include <vector>

#include "steepest/error.hpp"

namespace steepest::cuda {

constexpr int kMaxCopyDims = 8;

// Element strides of dst and src over `size`, outermost first. ndim 0 is a single element.
struct CopyGeometry {
  int ndim = 0;
  int64_t size[kMaxCopyDims] = {};
  int64_t dst_stride[kMaxCopyDims] = {};
  int64_t src_stride[kMaxCopyDims] = {};
};

// src (src_shape, src_strides) broadcast to dst_shape; src may have fewer dims. Pass src
// empty vectors for a fill (no source). Throws ValueError when src cannot broadcast and
// NotImplementedError beyond kMaxCopyDims dims after merging.
inline CopyGeometry copy_geometry(const std::vector<int64_t>& dst_shape, const std::vector<int64_t>& dst_strides,
                                  const std::vector<int64_t>& src_shape, const std::vector<int64_t>& src_strides) {
  const size_t nd = dst_shape.size();
  STEEPEST_CHECK(src_shape.size() <= nd && src_strides.size() == src_shape.size() && dst_strides.size() == nd,
                 ValueError, "copy: source of ", src_shape.size(), " dims cannot broadcast to ", nd, " dims");
  std::vector<int64_t> size, ds, ss;
  for (size_t d = 0; d < nd; ++d) {
    int64_t s_stride = 0;
    const size_t lead = nd - src_shape.size();
    if (d >= lead) {
      const int64_t s = src_shape[d - lead];
      STEEPEST_CHECK(s == dst_shape[d] || s == 1, ValueError, "copy: source size ", s, " at dim ", d,
                     " cannot broadcast to size ", dst_shape[d]);
      s_stride = s == 1 ? 0 : src_strides[d - lead];
    }
    if (dst_shape[d] == 1) continue;  // contributes no offset
    // Merge with the previous (outer) dim when dim d continues it in both tensors.
    if (!size.empty() && ds.back() == dst_shape[d] * dst_strides[d] && ss.back() == dst_shape[d] * s_stride) {
      size.back() *= dst_shape[d];
      ds.back() = dst_strides[d];
      ss.back() = s_stride;
      continue;
    }
    size.push_back(dst_shape[d]);
    ds.push_back(dst_strides[d]);
    ss.push_back(s_stride);
  }
  STEEPEST_CHECK(size.size() <= size_t(kMaxCopyDims), NotImplementedError, "copy on cuda: more than ",
                 kMaxCopyDims, " dimensions that cannot be merged (", size.size(), ")");
  CopyGeometry g;
  g.ndim = int(size.size());
  for (size_t i = 0; i < size.size(); ++i) {
    g.size[i] = size[i];
    g.dst_stride[i] = ds[i];
    g.src_stride[i] = ss[i];
  }
  return g;
}

}  // namespace steepest::cuda
