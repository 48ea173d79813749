// Counting and binning (steepest/ops/count.hpp): every shape, dtype and index range is
// checked here, before the kernels (dispatch/count.hpp) touch memory.
#include <cmath>

#include "dispatch/count.hpp"
#include "steepest/autograd.hpp"
#include "steepest/ops.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(BincountKernel, bincount_stub);
STEEPEST_DEFINE_STUB(HistcKernel, histc_stub);
STEEPEST_DEFINE_STUB(SearchsortedKernel, searchsorted_stub);
}  // namespace dispatch

namespace {
TensorOptions on(DType dt, Device dev) {
  TensorOptions o(dt);
  o.device = dev;
  return o;
}
}  // namespace

Tensor bincount(const Tensor& x, const std::optional<Tensor>& weights, int64_t minlength) {
  autograd::NoGradGuard ng;
  STEEPEST_CHECK(x.dim() == 1 && (x.dtype() == kInt64 || x.dtype() == kInt32), ValueError,
                 "bincount only supports 1-d non-negative integral inputs (got a ", x.dim(), "-d ",
                 dtype_name(x.dtype()), " tensor)");
  if (weights)
    STEEPEST_CHECK(weights->shape() == x.shape(), ValueError, "bincount: weights should be 1-d and have the same "
                   "length as input (input ", x.shape(), ", weights ", weights->shape(), ")");
  STEEPEST_CHECK(minlength >= 0, ValueError, "bincount: minlength should be >= 0, got ", minlength);
  Tensor xi = contiguous(to_dtype(x, kInt64));
  int64_t bins = minlength;
  if (xi.numel() > 0) {
    int64_t lo = amin(xi).item<int64_t>();
    STEEPEST_CHECK(lo >= 0, ValueError, "bincount only supports 1-d non-negative integral inputs (found ", lo, ")");
    bins = std::max(bins, amax(xi).item<int64_t>() + 1);
  }
  Tensor w;
  DType out_dt = kInt64;
  if (weights && xi.numel() > 0) {  // (an empty input counts, as torch: int64 zeros)
    out_dt = weights->dtype() == kFloat32 ? kFloat32 : kFloat64;
    w = contiguous(to_dtype(*weights, kFloat64));
  }
  Device dev = weights ? dispatch::common_device(x, *weights) : x.device();
  Tensor out = zeros({bins}, on(w.defined() ? kFloat64 : kInt64, dev));
  if (xi.numel() > 0) dispatch::bincount_stub().get(dev, "bincount")(out, xi, w);
  return to_dtype(out, out_dt);
}

Tensor histc(const Tensor& x, int64_t bins, double min, double max) {
  autograd::NoGradGuard ng;
  STEEPEST_CHECK(is_floating(x.dtype()), TypeError, "histc: expected a floating point tensor, got ",
                 dtype_name(x.dtype()));
  STEEPEST_CHECK(bins > 0, ValueError, "histc: bins must be > 0, but got ", bins);
  STEEPEST_CHECK(std::isfinite(min) && std::isfinite(max), ValueError, "histc: range of [", min, ", ", max,
                 "] is not finite");
  STEEPEST_CHECK(min <= max, ValueError, "histc: max must be larger than min (min=", min, ", max=", max, ")");
  Tensor xc = contiguous(x);
  if (min == max && xc.numel() > 0) {  // the data's range
    min = to_dtype(amin(xc), kFloat64).item<double>();
    max = to_dtype(amax(xc), kFloat64).item<double>();
    STEEPEST_CHECK(std::isfinite(min) && std::isfinite(max), ValueError, "histc: range of [", min, ", ", max,
                   "] is not finite");
  }
  if (min == max) min -= 1, max += 1;
  Tensor out = zeros({bins}, on(x.dtype(), x.device()));
  if (xc.numel() > 0) dispatch::histc_stub().get(x.device(), "histc")(out, xc, min, max);
  return out;
}

Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool out_int32, bool right,
                    const std::optional<Tensor>& sorter) {
  autograd::NoGradGuard ng;
  STEEPEST_CHECK(sorted.dim() >= 1, ValueError, "searchsorted: sorted_sequence must have at least one dimension");
  STEEPEST_CHECK(sorted.dtype() != kBool && values.dtype() != kBool, TypeError,
                 "searchsorted: bool tensors are not supported");
  bool shared = sorted.dim() == 1;
  if (!shared) {
    Shape lead_s(sorted.shape()), lead_v(values.shape());
    STEEPEST_CHECK(values.dim() == sorted.dim(), ValueError, "searchsorted: boundaries tensor should be 1 dimension "
                   "or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got "
                   "boundaries tensor ", sorted.shape(), " and input value tensor ", values.shape());
    for (int64_t d = 0; d + 1 < sorted.dim(); ++d)
      STEEPEST_CHECK(sorted.shape()[size_t(d)] == values.shape()[size_t(d)], ValueError,
                     "searchsorted: the first N-1 dimensions of boundaries tensor and input value tensor must match, "
                     "but we got boundaries tensor ", sorted.shape(), " and input value tensor ", values.shape());
  }
  Device dev = dispatch::common_device(sorted, values);
  int64_t m = sorted.shape().back();
  Tensor perm;
  if (sorter) {
    STEEPEST_CHECK(sorter->shape() == sorted.shape(), ValueError, "searchsorted: boundary and sorter must have the "
                   "same size, but got boundary tensor ", sorted.shape(), " and sorter tensor ", sorter->shape());
    STEEPEST_CHECK(sorter->dtype() == kInt64 || sorter->dtype() == kInt32, TypeError,
                   "searchsorted: sorter must be an integer tensor, got ", dtype_name(sorter->dtype()));
    perm = contiguous(to_dtype(*sorter, kInt64));
    if (perm.numel() > 0)
      STEEPEST_CHECK(amin(perm).item<int64_t>() >= 0 && amax(perm).item<int64_t>() < m, IndexError,
                     "searchsorted: sorter index out of range (the innermost dimension has size ", m, ")");
  }
  DType ct = promote_types(sorted.dtype(), values.dtype());
  Tensor s = contiguous(to_dtype(sorted, ct)), v = contiguous(to_dtype(values, ct));
  Tensor out = Tensor::empty(values.shape(), out_int32 ? kInt32 : kInt64, dev);
  if (out.numel() == 0) return out;
  if (m == 0) return fill_(out, Scalar(0));
  dispatch::searchsorted_stub().get(dev, "searchsorted")(out, s, v, perm, m, right);
  return out;
}

Tensor bucketize(const Tensor& x, const Tensor& boundaries, bool out_int32, bool right) {
  STEEPEST_CHECK(boundaries.dim() == 1, ValueError, "bucketize: boundaries tensor must be 1 dimension, but got dim(",
                 boundaries.dim(), ")");
  return searchsorted(boundaries, x, out_int32, right);
}

}  // namespace steepest
