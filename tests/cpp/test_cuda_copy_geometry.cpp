// The CUDA copy kernels' host-side geometry (kernels/cuda/copy_geometry.hpp): for every
// linear index, the offsets it yields must equal the ones computed from the full shape and
// strides by hand (reference below), with broadcasting and merged dimensions.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "kernels/cuda/copy_geometry.hpp"

using steepest::cuda::copy_geometry;
using steepest::cuda::CopyGeometry;
using V = std::vector<int64_t>;

namespace {
// Offsets as the kernel computes them (innermost dim fastest).
void kernel_offsets(const CopyGeometry& g, int64_t i, int64_t& od, int64_t& os) {
  od = os = 0;
  for (int d = g.ndim - 1; d >= 0; --d) {
    int64_t c = i % g.size[d];
    i /= g.size[d];
    od += c * g.dst_stride[d];
    os += c * g.src_stride[d];
  }
}
// Reference: unravel i over the unmerged dst shape, src right-aligned and broadcast.
void ref_offsets(const V& shape, const V& ds, const V& sshape, const V& ss, int64_t i, int64_t& od, int64_t& os) {
  od = os = 0;
  const size_t lead = shape.size() - sshape.size();
  for (size_t d = shape.size(); d-- > 0;) {
    int64_t c = i % shape[d];
    i /= shape[d];
    od += c * ds[d];
    if (d >= lead && sshape[d - lead] != 1) os += c * ss[d - lead];
  }
}
void check_all(const V& shape, const V& ds, const V& sshape, const V& ss) {
  CopyGeometry g = copy_geometry(shape, ds, sshape, ss);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  for (int64_t i = 0; i < n; ++i) {
    int64_t a, b, c, d;
    kernel_offsets(g, i, a, b);
    ref_offsets(shape, ds, sshape, ss, i, c, d);
    REQUIRE(a == c);
    REQUIRE(b == d);
  }
}
}  // namespace

TEST_CASE("cuda copy geometry: contiguous dims merge into one") {
  CopyGeometry g = copy_geometry({2, 3, 4}, {12, 4, 1}, {2, 3, 4}, {12, 4, 1});
  CHECK(g.ndim == 1);
  CHECK(g.size[0] == 24);
  check_all({2, 3, 4}, {12, 4, 1}, {2, 3, 4}, {12, 4, 1});
}

TEST_CASE("cuda copy geometry: transposed, broadcast, sliced and scalar sources") {
  check_all({3, 5}, {5, 1}, {3, 5}, {1, 3});                 // a transposed (5, 3) source
  check_all({4, 3, 5}, {15, 5, 1}, {5}, {1});                // broadcast of a row
  check_all({4, 3, 5}, {15, 5, 1}, {3, 1}, {1, 1});          // broadcast of a column
  check_all({2, 7}, {7, 1}, {2, 7}, {20, 2});                // a strided slice
  check_all({1, 6, 1}, {6, 1, 1}, {1, 6, 1}, {6, 1, 1});     // size-1 dims dropped
  check_all({}, {}, {}, {});                                 // 0-d
  check_all({3, 1, 2, 1, 2, 1, 2, 1, 2}, {16, 16, 8, 8, 4, 4, 2, 2, 1}, {2}, {3});  // 9 dims
  CopyGeometry f = copy_geometry({4, 5}, {10, 2}, {}, {});  // a fill of a strided view
  CHECK(f.ndim == 1);
  CHECK(f.dst_stride[0] == 2);
}

TEST_CASE("cuda copy geometry: refuses what cannot broadcast or merge") {
  CHECK_THROWS_AS(copy_geometry({3, 4}, {4, 1}, {3, 5}, {5, 1}), steepest::ValueError);
  CHECK_THROWS_AS(copy_geometry({3}, {1}, {2, 3}, {3, 1}), steepest::ValueError);
  // Nine dims none of which continue another (strides with gaps).
  V shape(9, 2), ds(9), ss(9);
  int64_t st = 1;
  for (int d = 8; d >= 0; --d) { ds[size_t(d)] = st; st *= 3; ss[size_t(d)] = 0; }
  ss[0] = 1;
  CHECK_THROWS_AS(copy_geometry(shape, ds, shape, ss), steepest::NotImplementedError);
}
