// The graph's building blocks: grad mode, saved tensors, nodes and leaf accumulators, how
// an op's node is wired to its inputs and outputs, hooks, and the Tensor autograd methods.
#include <atomic>

#include "autograd/record.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/elementwise.hpp"
#include "steepest/ops/reduce.hpp"
#include "steepest/ops/shape.hpp"

namespace steepest {

namespace {
thread_local bool grad_enabled = true;
std::atomic<uint64_t> next_sequence_nr{0};
std::atomic<int> next_hook_id{1};

AutogradMeta& meta_of(const Tensor& t) {
  auto& m = t.impl()->autograd;
  if (!m) m = std::make_unique<AutogradMeta>();
  return *m;
}
}  // namespace

namespace autograd {
bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }
}  // namespace autograd

// ---- saved tensors ---------------------------------------------------------------------

SavedTensor::SavedTensor(const Tensor& t) : saved_(true) {
  if (t.defined()) {
    data_ = t.alias();
    version_ = t.version();
  }
}

Tensor SavedTensor::unpack(const char* node_name) const {
  STEEPEST_CHECK(!released_, Error,
                 "Trying to backward through the graph a second time (or directly access saved tensors "
                 "after they have already been freed). Saved intermediate values of the graph are freed "
                 "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
                 "backward through the graph a second time (in ", node_name, ")");
  if (data_.defined() && data_.version() != version_)
    throw Error(str("one of the variables needed for gradient computation has been modified by an "
                    "inplace operation: [", dtype_name(data_.dtype()), " ", data_.shape(), "], which is "
                    "output 0 of ", node_name, ", is at version ", data_.version(), "; expected version ",
                    version_, " instead"));
  return data_;
}

// ---- nodes -----------------------------------------------------------------------------

Node::Node() : sequence_nr(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}
// Freeing the last handle of a long chain would destroy each node inside its successor's
// destructor, one stack frame per node, and overflow the stack near 200 000 nodes. Instead a
// node hands the nodes only it keeps alive to a per-thread list, and the outermost destructor
// frees that list one node at a time.
Node::~Node() {
  thread_local std::vector<std::shared_ptr<Node>> orphans;
  thread_local bool draining = false;
  for (Edge& e : next_edges)
    if (e.fn && e.fn.use_count() == 1) orphans.push_back(std::move(e.fn));
  if (draining) return;
  draining = true;
  while (!orphans.empty()) {
    std::shared_ptr<Node> n = std::move(orphans.back());
    orphans.pop_back();
    n.reset();  // its destructor adds its own orphans to the list
  }
  draining = false;
}
void Node::release_saved() {
  for (auto& s : saved_tensors) s.release();
}

AccumulateGrad::AccumulateGrad(Tensor v) : variable(std::move(v)) {}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>& grads) {
  Tensor g = std::move(grads[0]);
  if (!g.defined()) return {};
  AutogradMeta& m = meta_of(variable);
  for (const NamedGradHook& hook : m.hooks) g = autograd::run_grad_hook(hook, g);
  autograd::NoGradGuard no_grad;
  if (!m.grad.defined()) {
    // Take the buffer when nothing else can see it (no other handle, no other view of its
    // storage); otherwise copy, so a later in-place accumulation can't change another tensor.
    bool sole = g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1 && g.is_contiguous() &&
                g.storage()->owns_memory();
    m.grad = sole ? g : clone(g);
  } else {
    add_(m.grad, g);
  }
  for (auto& [id, hook] : m.post_accumulate_hooks) hook(variable);
  return {};
}

namespace autograd {

Edge gradient_edge(const Tensor& t) {
  AutogradMeta* m = t.impl()->autograd.get();
  if (!m || !m->requires_grad) return {};
  if (m->grad_fn) return {m->grad_fn, m->output_nr};
  std::shared_ptr<Node> acc = m->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    acc->input_meta.push_back({t.shape(), t.dtype(), t.device()});
    m->grad_accumulator = acc;
  }
  return {acc, 0};
}

void set_history(const std::shared_ptr<Node>& node, const std::vector<const Tensor*>& inputs,
                 const std::vector<Tensor*>& outputs) {
  node->next_edges.reserve(inputs.size());
  node->input_meta.reserve(inputs.size());
  for (const Tensor* in : inputs) {
    if (in && in->defined()) {
      node->next_edges.push_back(gradient_edge(*in));
      node->input_meta.push_back({in->shape(), in->dtype(), in->device()});
    } else {
      node->next_edges.emplace_back();
      node->input_meta.emplace_back();
    }
  }
  node->num_outputs = uint32_t(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    Tensor* out = outputs[i];
    if (!out || !out->defined() || !is_floating(out->dtype())) continue;
    AutogradMeta& m = meta_of(*out);
    m.requires_grad = true;
    m.grad_fn = node;
    m.output_nr = uint32_t(i);
  }
}

namespace {
struct FunctionNode final : Node {
  FunctionNode(const char* n, BackwardFn f) : name_(n), fn_(std::move(f)) {}
  const char* name() const override { return name_.c_str(); }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override { return fn_(*this, grads); }
  std::string name_;
  BackwardFn fn_;
};
}  // namespace

std::shared_ptr<Node> record_function(const char* name, const std::vector<Tensor>& inputs,
                                      const std::vector<Tensor>& outputs, BackwardFn backward,
                                      const std::vector<Tensor>& to_save) {
  auto node = std::make_shared<FunctionNode>(name, std::move(backward));
  for (const Tensor& t : to_save) node->saved_tensors.emplace_back(t);
  std::vector<const Tensor*> ins;
  for (const Tensor& t : inputs) ins.push_back(&t);
  std::vector<Tensor> outs(outputs);
  std::vector<Tensor*> outp;
  for (Tensor& t : outs) outp.push_back(&t);
  set_history(node, ins, outp);
  return node;
}

void mark_view(Tensor& out) {
  if (out.impl()->autograd) out.impl()->autograd->is_view = true;
}

void check_inplace_allowed(const Tensor& self) {
  if (!is_grad_enabled()) return;
  AutogradMeta* m = self.impl()->autograd.get();
  if (!m || !m->requires_grad) return;
  STEEPEST_CHECK(m->grad_fn, Error,
                 "a leaf Variable that requires grad is being used in an in-place operation.");
  STEEPEST_CHECK(!m->is_view, NotImplementedError,
                 "an in-place operation on a view of a tensor that requires grad is not supported "
                 "(its base's history can't follow); use the out-of-place form");
}

Tensor inplace_source(const Tensor& self) {
  Tensor snap;
  {
    NoGradGuard no_grad;
    snap = clone(self);
  }
  AutogradMeta* m = self.impl()->autograd.get();
  if (m && m->requires_grad) {  // same edge into the graph as self: its grad_fn, output_nr
    AutogradMeta& sm = meta_of(snap);
    sm.requires_grad = true;
    sm.grad_fn = m->grad_fn;
    sm.output_nr = m->output_nr;
  }
  return snap;
}

void rebase_history(Tensor& self, const Tensor& result) {
  AutogradMeta* r = result.impl()->autograd.get();
  if (!r || !r->grad_fn) return;
  AutogradMeta& m = meta_of(self);
  STEEPEST_CHECK(m.requires_grad || self.storage().use_count() == 1, NotImplementedError,
                 "an in-place operation with a differentiable operand on a tensor that shares memory "
                 "with other tensors (a view?) is not supported; use the out-of-place form");
  m.requires_grad = true;
  m.grad_fn = r->grad_fn;
  m.output_nr = r->output_nr;
}

void assign_recorded(Tensor& self, const Tensor& result) {
  {
    NoGradGuard no_grad;
    copy_(self, result);
  }
  rebase_history(self, result);
}

int register_hook(const Tensor& t, GradHook hook, std::string name) {
  STEEPEST_CHECK(t.requires_grad(), Error, "cannot register a hook on a tensor that doesn't require gradient");
  int id = next_hook_id++;
  AutogradMeta& m = meta_of(t);
  NamedGradHook h{id, std::move(hook), std::move(name)};
  if (m.grad_fn) m.grad_fn->pre_hooks.push_back({m.output_nr, std::move(h)});
  else m.hooks.push_back(std::move(h));
  return id;
}

namespace {
// torch's legacy type string of a tensor, as its hook messages print it: torch.FloatTensor,
// torch.cuda.LongTensor.
std::string legacy_type(const Tensor& t) {
  const char* kind = "Float";
  switch (t.dtype()) {
    case DType::Bool: kind = "Bool"; break;
    case DType::Int32: kind = "Int"; break;
    case DType::Int64: kind = "Long"; break;
    case DType::BFloat16: kind = "BFloat16"; break;
    case DType::Float16: kind = "Half"; break;
    case DType::Float32: kind = "Float"; break;
    case DType::Float64: kind = "Double"; break;
    case DType::Float8E4M3FN: kind = "Float8_e4m3fn"; break;
    case DType::Float8E5M2: kind = "Float8_e5m2"; break;
  }
  return str("torch.", t.device().is_cuda() ? "cuda." : "", kind, "Tensor");
}
}  // namespace

Tensor run_grad_hook(const NamedGradHook& hook, const Tensor& g) {
  Tensor r = hook.fn(g);
  if (!r.defined()) return g;
  STEEPEST_CHECK(r.dtype() == g.dtype() && r.device() == g.device(), Error, "hook '", hook.name,
                 "' has changed the type of value (was ", legacy_type(g), " got ", legacy_type(r), ")");
  STEEPEST_CHECK(r.shape() == g.shape(), Error, "hook '", hook.name, "' has changed the size of value");
  return r;
}

int register_post_accumulate_grad_hook(const Tensor& t, PostAccumulateGradHook hook) {
  STEEPEST_CHECK(t.requires_grad(), Error, "cannot register a hook on a tensor that doesn't require gradient");
  STEEPEST_CHECK(t.is_leaf(), Error, "post accumulate grad hooks cannot be registered on non-leaf tensors");
  int id = next_hook_id++;
  meta_of(t).post_accumulate_hooks.emplace_back(id, std::move(hook));
  return id;
}

void remove_hook(const Tensor& t, int id) {
  AutogradMeta* m = t.impl()->autograd.get();
  if (!m) return;
  auto drop = [](auto& v, auto has_id) {
    for (auto it = v.begin(); it != v.end(); ++it)
      if (has_id(*it)) { v.erase(it); return; }
  };
  drop(m->hooks, [id](const NamedGradHook& h) { return h.id == id; });
  drop(m->post_accumulate_hooks, [id](const auto& h) { return h.first == id; });
  if (m->grad_fn) drop(m->grad_fn->pre_hooks, [id](const Node::PreHook& h) { return h.hook.id == id; });
}

void retain_grad(const Tensor& t) {
  STEEPEST_CHECK(t.requires_grad(), Error, "can't retain_grad on Tensor that has requires_grad=False");
  AutogradMeta& m = meta_of(t);
  if (!m.grad_fn || m.retains_grad) return;
  m.retains_grad = true;
  // The hook lives on t's grad_fn: a weak reference avoids a cycle through t's metadata.
  std::weak_ptr<TensorImpl> weak = t.impl_ptr();
  m.grad_fn->pre_hooks.push_back({m.output_nr, {next_hook_id++, [weak](const Tensor& g) {
    if (auto impl = weak.lock()) {
      NoGradGuard no_grad;
      Tensor& slot = impl->autograd->grad;
      slot = slot.defined() ? add(slot, g) : clone(g);
    }
    return Tensor();
  }, "retain_grad_hook"}});
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  int64_t n = g.dim(), m = int64_t(shape.size());
  STEEPEST_CHECK(m <= n, Error, "internal: gradient of shape ", g.shape(), " can't reduce to ", shape);
  Dims dims;
  for (int64_t i = 0; i < n - m; ++i) dims.push_back(i);
  for (int64_t j = 0; j < m; ++j) {
    int64_t gs = g.shape()[size_t(n - m + j)];
    if (shape[size_t(j)] == 1 && gs != 1) dims.push_back(n - m + j);
    else STEEPEST_CHECK(shape[size_t(j)] == gs, Error, "internal: gradient of shape ", g.shape(),
                        " can't reduce to ", shape);
  }
  Tensor r = dims.empty() ? g : sum(g, dims, /*keepdim=*/true);
  return reshape(r, shape);
}

}  // namespace autograd

// ---- Tensor's autograd methods -----------------------------------------------------------

bool Tensor::is_leaf() const { return !impl_->autograd || !impl_->autograd->grad_fn; }
std::shared_ptr<Node> Tensor::grad_fn() const {
  return impl_->autograd ? impl_->autograd->grad_fn : nullptr;
}
Tensor Tensor::detach() const { return alias(); }
void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph);
}

}  // namespace steepest
