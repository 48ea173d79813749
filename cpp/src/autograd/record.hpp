// How ops record themselves for backward: a node type holding the op's backward lambda
// inline (one allocation per recorded op), and record() which wires it into the graph.
// Ops write `if (autograd::needs_grad({&a, &b})) record("MulBackward0", {&a, &b}, {&out}, ...)`
// right after their forward, so the backward formula sits beside the forward it undoes.
#pragma once
#include <utility>
#include <vector>

#include "steepest/autograd.hpp"

namespace steepest::autograd {

template <class F>
struct LambdaNode final : Node {
  LambdaNode(const char* n, F f) : name_(n), fn_(std::move(f)) {}
  const char* name() const override { return name_; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override { return fn_(*this, grads); }

 private:
  const char* name_;
  F fn_;
};

// Records a node named `name` whose backward is fn(node, grads) -> one grad per input
// (undefined for inputs that need none: check node.needs_input_grad(i)). `save` lists the
// tensors the backward reads back as node.saved(i).
template <class F>
Node& record(const char* name, std::initializer_list<const Tensor*> inputs,
             std::initializer_list<Tensor*> outputs, std::initializer_list<Tensor> save, F fn) {
  auto node = std::make_shared<LambdaNode<F>>(name, std::move(fn));
  node->saved_tensors.reserve(save.size());
  for (const Tensor& t : save) node->saved_tensors.emplace_back(t);
  set_history(node, std::vector<const Tensor*>(inputs), std::vector<Tensor*>(outputs));
  return *node;
}

// Same, for ops with a runtime number of inputs or outputs (cat, split, ...).
template <class F>
Node& record_n(const char* name, const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs,
               const std::vector<Tensor>& save, F fn) {
  auto node = std::make_shared<LambdaNode<F>>(name, std::move(fn));
  for (const Tensor& t : save) node->saved_tensors.emplace_back(t);
  set_history(node, inputs, outputs);
  return *node;
}

// Marks a view op's output (in-place writes to views of differentiable tensors are refused:
// their base's history could not follow).
void mark_view(Tensor& out);
// Called by in-place ops before writing `self` when grad mode is on: refuses leaves that
// require grad and views of differentiable tensors, with torch's messages.
void check_inplace_allowed(const Tensor& self);
// The operand an in-place op's recorded out-of-place computation reads in place of `self`
// when its backward saves that operand: a copy of self's values carrying self's history.
// (Saving `self` itself would fail at backward: writing the result back into self bumps
// the version the saved tensor was checked against, and overwrites the values it needs.)
Tensor inplace_source(const Tensor& self);
// After an in-place op computed `result` (out of place, recorded) and wrote its values into
// `self`: `self` takes over result's history.
void rebase_history(Tensor& self, const Tensor& result);
// The in-place form of a recorded op: writes `result` (computed out of place, recorded) into
// `self` without recording the copy, then rebases self's history onto result's.
void assign_recorded(Tensor& self, const Tensor& result);

}  // namespace steepest::autograd
