// Neural-network building blocks for C++ programs that train without Python: a Module base
// (named parameters, children, train/eval), Linear (torch's default init), ReLU/Tanh/GELU,
// Sequential and an MLP. Forward passes go through nn::functional, so backward() works.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/functional.hpp"
#include "ops/elementwise.hpp"
#include "ops/random.hpp"
#include "tensor.hpp"

namespace steepest::nn {

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // This module's parameters and its children's, in registration order; names as torch's
  // state_dict keys ("0.weight", "layers.1.bias").
  std::vector<std::pair<std::string, Tensor>> named_parameters(const std::string& prefix = "") const;
  std::vector<Tensor> parameters() const;
  int64_t num_parameters() const;
  void zero_grad();                 // sets every parameter's .grad to none
  void train(bool on = true);       // also for the children
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Copies values from `state` (names as named_parameters) into the parameters; ValueError
  // naming a missing key or a shape mismatch.
  void load_state(const std::vector<std::pair<std::string, Tensor>>& state);

 protected:
  // A leaf that requires grad, owned by this module under `name`.
  Tensor register_parameter(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

 private:
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// y = x W^T + b with W (out, in); W and b start U(-1/sqrt(in), 1/sqrt(in)) as torch's.
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return steepest::relu(x); }
};
class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override { return steepest::tanh(x); }
};
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none") : approximate_(std::move(approximate)) {}
  Tensor forward(const Tensor& x) override { return functional::gelu(x, approximate_); }

 private:
  std::string approximate_;
};

// Runs its modules in order; children are named "0", "1", ... as torch's.
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential& push_back(std::shared_ptr<Module> m);
  Tensor forward(const Tensor& x) override;
  size_t size() const { return children().size(); }
  Module& operator[](size_t i) const { return *children().at(i).second; }
};

enum class Activation { ReLU, Tanh, GELU };

// Linear layers of the given widths (sizes[0] inputs ... sizes.back() outputs) with the
// activation between them (none after the last): sizes {784, 1024, 10} is 784-1024-10.
class MLP : public Sequential {
 public:
  explicit MLP(const std::vector<int64_t>& sizes, Activation act = Activation::ReLU, Generator* gen = nullptr);
};

// One step of plain gradient descent, p -= lr * p.grad, for every parameter with a grad.
void sgd_step(const std::vector<Tensor>& params, double lr);

}  // namespace steepest::nn
