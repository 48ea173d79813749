// The recurrent layers: rnn_layer (one layer and direction: checks, results, autograd; the
// time loop is the device's kernel, dispatch/rnn.hpp), the stack of layers and directions
// torch's nn.RNN/LSTM/GRU run, and the single-step cells, which are a one-step layer.
#include "steepest/nn/recurrent.hpp"

#include <vector>

#include "dispatch/rnn.hpp"
#include "nn/common.hpp"
#include "runtime/autocast_policy.hpp"
#include "steepest/ops/device.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(RnnLayerKernel, rnn_layer_stub);
STEEPEST_DEFINE_STUB(RnnLayerBackwardKernel, rnn_layer_backward_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using namespace detail;

const char* mode_name(RnnMode m) {
  switch (m) {
    case RnnMode::Tanh: return "rnn_tanh";
    case RnnMode::Relu: return "rnn_relu";
    case RnnMode::Lstm: return "lstm";
    default: return "gru";
  }
}

void check_shape(const Tensor& t, const Shape& want, const char* op, const char* name) {
  STEEPEST_CHECK(t.defined(), ValueError, op, ": expected ", name, " of shape ", want, ", but got none");
  STEEPEST_CHECK(t.shape() == want, ValueError, op, ": expected ", name, " of shape ", want, ", but got ",
                 t.shape());
}

void require(const Tensor& t, const char* op, const char* name) {
  STEEPEST_CHECK(t.defined(), ValueError, op, ": ", name, " must be a tensor, but got none");
}

// A dense float copy in dtype `dt` (no copy when it already is one).
Tensor dense(const Tensor& t, DType dt) { return t.defined() ? contiguous(to_dtype(t, dt)) : Tensor(); }

Tensor zeros_or(const Tensor& g, const Shape& s, DType dt, Device dev) {
  return g.defined() ? dense(g, dt) : zeros(s, TensorOptions(dt, dev));
}

}  // namespace

int64_t rnn_gates(RnnMode mode) { return mode == RnnMode::Lstm ? 4 : mode == RnnMode::Gru ? 3 : 1; }

std::vector<Tensor> rnn_layer(RnnMode mode, const Tensor& xp, const Tensor& h0, const Tensor& c0,
                              const Tensor& w_hh, const Tensor& b_hh, bool reverse, const Tensor& lengths) {
  const char* op = mode_name(mode);
  const bool lstm = mode == RnnMode::Lstm;
  require(xp, op, "the input projection");
  require(w_hh, op, "weight_hh");
  check_float(xp, op, "input projection");
  STEEPEST_CHECK(w_hh.dim() == 2, ValueError, op, ": expected weight_hh to be 2-D, but got shape ", w_hh.shape());
  STEEPEST_CHECK(xp.dim() == 3, ValueError, op, ": expected the input projection to be 3-D (T, B, gates * H), but got shape ",
                 xp.shape());
  const int64_t G = rnn_gates(mode), H = w_hh.shape()[1], T = xp.shape()[0], B = xp.shape()[1];
  STEEPEST_CHECK(H > 0 && w_hh.shape()[0] == G * H, ValueError, op, ": expected weight_hh of shape (", G,
                 " * hidden_size, hidden_size), but got ", w_hh.shape());
  STEEPEST_CHECK(T > 0, ValueError, op, ": expected a sequence length larger than 0, but got input of shape ",
                 xp.shape());
  check_shape(xp, {T, B, G * H}, op, "input projection");
  check_shape(h0, {B, H}, op, "h0");
  if (lstm) check_shape(c0, {B, H}, op, "c0");
  if (b_hh.defined()) check_shape(b_hh, {G * H}, op, "bias_hh");
  for (const Tensor* t : {&h0, &c0, &w_hh, &b_hh}) {
    if (!t->defined() || (t == &c0 && !lstm)) continue;
    check_float(*t, op, t == &h0 ? "h0" : t == &c0 ? "c0" : t == &w_hh ? "weight_hh" : "bias_hh");
    check_same_dtype(xp, *t, op, "input", t == &h0 ? "h0" : t == &c0 ? "c0" : t == &w_hh ? "weight_hh" : "bias_hh");
  }
  const Tensor c0u = lstm ? c0 : Tensor();
  Tensor lens;
  if (lengths.defined()) {
    STEEPEST_CHECK(lengths.dtype() == kInt64 && lengths.dim() == 1 && lengths.shape()[0] == B, ValueError, op,
                   ": expected lengths to be a 1-D int64 tensor of ", B, " values, but got ", dtype_name(lengths.dtype()),
                   " of shape ", lengths.shape());
    // Every backend's kernel reads the lengths on the host (they are bookkeeping, checked
    // here); lengths given on a device are copied over once.
    lens = contiguous(lengths.device().type == DeviceType::CPU ? lengths : to_device(lengths, kCPU));
    const int64_t* pl = lens.data<int64_t>();
    for (int64_t b = 0; b < B; ++b)
      STEEPEST_CHECK(pl[b] >= 1 && pl[b] <= T, ValueError, op, ": lengths[", b, "] = ", pl[b],
                     " is outside [1, ", T, "] (the sequence length)");
  }
  if (is_16bit(xp.dtype())) {
    V r = rnn_layer(mode, to_dtype(xp, kFloat32), to_dtype(h0, kFloat32), lstm ? to_dtype(c0, kFloat32) : Tensor(),
                    to_dtype(w_hh, kFloat32), b_hh.defined() ? to_dtype(b_hh, kFloat32) : Tensor(), reverse, lens);
    for (Tensor& t : r)
      if (t.defined()) t = to_dtype(t, xp.dtype());
    return r;
  }
  const DType dt = xp.dtype();
  const Device dev = dispatch::common_device({&xp, &h0, &c0u, &w_hh, &b_hh});
  const TensorOptions o = TensorOptions(dt, dev);
  Tensor out = Tensor::empty({T, B, H}, dt, dev), hn = Tensor::empty({B, H}, dt, dev);
  Tensor cn = lstm ? Tensor::empty({B, H}, dt, dev) : Tensor();
  Tensor ws = Tensor::empty({T, B, dispatch::rnn_saved_per_row(mode) * H}, dt, dev);
  Tensor xc = dense(xp, dt), hc = dense(h0, dt), cc = dense(c0u, dt), wc = dense(w_hh, dt), bc = dense(b_hh, dt);
  {
    autograd::NoGradGuard ng;
    dispatch::rnn_layer_stub().get(dev, op)(mode, reverse, out, hn, cn, ws, xc, hc, cc, wc, bc, lens);
  }
  if (autograd::needs_grad({&xp, &h0, &c0u, &w_hh, &b_hh})) {
    std::vector<Tensor*> outs{&out, &hn};
    if (lstm) outs.push_back(&cn);
    autograd::record_n(
        lstm ? "LstmLayerBackward" : mode == RnnMode::Gru ? "GruLayerBackward" : "RnnLayerBackward",
        {&xp, &h0, &c0u, &w_hh, &b_hh}, outs, {out, ws, hc, cc, wc},
        [mode, reverse, op, o, T, B, H, G, has_b = b_hh.defined(), lens](Node& n, V& g) -> V {
          Tensor out = n.saved(0), ws = n.saved(1), h0 = n.saved(2), c0 = n.saved(3), w = n.saved(4);
          const bool l = mode == RnnMode::Lstm;
          const DType dt = o.dtype;
          const Device dev = o.device;
          Tensor gout = zeros_or(g[0], {T, B, H}, dt, dev), ghn = zeros_or(g[1], {B, H}, dt, dev);
          Tensor gcn = l ? zeros_or(g.size() > 2 ? g[2] : Tensor(), {B, H}, dt, dev) : Tensor();
          check_grad_output(gout, {T, B, H}, op);
          check_grad_output(ghn, {B, H}, op);
          if (l) check_grad_output(gcn, {B, H}, op);
          Tensor gxp = Tensor::empty({T, B, G * H}, dt, dev), gh0 = Tensor::empty({B, H}, dt, dev);
          Tensor gc0 = l ? Tensor::empty({B, H}, dt, dev) : Tensor();
          Tensor gw = Tensor::empty({G * H, H}, dt, dev);
          Tensor gb = has_b ? Tensor::empty({G * H}, dt, dev) : Tensor();
          dispatch::rnn_layer_backward_stub().get(dev, op)(mode, reverse, gxp, gh0, gc0, gw, gb, gout, ghn, gcn,
                                                           out, ws, h0, c0, w, lens);
          return {gxp, gh0, gc0, gw, gb};
        });
  }
  return lstm ? V{out, hn, cn} : V{out, hn};
}

namespace {
std::vector<Tensor> rnn_checked(RnnMode mode, const Tensor& input, const Tensor& h0, const Tensor& c0,
                                const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                double dropout_p, bool training, bool bidirectional, bool batch_first,
                                Generator* gen, const Tensor& lengths);
}  // namespace

// Under autocast LSTM and plain RNN layers run in the autocast dtype and GRU layers in their
// inputs' dtype, as torch's CPU layers do (what torch 2.13's autocast gives each).
std::vector<Tensor> rnn(RnnMode mode, const Tensor& input, const Tensor& h0, const Tensor& c0,
                        const std::vector<Tensor>& params, bool has_biases, int64_t num_layers, double dropout_p,
                        bool training, bool bidirectional, bool batch_first, Generator* gen,
                        const Tensor& lengths) {
  if (mode == RnnMode::Gru || !autocast::is_enabled(input.defined() ? input.device().type : DeviceType::CPU)) {
    autocast::Excluded keep_dtypes;  // the layer's products stay in the inputs' dtype
    return rnn_checked(mode, input, h0, c0, params, has_biases, num_layers, dropout_p, training, bidirectional,
                       batch_first, gen, lengths);
  }
  std::vector<Tensor> args{input, h0, c0};
  args.insert(args.end(), params.begin(), params.end());
  autocast::Args ac(autocast::Policy::LowerPrecision, args);
  const std::vector<Tensor>& a = ac.all();
  return rnn_checked(mode, a[0], a[1], a[2], std::vector<Tensor>(a.begin() + 3, a.end()), has_biases, num_layers,
                     dropout_p, training, bidirectional, batch_first, gen, lengths);
}

namespace {
std::vector<Tensor> rnn_checked(RnnMode mode, const Tensor& input, const Tensor& h0, const Tensor& c0,
                                const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                double dropout_p, bool training, bool bidirectional, bool batch_first,
                                Generator* gen, const Tensor& lengths) {
  const char* op = mode_name(mode);
  const bool lstm = mode == RnnMode::Lstm;
  require(input, op, "input");
  for (size_t i = 0; i < params.size(); ++i)
    if (has_biases ? i % 4 < 2 : true) require(params[i], op, "every weight");
  check_float(input, op, "input");
  STEEPEST_CHECK(input.dim() == 2 || input.dim() == 3, ValueError, op,
                 ": expected input to be 2-D (unbatched) or 3-D (batched), but got shape ", input.shape());
  STEEPEST_CHECK(num_layers >= 1, ValueError, op, ": num_layers must be at least 1, but got ", num_layers);
  STEEPEST_CHECK(dropout_p >= 0.0 && dropout_p <= 1.0, ValueError, op, ": dropout must be in [0, 1], but got ",
                 dropout_p);
  const int64_t D = bidirectional ? 2 : 1, per = has_biases ? 4 : 2;
  STEEPEST_CHECK(int64_t(params.size()) == num_layers * D * per, ValueError, op, ": expected ",
                 num_layers * D * per, " weight tensors, but got ", params.size());
  const bool batched = input.dim() == 3;
  Tensor x = batched ? (batch_first ? transpose(input, 0, 1) : input) : unsqueeze(input, 1);
  const int64_t B = x.shape()[1];
  const int64_t H = params[1].dim() == 2 ? params[1].shape()[1] : 0;
  STEEPEST_CHECK(H > 0, ValueError, op, ": expected weight_hh_l0 to be 2-D (gates * hidden_size, hidden_size), but got shape ",
                 params[1].shape());
  // Initial states: (layers * dirs, B, H), or (layers * dirs, H) for an unbatched input.
  auto state = [&](const Tensor& s, const char* name) {
    if (!s.defined()) return zeros({num_layers * D, B, H}, TensorOptions(input.dtype(), input.device()));
    const Shape want = batched ? Shape{num_layers * D, B, H} : Shape{num_layers * D, H};
    STEEPEST_CHECK(s.shape() == want, ValueError, op, ": expected ", name, " of shape ", want, ", but got ", s.shape(),
                   batched ? "" : " (the input is unbatched)");
    return batched ? s : unsqueeze(s, 1);
  };
  const Tensor hx = state(h0, "h0"), cx = lstm ? state(c0, "c0") : Tensor();
  V hs, cs;
  for (int64_t l = 0; l < num_layers; ++l) {
    V outs;
    for (int64_t d = 0; d < D; ++d) {
      const int64_t k = (l * D + d) * per;
      const Tensor &w_ih = params[size_t(k)], &w_hh = params[size_t(k + 1)];
      const Tensor b_ih = has_biases ? params[size_t(k + 2)] : Tensor(), b_hh = has_biases ? params[size_t(k + 3)] : Tensor();
      STEEPEST_CHECK(w_ih.dim() == 2 && w_ih.shape()[1] == x.shape()[2], ValueError, op, ": input of feature size ",
                     x.shape()[2], " doesn't match weight_ih_l", l, d ? "_reverse" : "", " of shape ", w_ih.shape());
      STEEPEST_CHECK(w_ih.shape()[0] == rnn_gates(mode) * H, ValueError, op, ": expected weight_ih_l", l,
                     d ? "_reverse" : "", " to have ", rnn_gates(mode) * H, " rows, but got shape ", w_ih.shape());
      Tensor xp = linear(x, w_ih, b_ih);  // every step's input projection: one GEMM
      V r = rnn_layer(mode, xp, select(hx, 0, l * D + d), lstm ? select(cx, 0, l * D + d) : Tensor(), w_hh, b_hh,
                      d == 1, batched ? lengths : Tensor());
      outs.push_back(r[0]);
      hs.push_back(r[1]);
      if (lstm) cs.push_back(r[2]);
    }
    x = D == 2 ? cat(outs, 2) : outs[0];
    if (dropout_p > 0.0 && training && l + 1 < num_layers) x = dropout(x, dropout_p, true, gen);
  }
  Tensor hn = stack(hs, 0), cn = lstm ? stack(cs, 0) : Tensor();
  if (!batched) {
    x = squeeze(x, 1);
    hn = squeeze(hn, 1);
    if (lstm) cn = squeeze(cn, 1);
  } else if (batch_first) {
    x = transpose(x, 0, 1);
  }
  return {x, hn, cn};
}
}  // namespace

std::vector<Tensor> rnn_cell(RnnMode mode, const Tensor& input, const Tensor& h, const Tensor& c,
                             const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  const char* op = mode == RnnMode::Lstm ? "lstm_cell" : mode == RnnMode::Gru ? "gru_cell" : "rnn_cell";
  const bool lstm = mode == RnnMode::Lstm;
  autocast::Excluded keep_dtypes;  // cells are in none of torch's autocast lists
  require(input, op, "input");
  require(w_ih, op, "weight_ih");
  require(w_hh, op, "weight_hh");
  check_float(input, op, "input");
  STEEPEST_CHECK(input.dim() == 1 || input.dim() == 2, ValueError, op,
                 ": expected input to be 1-D (unbatched) or 2-D (batched), but got shape ", input.shape());
  STEEPEST_CHECK(w_hh.dim() == 2 && w_hh.shape()[1] > 0, ValueError, op,
                 ": expected weight_hh to be 2-D (gates * hidden_size, hidden_size), but got shape ", w_hh.shape());
  STEEPEST_CHECK(w_ih.dim() == 2 && w_ih.shape()[1] == input.shape().back(), ValueError, op,
                 ": input of feature size ", input.shape().back(), " doesn't match weight_ih of shape ", w_ih.shape());
  const bool batched = input.dim() == 2;
  const Tensor x = batched ? input : unsqueeze(input, 0);
  const int64_t B = x.shape()[0], H = w_hh.shape()[1];
  auto state = [&](const Tensor& s, const char* name) {
    if (!s.defined()) return zeros({B, H}, TensorOptions(input.dtype(), input.device()));
    const Shape want = batched ? Shape{B, H} : Shape{H};
    STEEPEST_CHECK(s.shape() == want, ValueError, op, ": expected ", name, " of shape ", want, ", but got ",
                   s.shape());
    return batched ? s : unsqueeze(s, 0);
  };
  const Tensor hx = state(h, "hx"), cx = lstm ? state(c, "cx") : Tensor();
  V r = rnn_layer(mode, unsqueeze(linear(x, w_ih, b_ih), 0), hx, cx, w_hh, b_hh, false);
  Tensor h1 = r[1], c1 = lstm ? r[2] : Tensor();
  if (!batched) {
    h1 = squeeze(h1, 0);
    if (lstm) c1 = squeeze(c1, 0);
  }
  return {h1, c1};
}

}  // namespace steepest::nn::functional
