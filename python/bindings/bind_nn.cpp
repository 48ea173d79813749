// Bindings of the nn functional ops as steepest._core._nn_<name>, with torch.nn.functional's
// argument names and defaults (reduction as a string). st.nn.functional wraps these.
#include "bind.hpp"

namespace steepest::bindings {

namespace F = steepest::nn::functional;

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

// normalized_shape: an int or a sequence of ints.
Shape shape_arg(const py::object& o, const char* op, const char* arg) {
  if (PyLong_Check(o.ptr()) && !PyBool_Check(o.ptr())) return Shape{o.cast<int64_t>()};
  try {
    return o.cast<Shape>();
  } catch (const py::cast_error&) {
    throw TypeError(str(op, ": ", arg, " must be an int or a sequence of ints, but got ",
                        std::string(py::str(py::type::of(o).attr("__name__")))));
  }
}

// ctc_loss's lengths: an integer tensor, or a sequence of ints (a lone int for one sequence).
bool is_tensor(const py::handle& o) { return py::detail::make_caster<Tensor>().load(o, false); }
std::vector<int64_t> lengths_arg(const py::handle& o, const char* arg) {
  if (PyLong_Check(o.ptr()) && !PyBool_Check(o.ptr())) return {o.cast<int64_t>()};
  if (py::isinstance<py::sequence>(o) && !py::isinstance<py::str>(o)) {
    std::vector<int64_t> v;
    for (const py::handle& e : o.cast<py::sequence>()) {
      if (!PyIndex_Check(e.ptr()) || PyBool_Check(e.ptr()))
        throw TypeError(str("ctc_loss: ", arg, " must be a tensor or a sequence of ints, but it holds a ",
                            std::string(py::str(py::type::of(e).attr("__name__")))));
      v.push_back(py::int_(py::reinterpret_borrow<py::object>(e)).cast<int64_t>());
    }
    return v;
  }
  throw TypeError(str("ctc_loss: ", arg, " must be a tensor or a sequence of ints, but got ",
                      std::string(py::str(py::type::of(o).attr("__name__")))));
}
}  // namespace

void bind_nn(py::module_& m) {
  using O = std::optional<Tensor>;
  m.def("_nn_linear", [](const Tensor& x, const Tensor& w, const O& b) { return F::linear(x, w, opt(b)); },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  m.def("_nn_erf", &F::erf, py::arg("input"));
  m.def("_nn_gelu", &F::gelu, py::arg("input"), py::arg("approximate") = "none");
  m.def("_nn_silu", &F::silu, py::arg("input"));
  m.def("_nn_softplus", &F::softplus, py::arg("input"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
  m.def("_nn_leaky_relu", &F::leaky_relu, py::arg("input"), py::arg("negative_slope") = 0.01);
  m.def("_nn_elu", &F::elu, py::arg("input"), py::arg("alpha") = 1.0);
  m.def("_nn_selu", &F::selu, py::arg("input"));
  m.def("_nn_celu", &F::celu, py::arg("input"), py::arg("alpha") = 1.0);
  m.def("_nn_hardswish", &F::hardswish, py::arg("input"));
  m.def("_nn_hardsigmoid", &F::hardsigmoid, py::arg("input"));
  m.def("_nn_hardtanh", &F::hardtanh, py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0);
  m.def("_nn_mish", &F::mish, py::arg("input"));
  m.def("_nn_logsigmoid", &F::logsigmoid, py::arg("input"));
  m.def("_nn_softsign", &F::softsign, py::arg("input"));
  m.def("_nn_softmax", &F::softmax, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  m.def("_nn_log_softmax", &F::log_softmax, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  m.def("_nn_cross_entropy",
        [](const Tensor& x, const Tensor& t, const O& w, int64_t ignore_index, const std::string& reduction,
           double label_smoothing) {
          return F::cross_entropy(x, t, opt(w), ignore_index, F::parse_reduction(reduction, "cross_entropy"),
                                  label_smoothing);
        },
        py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
        py::arg("reduction") = "mean", py::arg("label_smoothing") = 0.0);
  m.def("_nn_nll_loss",
        [](const Tensor& x, const Tensor& t, const O& w, int64_t ignore_index, const std::string& reduction) {
          return F::nll_loss(x, t, opt(w), ignore_index, F::parse_reduction(reduction, "nll_loss"));
        },
        py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
        py::arg("reduction") = "mean");
  m.def("_nn_ctc_loss",
        [](const Tensor& lp, const Tensor& targets, const py::object& il, const py::object& tl, int64_t blank,
           const std::string& reduction, bool zero_infinity) {
          const F::Reduction r = F::parse_reduction(reduction, "ctc_loss");
          // Two tensors stay tensors (read on the host by the core); otherwise both are sequences.
          if (is_tensor(il) && is_tensor(tl))
            return F::ctc_loss(lp, targets, il.cast<Tensor>(), tl.cast<Tensor>(), blank, r, zero_infinity);
          STEEPEST_CHECK(!is_tensor(il) && !is_tensor(tl), TypeError,
                         "ctc_loss: input_lengths and target_lengths must both be tensors or both be sequences of "
                         "ints");
          return F::ctc_loss(lp, targets, lengths_arg(il, "input_lengths"), lengths_arg(tl, "target_lengths"), blank,
                             r, zero_infinity);
        },
        py::arg("log_probs"), py::arg("targets"), py::arg("input_lengths"), py::arg("target_lengths"),
        py::arg("blank") = 0, py::arg("reduction") = "mean", py::arg("zero_infinity") = false);
  m.def("_nn_mse_loss",
        [](const Tensor& x, const Tensor& t, const std::string& r) {
          return F::mse_loss(x, t, F::parse_reduction(r, "mse_loss"));
        },
        py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  m.def("_nn_l1_loss",
        [](const Tensor& x, const Tensor& t, const std::string& r) {
          return F::l1_loss(x, t, F::parse_reduction(r, "l1_loss"));
        },
        py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  m.def("_nn_binary_cross_entropy_with_logits",
        [](const Tensor& x, const Tensor& t, const O& w, const std::string& r, const O& pw) {
          return F::binary_cross_entropy_with_logits(x, t, opt(w), opt(pw),
                                                     F::parse_reduction(r, "binary_cross_entropy_with_logits"));
        },
        py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
        py::arg("pos_weight") = py::none());
  m.def("_nn_layer_norm",
        [](const Tensor& x, const py::object& ns, const O& w, const O& b, double eps) {
          return F::layer_norm(x, shape_arg(ns, "layer_norm", "normalized_shape"), opt(w), opt(b), eps);
        },
        py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
        py::arg("eps") = 1e-5);
  m.def("_nn_rms_norm",
        [](const Tensor& x, const py::object& ns, const O& w, std::optional<double> eps) {
          return F::rms_norm(x, shape_arg(ns, "rms_norm", "normalized_shape"), opt(w), eps);
        },
        py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("eps") = py::none());
  m.def("_nn_embedding",
        [](const Tensor& idx, const Tensor& w, std::optional<int64_t> padding_idx) {
          return F::embedding(w, idx, padding_idx);
        },
        py::arg("input"), py::arg("weight"), py::arg("padding_idx") = py::none());
  m.def("_nn_dropout", &F::dropout, py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
        py::arg("generator") = py::none());
  m.def("_nn_scaled_dot_product_attention",
        [](const Tensor& q, const Tensor& k, const Tensor& v, const O& mask, double dropout_p, bool is_causal,
           std::optional<double> scale, Generator* gen) {
          return F::scaled_dot_product_attention(q, k, v, opt(mask), dropout_p, is_causal, scale, gen);
        },
        py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = py::none(),
        py::arg("dropout_p") = 0.0, py::arg("is_causal") = false, py::arg("scale") = py::none(),
        py::arg("generator") = py::none());
}

}  // namespace steepest::bindings
