// conv1d/conv2d, conv_transpose1d/2d, unfold and fold: argument checks, result shapes and
// autograd here; the arithmetic in the device's kernels (dispatch/conv.hpp). A transposed
// convolution is the data gradient of the convolution with the same weight, so both run on
// the same three kernels (forward, data gradient, weight gradient) with their roles swapped.
// bfloat16/float16 reach the kernels as they are (they accumulate in float32).
#include "dispatch/conv.hpp"
#include "runtime/autocast_policy.hpp"
#include "nn/spatial.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(ConvForwardKernel, conv_forward_stub);
STEEPEST_DEFINE_STUB(ConvBackwardDataKernel, conv_backward_data_stub);
STEEPEST_DEFINE_STUB(ConvBackwardWeightKernel, conv_backward_weight_stub);
STEEPEST_DEFINE_STUB(Im2colKernel, im2col_stub);
STEEPEST_DEFINE_STUB(Col2imKernel, col2im_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using dispatch::ConvGeom;
using namespace detail;

// Per spatial dim (1 or 2 of them): the sizes a convolution needs, already expanded.
struct Spatial {
  std::vector<int64_t> stride, pad_lo, pad_hi, dilation;
};

// Fills the geometry's spatial fields from per-dim values; a 1-D op is 2-D with height 1.
void set_spatial(ConvGeom& g, const Shape& in, const Shape& out, const Shape& kernel, const Spatial& s) {
  const size_t nd = in.size(), h = nd - 1;  // the width is always the last dim
  g.in_w = in[h], g.out_w = out[h], g.kernel_w = kernel[h];
  g.stride_w = s.stride[h], g.pad_w = s.pad_lo[h], g.dil_w = s.dilation[h];
  if (nd == 2) {
    g.in_h = in[0], g.out_h = out[0], g.kernel_h = kernel[0];
    g.stride_h = s.stride[0], g.pad_h = s.pad_lo[0], g.dil_h = s.dilation[0];
  } else {
    g.in_h = g.out_h = g.kernel_h = 1;
  }
}

// dilation * (kernel - 1) + 1: the extent one window covers.
int64_t effective_kernel(int64_t k, int64_t dilation, const char* op) {
  return checked_mul(dilation, k - 1, op) + 1;
}

// Sliding-window output sizes of a convolution (or unfold) over `in`, or ValueError naming the
// dim where the window is larger than the padded input.
Shape window_output(const Shape& in, const Shape& kernel, const Spatial& s, const char* op) {
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t eff = effective_kernel(kernel[d], s.dilation[d], op);
    const int64_t padded = checked_add(checked_add(in[d], s.pad_lo[d], op), s.pad_hi[d], op);
    STEEPEST_CHECK(eff <= padded, ValueError, op, ": the kernel's extent (", eff, " = dilation ", s.dilation[d],
                   " * (kernel size ", kernel[d], " - 1) + 1) is larger than the padded input (", padded,
                   ") along spatial dim ", d, " (input spatial size ", in, ")");
    out[d] = (padded - eff) / s.stride[d] + 1;
  }
  return out;
}

void check_blas_limits(const ConvGeom& g, const char* op) {
  const int64_t kg = checked_mul(checked_mul(g.in_channels / g.groups, g.kernel_h, op), g.kernel_w, op);
  const int64_t hw = checked_mul(g.out_h, g.out_w, op), ihw = checked_mul(g.in_h, g.in_w, op);
  STEEPEST_CHECK(kg <= INT_MAX && hw <= INT_MAX && ihw <= INT_MAX && g.out_channels / g.groups <= INT_MAX,
                 NotImplementedError, op, ": per-group sizes (", kg, " weights per output channel, ", hw,
                 " output positions, ", ihw, " input positions) exceed the 32-bit BLAS interface");
  // The column buffer of one group of one sample must be addressable.
  checked_mul(kg, hw, op);
}

void check_tensors(const Tensor& x, const Tensor& w, const Tensor& b, int64_t nd, const char* op) {
  check_float(x, op, "input");
  check_float(w, op, "weight");
  check_same_dtype(x, w, op, "input", "weight");
  if (b.defined()) {
    check_float(b, op, "bias");
    check_same_dtype(x, b, op, "input", "bias");
  }
  STEEPEST_CHECK(w.dim() == nd + 2, ValueError, op, ": expected a ", nd + 2, "-D weight, but got weight of shape ",
                 w.shape());
}

void check_bias(const Tensor& b, int64_t channels, const char* op) {
  STEEPEST_CHECK(!b.defined() || (b.dim() == 1 && b.shape()[0] == channels), ValueError, op, ": expected bias of shape (",
                 channels, ",), but got ", b.shape());
}

Shape spatial_of(const Shape& s, size_t from) { return Shape(s.begin() + int64_t(from), s.end()); }

// Every dim but the channel dim: the dims a bias gradient sums over.
Dims non_channel_dims(const Tensor& t, bool batched) {
  Dims d;
  for (int64_t i = 0; i < t.dim(); ++i)
    if (i != (batched ? 1 : 0)) d.push_back(i);
  return d;
}

// y = conv(x, w) + b with the geometry `g`, or with `transposed` y = conv_transpose(x, w) + b:
// the data gradient of the convolution `g` whose output has x's shape. out_shape is y's
// shape. The two are each other's adjoint, so each one's backward runs the other's kernel
// for x and the weight-gradient kernel with the roles of input and output gradient swapped.
Tensor conv_run(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeom& g, const Shape& out_shape,
                bool batched, bool transposed) {
  const char* op = transposed ? "conv_transpose" : "conv";
  const char* backward_op = transposed ? "conv_transpose_backward" : "conv_backward";
  auto& forward = transposed ? dispatch::conv_backward_data_stub() : dispatch::conv_forward_stub();
  auto& adjoint = transposed ? dispatch::conv_forward_stub() : dispatch::conv_backward_data_stub();
  const Device dev = dispatch::common_device({&x, &w, &b});
  Tensor out;
  {
    autograd::NoGradGuard ng;
    out = Tensor::empty(out_shape, x.dtype(), dev);
    forward.get(dev, op)(out, contiguous(x), contiguous(w), b.defined() ? contiguous(b) : b, g);
  }
  if (autograd::needs_grad({&x, &w, &b})) {
    autograd::record("ConvolutionBackward0", {&x, &w, &b}, {&out}, {x, w},
                     [g, out_shape, batched, transposed, backward_op, &adjoint](Node& n, V& grads) -> V {
      check_grad_output(grads[0], out_shape, backward_op);
      const Tensor x = n.saved(0), w = n.saved(1);
      autograd::NoGradGuard ng;
      const Tensor gy = contiguous(to_dtype(grads[0], x.dtype()));
      const Device dev = dispatch::common_device(x, gy);
      Tensor gx, gw, gb;
      if (n.needs_input_grad(0)) {
        gx = Tensor::empty(x.shape(), x.dtype(), dev);
        adjoint.get(dev, backward_op)(gx, gy, contiguous(w), Tensor(), g);
      }
      if (n.needs_input_grad(1)) {
        gw = Tensor::empty(w.shape(), w.dtype(), dev);
        // the kernel takes (conv's output gradient, conv's input): for the transposed conv
        // those are x and gy
        const Tensor xc = contiguous(x);
        dispatch::conv_backward_weight_stub().get(dev, backward_op)(gw, transposed ? xc : gy, transposed ? gy : xc, g);
      }
      if (n.needs_input_grad(2)) gb = sum(gy, non_channel_dims(gy, batched));
      return {gx, gw, gb};
    });
  }
  return out;
}

Tensor conv_nd(const Tensor& x0, const Tensor& w0, const Tensor& b0, int64_t nd, const SizeArg& stride,
               const SizeArg* padding, const std::string& padding_mode, const SizeArg& dilation, int64_t groups,
               const char* op) {
  autocast::Args ac(autocast::Policy::LowerPrecision, {&x0, &w0, &b0});
  const Tensor &x = ac[0], &w = ac[1], &b = ac[2];
  check_tensors(x, w, b, nd, op);
  const bool batched = check_input_rank(x, nd, op);
  STEEPEST_CHECK(groups >= 1 && groups <= kMaxSizeArg, ValueError, op, ": groups must be a positive integer, but got ",
                 groups);
  const size_t n = size_t(nd);
  Spatial s;
  s.stride = expand_arg(stride, n, 1, op, "stride");
  s.dilation = expand_arg(dilation, n, 1, op, "dilation");
  const Shape in = spatial_of(x.shape(), batched ? 2 : 1), kernel = spatial_of(w.shape(), 2);
  if (padding) {
    s.pad_lo = s.pad_hi = expand_arg(*padding, n, 0, op, "padding");
  } else if (padding_mode == "valid") {
    s.pad_lo = s.pad_hi = std::vector<int64_t>(n, 0);
  } else if (padding_mode == "same") {
    for (int64_t st : s.stride)
      STEEPEST_CHECK(st == 1, ValueError, op, ": padding='same' is not supported for strided convolutions");
    for (size_t d = 0; d < n; ++d) {
      const int64_t total = effective_kernel(kernel[d], s.dilation[d], op) - 1;
      s.pad_lo.push_back(total / 2);
      s.pad_hi.push_back(total - total / 2);
    }
  } else {
    STEEPEST_CHECK(false, ValueError, op, ": padding must be 'valid', 'same' or int(s), but got '", padding_mode, "'");
  }
  const int64_t C = x.shape()[batched ? 1 : 0], O = w.shape()[0];
  const int64_t expect_c = checked_mul(w.shape()[1], groups, op);
  STEEPEST_CHECK(expect_c == C, ValueError, op, ": expected input of shape ", x.shape(), " to have ",
                 expect_c, " channels (weight of shape ", w.shape(), " with groups=", groups,
                 "), but got ", C, " channels");
  STEEPEST_CHECK(O % groups == 0, ValueError, op, ": out_channels (", O, ", weight of shape ", w.shape(),
                 ") must be divisible by groups (", groups, ")");
  check_bias(b, O, op);
  for (int64_t k : kernel) STEEPEST_CHECK(k >= 1, ValueError, op, ": weight of shape ", w.shape(), " has an empty kernel");
  const Shape out = window_output(in, kernel, s, op);
  ConvGeom g;
  g.batch = batched ? x.shape()[0] : 1;
  g.in_channels = C, g.out_channels = O, g.groups = groups;
  set_spatial(g, in, out, kernel, s);
  check_blas_limits(g, op);
  Shape os = batched ? Shape{g.batch, O} : Shape{O};
  for (int64_t v : out) os.push_back(v);
  return conv_run(x, w, b, g, os, batched, false);
}

Tensor conv_transpose_nd(const Tensor& x0, const Tensor& w0, const Tensor& b0, int64_t nd, const SizeArg& stride,
                         const SizeArg& padding, const SizeArg& output_padding, int64_t groups,
                         const SizeArg& dilation, const char* op) {
  autocast::Args ac(autocast::Policy::LowerPrecision, {&x0, &w0, &b0});
  const Tensor &x = ac[0], &w = ac[1], &b = ac[2];
  check_tensors(x, w, b, nd, op);
  const bool batched = check_input_rank(x, nd, op);
  STEEPEST_CHECK(groups >= 1 && groups <= kMaxSizeArg, ValueError, op, ": groups must be a positive integer, but got ",
                 groups);
  const size_t n = size_t(nd);
  Spatial s;
  s.stride = expand_arg(stride, n, 1, op, "stride");
  s.dilation = expand_arg(dilation, n, 1, op, "dilation");
  s.pad_lo = s.pad_hi = expand_arg(padding, n, 0, op, "padding");
  const std::vector<int64_t> opad = expand_arg(output_padding, n, 0, op, "output_padding");
  const int64_t Cin = x.shape()[batched ? 1 : 0];
  STEEPEST_CHECK(w.shape()[0] == Cin, ValueError, op, ": expected input of shape ", x.shape(), " to have ",
                 w.shape()[0], " channels (weight of shape ", w.shape(), "), but got ", Cin, " channels");
  STEEPEST_CHECK(Cin % groups == 0, ValueError, op, ": in_channels (", Cin, ", weight of shape ", w.shape(),
                 ") must be divisible by groups (", groups, ")");
  const int64_t Cout = checked_mul(w.shape()[1], groups, op);
  check_bias(b, Cout, op);
  const Shape in = spatial_of(x.shape(), batched ? 2 : 1), kernel = spatial_of(w.shape(), 2);
  Shape out(n);
  for (size_t d = 0; d < n; ++d) {
    STEEPEST_CHECK(kernel[d] >= 1, ValueError, op, ": weight of shape ", w.shape(), " has an empty kernel");
    STEEPEST_CHECK(opad[d] < s.stride[d] || opad[d] < s.dilation[d], ValueError, op, ": output_padding (", opad[d],
                   ") must be smaller than either stride (", s.stride[d], ") or dilation (", s.dilation[d], ")");
    STEEPEST_CHECK(in[d] >= 1, ValueError, op, ": input of shape ", x.shape(), " has an empty spatial dim");
    const int64_t size = checked_add(checked_mul(in[d] - 1, s.stride[d], op) - 2 * s.pad_lo[d],
                                     effective_kernel(kernel[d], s.dilation[d], op) + opad[d], op);
    STEEPEST_CHECK(size >= 1, ValueError, op, ": the output size along spatial dim ", d, " would be ", size,
                   " (input spatial size ", in, ", kernel ", kernel, "); padding is too large");
    out[d] = size;
  }
  ConvGeom g;  // the convolution whose data gradient this is: its input is our output
  g.batch = batched ? x.shape()[0] : 1;
  g.in_channels = Cout, g.out_channels = Cin, g.groups = groups;
  set_spatial(g, out, in, kernel, s);
  check_blas_limits(g, op);
  Shape os = batched ? Shape{g.batch, Cout} : Shape{Cout};
  for (int64_t v : out) os.push_back(v);
  return conv_run(x, w, b, g, os, batched, true);
}

// The geometry of unfold/fold: image (N, C, *spatial) <-> columns (N, C * kh * kw, L).
ConvGeom patch_geom(int64_t batch, int64_t channels, const Shape& image, const SizeArg& kernel_size,
                    const SizeArg& dilation, const SizeArg& padding, const SizeArg& stride, const char* op,
                    Shape* kernel_out) {
  Spatial s;
  const Shape kernel = expand_arg(kernel_size, 2, 1, op, "kernel_size");
  s.dilation = expand_arg(dilation, 2, 1, op, "dilation");
  s.pad_lo = s.pad_hi = expand_arg(padding, 2, 0, op, "padding");
  s.stride = expand_arg(stride, 2, 1, op, "stride");
  const Shape out = window_output(image, kernel, s, op);
  ConvGeom g;
  g.batch = batch, g.in_channels = channels, g.out_channels = channels;
  set_spatial(g, image, out, kernel, s);
  check_blas_limits(g, op);
  *kernel_out = kernel;
  return g;
}

// unfold (im2col) and fold (col2im) are each other's adjoint: each runs one kernel into a new
// tensor of shape os and records the other kernel as its backward.
using PatchStub = dispatch::Stub<dispatch::Im2colKernel>;
Tensor transfer_patches(const Tensor& x, const Shape& os, const ConvGeom& g, PatchStub& forward, PatchStub& backward,
                        const char* op, const char* node, const char* backward_op) {
  const Shape xs = x.shape();
  const Device dev = x.device();
  Tensor out;
  {
    autograd::NoGradGuard ng;
    out = Tensor::empty(os, x.dtype(), dev);
    forward.get(dev, op)(out, contiguous(x), g);
  }
  if (autograd::needs_grad({&x})) {
    autograd::record(node, {&x}, {&out}, {},
                     [g, os, xs, dev, dt = x.dtype(), &backward, backward_op](Node&, V& grads) -> V {
                       check_grad_output(grads[0], os, backward_op);
                       autograd::NoGradGuard ng;
                       const Tensor gy = contiguous(to_dtype(grads[0], dt));
                       Tensor gx = Tensor::empty(xs, gy.dtype(), dev);
                       backward.get(dev, backward_op)(gx, gy, g);
                       return {gx};
                     });
  }
  return out;
}

}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b, const SizeArg& stride, const SizeArg& padding,
              const SizeArg& dilation, int64_t groups) {
  return conv_nd(x, w, b, 1, stride, &padding, "", dilation, groups, "conv1d");
}
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const SizeArg& stride, const SizeArg& padding,
              const SizeArg& dilation, int64_t groups) {
  return conv_nd(x, w, b, 2, stride, &padding, "", dilation, groups, "conv2d");
}
Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b, const SizeArg& stride, const std::string& padding,
              const SizeArg& dilation, int64_t groups) {
  return conv_nd(x, w, b, 1, stride, nullptr, padding, dilation, groups, "conv1d");
}
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const SizeArg& stride, const std::string& padding,
              const SizeArg& dilation, int64_t groups) {
  return conv_nd(x, w, b, 2, stride, nullptr, padding, dilation, groups, "conv2d");
}
Tensor conv_transpose1d(const Tensor& x, const Tensor& w, const Tensor& b, const SizeArg& stride,
                        const SizeArg& padding, const SizeArg& output_padding, int64_t groups,
                        const SizeArg& dilation) {
  return conv_transpose_nd(x, w, b, 1, stride, padding, output_padding, groups, dilation, "conv_transpose1d");
}
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const SizeArg& stride,
                        const SizeArg& padding, const SizeArg& output_padding, int64_t groups,
                        const SizeArg& dilation) {
  return conv_transpose_nd(x, w, b, 2, stride, padding, output_padding, groups, dilation, "conv_transpose2d");
}

Tensor unfold(const Tensor& x, const SizeArg& kernel_size, const SizeArg& dilation, const SizeArg& padding,
              const SizeArg& stride) {
  const char* op = "unfold";
  check_float(x, op, "input");
  STEEPEST_CHECK(x.dim() == 3 || x.dim() == 4, ValueError, op,
                 ": expected a 3-D (unbatched) or 4-D (batched) input, but got input of shape ", x.shape());
  const bool batched = x.dim() == 4;
  const int64_t N = batched ? x.shape()[0] : 1, C = x.shape()[batched ? 1 : 0];
  Shape kernel;
  const ConvGeom g = patch_geom(N, C, spatial_of(x.shape(), batched ? 2 : 1), kernel_size, dilation, padding, stride,
                                op, &kernel);
  const int64_t rows = checked_mul(checked_mul(C, kernel[0], op), kernel[1], op), L = g.out_h * g.out_w;
  const Shape os = batched ? Shape{N, rows, L} : Shape{rows, L};
  return transfer_patches(x, os, g, dispatch::im2col_stub(), dispatch::col2im_stub(), op, "Im2ColBackward0",
                          "unfold_backward");
}

Tensor fold(const Tensor& x, const SizeArg& output_size, const SizeArg& kernel_size, const SizeArg& dilation,
            const SizeArg& padding, const SizeArg& stride) {
  const char* op = "fold";
  check_float(x, op, "input");
  STEEPEST_CHECK(x.dim() == 2 || x.dim() == 3, ValueError, op,
                 ": expected a 2-D (unbatched) or 3-D (batched) input, but got input of shape ", x.shape());
  const bool batched = x.dim() == 3;
  const int64_t N = batched ? x.shape()[0] : 1, rows = x.shape()[batched ? 1 : 0], L = x.shape().back();
  const Shape image = expand_arg(output_size, 2, 1, op, "output_size");
  const Shape kernel = expand_arg(kernel_size, 2, 1, op, "kernel_size");
  const int64_t kk = checked_mul(kernel[0], kernel[1], op);
  STEEPEST_CHECK(rows % kk == 0, ValueError, op, ": expected size of input's dimension ", batched ? 1 : 0, " (", rows,
                 ") to be divisible by the product of kernel_size (", kk, "), input of shape ", x.shape());
  const int64_t C = rows / kk;
  Shape kernel_checked;
  const ConvGeom g = patch_geom(N, C, image, kernel_size, dilation, padding, stride, op, &kernel_checked);
  STEEPEST_CHECK(g.out_h * g.out_w == L, ValueError, op, ": given output_size ", image, ", kernel_size ", kernel,
                 " and this dilation, padding and stride, expected ", g.out_h * g.out_w,
                 " sliding blocks (input's last dimension), but got ", L, " (input of shape ", x.shape(), ")");
  const Shape os = batched ? Shape{N, C, image[0], image[1]} : Shape{C, image[0], image[1]};
  return transfer_patches(x, os, g, dispatch::col2im_stub(), dispatch::im2col_stub(), op, "Col2ImBackward0",
                          "fold_backward");
}

}  // namespace steepest::nn::functional
