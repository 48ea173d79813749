// View and shape ops (view, reshape, transpose, expand, squeeze, slice, ...): each builds new
// shape/strides/offset over the same storage, with torch's strides and error messages. When
// the input requires grad, each records its backward (beside it) and marks its output a view.
#include "steepest/ops/shape.hpp"

#include <algorithm>
#include <optional>

#include "autograd/record.hpp"
#include "ops/view.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/elementwise.hpp"
#include "steepest/ops/index.hpp"
#include "steepest/ops/join.hpp"

namespace steepest {

using detail::bracket;
using detail::make_view;

namespace {

// Replaces the single -1 in `shape` by what makes its product `numel` (torch's messages).
Shape infer_size(const Shape& shape, int64_t numel) {
  Shape out = shape, given;  // given: the sizes other than the -1
  int64_t inferred = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      STEEPEST_CHECK(inferred < 0, ValueError, "only one dimension can be inferred");
      inferred = int64_t(i);
    } else {
      STEEPEST_CHECK(shape[i] >= 0, ValueError, "invalid shape dimension ", shape[i], " at index ", i,
                     " of shape ", bracket(shape));
      given.push_back(shape[i]);
    }
  }
  const int64_t known = checked_numel(given);
  if (inferred >= 0) {
    STEEPEST_CHECK(!(known == 0 && numel == 0), ValueError, "cannot reshape tensor of 0 elements into shape ",
                   bracket(shape), " because the unspecified dimension size -1 can be any value and is ambiguous");
    STEEPEST_CHECK(known != 0 && numel % known == 0, ValueError, "shape '", bracket(shape),
                   "' is invalid for input of size ", numel);
    out[size_t(inferred)] = numel / known;
  } else {
    STEEPEST_CHECK(known == numel, ValueError, "shape '", bracket(shape), "' is invalid for input of size ", numel);
  }
  return out;
}

// The strides that let `new_shape` view memory laid out as (old_shape, old_strides), or
// nothing when no strides can. The old dims split into chunks, maximal runs in which each
// dim steps exactly over the one inside it (size-1 dims never break a run); a chunk can be
// cut into any run of new dims whose sizes multiply to the chunk's element count. Both
// shapes are walked from the innermost dim; new size-1 dims join the chunk being filled.
std::optional<Strides> view_strides(const Shape& old_shape, const Strides& old_strides, const Shape& new_shape) {
  Strides out(new_shape.size());
  if (old_shape.empty()) {
    for (auto& s : out) s = 1;
    return out;
  }
  if (numel_of(old_shape) == 0) {
    if (old_shape == new_shape) return old_strides;
    return contiguous_strides(new_shape);
  }
  int64_t j = int64_t(new_shape.size()) - 1;  // next new dim to place
  int64_t base = old_strides.back();          // stride of the current chunk's innermost dim
  int64_t chunk = 1, placed = 1;              // elements in the chunk so far / covered by new dims
  for (int64_t i = int64_t(old_shape.size()) - 1; i >= 0; --i) {
    chunk *= old_shape[size_t(i)];
    bool chunk_ends = i == 0 || (old_shape[size_t(i - 1)] != 1 && old_strides[size_t(i - 1)] != chunk * base);
    if (!chunk_ends) continue;
    while (j >= 0 && (placed < chunk || new_shape[size_t(j)] == 1)) {
      out[size_t(j)] = placed * base;
      placed *= new_shape[size_t(j)];
      --j;
    }
    if (placed != chunk) return std::nullopt;
    if (i > 0) {
      base = old_strides[size_t(i - 1)];
      chunk = placed = 1;
    }
  }
  if (j != -1) return std::nullopt;
  return out;
}

Tensor with_geometry(const Tensor& t, Shape shape, Strides strides) {
  return make_view(t, std::move(shape), std::move(strides), t.offset());
}

// Records `out`, a view of `in`, for backward: fn(node, grads) -> {grad of in}. Views of
// differentiable tensors are marked, so in-place writes to them are refused.
template <class F>
void record_view(const char* name, const Tensor& in, Tensor& out, F fn) {
  autograd::record(name, {&in}, {&out}, {}, [fn = std::move(fn)](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
    if (!g[0].defined()) return {Tensor()};
    return {fn(g[0])};
  });
  autograd::mark_view(out);
}

// A zero tensor shaped like the input, in the gradient's dtype: the backward of ops that
// pick part of their input writes the gradient into the picked part of it.
Tensor zeros_for(const Shape& shape, const Tensor& g) { return zeros(shape, TensorOptions(g.dtype(), g.device())); }

// ---- geometry only (no recording): shared by the public ops and their backward ----------

Tensor transpose_view(const Tensor& t, int64_t a, int64_t b) {
  Shape shape = t.shape();
  Strides strides = t.strides();
  if (t.dim() > 0) {
    std::swap(shape[size_t(a)], shape[size_t(b)]);
    std::swap(strides[size_t(a)], strides[size_t(b)]);
  }
  return with_geometry(t, std::move(shape), std::move(strides));
}

Tensor reverse_view(const Tensor& x) {
  size_t nd = x.shape().size();
  Shape shape(nd), strides(nd);
  for (size_t i = 0; i < nd; ++i) {
    shape[i] = x.shape()[nd - 1 - i];
    strides[i] = x.strides()[nd - 1 - i];
  }
  return with_geometry(x, std::move(shape), std::move(strides));
}

// Drops the size-1 dims flagged in `named` (all size-1 dims when `named` is empty).
Tensor squeeze_view(const Tensor& t, const Shape& named) {
  Shape shape;
  Strides strides;
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (t.shape()[size_t(i)] == 1 && (named.empty() || named[size_t(i)])) continue;
    shape.push_back(t.shape()[size_t(i)]);
    strides.push_back(t.strides()[size_t(i)]);
  }
  return with_geometry(t, std::move(shape), std::move(strides));
}

// Drops those of `dims` that have size 1 (others stay; a dim named twice is an error).
Tensor squeeze_dims_view(const Tensor& t, const std::vector<int64_t>& dims) {
  Shape named(size_t(t.dim()), 0);  // 1 where a dim was asked for
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, t.dim());
    if (t.dim() == 0) continue;
    STEEPEST_CHECK(!named[size_t(w)], ValueError, "squeeze: dim ", w, " appears multiple times in the list of dims");
    named[size_t(w)] = 1;
  }
  if (t.dim() == 0 || dims.empty()) return with_geometry(t, t.shape(), t.strides());
  return squeeze_view(t, named);
}

// start/stop already clipped to [0, size], step > 0.
Tensor slice_view(const Tensor& t, int64_t d, int64_t start, int64_t stop, int64_t step) {
  Shape shape = t.shape();
  Strides strides = t.strides();
  const detail::SlicedDim s = detail::slice_dim(strides[size_t(d)], start, stop, step);
  shape[size_t(d)] = s.len;
  strides[size_t(d)] = s.stride;
  return make_view(t, std::move(shape), std::move(strides), t.offset() + s.offset);
}

// index already wrapped into [0, size).
Tensor select_view(const Tensor& t, int64_t d, int64_t index) {
  Shape shape = t.shape();
  Strides strides = t.strides();
  int64_t offset = t.offset() + index * strides[size_t(d)];
  shape.erase(size_t(d));
  strides.erase(size_t(d));
  return make_view(t, std::move(shape), std::move(strides), offset);
}

// Whether two different index tuples of (shape, strides) can reach one element: false only
// when, dims sorted by stride, each stride clears the whole extent of the dims inside it.
bool may_overlap(const Shape& shape, const Strides& strides) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size) of dims with size > 1
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return false;
    if (shape[i] > 1) dims.emplace_back(strides[i], shape[i]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t extent = 1;  // elements spanned by the dims so far
  for (auto [stride, size] : dims) {
    if (stride < extent) return true;
    extent = stride * (size - 1) + extent;
  }
  return false;
}

}  // namespace

Tensor view(const Tensor& t, Shape shape) {
  Shape sizes = infer_size(shape, t.numel());
  auto strides = view_strides(t.shape(), t.strides(), sizes);
  STEEPEST_CHECK(strides, ValueError,
                 "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                 "across two contiguous subspaces). Use .reshape(...) instead.");
  Tensor out = with_geometry(t, std::move(sizes), std::move(*strides));
  if (autograd::needs_grad({&t}))
    record_view("ViewBackward0", t, out, [in = t.shape()](const Tensor& g) { return reshape(g, in); });
  return out;
}

Tensor reshape(const Tensor& t, Shape shape) {
  Shape sizes = infer_size(shape, t.numel());
  bool grad = autograd::needs_grad({&t});
  if (auto strides = view_strides(t.shape(), t.strides(), sizes)) {
    Tensor out = with_geometry(t, std::move(sizes), std::move(*strides));
    if (grad) record_view("ViewBackward0", t, out, [in = t.shape()](const Tensor& g) { return reshape(g, in); });
    return out;
  }
  Tensor copy;
  {
    autograd::NoGradGuard no_grad;  // one node for the copy and the reshape (torch's _unsafe_view)
    copy = clone(t);                // contiguous
  }
  Strides strides = contiguous_strides(sizes);
  Tensor out = with_geometry(copy, std::move(sizes), std::move(strides));
  if (grad)  // a fresh tensor, not a view: in-place writes to it are fine
    autograd::record("UnsafeViewBackward0", {&t}, {&out}, {},
                     [in = t.shape()](Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
      if (!g[0].defined()) return {Tensor()};
      return {reshape(g[0], in)};
    });
  return out;
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  if (t.dim() == 0) return reshape(t, Shape{1});
  int64_t s = wrap_dim(start_dim, t.dim()), e = wrap_dim(end_dim, t.dim());
  STEEPEST_CHECK(s <= e, ValueError, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (s == e) return t;  // torch returns the input itself
  Shape sizes;
  int64_t merged = 1;
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (i < s || i > e) sizes.push_back(t.shape()[size_t(i)]);
    else merged *= t.shape()[size_t(i)];
    if (i == e) sizes.push_back(merged);
  }
  return reshape(t, std::move(sizes));
}

Tensor unflatten(const Tensor& t, int64_t dim, Shape sizes) {
  int64_t d = wrap_dim(dim, t.dim());
  STEEPEST_CHECK(!sizes.empty(), ValueError, "unflatten: sizes must be non-empty");
  int64_t n = t.dim() == 0 ? 1 : t.shape()[size_t(d)];
  int64_t known = 1, minus_ones = 0;
  for (int64_t s : sizes) {
    if (s == -1) ++minus_ones;
    else known *= s;
  }
  STEEPEST_CHECK(minus_ones <= 1, ValueError, "unflatten: only one dimension can be inferred (sizes ",
                 bracket(sizes), ")");
  bool ok = minus_ones ? (known != 0 && n % known == 0) : known == n;
  STEEPEST_CHECK(ok, ValueError, "unflatten: Provided sizes ", bracket(sizes), " don't multiply up to the size of dim ",
                 d, " (", n, ") in the input tensor");
  Shape shape;
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (i != d) { shape.push_back(t.shape()[size_t(i)]); continue; }
    for (int64_t s : sizes) shape.push_back(s == -1 ? n / known : s);
  }
  if (t.dim() == 0) shape = Shape(sizes.begin(), sizes.end());
  return view(t, std::move(shape));
}

Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1) {
  int64_t a = wrap_dim(dim0, t.dim()), b = wrap_dim(dim1, t.dim());
  Tensor out = transpose_view(t, a, b);
  if (autograd::needs_grad({&t}))
    record_view("TransposeBackward0", t, out, [a, b](const Tensor& g) { return transpose_view(g, a, b); });
  return out;
}

Tensor permute(const Tensor& t, const std::vector<int64_t>& dims) {
  int64_t nd = t.dim();
  STEEPEST_CHECK(int64_t(dims.size()) == nd, ValueError,
                 "permute(): number of dimensions in the tensor input does not match the length of the desired "
                 "ordering of dimensions i.e. input.dim() = ", nd, " is not equal to len(dims) = ", dims.size());
  Shape shape(size_t(nd), 0), strides(size_t(nd), 0);
  Shape seen(size_t(nd), 0);  // Shape keeps small ranks inline: no allocation
  for (int64_t i = 0; i < nd; ++i) {
    int64_t d = wrap_dim(dims[size_t(i)], nd);
    STEEPEST_CHECK(!seen[size_t(d)], ValueError, "permute(): duplicate dims are not allowed.");
    seen[size_t(d)] = 1;
    shape[size_t(i)] = t.shape()[size_t(d)];
    strides[size_t(i)] = t.strides()[size_t(d)];
  }
  Tensor out = with_geometry(t, std::move(shape), std::move(strides));
  if (autograd::needs_grad({&t})) {
    std::vector<int64_t> inverse(static_cast<size_t>(nd));  // output dim i came from input dim dims[i]
    for (int64_t i = 0; i < nd; ++i) inverse[size_t(wrap_dim(dims[size_t(i)], nd))] = i;
    record_view("PermuteBackward0", t, out, [inverse = std::move(inverse)](const Tensor& g) { return permute(g, inverse); });
  }
  return out;
}

Tensor t(const Tensor& x) {
  STEEPEST_CHECK(x.dim() <= 2, ValueError, "t() expects a tensor with <= 2 dimensions, but self is ", x.dim(), "D");
  Tensor out = x.dim() == 2 ? transpose_view(x, 0, 1) : with_geometry(x, x.shape(), x.strides());
  if (autograd::needs_grad({&x}))
    record_view("TBackward0", x, out, [](const Tensor& g) { return g.dim() == 2 ? transpose_view(g, 0, 1) : g; });
  return out;
}

Tensor reverse_dims(const Tensor& x) {
  Tensor out = reverse_view(x);
  if (autograd::needs_grad({&x}))  // torch's t.T is a permute
    record_view("PermuteBackward0", x, out, [](const Tensor& g) { return reverse_view(g); });
  return out;
}

Tensor mT(const Tensor& x) {
  STEEPEST_CHECK(x.dim() >= 2, ValueError,
                 "tensor.mT is only supported on matrices or batches of matrices. Got ", x.dim(), "-D tensor.");
  return transpose(x, -2, -1);
}

Tensor movedim(const Tensor& t, const std::vector<int64_t>& source, const std::vector<int64_t>& destination) {
  int64_t nd = t.dim();
  auto list = [](const std::vector<int64_t>& v) { return bracket(Shape(v)); };
  STEEPEST_CHECK(source.size() == destination.size(), ValueError,
                 "movedim: Invalid source or destination dims: source (", list(source),
                 " dims) should contain the same number of dims as destination (", list(destination), " dims)");
  std::vector<int64_t> order(size_t(std::max<int64_t>(nd, 1)), -1);  // order[new position] = old dim
  std::vector<bool> src_used(order.size(), false), dst_used(order.size(), false);
  for (size_t i = 0; i < source.size(); ++i) {
    int64_t s = wrap_dim(source[i], nd), d = wrap_dim(destination[i], nd);
    STEEPEST_CHECK(!src_used[size_t(s)], ValueError, "movedim: repeated dim in `source` (", list(source), ")");
    STEEPEST_CHECK(!dst_used[size_t(d)], ValueError, "movedim: repeated dim in `destination` (", list(destination),
                   ")");
    src_used[size_t(s)] = dst_used[size_t(d)] = true;
    order[size_t(d)] = s;
  }
  if (nd == 0) return permute(t, {});
  int64_t next = 0;  // the dims not moved keep their relative order in the free positions
  for (auto& o : order) {
    if (o >= 0) continue;
    while (src_used[size_t(next)]) ++next;
    o = next++;
  }
  return permute(t, order);
}

Tensor movedim(const Tensor& t, int64_t source, int64_t destination) {
  return movedim(t, std::vector<int64_t>{source}, std::vector<int64_t>{destination});
}

Tensor expand(const Tensor& t, Shape sizes) {
  int64_t n = int64_t(sizes.size()), nd = t.dim();
  STEEPEST_CHECK(n >= nd, ValueError, "expand: the number of sizes provided (", n,
                 ") must be greater or equal to the number of dimensions in the tensor (", nd, ")");
  Shape shape(size_t(n), 0);
  Strides strides(size_t(n), 0);
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t d = i - (n - nd);  // the matching dim of t, < 0 for a new leading dim
    int64_t target = sizes[size_t(i)];
    int64_t size = 1, stride;
    if (d < 0) {
      STEEPEST_CHECK(target >= 0, ValueError, "The expanded size of the tensor (", target,
                     ") isn't allowed in a leading, non-existing dimension ", i);
      stride = i == n - 1 ? 1 : shape[size_t(i + 1)] * strides[size_t(i + 1)];
    } else {
      size = t.shape()[size_t(d)];
      stride = t.strides()[size_t(d)];
      if (target == -1) target = size;
    }
    if (size != target) {
      STEEPEST_CHECK(size == 1 && target >= 0, ValueError, "The expanded size of the tensor (", target,
                     ") must match the existing size (", size, ") at non-singleton dimension ", i,
                     ".  Target sizes: ", bracket(sizes), ".  Tensor sizes: ", bracket(t.shape()));
      size = target;
      stride = 0;
    }
    shape[size_t(i)] = size;
    strides[size_t(i)] = stride;
  }
  Tensor out = with_geometry(t, std::move(shape), std::move(strides));
  if (autograd::needs_grad({&t}))  // each input element was repeated: its gradient is the sum
    record_view("ExpandBackward0", t, out, [in = t.shape()](const Tensor& g) { return autograd::sum_to(g, in); });
  return out;
}

Tensor expand_as(const Tensor& t, const Tensor& other) { return expand(t, other.shape()); }
Tensor broadcast_to(const Tensor& t, const Shape& shape) { return expand(t, shape); }

// Squeezing and unsqueezing only add or drop size-1 dims: the gradient is g reshaped back.
Tensor squeeze(const Tensor& t) {
  Tensor out = squeeze_view(t, {});
  if (autograd::needs_grad({&t}))
    record_view("SqueezeBackward0", t, out, [in = t.shape()](const Tensor& g) { return reshape(g, in); });
  return out;
}

Tensor squeeze(const Tensor& t, int64_t dim) {
  Tensor out = squeeze_dims_view(t, std::vector<int64_t>{dim});
  if (autograd::needs_grad({&t}))
    record_view("SqueezeBackward1", t, out, [in = t.shape()](const Tensor& g) { return reshape(g, in); });
  return out;
}

Tensor squeeze(const Tensor& t, const std::vector<int64_t>& dims) {
  Tensor out = squeeze_dims_view(t, dims);
  if (autograd::needs_grad({&t}))
    record_view("SqueezeBackward2", t, out, [in = t.shape()](const Tensor& g) { return reshape(g, in); });
  return out;
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  int64_t d = wrap_dim(dim, t.dim() + 1);
  Shape shape = t.shape();
  Strides strides = t.strides();
  // torch's stride for the new dim: the span of the dim it lands before (1 at the end).
  int64_t stride = d < t.dim() ? shape[size_t(d)] * strides[size_t(d)] : 1;
  shape.insert(size_t(d), 1);
  strides.insert(size_t(d), stride);
  Tensor out = with_geometry(t, std::move(shape), std::move(strides));
  if (autograd::needs_grad({&t}))
    record_view("UnsqueezeBackward0", t, out, [in = t.shape()](const Tensor& g) { return reshape(g, in); });
  return out;
}

Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  STEEPEST_CHECK(t.dim() > 0, IndexError, "slice() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, t.dim());
  STEEPEST_CHECK(step != 0, ValueError, "slice step cannot be zero");
  STEEPEST_CHECK(step > 0, ValueError, "step must be greater than zero");
  int64_t size = t.shape()[size_t(d)];
  auto clip = [size](int64_t v) {
    if (v < 0) v += size;
    return v < 0 ? 0 : v > size ? size : v;
  };
  start = clip(start);
  stop = clip(stop);
  Tensor out = slice_view(t, d, start, stop, step);
  if (autograd::needs_grad({&t}))  // g lands in the sliced part of zeros
    record_view("SliceBackward0", t, out, [in = t.shape(), d, start, stop, step](const Tensor& g) {
      Tensor z = zeros_for(in, g);
      Tensor part = slice_view(z, d, start, stop, step);
      copy_(part, g);
      return z;
    });
  return out;
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  STEEPEST_CHECK(t.dim() > 0, IndexError, "select() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, t.dim());
  int64_t size = t.shape()[size_t(d)];
  STEEPEST_CHECK(index >= -size && index < size, IndexError, "select(): index ", index,
                 " out of range for tensor of size ", bracket(t.shape()), " at dimension ", d);
  if (index < 0) index += size;
  Tensor out = select_view(t, d, index);
  if (autograd::needs_grad({&t}))
    record_view("SelectBackward0", t, out, [in = t.shape(), d, index](const Tensor& g) {
      Tensor z = zeros_for(in, g);
      Tensor part = select_view(z, d, index);
      copy_(part, g);
      return z;
    });
  return out;
}

Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  STEEPEST_CHECK(t.dim() > 0, IndexError, "narrow() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, t.dim());
  int64_t size = t.shape()[size_t(d)];
  STEEPEST_CHECK(length >= 0, ValueError, "narrow(): length must be non-negative.");
  STEEPEST_CHECK(start >= -size && start <= size, IndexError, "start out of range (expected to be in range of [",
                 -size, ", ", size, "], but got ", start, ")");
  if (start < 0) start += size;
  STEEPEST_CHECK(length <= size - start, ValueError, "start (", start, ") + length (", length,
                 ") exceeds dimension size (", size, ").");
  return slice(t, d, start, start + length, 1);
}

Tensor as_strided(const Tensor& t, Shape shape, Strides strides, int64_t offset) {
  for (int64_t s : strides)
    STEEPEST_CHECK(s >= 0, ValueError, "as_strided: Negative strides are not supported at the moment, got strides: ",
                   bracket(strides));
  STEEPEST_CHECK(offset >= 0, ValueError, "as_strided: Negative storage offset (", offset, ") is not supported");
  Tensor out = Tensor::make(t.storage(), std::move(shape), std::move(strides), offset, t.dtype());
  if (!autograd::needs_grad({&t})) return out;
  // The output reads storage positions; each input element owns one position when t doesn't
  // overlap itself. The gradient is then scatter-added by position into a buffer covering
  // both geometries (output elements sharing a position add up) and read back through t's
  // geometry. An overlapping input (an expanded tensor) has no such one-to-one map.
  STEEPEST_CHECK(!may_overlap(t.shape(), t.strides()), NotImplementedError,
                 "as_strided: backward through an input whose elements overlap in memory (shape ",
                 bracket(t.shape()), ", strides ", bracket(t.strides()), ") is not supported; make it contiguous first");
  record_view("AsStridedBackward0", t, out, [in_shape = t.shape(), in_strides = t.strides(), in_off = t.offset(),
                                             out_strides = out.strides(), out_off = out.offset()](const Tensor& g) {
    auto last = [](const Shape& sh, const Strides& st, int64_t off) {  // the highest position reached
      for (size_t i = 0; i < sh.size(); ++i) off += (sh[i] - 1) * st[i];
      return off;
    };
    if (numel_of(in_shape) == 0 || g.numel() == 0) return zeros_for(in_shape, g);
    int64_t lo = std::min(in_off, out_off);
    int64_t hi = std::max(last(in_shape, in_strides, in_off), last(g.shape(), out_strides, out_off));
    Tensor buf = zeros_for(Shape{hi - lo + 1}, g);
    // Each output element's position in buf, in C order over g's shape.
    Tensor pos = Tensor::empty(g.shape(), kInt64);
    int64_t* p = pos.data<int64_t>();
    const Shape& gs = g.shape();
    size_t nd = gs.size();
    Shape idx(nd, 0);
    int64_t cur = out_off - lo;
    for (int64_t k = 0, n = g.numel(); k < n; ++k) {
      p[k] = cur;
      for (size_t j = nd; j-- > 0;) {
        cur += out_strides[j];
        if (++idx[j] < gs[j]) break;
        cur -= out_strides[j] * gs[j];
        idx[j] = 0;
      }
    }
    index_put_(buf, std::vector<TensorIndex>{TensorIndex::from_tensor(pos)}, g, /*accumulate=*/true);
    return as_strided(buf, in_shape, in_strides, in_off - lo);
  });
  return out;
}

std::vector<Tensor> unbind(const Tensor& t, int64_t dim) {
  STEEPEST_CHECK(t.dim() > 0, IndexError, "Dimension specified as ", dim, " but tensor has no dimensions");
  int64_t d = wrap_dim(dim, t.dim());
  std::vector<Tensor> out;
  int64_t n = t.shape()[size_t(d)];
  out.reserve(size_t(n));
  for (int64_t i = 0; i < n; ++i) out.push_back(select_view(t, d, i));
  if (!autograd::needs_grad({&t})) return out;
  // One node for all pieces; pieces that got no gradient count as zeros.
  std::vector<Tensor*> outs;
  for (Tensor& o : out) outs.push_back(&o);
  autograd::record_n("UnbindBackward0", {&t}, outs, {},
                     [in = t.shape(), d](Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
    const Tensor* any = nullptr;
    for (const Tensor& x : g) if (x.defined()) { any = &x; break; }
    if (!any) return {Tensor()};
    Shape piece = in;
    piece.erase(size_t(d));
    std::vector<Tensor> parts;
    for (const Tensor& x : g) parts.push_back(x.defined() ? x : zeros_for(piece, *any));
    return {stack(parts, d)};
  });
  for (Tensor& o : out) autograd::mark_view(o);
  return out;
}

}  // namespace steepest
