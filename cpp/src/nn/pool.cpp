// max_pool1d/2d, avg_pool1d/2d and adaptive average/max pooling: argument checks, output
// sizes (torch's floor/ceil rules) and autograd here, the window loops in the device's
// kernels (dispatch/conv.hpp). One-dimensional pooling runs as two-dimensional pooling of
// height 1; every op sees its input as planes (batch * channels) of in_h x in_w.
#include "dispatch/conv.hpp"
#include "nn/spatial.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(MaxPoolKernel, max_pool_stub);
STEEPEST_DEFINE_STUB(AdaptiveMaxPoolKernel, adaptive_max_pool_stub);
STEEPEST_DEFINE_STUB(MaxPoolBackwardKernel, max_pool_backward_stub);
STEEPEST_DEFINE_STUB(AvgPoolKernel, avg_pool_stub);
STEEPEST_DEFINE_STUB(AvgPoolBackwardKernel, avg_pool_backward_stub);
STEEPEST_DEFINE_STUB(AdaptiveAvgPoolKernel, adaptive_avg_pool_stub);
STEEPEST_DEFINE_STUB(AdaptiveAvgPoolBackwardKernel, adaptive_avg_pool_backward_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using dispatch::PoolGeom;
using namespace detail;

// The input's spatial sizes and its planes; checks rank, dtype and non-empty spatial dims.
struct PoolInput {
  Shape spatial;  // nd sizes
  int64_t planes = 0;
};

PoolInput pool_input(const Tensor& x, int64_t nd, const char* op) {
  check_float(x, op, "input");
  check_input_rank(x, nd, op);
  PoolInput p;
  p.spatial = Shape(x.shape().end() - nd, x.shape().end());
  for (int64_t s : p.spatial)
    STEEPEST_CHECK(s >= 1, ValueError, op, ": expected input with non-zero spatial dims, but got shape ", x.shape());
  p.planes = x.numel() / numel_of(p.spatial);
  return p;
}

Shape out_shape(const Tensor& x, int64_t nd, const Shape& out_spatial) {
  Shape os(x.shape().begin(), x.shape().end() - nd);
  for (int64_t v : out_spatial) os.push_back(v);
  return os;
}

// A 1-D op's sizes as 2-D ones: height 1, kernel 1, stride 1, no padding.
PoolGeom make_geom(int64_t planes, const Shape& in, const Shape& out, const std::vector<int64_t>& k,
                   const std::vector<int64_t>& s, const std::vector<int64_t>& p, const std::vector<int64_t>& d) {
  PoolGeom g;
  g.planes = planes;
  const size_t w = in.size() - 1;
  g.in_w = in[w], g.out_w = out[w];
  if (!k.empty()) g.kernel_w = k[w], g.stride_w = s[w], g.pad_w = p[w], g.dil_w = d[w];
  if (in.size() == 2) {
    g.in_h = in[0], g.out_h = out[0];
    if (!k.empty()) g.kernel_h = k[0], g.stride_h = s[0], g.pad_h = p[0], g.dil_h = d[0];
  } else {
    g.in_h = g.out_h = 1;
  }
  return g;
}

// Output size of a pooling window over one dim (torch's rule: with ceil_mode the last window
// must still start inside the input or its left padding).
int64_t pool_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode, const char* op,
                  const Shape& spatial) {
  const int64_t eff = checked_mul(d, k - 1, op) + 1;
  const int64_t span = checked_add(in, 2 * p, op) - eff;
  STEEPEST_CHECK(span >= 0, ValueError, op, ": given input spatial size ", spatial, ", the window's extent (", eff,
                 ") is larger than the padded input (", in + 2 * p, "): output size is too small");
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

struct Window {
  std::vector<int64_t> kernel, stride, pad, dilation;
  Shape out;
};

// Expands and checks the window arguments (torch's rule: padding at most half the kernel).
Window pool_window(const PoolInput& in, size_t nd, const SizeArg& kernel_size, const SizeArg& stride,
                   const SizeArg& padding, const SizeArg& dilation, bool ceil_mode, const char* op) {
  Window w;
  w.kernel = expand_arg(kernel_size, nd, 1, op, "kernel_size");
  w.stride = stride.empty() ? w.kernel : expand_arg(stride, nd, 1, op, "stride");
  w.pad = expand_arg(padding, nd, 0, op, "padding");
  w.dilation = expand_arg(dilation, nd, 1, op, "dilation");
  for (size_t d = 0; d < nd; ++d) {
    STEEPEST_CHECK(w.pad[d] <= w.kernel[d] / 2, ValueError, op,
                   ": padding should be at most half of the kernel size, but got padding=", w.pad[d],
                   " and kernel_size=", w.kernel[d]);
    w.out.push_back(pool_size(in.spatial[d], w.kernel[d], w.stride[d], w.pad[d], w.dilation[d], ceil_mode, op,
                              in.spatial));
  }
  return w;
}

std::pair<Tensor, Tensor> max_pool_nd(const Tensor& x, int64_t nd, const SizeArg& kernel_size, const SizeArg& stride,
                                      const SizeArg& padding, const SizeArg& dilation, bool ceil_mode, const char* op) {
  const PoolInput in = pool_input(x, nd, op);
  if (is_16bit(x.dtype())) {
    auto r = max_pool_nd(to_dtype(x, kFloat32), nd, kernel_size, stride, padding, dilation, ceil_mode, op);
    return {to_dtype(r.first, x.dtype()), r.second};
  }
  const Window w = pool_window(in, size_t(nd), kernel_size, stride, padding, dilation, ceil_mode, op);
  const PoolGeom g = make_geom(in.planes, in.spatial, w.out, w.kernel, w.stride, w.pad, w.dilation);
  const Shape os = out_shape(x, nd, w.out), xs = x.shape();
  const Device dev = x.device();
  Tensor out, idx;
  {
    autograd::NoGradGuard ng;
    out = Tensor::empty(os, x.dtype(), dev);
    idx = Tensor::empty(os, kInt64, dev);
    dispatch::max_pool_stub().get(dev, op)(out, idx, contiguous(x), g);
  }
  if (autograd::needs_grad({&x})) {
    autograd::record("MaxPool2DWithIndicesBackward0", {&x}, {&out}, {idx},
                     [g, os, xs, dev, dt = x.dtype()](Node& n, V& grads) -> V {
      check_grad_output(grads[0], os, "max_pool_backward");
      autograd::NoGradGuard ng;
      const Tensor ix = n.saved(0);
      const Tensor gy = contiguous(to_dtype(grads[0], dt));
      Tensor gx = Tensor::empty(xs, dt, dev);
      const bool ok = dispatch::max_pool_backward_stub().get(dev, "max_pool_backward")(gx, gy, contiguous(ix), g);
      STEEPEST_CHECK(ok, IndexError, "max_pool_backward: the saved indices point outside the input planes");
      return {gx};
    });
  }
  return {out, idx};
}

Tensor avg_pool_nd(const Tensor& x, int64_t nd, const SizeArg& kernel_size, const SizeArg& stride,
                   const SizeArg& padding, bool ceil_mode, bool count_include_pad,
                   std::optional<int64_t> divisor_override, const char* op) {
  const PoolInput in = pool_input(x, nd, op);
  if (is_16bit(x.dtype()))
    return to_dtype(avg_pool_nd(to_dtype(x, kFloat32), nd, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                divisor_override, op),
                    x.dtype());
  STEEPEST_CHECK(!divisor_override || *divisor_override != 0, ValueError, op, ": divisor_override must not be zero");
  const int64_t div = divisor_override ? *divisor_override : 0;
  const Window w = pool_window(in, size_t(nd), kernel_size, stride, padding, {1}, ceil_mode, op);
  const PoolGeom g = make_geom(in.planes, in.spatial, w.out, w.kernel, w.stride, w.pad, w.dilation);
  const Shape os = out_shape(x, nd, w.out), xs = x.shape();
  const Device dev = x.device();
  Tensor out;
  {
    autograd::NoGradGuard ng;
    out = Tensor::empty(os, x.dtype(), dev);
    dispatch::avg_pool_stub().get(dev, op)(out, contiguous(x), g, count_include_pad, div);
  }
  if (autograd::needs_grad({&x})) {
    autograd::record("AvgPool2DBackward0", {&x}, {&out}, {},
                     [g, os, xs, dev, count_include_pad, div, dt = x.dtype()](Node&, V& grads) -> V {
      check_grad_output(grads[0], os, "avg_pool_backward");
      autograd::NoGradGuard ng;
      const Tensor gy = contiguous(to_dtype(grads[0], dt));
      Tensor gx = Tensor::empty(xs, dt, dev);
      dispatch::avg_pool_backward_stub().get(dev, "avg_pool_backward")(gx, gy, g, count_include_pad, div);
      return {gx};
    });
  }
  return out;
}

Shape adaptive_out(const PoolInput& in, const SizeArg& output_size, size_t nd, const char* op) {
  STEEPEST_CHECK(output_size.size() == 1 || output_size.size() == nd, ValueError, op,
                 ": expected output_size to be a single int or ", nd, " ints, but got ", output_size.size(), " values");
  Shape out(nd);
  for (size_t d = 0; d < nd; ++d) {
    const int64_t v = output_size.size() == 1 ? output_size[0] : output_size[d];
    STEEPEST_CHECK(v >= -1 && v <= kMaxSizeArg, ValueError, op, ": output_size must be non-negative (or None), but got ",
                   v);
    out[d] = v == -1 ? in.spatial[d] : v;
    checked_mul(out[d] + 1, in.spatial[d], op);  // the kernels' window bounds multiply them
  }
  return out;
}

Tensor adaptive_avg_nd(const Tensor& x, int64_t nd, const SizeArg& output_size, const char* op) {
  const PoolInput in = pool_input(x, nd, op);
  if (is_16bit(x.dtype())) return to_dtype(adaptive_avg_nd(to_dtype(x, kFloat32), nd, output_size, op), x.dtype());
  const Shape o = adaptive_out(in, output_size, size_t(nd), op);
  const PoolGeom g = make_geom(in.planes, in.spatial, o, {}, {}, {}, {});
  const Shape os = out_shape(x, nd, o), xs = x.shape();
  const Device dev = x.device();
  Tensor out;
  {
    autograd::NoGradGuard ng;
    out = Tensor::empty(os, x.dtype(), dev);
    dispatch::adaptive_avg_pool_stub().get(dev, op)(out, contiguous(x), g);
  }
  if (autograd::needs_grad({&x})) {
    autograd::record("AdaptiveAvgPool2DBackward0", {&x}, {&out}, {},
                     [g, os, xs, dev, dt = x.dtype()](Node&, V& grads) -> V {
      check_grad_output(grads[0], os, "adaptive_avg_pool_backward");
      autograd::NoGradGuard ng;
      const Tensor gy = contiguous(to_dtype(grads[0], dt));
      Tensor gx = Tensor::empty(xs, dt, dev);
      dispatch::adaptive_avg_pool_backward_stub().get(dev, "adaptive_avg_pool_backward")(gx, gy, g);
      return {gx};
    });
  }
  return out;
}

std::pair<Tensor, Tensor> adaptive_max_nd(const Tensor& x, int64_t nd, const SizeArg& output_size, const char* op) {
  const PoolInput in = pool_input(x, nd, op);
  if (is_16bit(x.dtype())) {
    auto r = adaptive_max_nd(to_dtype(x, kFloat32), nd, output_size, op);
    return {to_dtype(r.first, x.dtype()), r.second};
  }
  const Shape o = adaptive_out(in, output_size, size_t(nd), op);
  const PoolGeom g = make_geom(in.planes, in.spatial, o, {}, {}, {}, {});
  const Shape os = out_shape(x, nd, o), xs = x.shape();
  const Device dev = x.device();
  Tensor out, idx;
  {
    autograd::NoGradGuard ng;
    out = Tensor::empty(os, x.dtype(), dev);
    idx = Tensor::empty(os, kInt64, dev);
    dispatch::adaptive_max_pool_stub().get(dev, op)(out, idx, contiguous(x), g);
  }
  if (autograd::needs_grad({&x})) {
    autograd::record("AdaptiveMaxPool2DBackward0", {&x}, {&out}, {idx},
                     [g, os, xs, dev, dt = x.dtype()](Node& n, V& grads) -> V {
      check_grad_output(grads[0], os, "adaptive_max_pool_backward");
      autograd::NoGradGuard ng;
      const Tensor gy = contiguous(to_dtype(grads[0], dt));
      Tensor gx = Tensor::empty(xs, dt, dev);
      const bool ok =
          dispatch::max_pool_backward_stub().get(dev, "adaptive_max_pool_backward")(gx, gy, contiguous(n.saved(0)), g);
      STEEPEST_CHECK(ok, IndexError, "adaptive_max_pool_backward: the saved indices point outside the input planes");
      return {gx};
    });
  }
  return {out, idx};
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const SizeArg& kernel_size, const SizeArg& stride,
                                                  const SizeArg& padding, const SizeArg& dilation, bool ceil_mode) {
  return max_pool_nd(x, 2, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d");
}
std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, const SizeArg& kernel_size, const SizeArg& stride,
                                                  const SizeArg& padding, const SizeArg& dilation, bool ceil_mode) {
  return max_pool_nd(x, 1, kernel_size, stride, padding, dilation, ceil_mode, "max_pool1d");
}
Tensor avg_pool2d(const Tensor& x, const SizeArg& kernel_size, const SizeArg& stride, const SizeArg& padding,
                  bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override) {
  return avg_pool_nd(x, 2, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, "avg_pool2d");
}
Tensor avg_pool1d(const Tensor& x, const SizeArg& kernel_size, const SizeArg& stride, const SizeArg& padding,
                  bool ceil_mode, bool count_include_pad) {
  return avg_pool_nd(x, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, std::nullopt, "avg_pool1d");
}
Tensor adaptive_avg_pool2d(const Tensor& x, const SizeArg& output_size) {
  return adaptive_avg_nd(x, 2, output_size, "adaptive_avg_pool2d");
}
Tensor adaptive_avg_pool1d(const Tensor& x, const SizeArg& output_size) {
  return adaptive_avg_nd(x, 1, output_size, "adaptive_avg_pool1d");
}
std::pair<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& x, const SizeArg& output_size) {
  return adaptive_max_nd(x, 2, output_size, "adaptive_max_pool2d");
}
std::pair<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& x, const SizeArg& output_size) {
  return adaptive_max_nd(x, 1, output_size, "adaptive_max_pool1d");
}

}  // namespace steepest::nn::functional
