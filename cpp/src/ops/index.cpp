// Python-style indexing t[...] and assignment t[...] = v. Ints, slices, None and Ellipsis
// become one view (no copy), as torch applies them first; integer / bool tensors and Python
// bools then select positions of that view (advanced indexing: numpy's broadcasting and
// placement rules, judged on the view's dims as torch does), copying on read and scattering
// on write. With grad on, reads record a view's backward (basic) or a scatter-add (advanced);
// writes record the overwritten positions and the values' share of the gradient.
#include "autograd/record.hpp"
#include "dispatch/index.hpp"
#include "ops/view.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/elementwise.hpp"
#include "steepest/ops/index.hpp"
#include "steepest/ops/shape.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(FindBadIndexKernel, find_bad_index_stub);
STEEPEST_DEFINE_STUB(IndexOffsetsKernel, index_offsets_stub);
STEEPEST_DEFINE_STUB(IndexGatherKernel, index_gather_stub);
STEEPEST_DEFINE_STUB(IndexPutKernel, index_put_stub);
STEEPEST_DEFINE_STUB(AccumulateKernel, accumulate_stub);
}  // namespace dispatch

using detail::bracket;

namespace {

// One advanced index: an int32/int64 tensor selecting positions along view dim `dim`, or a
// bool mask covering view dims [dim, dim + mask.dim()).
struct Advanced {
  int64_t dim;
  Tensor index;
};

Tensor unit_index(bool keep) {  // Python True/False: [0] or [] along a new unit dim
  return zeros(Shape{keep ? 1 : 0}, TensorOptions(kInt64));
}

// The basic part of an index: ints, slices, None, Ellipsis applied as one view. Bools add a
// unit dim; tensor indices keep their dims; both are recorded in `adv` (view dims).
Tensor basic_view(const Tensor& t, const TensorIndex* idx, size_t n, std::vector<Advanced>& adv) {
  using K = TensorIndex::Kind;
  const int64_t nd = t.dim();
  int64_t consumed = 0;
  bool ellipsis = false, has_int = false;
  for (size_t i = 0; i < n; ++i) {
    switch (idx[i].kind) {
      case K::Int: has_int = true; ++consumed; break;
      case K::Tensor:
        if (idx[i].tensor.dtype() == kBool) {
          consumed += idx[i].tensor.dim();
        } else {
          has_int = has_int || idx[i].tensor.dim() == 0;
          ++consumed;
        }
        break;
      case K::Slice: ++consumed; break;
      case K::Ellipsis:
        STEEPEST_CHECK(!ellipsis, IndexError, "an index can only have a single ellipsis ('...')");
        ellipsis = true;
        break;
      default: break;
    }
  }
  if (consumed > nd) {
    STEEPEST_CHECK(!(nd == 0 && has_int), IndexError,
                   "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                   "convert a 0-dim tensor to a number");
    throw IndexError(str("too many indices for tensor of dimension ", nd));
  }

  const Shape& ts = t.shape();
  const Strides& tst = t.strides();
  Shape shape;
  Strides strides;
  int64_t offset = t.offset();
  int64_t src = 0;  // next dim of t to consume
  // A new unit dim gets torch's unsqueeze stride: the span of the dim it lands before.
  auto unit_stride = [&] { return src < nd ? ts[size_t(src)] * tst[size_t(src)] : int64_t(1); };
  auto keep_dim = [&] {
    shape.push_back(ts[size_t(src)]);
    strides.push_back(tst[size_t(src)]);
    ++src;
  };
  for (size_t i = 0; i < n; ++i) {
    const TensorIndex& ix = idx[i];
    // A 0-d integer tensor indexes like an int (a view), as in torch.
    bool int_tensor = ix.kind == K::Tensor && ix.tensor.dim() == 0 && ix.tensor.dtype() != kBool;
    switch (int_tensor ? K::Int : ix.kind) {
      case K::Int: {
        STEEPEST_CHECK(!int_tensor || is_integral(ix.tensor.dtype(), false), IndexError,
                       "tensors used as indices must be long, int or bool tensors (got ", dtype_name(ix.tensor.dtype()),
                       ")");
        int64_t size = ts[size_t(src)], v = int_tensor ? ix.tensor.item().to_int() : ix.integer;
        STEEPEST_CHECK(v >= -size && v < size, IndexError, "index ", v, " is out of bounds for dimension ", src,
                       " with size ", size);
        offset += (v < 0 ? v + size : v) * tst[size_t(src)];
        ++src;
        break;
      }
      case K::Slice: {
        int64_t step = ix.slice.step.value_or(1);
        STEEPEST_CHECK(step != 0, ValueError, "slice step cannot be zero");
        STEEPEST_CHECK(step > 0, ValueError, "step must be greater than zero");
        int64_t size = ts[size_t(src)];
        auto clip = [size](int64_t v) {
          if (v < 0) v += size;
          return v < 0 ? 0 : v > size ? size : v;
        };
        int64_t start = ix.slice.start ? clip(*ix.slice.start) : 0;
        int64_t stop = ix.slice.stop ? clip(*ix.slice.stop) : size;
        const detail::SlicedDim sd = detail::slice_dim(tst[size_t(src)], start, stop, step);
        shape.push_back(sd.len);
        strides.push_back(sd.stride);
        offset += sd.offset;
        ++src;
        break;
      }
      case K::None:
        strides.push_back(unit_stride());
        shape.push_back(1);
        break;
      case K::Ellipsis:
        for (int64_t k = nd - consumed; k > 0; --k) keep_dim();
        break;
      case K::Bool:
        strides.push_back(unit_stride());
        shape.push_back(1);
        adv.push_back({int64_t(shape.size()) - 1, unit_index(ix.integer != 0)});
        break;
      case K::Tensor: {
        const Tensor& x = ix.tensor;
        if (x.dtype() == kBool) {
          if (x.dim() == 0) {  // a 0-d mask acts like a Python bool
            strides.push_back(unit_stride());
            shape.push_back(1);
            adv.push_back({int64_t(shape.size()) - 1, unit_index(x.item<bool>())});
            break;
          }
          for (int64_t j = 0; j < x.dim(); ++j)
            STEEPEST_CHECK(x.shape()[size_t(j)] == ts[size_t(src + j)], IndexError, "The shape of the mask ",
                           bracket(x.shape()), " at index ", j, " does not match the shape of the indexed tensor ",
                           bracket(ts), " at index ", src + j);
          adv.push_back({int64_t(shape.size()), x});
          for (int64_t j = 0; j < x.dim(); ++j) keep_dim();
        } else {
          STEEPEST_CHECK(is_integral(x.dtype(), false), IndexError,
                         "tensors used as indices must be long, int or bool tensors (got ", dtype_name(x.dtype()), ")");
          adv.push_back({int64_t(shape.size()), x});
          keep_dim();
        }
        break;
      }
    }
  }
  while (src < nd) keep_dim();
  return detail::make_view(t, std::move(shape), std::move(strides), offset);
}

using Plan = dispatch::AdvancedIndex;

// Broadcast shape of the index tensors; IndexError listing all of them when they clash.
Shape broadcast_indices(const std::vector<Advanced>& ints) {
  Shape out;
  bool ok = true;
  for (const auto& a : ints) {
    const Shape& s = a.index.shape();
    while (out.size() < s.size()) out.insert(0, 1);
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[out.size() - s.size() + i];
      if (s[i] == o || s[i] == 1) continue;
      if (o == 1) o = s[i];
      else ok = false;
    }
  }
  if (!ok) {
    std::string shapes;
    for (size_t k = 0; k < ints.size(); ++k) shapes += (k ? ", " : "") + bracket(ints[k].index.shape());
    throw IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes " + shapes);
  }
  return out;
}

Plan plan_advanced(const Tensor& view, std::vector<Advanced>& adv) {
  // Masks become their nonzero() columns, one integer index per masked dim.
  std::vector<Advanced> ints;
  for (auto& a : adv) {
    if (a.index.dtype() != kBool) { ints.push_back(std::move(a)); continue; }
    Tensor nz = nonzero(a.index);
    for (int64_t j = 0; j < a.index.dim(); ++j) ints.push_back({a.dim + j, select(nz, 1, j)});
  }
  Plan p;
  p.bshape = broadcast_indices(ints);
  bool adjacent = true;
  for (size_t k = 1; k < ints.size(); ++k) adjacent = adjacent && ints[k].dim == ints[k - 1].dim + 1;
  const Shape& vs = view.shape();
  int64_t first = ints.front().dim, nd = view.dim();
  p.bpos = adjacent ? first : 0;
  for (int64_t i = 0; i < p.bpos; ++i) p.result.push_back(vs[size_t(i)]);
  for (int64_t b : p.bshape) p.result.push_back(b);
  std::vector<bool> indexed(size_t(nd), false);
  for (const auto& a : ints) indexed[size_t(a.dim)] = true;
  for (int64_t i = 0; i < nd; ++i) {
    if (indexed[size_t(i)]) continue;
    p.rest.push_back(vs[size_t(i)]);
    p.rest_view_strides.push_back(view.strides()[size_t(i)]);
    bool before = adjacent && i < first;
    p.rest_result_dims.push_back(before ? i : int64_t(p.result.size()));
    if (!before) p.result.push_back(vs[size_t(i)]);
  }

  // offsets[b] = sum over k of index_k[b] * stride of its dim, bounds-checked.
  const Device dev = view.device();
  p.offsets = Tensor::empty(p.bshape, kInt64, dev);
  int64_t isz = int64_t(view.itemsize());
  bool first_index = true;
  for (const auto& a : ints) {
    int64_t size = vs[size_t(a.dim)], step = view.strides()[size_t(a.dim)] * isz;
    dispatch::BadIndex bad = dispatch::index_offsets_stub().get(dispatch::common_device(view, a.index), "index")(
        p.offsets, a.index, size, step, first_index);
    first_index = false;
    STEEPEST_CHECK(bad.pos < 0, IndexError, "index ", bad.value, " is out of bounds for dimension ", a.dim,
                   " with size ", size);
  }
  return p;
}

void check_value_shape(const Shape& value, const Shape& target) {
  bool ok = value.size() <= target.size();
  for (size_t i = 0; ok && i < value.size(); ++i) {
    int64_t v = value[value.size() - 1 - i], t = target[target.size() - 1 - i];
    ok = v == t || v == 1;
  }
  STEEPEST_CHECK(ok, ValueError, "shape mismatch: value tensor of shape ", bracket(value),
                 " cannot be broadcast to indexing result of shape ", bracket(target));
}

// The value as t's dtype, without its extra leading unit dims (numpy and torch drop them),
// and never sharing memory with t (a write could then change what is still to be read).
Tensor prepare_value(const Tensor& t, const Tensor& value, const Shape& target) {
  Tensor v = value;
  size_t lead = 0;
  while (v.dim() - int64_t(lead) > int64_t(target.size()) && v.shape()[lead] == 1) ++lead;
  if (lead) v = detail::make_view(v, Shape(v.shape().begin() + lead, v.shape().end()),
                                  Strides(v.strides().begin() + lead, v.strides().end()), v.offset());
  check_value_shape(v.shape(), target);
  if (v.dtype() != t.dtype()) return to_dtype(v, t.dtype());
  if (v.storage() == t.storage()) return clone(v);
  return v;
}

// view += v elementwise (v broadcasts; same dtype), for index_put_ with only basic indices.
void accumulate_into(Tensor& view, const Tensor& v) {
  dispatch::accumulate_stub().get(dispatch::common_device(view, v), "index_put_")(view, v);
  view.bump_version();
}

// torch's name for the backward of a basic index: that of the last view op it applies (full
// slices are skipped, as torch skips them, unless the index is that one slice).
const char* basic_view_name(const Tensor& t, const TensorIndex* idx, size_t n) {
  using K = TensorIndex::Kind;
  const char* name = nullptr;
  int64_t src = 0, consumed = 0;
  for (size_t i = 0; i < n; ++i)
    if (idx[i].kind == K::Int || idx[i].kind == K::Slice || idx[i].kind == K::Tensor) ++consumed;
  for (size_t i = 0; i < n; ++i) {
    const TensorIndex& ix = idx[i];
    switch (ix.kind) {
      case K::Int: case K::Tensor: name = "SelectBackward0"; ++src; break;
      case K::None: case K::Bool: name = "UnsqueezeBackward0"; break;
      case K::Ellipsis: src += t.dim() - consumed; break;
      case K::Slice: {
        int64_t size = t.shape()[size_t(src++)];
        bool full = ix.slice.step.value_or(1) == 1 && ix.slice.start.value_or(0) == 0 &&
                    (!ix.slice.stop || *ix.slice.stop >= size);
        if (!full || n == 1) name = "SliceBackward0";
        break;
      }
    }
  }
  return name ? name : "AliasBackward0";
}

Tensor zeros_for(const Shape& shape, const Tensor& g) { return zeros(shape, TensorOptions(g.dtype(), g.device())); }

// The value's gradient: g at the written positions, summed to the value's shape (which may
// have extra leading unit dims that the write dropped).
Tensor value_grad(const Tensor& g, const std::vector<TensorIndex>& idx, const Shape& value_shape) {
  Tensor gv = index(g, idx);
  size_t lead = 0;
  while (value_shape.size() - lead > size_t(gv.dim()) && value_shape[lead] == 1) ++lead;
  Shape trimmed(value_shape.begin() + lead, value_shape.end());
  return reshape(autograd::sum_to(gv, trimmed), value_shape);
}

}  // namespace

Tensor index(const Tensor& t, const TensorIndex* indices, size_t n) {
  std::vector<Advanced> adv;
  Tensor view = basic_view(t, indices, n, adv);
  bool grad = autograd::needs_grad({&t});
  if (adv.empty()) {
    if (grad) {  // a view: g goes into the same view of zeros
      autograd::record(basic_view_name(t, indices, n), {&t}, {&view}, {},
                       [in = t.shape(), idx = std::vector<TensorIndex>(indices, indices + n)](
                           Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
        if (!g[0].defined()) return {Tensor()};
        Tensor z = zeros_for(in, g[0]);
        std::vector<Advanced> none;
        Tensor part = basic_view(z, idx.data(), idx.size(), none);
        copy_(part, g[0]);
        return {z};
      });
      autograd::mark_view(view);
    }
    return view;
  }

  Plan p = plan_advanced(view, adv);
  Tensor out = Tensor::empty(p.result, t.dtype(), t.device());
  dispatch::index_gather_stub().get(t.device(), "index")(out, view, p);
  if (grad)  // positions picked twice get both gradients: accumulate into zeros
    autograd::record("IndexBackward0", {&t}, {&out}, {},
                     [in = t.shape(), idx = std::vector<TensorIndex>(indices, indices + n)](
                         Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
      if (!g[0].defined()) return {Tensor()};
      Tensor z = zeros_for(in, g[0]);
      index_put_(z, idx, g[0], /*accumulate=*/true);
      return {z};
    });
  return out;
}

void index_put_(Tensor& t, const TensorIndex* indices, size_t n, const Tensor& value, bool accumulate) {
  if (autograd::needs_grad({&t, &value}) && is_floating(t.dtype())) {
    // Written in place, then t takes a node whose inputs are t's old history and the value.
    autograd::check_inplace_allowed(t);
    STEEPEST_CHECK(t.requires_grad() || t.storage().use_count() == 1, NotImplementedError,
                   "index_put_: writing a value that requires grad into a tensor that shares memory with other "
                   "tensors (a view?) is not supported; index the tensor itself");
    {
      autograd::NoGradGuard no_grad;
      index_put_(t, indices, n, value, accumulate);
    }
    Tensor result = Tensor::empty(Shape{0}, t.dtype());  // only carries the node to rebase_history
    autograd::record("IndexPutBackward0", {&t, &value}, {&result}, {},
                     [idx = std::vector<TensorIndex>(indices, indices + n), vshape = value.shape(), accumulate](
                         Node& node, std::vector<Tensor>& g) -> std::vector<Tensor> {
      if (!g[0].defined()) return {Tensor(), Tensor()};
      Tensor gt, gv;
      if (node.needs_input_grad(0)) {  // overwritten positions no longer depend on the old t
        gt = g[0];
        if (!accumulate) {
          gt = clone(g[0]);
          index_put_(gt, idx, Scalar(0.0));
        }
      }
      if (node.needs_input_grad(1)) gv = value_grad(g[0], idx, vshape);
      return {gt, gv};
    });
    autograd::rebase_history(t, result);
    return;
  }
  std::vector<Advanced> adv;
  Tensor view = basic_view(t, indices, n, adv);
  if (adv.empty()) {
    Tensor v = prepare_value(t, value, view.shape());
    if (accumulate) accumulate_into(view, v);
    else copy_(view, v);
    if (view.numel() == 0) t.bump_version();  // copy_ skips empty targets; an in-place op still counts
    return;
  }
  Plan p = plan_advanced(view, adv);
  Tensor v = expand(prepare_value(t, value, p.result), p.result);
  dispatch::index_put_stub().get(dispatch::common_device(view, v), "index_put_")(view, v, p, accumulate);
  t.bump_version();
}

void index_put_(Tensor& t, const TensorIndex* indices, size_t n, Scalar value) {
  bool advanced = false;
  for (size_t i = 0; i < n; ++i)
    advanced = advanced || indices[i].kind == TensorIndex::Kind::Tensor || indices[i].kind == TensorIndex::Kind::Bool;
  if (!advanced && !autograd::needs_grad({&t})) {
    std::vector<Advanced> none;
    Tensor view = basic_view(t, indices, n, none);
    fill_(view, value);
    return;
  }
  index_put_(t, indices, n, full(Shape{}, value, TensorOptions(t.dtype())), false);
}

namespace {
Tensor index_select_impl(const Tensor& t, int64_t dim, const Tensor& index) {
  STEEPEST_CHECK(index.dim() <= 1, IndexError, "index_select(): Index is supposed to be a vector (got shape ",
                 bracket(index.shape()), ")");
  STEEPEST_CHECK(is_integral(index.dtype(), false), TypeError,
                 "index_select(): Expected dtype int32 or int64 for index (got ", dtype_name(index.dtype()), ")");
  if (t.dim() == 0) {  // torch treats a 0-d tensor as one element along dim 0
    wrap_dim(dim, 0);
    Tensor r = index_select_impl(view(t, Shape{1}), 0, index);
    return index.dim() == 0 ? view(r, Shape{}) : r;
  }
  int64_t d = wrap_dim(dim, t.dim());
  int64_t size = t.shape()[size_t(d)];
  // torch's index_select takes no negative positions (advanced indexing would wrap them).
  dispatch::BadIndex bad = dispatch::find_bad_index_stub().get(index.device(), "index_select")(index, size, std::nullopt);
  STEEPEST_CHECK(bad.pos < 0, IndexError, "index_select(): index ", bad.value, " is out of bounds for dimension ", d,
                 " with size ", size);
  std::vector<TensorIndex> idx(size_t(d), TensorIndex::from_slice({}));
  idx.push_back(TensorIndex::from_tensor(index.dim() == 0 ? view(index, Shape{1}) : index));
  return steepest::index(t, idx);
}
}  // namespace

Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index) {
  if (!autograd::needs_grad({&t})) return index_select_impl(t, dim, index);
  Tensor out;
  {
    autograd::NoGradGuard no_grad;
    out = index_select_impl(t, dim, index);
  }
  // index_add: g's slices along dim add into the rows they were read from (repeats add up).
  autograd::record("IndexSelectBackward0", {&t}, {&out}, {},
                   [in = t.shape(), dim, index](Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
    if (!g[0].defined()) return {Tensor()};
    Tensor z = zeros_for(in, g[0]);
    Tensor zv = in.empty() ? view(z, Shape{1}) : z;
    int64_t d = in.empty() ? 0 : wrap_dim(dim, int64_t(in.size()));
    Shape rows = zv.shape();
    rows[size_t(d)] = index.numel();
    std::vector<TensorIndex> idx(size_t(d), TensorIndex::from_slice({}));
    idx.push_back(TensorIndex::from_tensor(index.dim() == 0 ? view(index, Shape{1}) : index));
    index_put_(zv, idx, reshape(g[0], rows), /*accumulate=*/true);
    return {z};
  });
  return out;
}

}  // namespace steepest
