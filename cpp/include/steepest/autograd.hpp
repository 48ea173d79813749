// Reverse-mode autodiff: the recorded graph (Node, Edge), tensors saved for backward,
// grad modes, hooks, and the engine that runs backward passes over the graph.
//
// Every differentiable op records one Node when grad mode is on and an input requires grad.
// The node holds edges to the nodes that produced its inputs (or to a leaf's accumulator)
// and the tensors its backward needs. backward() walks the graph once, in dependency order,
// without recursion, so arbitrarily deep graphs work.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor.hpp"

namespace steepest {

struct Node;

// Where a gradient goes: input slot `input_nr` of node `fn` (null fn: nowhere).
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool valid() const { return bool(fn); }
};

// A hook on a tensor's gradient: returns a replacement, or an undefined tensor to keep it.
using GradHook = std::function<Tensor(const Tensor&)>;
// Runs after a leaf's .grad has been accumulated; receives the leaf itself.
using PostAccumulateGradHook = std::function<void(const Tensor&)>;
// A registered gradient hook: its id (for remove_hook), the callable, and the name errors
// about what it returned give (a Python hook's __name__).
struct NamedGradHook {
  int id;
  GradHook fn;
  std::string name;
};

struct AutogradMeta {
  bool requires_grad = false;
  bool retains_grad = false;       // a non-leaf that keeps its .grad (retain_grad())
  bool is_view = false;            // made by a view op from a tensor that required grad
  Tensor grad;                     // accumulated gradient of a leaf
  std::shared_ptr<Node> grad_fn;   // the op that produced a non-leaf
  uint32_t output_nr = 0;          // which output of grad_fn this tensor is
  std::weak_ptr<Node> grad_accumulator;  // a leaf's AccumulateGrad node, while a graph uses it
  std::vector<NamedGradHook> hooks;  // leaf hooks
  std::vector<std::pair<int, PostAccumulateGradHook>> post_accumulate_hooks;
};

// A tensor kept by a node for its backward. It keeps the data (a history-free alias, so
// no reference cycle through an output) and the storage version at save time: unpacking
// after an in-place change, or after the graph was freed, raises RuntimeError.
class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& t);
  Tensor unpack(const char* node_name) const;
  void release() { data_ = Tensor(); released_ = saved_; }
  bool defined() const { return saved_; }

 private:
  Tensor data_;
  uint64_t version_ = 0;
  bool saved_ = false, released_ = false;
};

// What a gradient flowing into an input must look like (broadcast grads are summed back to
// `shape`, other dtypes are cast to `dtype`; another device is an error).
struct InputMeta {
  Shape shape;
  DType dtype = kFloat32;
  Device device = kCPU;
};

// A recorded operation. apply() receives one gradient per output (undefined where none
// flowed) and returns one per next edge (undefined where the input needs none).
struct Node {
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual const char* name() const = 0;
  virtual std::vector<Tensor> apply(std::vector<Tensor>& grads) = 0;
  // Frees what the backward needs (called after a pass without retain_graph).
  virtual void release_saved();

  bool needs_input_grad(size_t i) const { return i < next_edges.size() && next_edges[i].valid(); }
  const Tensor saved(size_t i) const { return saved_tensors[i].unpack(name()); }

  std::vector<Edge> next_edges;
  std::vector<InputMeta> input_meta;   // parallel to next_edges
  std::vector<SavedTensor> saved_tensors;
  uint32_t num_outputs = 1;
  uint64_t sequence_nr;                // creation order: later nodes run first
  // Hooks on a non-leaf output's gradient, run before apply().
  struct PreHook { uint32_t output_nr; NamedGradHook hook; };
  std::vector<PreHook> pre_hooks;

  // The engine's bookkeeping for the pass in progress (kept on the node: a hash map per
  // pass would cost more than the small ops it serves). Not for users.
  uint64_t pass_id_ = 0;
  int pending_ = 0;
  std::vector<Tensor> buffer_;
};

// A leaf's gradient sink: runs the leaf's hooks, then adds into its .grad.
struct AccumulateGrad final : Node {
  explicit AccumulateGrad(Tensor variable);
  const char* name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override;
  Tensor variable;
};

namespace autograd {

// Grad mode is per thread. Guards restore the previous mode on scope exit.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : prev_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};
struct NoGradGuard : GradModeGuard { NoGradGuard() : GradModeGuard(false) {} };
struct EnableGradGuard : GradModeGuard { EnableGradGuard() : GradModeGuard(true) {} };

// True when grad mode is on and some input requires grad: the op must record a node.
inline bool any_requires_grad(std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}
inline bool needs_grad(std::initializer_list<const Tensor*> ts) {
  return is_grad_enabled() && any_requires_grad(ts);
}

// The edge a gradient for `t` flows along: its grad_fn, its accumulator (leaves that
// require grad), or an invalid edge.
Edge gradient_edge(const Tensor& t);

// Connects `node` to `inputs` (edges + input metadata) and makes it the grad_fn of
// `outputs` (which then require grad). Used by every op and by custom functions.
void set_history(const std::shared_ptr<Node>& node, const std::vector<const Tensor*>& inputs,
                 const std::vector<Tensor*>& outputs);

// A node whose backward is any callable: (node, grads) -> input grads. Custom C++ ops and
// the Python autograd.Function use it; saved tensors go in node.saved_tensors.
using BackwardFn = std::function<std::vector<Tensor>(Node&, std::vector<Tensor>&)>;
std::shared_ptr<Node> record_function(const char* name, const std::vector<Tensor>& inputs,
                                      const std::vector<Tensor>& outputs, BackwardFn backward,
                                      const std::vector<Tensor>& to_save = {});

// Runs backward from `outputs` with `grad_outputs` (undefined: ones for a one-element
// output, an error otherwise), accumulating into the leaves' .grad.
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false);
// The gradients of `outputs` with respect to `inputs`, without touching any .grad. An input
// the outputs don't depend on is an error unless allow_unused (then undefined).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool allow_unused = false);

// Hooks. Return ids for remove_hook. On a leaf the hook runs before accumulation; on a
// non-leaf it runs when its gradient is complete. A hook's replacement gradient must keep the
// size, dtype and device of the one it replaces ("hook 'name' has changed the size of value").
int register_hook(const Tensor& t, GradHook hook, std::string name = "hook");
// Runs `hook` on `g`: the hook's replacement (checked as above), or g when it returns none.
Tensor run_grad_hook(const NamedGradHook& hook, const Tensor& g);
int register_post_accumulate_grad_hook(const Tensor& t, PostAccumulateGradHook hook);
void remove_hook(const Tensor& t, int id);
// Makes a non-leaf keep its gradient in .grad (no-op on a leaf).
void retain_grad(const Tensor& t);

// Sums a broadcast gradient back to `shape` (the reverse of broadcasting to g's shape).
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace autograd
}  // namespace steepest
