// Bindings of convolution, unfold/fold and pooling as steepest._core._nn_<name>, with
// torch.nn.functional's argument names and defaults. Size arguments arrive as an int or a
// sequence of ints (adaptive output sizes may hold None); conv padding may be a string.
#include "bind.hpp"

namespace steepest::bindings {

namespace F = steepest::nn::functional;

namespace {

[[noreturn]] void bad_size(const py::handle& o, const char* arg, const char* what) {
  throw TypeError(str(arg, " must be ", what, ", but got ", std::string(py::str(py::type::of(o).attr("__name__")))));
}

int64_t int_of(const py::handle& o, const char* arg, const char* what) {
  if (PyBool_Check(o.ptr()) || !PyIndex_Check(o.ptr())) bad_size(o, arg, what);
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(o.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow) throw ValueError(str(arg, " of ", std::string(py::str(index)), " is too large"));
  return int64_t(v);
}

// An int or a sequence of ints; None entries (allow_none) become -1.
F::SizeArg size_arg(const py::handle& o, const char* arg, bool allow_none = false) {
  const char* what = allow_none ? "an int or a sequence of ints or None" : "an int or a sequence of ints";
  if (PyIndex_Check(o.ptr()) && !PyBool_Check(o.ptr())) return {int_of(o, arg, what)};
  if (allow_none && o.is_none()) return {-1};
  if (!py::isinstance<py::sequence>(o) || py::isinstance<py::str>(o)) bad_size(o, arg, what);
  F::SizeArg v;
  for (py::handle item : py::reinterpret_borrow<py::sequence>(o)) {
    if (allow_none && item.is_none()) v.push_back(-1);
    else v.push_back(int_of(item, arg, what));
  }
  return v;
}

// Pooling's stride: None (or an empty sequence) means the kernel size.
F::SizeArg stride_arg(const py::handle& o) { return o.is_none() ? F::SizeArg{} : size_arg(o, "stride"); }

Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

template <class Fn, class FnStr>
Tensor conv_call(Fn fn, FnStr fn_str, const Tensor& x, const Tensor& w, const std::optional<Tensor>& b,
                 const py::object& stride, const py::object& padding, const py::object& dilation, int64_t groups) {
  if (py::isinstance<py::str>(padding))
    return fn_str(x, w, opt(b), size_arg(stride, "stride"), padding.cast<std::string>(), size_arg(dilation, "dilation"),
                  groups);
  return fn(x, w, opt(b), size_arg(stride, "stride"), size_arg(padding, "padding"), size_arg(dilation, "dilation"),
            groups);
}

}  // namespace

void bind_conv(py::module_& m) {
  // Private: the CPU float convolution's path ("auto", "gemm" or "direct"; runtime.hpp).
  m.def("_conv_path", &conv_path);
  m.def("_set_conv_path", &set_conv_path, py::arg("path"));
  using O = std::optional<Tensor>;
  using Obj = py::object;
  const auto one = py::int_(1), zero = py::int_(0);
  using Conv = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, const F::SizeArg&, const F::SizeArg&,
                          const F::SizeArg&, int64_t);
  using ConvStr = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, const F::SizeArg&, const std::string&,
                             const F::SizeArg&, int64_t);
  m.def("_nn_conv1d",
        [](const Tensor& x, const Tensor& w, const O& b, const Obj& s, const Obj& p, const Obj& d, int64_t g) {
          return conv_call(static_cast<Conv>(&F::conv1d), static_cast<ConvStr>(&F::conv1d), x, w, b, s, p, d, g);
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = one,
        py::arg("padding") = zero, py::arg("dilation") = one, py::arg("groups") = 1);
  m.def("_nn_conv2d",
        [](const Tensor& x, const Tensor& w, const O& b, const Obj& s, const Obj& p, const Obj& d, int64_t g) {
          return conv_call(static_cast<Conv>(&F::conv2d), static_cast<ConvStr>(&F::conv2d), x, w, b, s, p, d, g);
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = one,
        py::arg("padding") = zero, py::arg("dilation") = one, py::arg("groups") = 1);
  m.def("_nn_conv_transpose1d",
        [](const Tensor& x, const Tensor& w, const O& b, const Obj& s, const Obj& p, const Obj& op, int64_t g,
           const Obj& d) {
          return F::conv_transpose1d(x, w, opt(b), size_arg(s, "stride"), size_arg(p, "padding"),
                                     size_arg(op, "output_padding"), g, size_arg(d, "dilation"));
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = one,
        py::arg("padding") = zero, py::arg("output_padding") = zero, py::arg("groups") = 1,
        py::arg("dilation") = one);
  m.def("_nn_conv_transpose2d",
        [](const Tensor& x, const Tensor& w, const O& b, const Obj& s, const Obj& p, const Obj& op, int64_t g,
           const Obj& d) {
          return F::conv_transpose2d(x, w, opt(b), size_arg(s, "stride"), size_arg(p, "padding"),
                                     size_arg(op, "output_padding"), g, size_arg(d, "dilation"));
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = one,
        py::arg("padding") = zero, py::arg("output_padding") = zero, py::arg("groups") = 1,
        py::arg("dilation") = one);
  m.def("_nn_unfold",
        [](const Tensor& x, const Obj& k, const Obj& d, const Obj& p, const Obj& s) {
          return F::unfold(x, size_arg(k, "kernel_size"), size_arg(d, "dilation"), size_arg(p, "padding"),
                           size_arg(s, "stride"));
        },
        py::arg("input"), py::arg("kernel_size"), py::arg("dilation") = one, py::arg("padding") = zero,
        py::arg("stride") = one);
  m.def("_nn_fold",
        [](const Tensor& x, const Obj& o, const Obj& k, const Obj& d, const Obj& p, const Obj& s) {
          return F::fold(x, size_arg(o, "output_size"), size_arg(k, "kernel_size"), size_arg(d, "dilation"),
                         size_arg(p, "padding"), size_arg(s, "stride"));
        },
        py::arg("input"), py::arg("output_size"), py::arg("kernel_size"), py::arg("dilation") = one,
        py::arg("padding") = zero, py::arg("stride") = one);
  m.def("_nn_max_pool2d",
        [](const Tensor& x, const Obj& k, const Obj& s, const Obj& p, const Obj& d, bool ceil_mode) {
          return F::max_pool2d_with_indices(x, size_arg(k, "kernel_size"), stride_arg(s), size_arg(p, "padding"),
                                            size_arg(d, "dilation"), ceil_mode);
        },
        py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = zero,
        py::arg("dilation") = one, py::arg("ceil_mode") = false);
  m.def("_nn_max_pool1d",
        [](const Tensor& x, const Obj& k, const Obj& s, const Obj& p, const Obj& d, bool ceil_mode) {
          return F::max_pool1d_with_indices(x, size_arg(k, "kernel_size"), stride_arg(s), size_arg(p, "padding"),
                                            size_arg(d, "dilation"), ceil_mode);
        },
        py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = zero,
        py::arg("dilation") = one, py::arg("ceil_mode") = false);
  m.def("_nn_avg_pool2d",
        [](const Tensor& x, const Obj& k, const Obj& s, const Obj& p, bool ceil_mode, bool cip,
           std::optional<int64_t> divisor_override) {
          return F::avg_pool2d(x, size_arg(k, "kernel_size"), stride_arg(s), size_arg(p, "padding"), ceil_mode, cip,
                               divisor_override);
        },
        py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = zero,
        py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none());
  m.def("_nn_avg_pool1d",
        [](const Tensor& x, const Obj& k, const Obj& s, const Obj& p, bool ceil_mode, bool cip) {
          return F::avg_pool1d(x, size_arg(k, "kernel_size"), stride_arg(s), size_arg(p, "padding"), ceil_mode, cip);
        },
        py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = zero,
        py::arg("ceil_mode") = false, py::arg("count_include_pad") = true);
  m.def("_nn_adaptive_avg_pool2d",
        [](const Tensor& x, const Obj& o) { return F::adaptive_avg_pool2d(x, size_arg(o, "output_size", true)); },
        py::arg("input"), py::arg("output_size"));
  m.def("_nn_adaptive_avg_pool1d",
        [](const Tensor& x, const Obj& o) { return F::adaptive_avg_pool1d(x, size_arg(o, "output_size")); },
        py::arg("input"), py::arg("output_size"));
  m.def("_nn_adaptive_max_pool2d",
        [](const Tensor& x, const Obj& o) {
          return F::adaptive_max_pool2d_with_indices(x, size_arg(o, "output_size", true));
        },
        py::arg("input"), py::arg("output_size"));
  m.def("_nn_adaptive_max_pool1d",
        [](const Tensor& x, const Obj& o) {
          return F::adaptive_max_pool1d_with_indices(x, size_arg(o, "output_size"));
        },
        py::arg("input"), py::arg("output_size"));
}

}  // namespace steepest::bindings
