// Sorting and order statistics (steepest/ops/sort.hpp): dims, k and result shapes checked
// here, the sorted dim moved last for the kernels (dispatch/sort.hpp), and the gradient of
// the values recorded as a scatter of the incoming gradient into the picked indices.
#include <algorithm>
#include <limits>

#include "autograd/record.hpp"
#include "dispatch/sort.hpp"
#include "steepest/ops.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(SortKernel, sort_stub);
STEEPEST_DEFINE_STUB(SelectKernel, select_stub);
}  // namespace dispatch

namespace {

using dispatch::SelectKind;

// t with dim `d` moved last, contiguous and detached: the kernels' rows.
Tensor rows_of(const Tensor& t, int64_t d) {
  autograd::NoGradGuard ng;
  if (t.dim() == 0) return contiguous(reshape(t, {1}));
  return contiguous(movedim(t, d, -1));
}

int64_t size_at(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.shape()[size_t(d)]; }

// Records values' gradient: zeros of t's shape with g scattered to `indices` along d.
// `reduced`: values lost dim d (kept with size 1 when keepdim).
void record_pick(const char* name, const Tensor& t, Tensor& values, const Tensor& indices, int64_t d, bool reduced,
                 bool keepdim) {
  if (!autograd::needs_grad({&t}) || !is_floating(t.dtype())) return;
  Shape in_shape = t.shape();
  DType dt = t.dtype();
  autograd::record(name, {&t}, {&values}, {indices},
                   [in_shape, dt, d, reduced, keepdim](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
    if (in_shape.empty()) return {g[0]};
    Tensor idx = n.saved(0), gg = g[0];
    if (reduced && !keepdim) idx = unsqueeze(idx, d), gg = unsqueeze(gg, d);
    Tensor z = zeros(in_shape, TensorOptions(dt));
    return {scatter_add(z, d, idx, to_dtype(gg, dt))};
  });
}

// Sorted values and indices along d, without autograd; shaped as t.
std::pair<Tensor, Tensor> sorted(const char* op, const Tensor& t, int64_t d, bool descending) {
  Tensor x = rows_of(t, d);
  Tensor v = Tensor::empty(x.shape(), t.dtype(), t.device());
  Tensor i = Tensor::empty(x.shape(), kInt64, t.device());
  if (x.numel() > 0) {
    int64_t n = x.shape().back();
    dispatch::sort_stub().get(t.device(), op)(v, i, x, x.numel() / n, descending);
  }
  autograd::NoGradGuard ng;
  if (t.dim() == 0) return {reshape(v, {}), reshape(i, {})};
  return {contiguous(movedim(v, -1, d)), contiguous(movedim(i, -1, d))};
}

// One element per slice along d, picked by `kind`.
std::pair<Tensor, Tensor> select(const char* op, const char* node, const Tensor& t, int64_t dim, bool keepdim,
                                 SelectKind kind, int64_t k) {
  int64_t d = wrap_dim(dim, t.dim());
  int64_t n = size_at(t, d);
  if (kind == SelectKind::Kth)
    STEEPEST_CHECK(k >= 1 && k <= n, IndexError, op, "(): selected number k out of range for dimension ", d,
                   " (k=", k, ", size ", n, ")");
  Shape out_shape = t.shape();
  if (t.dim() > 0) {
    if (keepdim) out_shape[size_t(d)] = 1;
    else out_shape.erase(size_t(d));
  }
  Tensor v = Tensor::empty(out_shape, t.dtype(), t.device());
  Tensor i = Tensor::empty(out_shape, kInt64, t.device());
  if (v.numel() > 0) {
    STEEPEST_CHECK(n > 0, IndexError, op, "(): Expected reduction dim ", d, " to have non-zero size.");
    Tensor x = rows_of(t, d);
    dispatch::select_stub().get(t.device(), op)(v, i, x, v.numel(), kind, k);
  }
  record_pick(node, t, v, i, d, true, keepdim);
  return {v, i};
}

// median()/nanmedian() of all elements: over the flattened tensor (its reshape carries the
// gradient back); NaN for an empty floating tensor.
Tensor all_median(const char* op, const Tensor& t, bool nan) {
  if (t.numel() == 0) {
    STEEPEST_CHECK(is_floating(t.dtype()), ValueError, op, "(): the median of an empty ", dtype_name(t.dtype()),
                   " tensor is undefined");
    return full({}, Scalar(std::numeric_limits<double>::quiet_NaN()), TensorOptions(t.dtype()));
  }
  Tensor flat = reshape(t, {-1});
  return nan ? nanmedian(flat, 0).first : median(flat, 0).first;
}

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool /*stable*/) {
  int64_t d = wrap_dim(dim, t.dim());
  auto r = sorted("sort", t, d, descending);
  record_pick("SortBackward0", t, r.first, r.second, d, false, false);
  return r;
}

Tensor argsort(const Tensor& t, int64_t dim, bool descending, bool /*stable*/) {
  return sorted("argsort", t, wrap_dim(dim, t.dim()), descending).second;
}

Tensor msort(const Tensor& t) { return sort(t, 0).first; }

std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool /*sorted*/) {
  int64_t d = wrap_dim(dim, t.dim());
  int64_t n = size_at(t, d);
  STEEPEST_CHECK(k >= 0 && k <= n, IndexError, "topk(): selected index k out of range (k=", k, ", dimension ", d,
                 " has size ", n, ")");
  auto s = sorted("topk", t, d, largest);
  Tensor v = s.first, i = s.second;
  if (t.dim() > 0) {
    autograd::NoGradGuard ng;
    v = contiguous(narrow(v, d, 0, k));
    i = contiguous(narrow(i, d, 0, k));
  } else if (k == 0) {
    // a 0-d input has one element: k = 0 keeps none of it
    v = Tensor::empty({0}, t.dtype(), t.device());
    i = Tensor::empty({0}, kInt64, t.device());
    return {v, i};
  }
  record_pick("TopkBackward0", t, v, i, d, false, false);
  return {v, i};
}

std::pair<Tensor, Tensor> kthvalue(const Tensor& t, int64_t k, int64_t dim, bool keepdim) {
  return select("kthvalue", "KthvalueBackward0", t, dim, keepdim, SelectKind::Kth, k);
}
std::pair<Tensor, Tensor> median(const Tensor& t, int64_t dim, bool keepdim) {
  return select("median", "MedianBackward1", t, dim, keepdim, SelectKind::Median, 0);
}
std::pair<Tensor, Tensor> nanmedian(const Tensor& t, int64_t dim, bool keepdim) {
  return select("nanmedian", "NanmedianBackward1", t, dim, keepdim, SelectKind::NanMedian, 0);
}
std::pair<Tensor, Tensor> mode(const Tensor& t, int64_t dim, bool keepdim) {
  return select("mode", "ModeBackward0", t, dim, keepdim, SelectKind::Mode, 0);
}
Tensor median(const Tensor& t) { return all_median("median", t, false); }
Tensor nanmedian(const Tensor& t) { return all_median("nanmedian", t, true); }

}  // namespace steepest
