// Bindings of the recurrent layers as steepest._core._nn_rnn / _nn_rnn_cell; the mode is a
// string ("rnn_tanh", "rnn_relu", "lstm", "gru"). st.nn's RNN, LSTM, GRU and cells wrap these.
#include "bind.hpp"
#include "steepest/nn/recurrent.hpp"

namespace steepest::bindings {

namespace F = steepest::nn::functional;

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

F::RnnMode rnn_mode(const std::string& m) {
  if (m == "rnn_tanh" || m == "RNN_TANH") return F::RnnMode::Tanh;
  if (m == "rnn_relu" || m == "RNN_RELU") return F::RnnMode::Relu;
  if (m == "lstm" || m == "LSTM") return F::RnnMode::Lstm;
  if (m == "gru" || m == "GRU") return F::RnnMode::Gru;
  throw ValueError(str("rnn: unknown mode '", m, "' (expected rnn_tanh, rnn_relu, lstm or gru)"));
}
}  // namespace

void bind_rnn(py::module_& m) {
  using O = std::optional<Tensor>;
  m.def("_nn_rnn",
        [](const std::string& mode, const Tensor& input, const O& h0, const O& c0, const std::vector<Tensor>& params,
           bool has_biases, int64_t num_layers, double dropout, bool training, bool bidirectional, bool batch_first,
           Generator* gen, const O& lengths) {
          auto r = F::rnn(rnn_mode(mode), input, opt(h0), opt(c0), params, has_biases, num_layers, dropout, training,
                          bidirectional, batch_first, gen, opt(lengths));
          return py::make_tuple(r[0], r[1], r[2]);
        },
        py::arg("mode"), py::arg("input"), py::arg("h0"), py::arg("c0"), py::arg("params"), py::arg("has_biases"),
        py::arg("num_layers"), py::arg("dropout"), py::arg("training"), py::arg("bidirectional"),
        py::arg("batch_first"), py::arg("generator") = py::none(), py::arg("lengths") = py::none());
  m.def("_nn_rnn_cell",
        [](const std::string& mode, const Tensor& input, const O& hx, const O& cx, const Tensor& w_ih,
           const Tensor& w_hh, const O& b_ih, const O& b_hh) {
          auto r = F::rnn_cell(rnn_mode(mode), input, opt(hx), opt(cx), w_ih, w_hh, opt(b_ih), opt(b_hh));
          return py::make_tuple(r[0], r[1]);
        },
        py::arg("mode"), py::arg("input"), py::arg("hx"), py::arg("cx"), py::arg("weight_ih"), py::arg("weight_hh"),
        py::arg("bias_ih") = py::none(), py::arg("bias_hh") = py::none());
}

}  // namespace steepest::bindings
