// The CUDA index kernels' block geometry (kernels/cuda/index_geom.hpp) replayed on the host
// against the CPU kernels: advanced-indexing gathers and puts (plain and accumulating, with
// repeated positions) for adjacent and separated index dims over a strided view, byte for byte.
#include <doctest/doctest.h>

#include <cstring>
#include <utility>
#include <vector>

#include <steepest/steepest.hpp>

#include "dispatch/index.hpp"
#include "kernels/cuda/index_geom.hpp"

using namespace steepest;
using dispatch::AdvancedIndex;

namespace {

// The plan of view[...] with integer index tensors on the given dims (in increasing order),
// laid out as the index op lays it out; offsets by the CPU offsets kernel.
AdvancedIndex plan(const Tensor& view, const std::vector<std::pair<int64_t, Tensor>>& ints) {
  AdvancedIndex p;
  p.bshape = ints[0].second.shape();
  for (const auto& a : ints) p.bshape = broadcast_shapes(p.bshape, a.second.shape());
  bool adjacent = true;
  for (size_t k = 1; k < ints.size(); ++k) adjacent = adjacent && ints[k].first == ints[k - 1].first + 1;
  const int64_t first = ints[0].first, nd = view.dim();
  p.bpos = adjacent ? first : 0;
  for (int64_t i = 0; i < p.bpos; ++i) p.result.push_back(view.shape()[size_t(i)]);
  for (int64_t b : p.bshape) p.result.push_back(b);
  std::vector<bool> indexed(size_t(nd), false);
  for (const auto& a : ints) indexed[size_t(a.first)] = true;
  for (int64_t i = 0; i < nd; ++i) {
    if (indexed[size_t(i)]) continue;
    p.rest.push_back(view.shape()[size_t(i)]);
    p.rest_view_strides.push_back(view.strides()[size_t(i)]);
    const bool before = adjacent && i < first;
    p.rest_result_dims.push_back(before ? i : int64_t(p.result.size()));
    if (!before) p.result.push_back(view.shape()[size_t(i)]);
  }
  p.offsets = Tensor::empty(p.bshape, kInt64);
  bool assign = true;
  for (const auto& a : ints) {
    const int64_t size = view.shape()[size_t(a.first)], step = view.strides()[size_t(a.first)] * int64_t(view.itemsize());
    REQUIRE(dispatch::index_offsets_stub().get(kCPU)(p.offsets, a.second, size, step, assign).pos < 0);
    assign = false;
  }
  return p;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return std::memcmp(a.data_ptr(), b.data_ptr(), size_t(a.numel()) * a.itemsize()) == 0;
}

Tensor idx(std::vector<int64_t> v, Shape s) {
  Tensor t = Tensor::empty(s, kInt64);
  std::memcpy(t.data_ptr(), v.data(), v.size() * 8);
  return t;
}

void check_case(const Tensor& view, const std::vector<std::pair<int64_t, Tensor>>& ints) {
  const AdvancedIndex p = plan(view, ints);
  const int64_t isz = int64_t(view.itemsize());
  const int64_t* offs = p.offsets.data<int64_t>();
  // Gather.
  Tensor want = Tensor::empty(p.result, view.dtype()), got = Tensor::empty(p.result, view.dtype());
  dispatch::index_gather_stub().get(kCPU)(want, view, p);
  const cuda::BlockGeom g = cuda::block_geom(got, p);
  for (int64_t L = 0; L < g.nb * g.nrest; ++L) {
    int64_t b, dense, v;
    g.at(L, b, dense, v);
    std::memcpy(static_cast<char*>(got.data_ptr()) + dense, static_cast<const char*>(view.data_ptr()) + offs[b] + v,
                size_t(isz));
  }
  CHECK(same_bytes(want, got));
  // Put and accumulate, in the serial kernel's order (per element of a block, positions in order).
  for (bool accumulate : {false, true}) {
    Generator gen(11);
    const Tensor value = randn(p.result, TensorOptions(kFloat64), &gen);
    Tensor a = clone(view), b2 = clone(view);
    dispatch::index_put_stub().get(kCPU)(a, value, p, accumulate);
    const cuda::BlockGeom gv = cuda::block_geom(value, p);
    for (int64_t q = 0; q < gv.nrest; ++q)
      for (int64_t b0 = 0; b0 < gv.nb; ++b0) {
        int64_t b, dense, v;
        gv.at(b0 * gv.nrest + q, b, dense, v);
        auto* dst = reinterpret_cast<double*>(static_cast<char*>(b2.data_ptr()) + offs[b] + v);
        const double s = *reinterpret_cast<const double*>(static_cast<const char*>(value.data_ptr()) + dense);
        *dst = accumulate ? *dst + s : s;
      }
    CHECK(same_bytes(a, b2));
  }
}

}  // namespace

TEST_CASE("cuda index geometry: gathers and puts equal the CPU kernels") {
  Generator gen(3);
  const Tensor base = randn({6, 7, 5}, TensorOptions(kFloat64), &gen);
  // Adjacent index dims in the middle, repeated positions.
  check_case(base, {{1, idx({0, 6, 2, 2, 6, 1}, {2, 3})}});
  // Separated index dims (the broadcast block goes first), broadcast index shapes.
  check_case(base, {{0, idx({5, 0, 5}, {3, 1})}, {2, idx({4, 1}, {1, 2})}});
  // A transposed view, indices on its leading dims.
  const Tensor t = transpose(base, 0, 2);  // (5, 7, 6)
  check_case(t, {{0, idx({4, 0}, {2})}, {1, idx({6, 3}, {2})}});
  // All dims indexed (no rest), and a single element.
  check_case(base, {{0, idx({1}, {1})}, {1, idx({2}, {1})}, {2, idx({3}, {1})}});
}
