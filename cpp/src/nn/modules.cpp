// The C++ nn modules: parameter bookkeeping of Module, Linear's init and forward, Sequential,
// MLP, and plain gradient descent for programs that don't use the optimizers.
#include "steepest/nn.hpp"

#include <cmath>

#include "steepest/autograd.hpp"
#include "steepest/ops.hpp"

namespace steepest::nn {

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(const std::string& prefix) const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, t] : params_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) {
    auto sub = child->named_parameters(prefix + name + ".");
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& t : parameters()) n += t.numel();
  return n;
}

void Module::zero_grad() {
  for (Tensor& t : parameters()) t.set_grad(Tensor());
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::load_state(const std::vector<std::pair<std::string, Tensor>>& state) {
  autograd::NoGradGuard no_grad;
  for (auto& [name, p] : named_parameters()) {
    const Tensor* src = nullptr;
    for (auto& [k, v] : state)
      if (k == name) src = &v;
    STEEPEST_CHECK(src, ValueError, "load_state: missing key \"", name, "\"");
    STEEPEST_CHECK(src->shape() == p.shape(), ValueError, "load_state: \"", name, "\" has shape ", src->shape(),
                   " but the parameter has shape ", p.shape());
    Tensor dst = p;
    copy_(dst, *src);
  }
}

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  t.set_requires_grad(true);
  params_.emplace_back(name, t);
  return t;
}

Linear::Linear(int64_t in, int64_t out, bool with_bias, Generator* gen) {
  STEEPEST_CHECK(in > 0 && out > 0, ValueError, "Linear: in_features and out_features must be positive, got ", in,
                 " and ", out);
  // torch's kaiming_uniform_(a=sqrt(5)) reduces to U(-1/sqrt(in), 1/sqrt(in)), as does the bias.
  const double bound = 1.0 / std::sqrt(double(in));
  Tensor w = empty({out, in});
  uniform_(w, -bound, bound, gen);
  weight = register_parameter("weight", w);
  if (with_bias) {
    Tensor b = empty({out});
    uniform_(b, -bound, bound, gen);
    bias = register_parameter("bias", b);
  }
}

Tensor Linear::forward(const Tensor& x) { return functional::linear(x, weight, bias); }

Sequential& Sequential::push_back(std::shared_ptr<Module> m) {
  register_module(std::to_string(size()), std::move(m));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& [name, m] : children()) y = m->forward(y);
  return y;
}

MLP::MLP(const std::vector<int64_t>& sizes, Activation act, Generator* gen) {
  STEEPEST_CHECK(sizes.size() >= 2, ValueError, "MLP: need at least an input and an output size, got ",
                 sizes.size(), " sizes");
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    push_back(std::make_shared<Linear>(sizes[i], sizes[i + 1], true, gen));
    if (i + 2 < sizes.size()) {
      if (act == Activation::ReLU) push_back(std::make_shared<ReLU>());
      else if (act == Activation::Tanh) push_back(std::make_shared<Tanh>());
      else push_back(std::make_shared<GELU>());
    }
  }
}

void sgd_step(const std::vector<Tensor>& params, double lr) {
  autograd::NoGradGuard no_grad;
  for (Tensor p : params) {
    Tensor g = p.grad();
    if (g.defined()) sub_(p, g, Scalar(lr));
  }
}

}  // namespace steepest::nn
