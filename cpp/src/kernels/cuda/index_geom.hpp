// Advanced indexing's block geometry for the CUDA index kernels, host-device: where element q
// of block b sits on the dense side (the result of a gather, the values of a put) and in the
// view (from the block's byte offset). Plain header: the CPU test binary replays a gather
// with it against the CPU kernel (test_cuda_index.cpp).
#pragma once
#include <vector>

#include "dispatch/index.hpp"
#include "kernels/cuda/offset_pack.hpp"

namespace steepest::cuda {

// Block b's start on the dense side (C order over bshape with that side's strides) and element
// q of a block (C order over `rest`) on both sides.
struct BlockGeom {
  OffsetPack<1> dense_block;  // bshape, strides of the dense side at dims [bpos, bpos + nb)
  OffsetPack<2> rest;         // rest dims: {dense side, view}
  int64_t nb = 0, nrest = 1;

  // Element L = b * nrest + q: its byte offset on the dense side, and in the view past the
  // block's own offset.
  STEEPEST_HD void at(int64_t L, int64_t& b, int64_t& dense, int64_t& view) const {
    b = L / nrest;
    const int64_t q = L - b * nrest;
    int64_t db, r[2];
    dense_block.offsets(b, &db);
    rest.offsets(q, r);
    dense = db + r[0];
    view = r[1];
  }
};

inline BlockGeom block_geom(const Tensor& dense, const dispatch::AdvancedIndex& p) {
  STEEPEST_CHECK(p.offsets.is_contiguous() && p.offsets.dtype() == kInt64, ValueError,
                 "index: block offsets must be a contiguous int64 tensor");
  STEEPEST_CHECK(dense.dim() == int64_t(p.result.size()), ValueError, "index: a ", dense.dim(),
                 "-d operand for a result of ", p.result.size(), " dims");
  BlockGeom g;
  const int64_t isz = int64_t(dense.itemsize());
  std::vector<int64_t> bst;
  for (size_t k = 0; k < p.bshape.size(); ++k) bst.push_back(dense.strides()[size_t(p.bpos) + k] * isz);
  g.dense_block = pack_offsets<1>(p.bshape, {bst});
  std::vector<int64_t> ds, vs;
  for (size_t k = 0; k < p.rest.size(); ++k) {
    ds.push_back(dense.strides()[size_t(p.rest_result_dims[k])] * isz);
    vs.push_back(p.rest_view_strides[k] * isz);
  }
  g.rest = pack_offsets<2>(p.rest, {ds, vs});
  g.nb = p.offsets.numel();
  g.nrest = numel_of(p.rest);
  return g;
}

}  // namespace steepest::cuda
