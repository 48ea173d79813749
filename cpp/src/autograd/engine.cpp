// The backward engine: counts how many gradients each node of the graph will receive, then
// runs nodes whose gradients are complete, latest-created first, with an explicit heap (no
// recursion: a 100 000-op chain is fine). Broadcast gradients are summed back to each
// input's shape and cast to its dtype here, once, instead of in every op's formula.
#include <atomic>
#include <queue>
#include <unordered_map>

#include "ops/view.hpp"
#include "steepest/autograd.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/elementwise.hpp"

namespace steepest::autograd {

namespace {

struct ByCreation {
  bool operator()(const Node* a, const Node* b) const { return a->sequence_nr < b->sequence_nr; }
};

// Where autograd.grad collects the gradient of one input instead of accumulating it.
struct Capture {
  Node* node;
  uint32_t slot;
  size_t index;
};

// Accumulates g into a buffer slot (out of place: a buffer may be shared with a saved tensor).
void accumulate(Tensor& slot, Tensor g) {
  if (!slot.defined()) slot = std::move(g);
  else slot = add(slot, g);
}

// Whether `shape` broadcasts to `target` (so a gradient of `target` sums back to it).
bool expandable_to(const Shape& shape, const Shape& target) {
  if (shape.size() > target.size()) return false;
  for (size_t i = 1; i <= shape.size(); ++i) {
    int64_t s = shape[shape.size() - i], t = target[target.size() - i];
    if (s != t && s != 1) return false;
  }
  return true;
}

// Makes the gradient node `node` returned for input `i` fit that input: sum broadcast dims
// away, cast the dtype. A gradient of another shape or device is the node's error (a custom
// Function's backward), refused before any formula downstream reads it.
Tensor conform(Tensor g, const Node& node, size_t i) {
  const InputMeta& meta = node.input_meta[i];
  STEEPEST_CHECK(g.device() == meta.device, Error, "Function ", node.name(), " returned an invalid gradient at index ",
                 i, " - expected device ", meta.device.str(), " but got ", g.device().str());
  STEEPEST_CHECK(expandable_to(meta.shape, g.shape()), Error, "Function ", node.name(),
                 " returned an invalid gradient at index ", i, " - got ", detail::bracket(g.shape()),
                 " but expected shape compatible with ", detail::bracket(meta.shape));
  if (g.shape() != meta.shape) g = sum_to(g, meta.shape);
  if (g.dtype() != meta.dtype) g = to_dtype(g, meta.dtype);
  return g;
}

Tensor ones_for(const Tensor& out) {
  STEEPEST_CHECK(out.numel() == 1, Error, "grad can be implicitly created only for scalar outputs (got shape ",
                 out.shape(), ")");
  STEEPEST_CHECK(is_floating(out.dtype()), Error, "grad can be implicitly created only for real scalar outputs "
                 "(got ", dtype_name(out.dtype()), ")");
  return ones(out.shape(), TensorOptions(out.dtype(), out.device()));
}

// The passes running on this thread (a checkpoint's backward runs a pass inside a pass; nodes
// both passes reach, such as a shared weight's accumulator, keep the outer pass's state).
thread_local std::vector<uint64_t> active_passes;
std::atomic<uint64_t> pass_counter{0};

bool is_active(uint64_t id) {
  for (uint64_t a : active_passes)
    if (a == id) return true;
  return false;
}

// Claims the reachable nodes for one pass and gives them back afterwards, also on errors.
class PassScope {
 public:
  PassScope() : id_(++pass_counter) { active_passes.push_back(id_); }
  ~PassScope() {
    for (Node* n : nodes_) {
      n->buffer_.clear();
      n->pass_id_ = 0;
      n->pending_ = 0;
    }
    for (auto& s : saved_) {
      s.node->pass_id_ = s.pass_id;
      s.node->pending_ = s.pending;
      s.node->buffer_ = std::move(s.buffer);
    }
    active_passes.pop_back();
  }
  uint64_t id() const { return id_; }
  const std::vector<Node*>& nodes() const { return nodes_; }
  // True the first time a node is seen in this pass.
  bool claim(Node* n) {
    if (n->pass_id_ == id_) return false;
    if (n->pass_id_ != 0 && is_active(n->pass_id_)) saved_.push_back({n, n->pass_id_, n->pending_, std::move(n->buffer_)});
    n->pass_id_ = id_;
    n->pending_ = 0;
    n->buffer_.clear();
    nodes_.push_back(n);
    return true;
  }

 private:
  struct Saved { Node* node; uint64_t pass_id; int pending; std::vector<Tensor> buffer; };
  uint64_t id_;
  std::vector<Node*> nodes_;
  std::vector<Saved> saved_;
};

std::vector<Tensor>& buffer_of(Node* n) {
  if (n->buffer_.size() < n->num_outputs) n->buffer_.resize(n->num_outputs);
  return n->buffer_;
}

// One backward pass. With captures (autograd.grad), AccumulateGrad nodes are not run and
// the captured slots' gradients are returned instead.
std::vector<Tensor> run(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                        bool retain_graph, std::vector<Capture> captures, size_t n_captured) {
  STEEPEST_CHECK(!outputs.empty(), ValueError, "backward/grad: no output tensors were given");
  STEEPEST_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), ValueError,
                 "grad_outputs has ", grad_outputs.size(), " tensors but there are ", outputs.size(), " outputs");
  // Roots.
  std::vector<std::pair<Edge, Tensor>> roots;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    STEEPEST_CHECK(out.defined(), ValueError, "output ", i, " is None");
    Edge e = gradient_edge(out);
    STEEPEST_CHECK(e.valid(), Error, "element ", i, " of tensors does not require grad and does not have a grad_fn");
    Tensor g = grad_outputs.empty() || !grad_outputs[i].defined() ? ones_for(out) : grad_outputs[i];
    STEEPEST_CHECK(g.shape() == out.shape(), ValueError, "Mismatch in shape: grad_output[", i, "] has a shape of ",
                   g.shape(), " and output[", i, "] has a shape of ", out.shape(), ".");
    if (g.dtype() != out.dtype()) g = to_dtype(g, out.dtype());
    roots.emplace_back(std::move(e), std::move(g));
  }

  PassScope pass;
  // Dependency counts over the reachable graph (iterative DFS).
  {
    std::vector<Node*> stack;
    for (auto& [e, g] : roots)
      if (pass.claim(e.fn.get())) stack.push_back(e.fn.get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const Edge& e : n->next_edges) {
        if (!e.valid()) continue;
        Node* m = e.fn.get();
        if (pass.claim(m)) stack.push_back(m);
        ++m->pending_;
      }
    }
  }
  std::priority_queue<Node*, std::vector<Node*>, ByCreation> ready;
  for (auto& [e, g] : roots) {
    Node* n = e.fn.get();
    accumulate(buffer_of(n)[e.input_nr], g);
  }
  for (auto& [e, g] : roots) {
    Node* n = e.fn.get();
    if (n->pending_ == 0) {
      n->pending_ = -1;  // queued
      ready.push(n);
    }
  }

  // autograd.grad runs only the nodes with a captured node below them (as torch): the rest of
  // the graph is neither computed nor freed, so a later backward through it still works.
  std::unordered_map<Node*, bool> reaches_capture;
  if (!captures.empty()) {
    // Kahn's order from the roots, then a reverse sweep: children before parents.
    std::unordered_map<Node*, int> left;
    for (Node* n : pass.nodes()) left[n] = n->pending_ < 0 ? 0 : n->pending_;
    std::vector<Node*> order, todo;
    for (auto& [e, g] : roots)
      if (left[e.fn.get()] == 0) todo.push_back(e.fn.get());
    std::unordered_map<Node*, bool> pushed;
    while (!todo.empty()) {
      Node* n = todo.back();
      todo.pop_back();
      if (!pushed.emplace(n, true).second) continue;
      order.push_back(n);
      for (const Edge& e : n->next_edges)
        if (e.valid() && --left[e.fn.get()] == 0) todo.push_back(e.fn.get());
    }
    std::unordered_map<Node*, bool> is_capture;
    for (const Capture& c : captures) is_capture[c.node] = true;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      bool r = false;
      for (const Edge& e : (*it)->next_edges)
        if (e.valid() && (is_capture.count(e.fn.get()) || reaches_capture[e.fn.get()])) r = true;
      reaches_capture[*it] = r;
    }
  }

  // Counts down the node's inputs and queues those whose gradients are complete.
  auto release_inputs = [&ready](Node* node) {
    for (const Edge& e : node->next_edges) {
      if (!e.valid()) continue;
      Node* next = e.fn.get();
      if (--next->pending_ == 0) {
        next->pending_ = -1;
        ready.push(next);
      }
    }
  };

  std::vector<Tensor> captured(n_captured);
  NoGradGuard no_grad;  // backward formulas build no graph of their own
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    std::vector<Tensor> grads = std::move(buffer_of(node));
    node->buffer_.clear();
    // No gradient reached this node (its consumers returned None for it): there is nothing to
    // propagate, and formulas can't take undefined gradients. Its inputs' counts still drop.
    bool any_grad = false;
    for (const Tensor& g : grads) any_grad = any_grad || g.defined();
    if (!any_grad) {
      release_inputs(node);
      continue;
    }
    for (auto& h : node->pre_hooks) {
      if (h.output_nr >= grads.size() || !grads[h.output_nr].defined()) continue;
      grads[h.output_nr] = run_grad_hook(h.hook, grads[h.output_nr]);
    }
    bool is_accumulator = dynamic_cast<AccumulateGrad*>(node) != nullptr;
    for (const Capture& c : captures)
      if (c.node == node && c.slot < grads.size() && grads[c.slot].defined()) {
        Tensor g = grads[c.slot];
        if (is_accumulator) {  // leaf hooks run before the value is handed out
          AccumulateGrad* acc = static_cast<AccumulateGrad*>(node);
          if (auto* m = acc->variable.impl()->autograd.get())
            for (const NamedGradHook& hook : m->hooks) g = run_grad_hook(hook, g);
        }
        captured[c.index] = std::move(g);
      }
    if (is_accumulator && !captures.empty()) continue;  // autograd.grad never touches .grad
    if (!captures.empty() && !reaches_capture[node]) continue;  // nothing needed below

    std::vector<Tensor> in_grads = node->apply(grads);
    grads.clear();  // free the output gradients before the next node runs
    if (!retain_graph) node->release_saved();
    STEEPEST_CHECK(in_grads.size() == node->next_edges.size() || in_grads.empty(), Error, "internal: ",
                   node->name(), " returned ", in_grads.size(), " gradients for ", node->next_edges.size(), " inputs");
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.valid()) continue;
      Node* next = e.fn.get();
      if (i < in_grads.size() && in_grads[i].defined()) {
        Tensor g = conform(std::move(in_grads[i]), *node, i);
        accumulate(buffer_of(next)[e.input_nr], std::move(g));
      }
    }
    release_inputs(node);  // (inputs whose gradient never arrived count down too)
  }
  return captured;
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph) {
  run(outputs, grad_outputs, retain_graph, {}, 0);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph, bool allow_unused) {
  STEEPEST_CHECK(!inputs.empty(), ValueError, "grad requires non-empty inputs");
  std::vector<Capture> captures;
  std::vector<std::shared_ptr<Node>> keep;  // accumulators created here must outlive the pass
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    STEEPEST_CHECK(t.defined() && t.requires_grad(), Error, "One of the differentiated Tensors (input ", i,
                   ") does not require grad");
    Edge e = gradient_edge(t);
    keep.push_back(e.fn);
    captures.push_back({e.fn.get(), e.input_nr, i});
  }
  std::vector<Tensor> out = run(outputs, grad_outputs, retain_graph, captures, inputs.size());
  for (size_t i = 0; i < out.size(); ++i)
    STEEPEST_CHECK(out[i].defined() || allow_unused, Error, "One of the differentiated Tensors (input ", i,
                   ") appears to not have been used in the graph. Set allow_unused=True if this is the desired "
                   "behavior.");
  return out;
}

}  // namespace steepest::autograd
