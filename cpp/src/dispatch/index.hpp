// Dispatch stubs of the index family: advanced indexing (t[idx] reads and writes), gather /
// scatter along a dim, masked_fill, nonzero, and the bounds check of index tensors. The op
// resolves every index into views and shapes (device-agnostic) and allocates the results;
// kernels move the elements.
#pragma once
#include <optional>

#include "dispatch/stub.hpp"

namespace steepest::dispatch {

// The first position of an int32/int64 index tensor (any layout; C order) whose value is
// outside [0, n) (and is not `ignore`, when given), with that value; pos -1 when none.
struct BadIndex {
  int64_t pos = -1, value = 0;
};
using FindBadIndexKernel = BadIndex (*)(const Tensor& idx, int64_t n, std::optional<int64_t> ignore);

// Advanced indexing resolved against a view: the result's shape, where the index tensors'
// broadcast dims sit in it, the view's dims left unindexed, and per broadcast position the
// byte offset of the selected block in the view.
struct AdvancedIndex {
  Shape result;                           // the shape of view[index]
  Shape bshape;                           // the index tensors' broadcast shape
  int64_t bpos = 0;                       // where bshape's dims sit in `result`
  Shape rest;                             // the view's dims not indexed, in order
  Strides rest_view_strides;              // their strides in the view
  std::vector<int64_t> rest_result_dims;  // their positions in `result`
  Tensor offsets;                         // int64, shape bshape, on the view's device
};

// offsets (int64, shape bshape) = (assign ? 0 : offsets) + wrap(index) * step for an int32 /
// int64 index broadcast to offsets' shape, negative values wrapping by `size`. Returns the
// first value out of [-size, size) (pos -1 when none); offsets is then unspecified.
using IndexOffsetsKernel = BadIndex (*)(const Tensor& offsets, const Tensor& index, int64_t size, int64_t step,
                                        bool assign);
// out (shape p.result) = the blocks of view selected by p.
using IndexGatherKernel = void (*)(const Tensor& out, const Tensor& view, const AdvancedIndex& p);
// The blocks of view selected by p = (or += when `accumulate`) value (shape p.result, view's
// dtype). Repeated positions: the last value wins, or every value adds.
using IndexPutKernel = void (*)(const Tensor& view, const Tensor& value, const AdvancedIndex& p, bool accumulate);
// dst += src elementwise (src broadcasts to dst; one dtype; bool adds as or).
using AccumulateKernel = void (*)(const Tensor& dst, const Tensor& src);

enum class ScatterKind : uint8_t {
  Gather,      // other[i] = t_view[i + index[i] along dim]
  Scatter,     // t_view[...] = other[i]
  ScatterAdd,  // t_view[...] += other[i]
};
// One pass over (t_view, other, index), all of index's shape: t_view is t with stride 0 along
// the indexed dim, whose step (`step_bytes`) the index value multiplies. Index values are
// already checked.
using ScatterKernel = void (*)(ScatterKind kind, const Tensor& t_view, const Tensor& other, const Tensor& index,
                               int64_t step_bytes);

// t = value where mask (mask broadcasts to t).
using MaskedFillKernel = void (*)(const Tensor& t, const Tensor& mask, Scalar value);
// The (count, t.dim()) int64 positions of t's nonzero elements in C order. The kernel
// allocates the result: its size is known only after reading t.
using NonzeroKernel = Tensor (*)(const Tensor& t);

STEEPEST_DECLARE_STUB(FindBadIndexKernel, find_bad_index_stub);
STEEPEST_DECLARE_STUB(IndexOffsetsKernel, index_offsets_stub);
STEEPEST_DECLARE_STUB(IndexGatherKernel, index_gather_stub);
STEEPEST_DECLARE_STUB(IndexPutKernel, index_put_stub);
STEEPEST_DECLARE_STUB(AccumulateKernel, accumulate_stub);
STEEPEST_DECLARE_STUB(ScatterKernel, scatter_stub);
STEEPEST_DECLARE_STUB(MaskedFillKernel, masked_fill_stub);
STEEPEST_DECLARE_STUB(NonzeroKernel, nonzero_stub);

}  // namespace steepest::dispatch
