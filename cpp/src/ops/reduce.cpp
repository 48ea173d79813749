// Reductions: sum, mean, amax/amin, max/min with indices, argmax/argmin, var/std. Dims,
// result shapes, empty cases and autograd here; the reduction itself runs in the device's
// kernels (dispatch/reduce.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/record.hpp"
#include "dispatch/reduce.hpp"
#include "steepest/ops.hpp"
#include "steepest/ops/reduce.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(SumKernel, sum_stub);
STEEPEST_DEFINE_STUB(ExtremeKernel, extreme_stub);
STEEPEST_DEFINE_STUB(ArgKernel, arg_stub);
STEEPEST_DEFINE_STUB(VarKernel, var_stub);
}  // namespace dispatch

namespace {

// flags[d] = 1 for each reduced dim; empty `dims` reduces all. Duplicates are an error.
Shape parse_dims(const char* op, const Tensor& t, const Dims& dims) {
  int64_t nd = t.dim();
  Shape flags(size_t(nd), dims.empty() ? 1 : 0);
  Shape seen(size_t(std::max<int64_t>(nd, 1)), 0);
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, nd);
    STEEPEST_CHECK(!seen[size_t(w)], ValueError, op, "(): dim ", w, " appears multiple times in the list of dims");
    seen[size_t(w)] = 1;
    if (nd > 0) flags[size_t(w)] = 1;
  }
  return flags;
}

// Reduction over zero elements: the identity (sum), NaN (mean, var), or an error (max...).
void check_nonempty(const char* op, const Tensor& t, const Dims& dims, const Shape& flags) {
  if (dims.empty()) {
    STEEPEST_CHECK(t.numel() > 0, ValueError, op,
                   "(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                   "reduction dim with the 'dim' argument.");
    return;
  }
  for (size_t d = 0; d < flags.size(); ++d)
    STEEPEST_CHECK(!flags[d] || t.shape()[d] != 0, IndexError, op, "(): Expected reduction dim ", d,
                   " to have non-zero size.");
}

// Shape of a reduction's result: reduced dims dropped, or kept with size 1.
Shape reduced_shape(const Shape& shape, const Shape& flags, bool keepdim) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!flags[d]) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
  return out;
}

// Elements reduced into each output.
int64_t reduced_numel(const Shape& shape, const Shape& flags) {
  int64_t n = 1;
  for (size_t d = 0; d < shape.size(); ++d)
    if (flags[d]) n *= shape[d];
  return n;
}

Tensor sum_impl(const char* op, const Tensor& t, const Dims& dims, bool keepdim, std::optional<DType> dtype,
                bool mean) {
  Tensor x = dtype && *dtype != t.dtype() ? to_dtype(t, *dtype) : t;
  Shape flags = parse_dims(op, x, dims);
  DType out_dt = is_integral(x.dtype(), true) && !dtype ? kInt64 : x.dtype();
  Tensor out = Tensor::empty(reduced_shape(x.shape(), flags, keepdim), out_dt, x.device());
  if (out.numel() == 0) return out;
  if (reduced_numel(x.shape(), flags) == 0) {
    fill_(out, mean ? Scalar(std::numeric_limits<double>::quiet_NaN()) : Scalar(0));
    return out;
  }
  dispatch::sum_stub().get(x.device(), op)(out, x, flags, mean);
  return out;
}

template <bool kMax>
Tensor extreme_impl(const char* op, const Tensor& t, const Dims& dims, bool keepdim) {
  Shape flags = parse_dims(op, t, dims);
  check_nonempty(op, t, dims, flags);
  Tensor out = Tensor::empty(reduced_shape(t.shape(), flags, keepdim), t.dtype(), t.device());
  if (out.numel() == 0) return out;
  dispatch::extreme_stub().get(t.device(), op)(out, t, flags, kMax);
  return out;
}

// Values (optional) and indices of the max/min over one dim, or over all (dim = nullopt).
template <bool kMax>
std::pair<Tensor, Tensor> arg_impl(const char* op, const Tensor& t, std::optional<int64_t> dim, bool keepdim,
                                   bool want_values) {
  Dims dims;
  if (dim) dims.push_back(*dim);
  Shape flags = parse_dims(op, t, dims);
  check_nonempty(op, t, dims, flags);
  Shape out_shape = reduced_shape(t.shape(), flags, keepdim);
  Tensor values = want_values ? Tensor::empty(out_shape, t.dtype(), t.device()) : Tensor();
  Tensor indices = Tensor::empty(out_shape, kInt64, t.device());
  if (indices.numel() == 0) return {values, indices};
  dispatch::arg_stub().get(t.device(), op)(values, indices, t, flags, kMax);
  return {values, indices};
}

Tensor var_impl(const char* op, const Tensor& t, const Dims& dims, double correction, bool keepdim,
                bool take_sqrt) {
  STEEPEST_CHECK(is_floating(t.dtype()), TypeError, op,
                 "(): std and var only support floating point dtypes, got ", dtype_name(t.dtype()));
  Shape flags = parse_dims(op, t, dims);
  Tensor out = Tensor::empty(reduced_shape(t.shape(), flags, keepdim), t.dtype(), t.device());
  if (out.numel() == 0) return out;
  if (reduced_numel(t.shape(), flags) == 0) {
    fill_(out, Scalar(std::numeric_limits<double>::quiet_NaN()));
    return out;
  }
  dispatch::var_stub().get(t.device(), op)(out, t, flags, correction, take_sqrt);
  return out;
}

}  // namespace

// ---- backward helpers ------------------------------------------------------------------

namespace {

// The reduced dims of a `ndim` input, wrapped and sorted (empty `dims`: all of them).
Dims reduced_dims(const Dims& dims, int64_t ndim) {
  Dims out;
  if (dims.empty()) {
    for (int64_t d = 0; d < ndim; ++d) out.push_back(d);
  } else {
    for (int64_t d : dims) out.push_back(ndim == 0 ? 0 : wrap_dim(d, ndim));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A reduced result (or its gradient) viewed with the input's rank, size 1 on reduced dims.
Tensor keep_dims(const Tensor& r, const Dims& rd, int64_t ndim, bool keepdim) {
  if (keepdim || ndim == 0) return r;
  Tensor x = r;
  for (int64_t d : rd) x = unsqueeze(x, d);
  return x;
}

// g broadcast back over the reduced dims (a stride-0 view, no copy).
Tensor spread(const Tensor& g, const Shape& in_shape, const Dims& dims, bool keepdim) {
  Dims rd = reduced_dims(dims, int64_t(in_shape.size()));
  return expand(keep_dims(g, rd, int64_t(in_shape.size()), keepdim), in_shape);
}

int64_t reduced_count(const Shape& in_shape, const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : reduced_dims(dims, int64_t(in_shape.size())))
    n *= in_shape.empty() ? 1 : in_shape[size_t(d)];
  return n;
}

void record_sum(const char* name, const Tensor& t, Tensor& out, const Dims& dims, bool keepdim, double scale) {
  if (!autograd::needs_grad({&t}) || !is_floating(out.dtype())) return;
  Shape in_shape = t.shape();
  autograd::record(name, {&t}, {&out}, {},
                   [in_shape, dims, keepdim, scale](Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
    Tensor s = spread(g[0], in_shape, dims, keepdim);
    return {scale == 1.0 ? s : mul(s, Scalar(scale))};
  });
}

// Max/min over dims: the gradient is shared evenly by the elements equal to the result.
// With nan_hits (max()/min() over everything, as torch) a NaN result is shared by the NaNs.
void record_extreme(const char* name, const Tensor& t, Tensor& out, const Dims& dims, bool keepdim,
                    bool nan_hits = false) {
  if (!autograd::needs_grad({&t})) return;
  autograd::record(name, {&t}, {&out}, {t, out},
                   [dims, keepdim, nan_hits](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
    Tensor x = n.saved(0), r = n.saved(1);
    Dims rd = reduced_dims(dims, x.dim());
    Tensor rk = keep_dims(r, rd, x.dim(), keepdim);
    Tensor eqm = eq(x, rk);
    if (nan_hits) eqm = logical_or(eqm, logical_and(ne(x, x), ne(rk, rk)));  // x != x: NaN
    Tensor hit = to_dtype(eqm, x.dtype());
    Tensor count = sum(hit, rd, /*keepdim=*/true);
    return {div(mul(hit, keep_dims(g[0], rd, x.dim(), keepdim)), count)};
  });
}

// max(dim) / min(dim): the gradient goes to the selected index.
void record_select(const char* name, const Tensor& t, Tensor& values, const Tensor& indices, int64_t dim,
                   bool keepdim) {
  if (!autograd::needs_grad({&t})) return;
  Shape in_shape = t.shape();
  DType dt = t.dtype();
  autograd::record(name, {&t}, {&values}, {indices},
                   [in_shape, dt, dim, keepdim](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
    int64_t nd = int64_t(in_shape.size());
    if (nd == 0) return {g[0]};
    int64_t d = wrap_dim(dim, nd);
    Tensor idx = n.saved(0), gg = g[0];
    if (!keepdim) idx = unsqueeze(idx, d), gg = unsqueeze(gg, d);
    Tensor z = zeros(in_shape, TensorOptions(dt));
    return {scatter_add(z, d, idx, to_dtype(gg, dt))};
  });
}

void record_var(const char* name, const Tensor& t, Tensor& out, const Dims& dims, double correction,
                bool keepdim, bool is_std) {
  if (!autograd::needs_grad({&t})) return;
  int64_t count = reduced_count(t.shape(), dims);
  autograd::record(name, {&t}, {&out}, {t, out},
                   [dims, correction, keepdim, is_std, count](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
    Tensor x = n.saved(0);
    Dims rd = reduced_dims(dims, x.dim());
    Tensor centered = sub(x, mean(x, rd, /*keepdim=*/true));
    // Not clamped at 0 (unlike the forward's divisor): torch's gradient for
    // correction > count uses the negative count - correction as it is.
    double denom = double(count) - correction;
    Tensor gk = keep_dims(g[0], rd, x.dim(), keepdim);
    if (is_std) {  // d std = d var / (2 std); 0 where std == 0 (as torch, not 0/0)
      Tensor s = keep_dims(n.saved(1), rd, x.dim(), keepdim);
      gk = where(eq(s, Scalar(0)), Scalar(0.0), div(gk, mul(s, Scalar(2.0))));
    }
    return {mul(centered, mul(gk, Scalar(2.0 / denom)))};
  });
}

}  // namespace

Tensor sum(const Tensor& t, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  Tensor out = sum_impl("sum", t, dims, keepdim, dtype, false);
  record_sum(dims.empty() ? "SumBackward0" : "SumBackward1", t, out, dims, keepdim, 1.0);
  return out;
}

Tensor mean(const Tensor& t, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  if (dtype)
    STEEPEST_CHECK(is_floating(*dtype), TypeError,
                   "mean(): could not infer output dtype. Optional dtype must be either a floating point "
                   "dtype, got ", dtype_name(*dtype));
  else
    STEEPEST_CHECK(is_floating(t.dtype()), TypeError,
                   "mean(): could not infer output dtype. Input dtype must be either a floating point "
                   "dtype, got ", dtype_name(t.dtype()), " (pass dtype=, e.g. steepest.float32)");
  Tensor out = sum_impl("mean", t, dims, keepdim, dtype, true);
  int64_t n = reduced_count(t.shape(), dims);
  record_sum(dims.empty() ? "MeanBackward0" : "MeanBackward1", t, out, dims, keepdim, n ? 1.0 / double(n) : 0.0);
  return out;
}

Tensor amax(const Tensor& t, const Dims& dims, bool keepdim) {
  Tensor out = extreme_impl<true>("amax", t, dims, keepdim);
  record_extreme("AmaxBackward0", t, out, dims, keepdim);
  return out;
}
Tensor amin(const Tensor& t, const Dims& dims, bool keepdim) {
  Tensor out = extreme_impl<false>("amin", t, dims, keepdim);
  record_extreme("AminBackward0", t, out, dims, keepdim);
  return out;
}

std::pair<Tensor, Tensor> max(const Tensor& t, int64_t dim, bool keepdim) {
  auto r = arg_impl<true>("max", t, dim, keepdim, true);
  record_select("MaxBackward0", t, r.first, r.second, dim, keepdim);
  return r;
}
std::pair<Tensor, Tensor> min(const Tensor& t, int64_t dim, bool keepdim) {
  auto r = arg_impl<false>("min", t, dim, keepdim, true);
  record_select("MinBackward0", t, r.first, r.second, dim, keepdim);
  return r;
}

Tensor max(const Tensor& t) {
  Tensor out = extreme_impl<true>("max", t, {}, false);
  record_extreme("MaxBackward1", t, out, {}, false, /*nan_hits=*/true);
  return out;
}
Tensor min(const Tensor& t) {
  Tensor out = extreme_impl<false>("min", t, {}, false);
  record_extreme("MinBackward1", t, out, {}, false, /*nan_hits=*/true);
  return out;
}

Tensor argmax(const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
  STEEPEST_CHECK(t.dtype() != kBool, TypeError, "argmax(): does not support bool input");
  return arg_impl<true>("argmax", t, dim, keepdim, false).second;
}
Tensor argmin(const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
  STEEPEST_CHECK(t.dtype() != kBool, TypeError, "argmin(): does not support bool input");
  return arg_impl<false>("argmin", t, dim, keepdim, false).second;
}

Tensor var(const Tensor& t, const Dims& dims, double correction, bool keepdim) {
  Tensor out = var_impl("var", t, dims, correction, keepdim, false);
  record_var("VarBackward0", t, out, dims, correction, keepdim, false);
  return out;
}
Tensor std(const Tensor& t, const Dims& dims, double correction, bool keepdim) {
  Tensor out = var_impl("std", t, dims, correction, keepdim, true);
  record_var("StdBackward0", t, out, dims, correction, keepdim, true);
  return out;
}

}  // namespace steepest
