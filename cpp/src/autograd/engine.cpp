// The backward engine: counts how many gradients each node of the graph will receive, then
// runs nodes whose gradients are complete, latest-created first, with an explicit heap (no
// recursion: a 100 000-op chain is fine). Broadcast gradients are summed back to each
// input's shape and cast to its dtype here, once, instead of in every op's formula.
#include <queue>
#include <unordered_map>

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

// Makes an op's gradient fit its input: sum broadcast dims away, cast the dtype.
Tensor conform(Tensor g, const InputMeta& meta, const Node& node, size_t i) {
  if (g.shape() != meta.shape) {
    g = sum_to(g, meta.shape);
  }
  if (g.dtype() != meta.dtype) g = to_dtype(g, meta.dtype);
  (void)node; (void)i;
  return g;
}

Tensor ones_for(const Tensor& out) {
  STEEPEST_CHECK(out.numel() == 1, Error, "grad can be implicitly created only for scalar outputs (got shape ",
                 out.shape(), ")");
  STEEPEST_CHECK(is_floating(out.dtype()), Error, "grad can be implicitly created only for real scalar outputs "
                 "(got ", dtype_name(out.dtype()), ")");
  return ones(out.shape(), TensorOptions(out.dtype(), out.device()));
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

  // Dependency counts over the reachable graph (iterative DFS).
  std::unordered_map<Node*, int> deps;
  deps.reserve(64);
  {
    std::vector<Node*> stack;
    std::unordered_map<Node*, bool> seen;
    seen.reserve(64);
    for (auto& [e, g] : roots)
      if (seen.emplace(e.fn.get(), true).second) stack.push_back(e.fn.get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const Edge& e : n->next_edges) {
        if (!e.valid()) continue;
        ++deps[e.fn.get()];
        if (seen.emplace(e.fn.get(), true).second) stack.push_back(e.fn.get());
      }
    }
  }

  std::unordered_map<Node*, std::vector<Tensor>> buffers;
  buffers.reserve(64);
  auto buffer_of = [&](Node* n) -> std::vector<Tensor>& {
    auto& b = buffers[n];
    if (b.size() < n->num_outputs) b.resize(n->num_outputs);
    return b;
  };
  std::vector<std::shared_ptr<Node>> root_nodes;
  for (auto& [e, g] : roots) {
    accumulate(buffer_of(e.fn.get())[e.input_nr], g);
    root_nodes.push_back(e.fn);
  }

  std::priority_queue<Node*, std::vector<Node*>, ByCreation> ready;
  {
    std::unordered_map<Node*, bool> queued;
    for (auto& n : root_nodes)
      if (deps[n.get()] == 0 && queued.emplace(n.get(), true).second) ready.push(n.get());
  }

  // autograd.grad runs only the nodes with a captured node below them (as torch): the rest of
  // the graph is neither computed nor freed, so a later backward through it still works.
  std::unordered_map<Node*, bool> reaches_capture;
  if (!captures.empty()) {
    // Kahn's order from the roots, then a reverse sweep: children before parents.
    std::unordered_map<Node*, int> left(deps);
    std::vector<Node*> order, todo;
    for (auto& n : root_nodes)
      if (left[n.get()] == 0) todo.push_back(n.get());
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

  std::vector<Tensor> captured(n_captured);
  NoGradGuard no_grad;  // backward formulas build no graph of their own
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    std::vector<Tensor> grads = std::move(buffer_of(node));
    buffers.erase(node);
    // No gradient reached this node (its consumers returned None for it): there is nothing to
    // propagate, and formulas can't take undefined gradients. Its inputs' counts still drop.
    bool any_grad = false;
    for (const Tensor& g : grads) any_grad = any_grad || g.defined();
    if (!any_grad) {
      for (const Edge& e : node->next_edges)
        if (e.valid() && --deps[e.fn.get()] == 0) ready.push(e.fn.get());
      continue;
    }
    for (auto& h : node->pre_hooks) {
      if (h.output_nr >= grads.size() || !grads[h.output_nr].defined()) continue;
      Tensor r = h.fn(grads[h.output_nr]);
      if (r.defined()) grads[h.output_nr] = std::move(r);
    }
    bool is_accumulator = dynamic_cast<AccumulateGrad*>(node) != nullptr;
    for (const Capture& c : captures)
      if (c.node == node && c.slot < grads.size() && grads[c.slot].defined()) {
        Tensor g = grads[c.slot];
        if (is_accumulator) {  // leaf hooks run before the value is handed out
          AccumulateGrad* acc = static_cast<AccumulateGrad*>(node);
          if (auto* m = acc->variable.impl()->autograd.get())
            for (auto& [id, hook] : m->hooks) {
              Tensor r = hook(g);
              if (r.defined()) g = std::move(r);
            }
        }
        captured[c.index] = std::move(g);
      }
    if (is_accumulator && !captures.empty()) continue;  // autograd.grad never touches .grad
    if (!captures.empty() && !reaches_capture[node]) continue;  // nothing needed below

    std::vector<Tensor> in_grads = node->apply(grads);
    if (!retain_graph) node->release_saved();
    STEEPEST_CHECK(in_grads.size() == node->next_edges.size() || in_grads.empty(), Error, "internal: ",
                   node->name(), " returned ", in_grads.size(), " gradients for ", node->next_edges.size(), " inputs");
    for (size_t i = 0; i < in_grads.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.valid()) continue;
      Node* next = e.fn.get();
      if (in_grads[i].defined()) {
        Tensor g = conform(std::move(in_grads[i]), node->input_meta[i], *node, i);
        accumulate(buffer_of(next)[e.input_nr], std::move(g));
      }
      if (--deps[next] == 0) ready.push(next);
    }
    // Nodes whose gradient never arrived still release their inputs' dependency counts.
    if (in_grads.empty())
      for (const Edge& e : node->next_edges)
        if (e.valid() && --deps[e.fn.get()] == 0) ready.push(e.fn.get());
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
