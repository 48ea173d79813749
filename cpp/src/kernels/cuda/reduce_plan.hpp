// Layout of a CUDA reduction, host half: output r (C order over the kept dims) reads the
// elements j (C order over the reduced dims, i.e. logical order) of x at byte offset
// kept.offsets(r) + red.offsets(j); and the combine rules of the partials (max/min with NaN
// propagating, the first index of the max/min). Plain header: the CPU test binary checks it.
#pragma once
#include <vector>

#include "kernels/cuda/offset_pack.hpp"

namespace steepest::cuda {

struct ReducePlan {
  OffsetPack<1> kept, red;
  int64_t nout = 1, n = 1;  // outputs, elements per output
};

// flags[d] is 1 for each reduced dim of x (shape, element strides, itemsize bytes).
template <class S>
ReducePlan plan_reduce(const S& shape, const S& strides, int64_t itemsize, const S& flags) {
  STEEPEST_CHECK(flags.size() == shape.size(), ValueError, "reduce: ", flags.size(), " flags for a ",
                 shape.size(), "-d tensor");
  std::vector<int64_t> ks, kst, rs, rst;
  ReducePlan p;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (flags[d]) {
      rs.push_back(shape[d]);
      rst.push_back(strides[d] * itemsize);
      p.n *= shape[d];
    } else {
      ks.push_back(shape[d]);
      kst.push_back(strides[d] * itemsize);
      p.nout *= shape[d];
    }
  }
  p.kept = pack_offsets<1>(ks, {kst});
  p.red = pack_offsets<1>(rs, {rst});
  return p;
}

template <class S> STEEPEST_HD S nan_max(S a, S b) { return a != a ? a : b != b ? b : (b > a ? b : a); }
template <class S> STEEPEST_HD S nan_min(S a, S b) { return a != a ? a : b != b ? b : (b < a ? b : a); }

template <class S>
struct ValIdx {
  S v;
  int64_t i;  // -1: no element
};

// The first index of the max (min); a NaN wins, the first NaN's index is reported. Partials
// are not in index order, so ties are broken by the smaller index explicitly.
template <class S>
STEEPEST_HD ValIdx<S> better(const ValIdx<S>& a, const ValIdx<S>& b, bool is_max) {
  if (a.i < 0) return b;
  if (b.i < 0) return a;
  const bool an = a.v != a.v, bn = b.v != b.v;
  if (an || bn) return an && bn ? (b.i < a.i ? b : a) : an ? a : b;
  if (a.v == b.v) return b.i < a.i ? b : a;
  return (is_max ? b.v > a.v : b.v < a.v) ? b : a;
}

}  // namespace steepest::cuda
