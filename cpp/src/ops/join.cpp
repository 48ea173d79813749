// Joining (cat, stack) and splitting (split, chunk; unbind is a view op in shape.cpp) along a dim. The pieces of a split
// are views on the input's storage; cat/stack copy each input into its slice of one output.
// Backward: cat's gradient is sliced back into pieces, split's pieces are cat'ed back.
#include "steepest/ops/join.hpp"

#include <numeric>

#include "autograd/record.hpp"
#include "dispatch/stub.hpp"
#include "runtime/autocast_policy.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/shape.hpp"

namespace steepest {
namespace {

// t[..., start:start+len, ...] along dim d, sharing storage.
Tensor narrow_view(const Tensor& t, int64_t d, int64_t start, int64_t len) {
  Shape shape = t.shape();
  shape[size_t(d)] = len;
  return Tensor::make(t.storage(), shape, t.strides(), t.offset() + start * t.strides()[size_t(d)], t.dtype());
}

// torch skips 1-D empty tensors in cat's shape checks (the legacy "empty tensor" shape).
bool legacy_empty(const Tensor& t) { return t.dim() == 1 && t.numel() == 0; }

bool any_needs_grad(const std::vector<Tensor>& ts) {
  if (!autograd::is_grad_enabled()) return false;
  for (const Tensor& t : ts)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

// Makes the pieces of a split the outputs of one node: their gradients (zeros where a piece
// got none) are joined back along d.
void record_split(const char* name, const Tensor& t, int64_t d, std::vector<Tensor>& pieces) {
  std::vector<Tensor*> outs;
  std::vector<Shape> shapes;
  for (Tensor& p : pieces) outs.push_back(&p), shapes.push_back(p.shape());
  autograd::record_n(name, {&t}, outs, {},
                     [d, shapes = std::move(shapes)](Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
    const Tensor* any = nullptr;
    for (const Tensor& x : g) if (x.defined()) { any = &x; break; }
    if (!any) return {Tensor()};
    std::vector<Tensor> parts;
    for (size_t i = 0; i < g.size(); ++i)
      parts.push_back(g[i].defined() ? g[i] : zeros(shapes[i], TensorOptions(any->dtype(), any->device())));
    return {cat(parts, d)};
  });
  for (Tensor& p : pieces) autograd::mark_view(p);
}

std::string sizes_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

Tensor cat(const std::vector<Tensor>& ts0, int64_t dim) {
  autocast::Args ac(autocast::Policy::Promote, ts0);
  const std::vector<Tensor>& ts = ac.all();
  STEEPEST_CHECK(!ts.empty(), ValueError, "cat(): expected a non-empty list of Tensors");
  DType dt = ts[0].dtype();
  int64_t ref = -1;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    STEEPEST_CHECK(t.defined(), ValueError, "cat(): tensor at position ", i, " is None");
    STEEPEST_CHECK(t.dim() > 0, ValueError, "cat(): zero-dimensional tensor (at position ", i,
                   ") cannot be concatenated");
    dt = promote_types(dt, t.dtype());
    if (ref < 0 && !legacy_empty(t)) ref = int64_t(i);
  }
  // One device for all; the copies below run on its kernels.
  std::vector<const Tensor*> all;
  for (const Tensor& t : ts) all.push_back(&t);
  const Device dev = dispatch::common_device(all);
  if (ref < 0) return Tensor::empty(Shape{0}, dt, dev);  // only legacy empties
  const Shape& rshape = ts[size_t(ref)].shape();
  const int64_t nd = int64_t(rshape.size());
  const int64_t d = wrap_dim(dim, nd);
  Shape out_shape = rshape;
  out_shape[size_t(d)] = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    if (legacy_empty(t)) continue;
    STEEPEST_CHECK(t.dim() == nd, ValueError, "cat(): tensors must have the same number of dimensions: got ", nd,
                   " (tensor ", ref, ", shape ", rshape, ") and ", t.dim(), " (tensor ", i, ", shape ", t.shape(),
                   ")");
    for (int64_t k = 0; k < nd; ++k)
      STEEPEST_CHECK(k == d || t.shape()[size_t(k)] == rshape[size_t(k)], ValueError,
                     "cat(): sizes of tensors must match except in dimension ", d, ". Expected size ",
                     rshape[size_t(k)], " but got size ", t.shape()[size_t(k)], " for tensor number ", i,
                     " in the list (at dimension ", k, ")");
    STEEPEST_CHECK(!__builtin_add_overflow(out_shape[size_t(d)], t.shape()[size_t(d)], &out_shape[size_t(d)]), Error,
                   "cat(): the sizes of the tensors at dimension ", d, " add up to more than 2^63 - 1");
  }
  Tensor out = Tensor::empty(out_shape, dt, dev);
  int64_t at = 0;
  for (const Tensor& t : ts) {
    if (legacy_empty(t)) continue;
    int64_t len = t.shape()[size_t(d)];
    if (len > 0 && t.numel() > 0) {
      Tensor slot = narrow_view(out, d, at, len);
      copy_(slot, t);
    }
    at += len;
  }
  if (any_needs_grad(ts)) {  // each input gets its slice of g (the engine casts it back)
    std::vector<const Tensor*> ins;
    std::vector<int64_t> lens;  // -1: a legacy empty input, not part of the output
    for (const Tensor& t : ts) ins.push_back(&t), lens.push_back(legacy_empty(t) ? -1 : t.shape()[size_t(d)]);
    autograd::record_n("CatBackward0", ins, {&out}, {},
                       [d, lens = std::move(lens)](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
      std::vector<Tensor> grads(lens.size());
      if (!g[0].defined()) return grads;
      int64_t at = 0;
      for (size_t i = 0; i < lens.size(); ++i) {
        if (lens[i] < 0) {
          if (n.needs_input_grad(i)) grads[i] = zeros(Shape{0}, TensorOptions(g[0].dtype(), g[0].device()));
          continue;
        }
        if (n.needs_input_grad(i)) grads[i] = narrow(g[0], d, at, lens[i]);
        at += lens[i];
      }
      return grads;
    });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& ts0, int64_t dim) {
  autocast::Args ac(autocast::Policy::Promote, ts0);
  const std::vector<Tensor>& ts = ac.all();
  STEEPEST_CHECK(!ts.empty(), ValueError, "stack(): expects a non-empty list of Tensors");
  const Shape& s0 = ts[0].shape();
  for (size_t i = 0; i < ts.size(); ++i) {
    STEEPEST_CHECK(ts[i].defined(), ValueError, "stack(): tensor at position ", i, " is None");
    STEEPEST_CHECK(ts[i].shape() == s0, ValueError, "stack(): expects each tensor to be equal size, but got ", s0,
                   " at entry 0 and ", ts[i].shape(), " at entry ", i);
  }
  const int64_t d = wrap_dim(dim, int64_t(s0.size()) + 1);
  std::vector<Tensor> views;
  views.reserve(ts.size());
  for (const Tensor& t : ts) {
    Shape shape = t.shape();
    Strides strides = t.strides();
    shape.insert(size_t(d), 1);
    strides.insert(size_t(d), size_t(d) < s0.size() ? t.strides()[size_t(d)] * t.shape()[size_t(d)] : 1);
    views.push_back(Tensor::make(t.storage(), shape, strides, t.offset(), t.dtype()));
  }
  Tensor out = cat(views, d);  // the views carry no history: cat records nothing
  if (any_needs_grad(ts)) {
    std::vector<const Tensor*> ins;
    for (const Tensor& t : ts) ins.push_back(&t);
    autograd::record_n("StackBackward0", ins, {&out}, {}, [d](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
      std::vector<Tensor> grads(n.next_edges.size());
      if (!g[0].defined()) return grads;
      for (size_t i = 0; i < grads.size(); ++i)
        if (n.needs_input_grad(i)) grads[i] = select(g[0], d, int64_t(i));
      return grads;
    });
  }
  return out;
}

std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim) {
  STEEPEST_CHECK(t.dim() > 0, ValueError, "split(): expects at least a 1-dimensional tensor");
  const int64_t d = wrap_dim(dim, t.dim());
  const int64_t size = t.shape()[size_t(d)];
  STEEPEST_CHECK(split_size >= 0, ValueError, "split(): split_size must be non-negative, but got split_size=",
                 split_size);
  STEEPEST_CHECK(split_size > 0 || size == 0, ValueError,
                 "split(): split_size can only be 0 if dimension size is 0, but got dimension size of ", size);
  int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>(1, (size + split_size - 1) / split_size);
  std::vector<Tensor> out;
  out.reserve(size_t(pieces));
  for (int64_t i = 0; i < pieces; ++i) {
    int64_t start = i * split_size;
    out.push_back(narrow_view(t, d, start, std::min(split_size, size - start)));
  }
  if (autograd::needs_grad({&t})) record_split("SplitBackward0", t, d, out);
  return out;
}

std::vector<Tensor> split(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim) {
  STEEPEST_CHECK(t.dim() > 0, ValueError, "split(): expects at least a 1-dimensional tensor");
  const int64_t d = wrap_dim(dim, t.dim());
  const int64_t size = t.shape()[size_t(d)];
  int64_t total = 0;
  for (int64_t s : sizes) {
    STEEPEST_CHECK(s >= 0, ValueError, "split(): split_sizes must have only non-negative entries, but got ",
                   "split_sizes=", sizes_str(sizes));
    STEEPEST_CHECK(!__builtin_add_overflow(total, s, &total), ValueError, "split(): split_sizes must sum exactly to ",
                   size, " (the input's size at dimension ", d, "), but got split_sizes=", sizes_str(sizes));
  }
  STEEPEST_CHECK(total == size, ValueError, "split(): split_sizes must sum exactly to ", size,
                 " (the input's size at dimension ", d, "), but got split_sizes=", sizes_str(sizes));
  std::vector<Tensor> out;
  out.reserve(sizes.size());
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(narrow_view(t, d, at, s));
    at += s;
  }
  if (autograd::needs_grad({&t})) record_split("SplitWithSizesBackward0", t, d, out);
  return out;
}

std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim) {
  STEEPEST_CHECK(t.dim() > 0, ValueError, "chunk(): expects at least a 1-dimensional tensor");
  STEEPEST_CHECK(chunks > 0, ValueError, "chunk(): chunks must be greater than 0, got: ", chunks);
  const int64_t d = wrap_dim(dim, t.dim());
  const int64_t size = t.shape()[size_t(d)];
  // torch: pieces of ceil(size / chunks), so there may be fewer than `chunks`; an empty dim
  // gives `chunks` empty pieces.
  if (size == 0) return split(t, std::vector<int64_t>(size_t(chunks), 0), d);
  return split(t, (size + chunks - 1) / chunks, d);
}

}  // namespace steepest
