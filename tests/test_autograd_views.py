"""Gradients of the view, indexing and join ops: each against torch on the same inputs and by
finite differences (st.autograd.gradcheck, float64), plus grad_fn names, unused outputs of
multi-output ops, in-place writes on views, and random index expressions (hypothesis)."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as hs

import steepest as st
from test_index import index_case

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def run(lib, fn, arrays, weights, use):
    """Leaves from `arrays`, out = fn(lib, *leaves), loss = sum over the used outputs of
    (out * weight).sum(); returns the leaves' gradients as numpy (None where none)."""
    frm = st.from_numpy if lib is st else torch.from_numpy
    leaves = [frm(a.copy()).requires_grad_() for a in arrays]
    outs = as_list(fn(lib, *leaves))
    loss = None
    for k in use:
        term = (outs[k] * frm(weights[k].astype(np.float64)).to(outs[k].dtype)).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    return [None if x.grad is None else np.array(x.grad.numpy()) for x in leaves], outs


def check(fn, *shapes, use=None, name=None, seed=0, dtype=np.float64):
    """fn(lib, *tensors) gives the same gradients in steepest and torch, and passes gradcheck."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    t_outs = as_list(fn(torch, *[torch.from_numpy(a.copy()) for a in arrays]))
    weights = [rng.standard_normal(tuple(o.shape)) for o in t_outs]
    use = range(len(t_outs)) if use is None else use
    got, outs = run(st, fn, arrays, weights, use)
    want, t_outs = run(torch, fn, arrays, weights, use)
    for o, to in zip(outs, t_outs):
        np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), rtol=1e-6, atol=1e-12)
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if g is not None:
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-12)
    if name is not None:
        assert outs[use[0] if isinstance(use, list) else 0].grad_fn.name() == name
    if dtype == np.float64:
        leaves = [st.from_numpy(a.copy()).requires_grad_() for a in arrays]
        assert st.autograd.gradcheck(lambda *xs: tuple(as_list(fn(st, *xs))[k] for k in use), leaves)


def ix(lib, values, dtype=None):
    """An index tensor in either library."""
    a = np.asarray(values, dtype=dtype)
    return st.from_numpy(a) if lib is st else torch.from_numpy(a)


# ---- shape ops ---------------------------------------------------------------------------

SHAPE_CASES = [
    ("view", lambda m, x: x.view(4, 3), [(3, 4)], "ViewBackward0"),
    ("view_infer", lambda m, x: x.view(-1), [(2, 3, 2)], "ViewBackward0"),
    ("reshape_view", lambda m, x: x.reshape(6, 2), [(3, 4)], "ViewBackward0"),
    ("reshape_copy", lambda m, x: x.t().reshape(12), [(3, 4)], "UnsafeViewBackward0"),
    ("flatten", lambda m, x: x.flatten(1), [(2, 3, 2)], "ViewBackward0"),
    ("flatten_0d", lambda m, x: x.sum().flatten() * x[0, 0], [(2, 2)], None),
    ("unflatten", lambda m, x: x.unflatten(1, (2, 2)), [(3, 4)], "ViewBackward0"),
    ("transpose", lambda m, x: x.transpose(0, 2), [(2, 3, 4)], "TransposeBackward0"),
    ("swapaxes", lambda m, x: x.swapaxes(-1, 0), [(2, 3, 4)], "TransposeBackward0"),
    ("permute", lambda m, x: x.permute(2, 0, 1), [(2, 3, 4)], "PermuteBackward0"),
    ("t", lambda m, x: x.t(), [(3, 4)], "TBackward0"),
    ("t_1d", lambda m, x: x.t(), [(3,)], "TBackward0"),
    ("T", lambda m, x: x.T, [(2, 3, 4)], "PermuteBackward0"),
    ("mT", lambda m, x: x.mT, [(2, 3, 4)], "TransposeBackward0"),
    ("movedim", lambda m, x: m.movedim(x, (0, 1), (2, 0)), [(2, 3, 4)], "PermuteBackward0"),
    ("expand", lambda m, x: x.expand(2, 3, 4), [(3, 1)], "ExpandBackward0"),
    ("expand_keep", lambda m, x: x.expand(-1, 5), [(3, 1)], "ExpandBackward0"),
    ("expand_as", lambda m, x, y: x.expand_as(y) * y, [(1, 4), (3, 4)], "MulBackward0"),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 2, 3)), [(3,)], "ExpandBackward0"),
    ("squeeze", lambda m, x: x.squeeze(), [(1, 3, 1, 2)], "SqueezeBackward0"),
    ("squeeze_dim", lambda m, x: x.squeeze(2), [(1, 3, 1, 2)], "SqueezeBackward1"),
    ("squeeze_noop", lambda m, x: x.squeeze(1), [(1, 3, 1, 2)], "SqueezeBackward1"),
    ("squeeze_dims", lambda m, x: x.squeeze((0, 2)), [(1, 3, 1, 2)], "SqueezeBackward2"),
    ("unsqueeze", lambda m, x: x.unsqueeze(1), [(3, 2)], "UnsqueezeBackward0"),
    ("unsqueeze_end", lambda m, x: x.unsqueeze(-1), [(3, 2)], "UnsqueezeBackward0"),
    ("slice", lambda m, x: x[1:3], [(4, 3)], "SliceBackward0"),
    ("slice_step", lambda m, x: x[:, ::2], [(4, 5)], "SliceBackward0"),
    ("slice_empty", lambda m, x: x[3:1], [(4, 3)], "SliceBackward0"),
    ("narrow", lambda m, x: x.narrow(1, 1, 2), [(3, 4)], "SliceBackward0"),
    ("select", lambda m, x: x.select(1, -1), [(3, 4)], "SelectBackward0"),
    ("int_index", lambda m, x: x[1], [(3, 4)], "SelectBackward0"),
    ("int_slice", lambda m, x: x[1, 1:], [(3, 4)], "SliceBackward0"),
    ("none_ellipsis", lambda m, x: x[None, ..., 1:], [(2, 3, 4)], "SliceBackward0"),
    ("ellipsis_only", lambda m, x: x[...], [(2, 3)], "AliasBackward0"),
    ("none_last", lambda m, x: x[:, None], [(2, 3)], "UnsqueezeBackward0"),
    ("view_chain", lambda m, x: x.t()[1:].reshape(-1)[::2], [(3, 4)], "SliceBackward0"),
]


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shape_ops(case):
    _, fn, shapes, name = case
    check(fn, *shapes, name=name)


def test_as_strided():
    # windows overlap in the output: gradients of shared elements add up
    check(lambda m, x: x.as_strided((3, 3), (2, 1)), (12,), name="AsStridedBackward0")
    check(lambda m, x: x.as_strided((2, 2), (1, 3), 2), (3, 4))
    check(lambda m, x: x.as_strided((4,), (3,)), (3, 4))


def test_as_strided_overlapping_input_refused():
    x = st.zeros(3, 1).requires_grad_()
    e = x.expand(3, 4)
    with pytest.raises(NotImplementedError, match="overlap"):
        e.as_strided((2,), (1,))


def test_unbind_unused_outputs():
    check(lambda m, x: x.unbind(1), (3, 4), use=[0, 2], name="UnbindBackward0")
    check(lambda m, x: x.unbind(0), (3, 4), use=[1])


def test_iteration_is_unbind():
    x = st.from_numpy(np.arange(6.0).reshape(3, 2)).requires_grad_()
    rows = list(x)
    (rows[0] * 2 + rows[2]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 2], [0, 0], [1, 1]])


# ---- indexing ----------------------------------------------------------------------------

INDEX_CASES = [
    ("duplicates", lambda m, x: x[ix(m, [0, 2, 0, 0])], [(3, 4)]),
    ("negative", lambda m, x: x[ix(m, [-1, 0, -1])], [(3, 4)]),
    ("two_arrays", lambda m, x: x[ix(m, [0, 2, 2]), ix(m, [1, 1, 3])], [(3, 4)]),
    ("broadcast", lambda m, x: x[ix(m, [[0], [2]]), ix(m, [1, 1, 3])], [(3, 4)]),
    ("inner", lambda m, x: x[:, ix(m, [1, 1])], [(3, 4, 2)]),
    ("separated", lambda m, x: x[ix(m, [0, 2]), :, ix(m, [1, 1])], [(3, 4, 2)]),
    ("int_and_array", lambda m, x: x[1, :, ix(m, [0, 0])], [(3, 4, 2)]),
    ("mask", lambda m, x: x[ix(m, [[True, False, True, True], [False, False, True, False], [True] * 4])], [(3, 4)]),
    ("mask_dim", lambda m, x: x[:, ix(m, [True, False, True, True])], [(3, 4)]),
    ("none_ellipsis_array", lambda m, x: x[None, ..., ix(m, [1, 0, 1])], [(2, 3)]),
    ("pybool", lambda m, x: x[True], [(2, 3)]),
    ("int32", lambda m, x: x[ix(m, [2, 2], np.int32)], [(3, 2)]),
    ("empty", lambda m, x: x[ix(m, [], np.int64)], [(3, 2)]),
]


@pytest.mark.parametrize("case", INDEX_CASES, ids=[c[0] for c in INDEX_CASES])
def test_advanced_index(case):
    _, fn, shapes = case
    check(fn, *shapes, name="IndexBackward0")


def test_index_select():
    check(lambda m, x: x.index_select(1, ix(m, [3, 0, 3])), (2, 4), name="IndexSelectBackward0")
    check(lambda m, x: m.index_select(x, 0, ix(m, [1, 1])), (3,), name="IndexSelectBackward0")
    check(lambda m, x: m.index_select(x, 0, ix(m, [0])), (), name="IndexSelectBackward0")
    check(lambda m, x: m.index_select(x, 0, ix(m, 0)), (), name="IndexSelectBackward0")
    check(lambda m, x: m.index_select(x, 1, ix(m, 2)), (2, 3), name="IndexSelectBackward0")


def test_gather_and_take_along_dim():
    idx = [[0, 0, 2], [1, 2, 1]]
    check(lambda m, x: x.gather(1, ix(m, idx)), (2, 4), name="GatherBackward0")
    check(lambda m, x: x.gather(0, ix(m, [[1, 1, 0, 1]])), (2, 4), name="GatherBackward0")
    check(lambda m, x: m.take_along_dim(x, ix(m, [[0], [3]]), 1), (2, 4))
    check(lambda m, x: m.take_along_dim(x, ix(m, [[0, 0]]), 0), (3, 2))  # broadcast index
    check(lambda m, x: m.take_along_dim(x, ix(m, [5, 5, 1])), (2, 4))


def test_scatter_add_grads():
    index = [[0, 2, 0], [1, 1, 1]]
    check(lambda m, x, s: m.scatter_add(x, 1, ix(m, index), s), (2, 4), (2, 3), name="ScatterAddBackward0")
    # src larger than index: only its first index.shape elements were read (torch's own
    # backward refuses this case, so finite differences are the reference)
    x = st.from_numpy(np.random.default_rng(1).standard_normal((2, 3))).requires_grad_()
    s = st.from_numpy(np.random.default_rng(2).standard_normal((2, 2))).requires_grad_()
    assert st.autograd.gradcheck(lambda x, s: x.scatter_add(0, st.tensor([[1, 0]]), s), (x, s))
    (x.scatter_add(0, st.tensor([[1, 0]]), s) * st.from_numpy(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), [[3, 1], [0, 0]])
    # in place on a non-leaf
    check(lambda m, x, s: (x * 1).scatter_add_(1, ix(m, index), s), (2, 4), (2, 3), name="ScatterAddBackward0")


def test_scatter_grads():
    index = [[0, 2, 3], [1, 0, 2]]  # no repeats within a row: the written values are defined
    check(lambda m, x, s: m.scatter(x, 1, ix(m, index), s), (2, 4), (2, 3), name="ScatterBackward0")
    check(lambda m, x: x.scatter(1, ix(m, index), 0.5), (2, 4))


def test_index_put_grads():
    def put(m, x, v):
        y = x * 1
        y[ix(m, [0, 2])] = v
        return y
    check(put, (3, 4), (2, 4), name="IndexPutBackward0")
    check(put, (3, 4), (4,))      # the value broadcasts: its gradient is summed
    check(put, (3, 4), (1, 1, 4))  # extra leading unit dims

    def put_acc(m, x, v):
        return x.index_put((ix(m, [1, 1, 0]),), v, accumulate=True)
    check(put_acc, (3, 2), (3, 2), name="IndexPutBackward0")

    def put_basic(m, x, v):
        y = x * 1
        y[1:, 0] = v
        return y
    check(put_basic, (3, 2), (2,))

    def put_mask_scalar(m, x):
        y = x * 1
        y[ix(m, [True, False, True])] = 0.0
        y[:, 1] = 2.0
        return y
    check(put_mask_scalar, (3, 2))


def test_setitem_value_into_plain_tensor():
    # the target doesn't require grad, the value does
    def put(m, v):
        buf = m.zeros(2, 3, dtype=m.float64)
        buf[1] = v * 2
        buf[ix(m, [0, 0]), ix(m, [2, 1])] = v[:2]
        return buf
    check(put, (3,))


def test_masked_fill_through_views():
    check(lambda m, x: x.t()[1:].masked_fill(ix(m, [True, False, True]), 0.0), (3, 4))


# ---- joins ---------------------------------------------------------------------------------

def test_cat_stack():
    check(lambda m, a, b: m.cat([a, b], 1), (2, 3), (2, 1), name="CatBackward0")
    check(lambda m, a, b, c: m.cat([a, b.t(), c], 0), (2, 3), (3, 1), (0, 3), name="CatBackward0")
    check(lambda m, a, b: m.stack([a, b], -1), (2, 3), (2, 3), name="StackBackward0")
    check(lambda m, a, b: m.stack([a, b.t()]), (2, 3), (3, 2), name="StackBackward0")


def test_cat_mixed_dtypes():
    a = st.from_numpy(np.ones((2, 2), np.float32)).requires_grad_()
    b = st.from_numpy(np.ones((1, 2), np.float64)).requires_grad_()
    out = st.cat([a, b])
    assert out.dtype == st.float64
    (out * st.from_numpy(np.arange(6.0).reshape(3, 2))).sum().backward()
    assert a.grad.dtype == st.float32 and b.grad.dtype == st.float64
    np.testing.assert_array_equal(a.grad.numpy(), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(b.grad.numpy(), [[4, 5]])


def test_cat_with_constant_input():
    a = st.from_numpy(np.ones((2, 2))).requires_grad_()
    out = st.cat([st.zeros(1, 2, dtype=st.float64), a, st.zeros(2, 2, dtype=st.float64)])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones((2, 2)))


def test_split_chunk_unused_outputs():
    check(lambda m, x: x.split(2), (5, 3), use=[0, 2], name="SplitBackward0")
    check(lambda m, x: m.split(x, [1, 3, 1], 0), (5, 3), use=[1], name="SplitWithSizesBackward0")
    check(lambda m, x: x.chunk(3, 1), (2, 7), use=[2], name="SplitBackward0")
    check(lambda m, x: x.split(2, -1), (2, 5), use=[0, 1, 2])


# ---- views and in-place writes --------------------------------------------------------------

def test_inplace_on_view_of_differentiable_tensor_is_refused():
    x = st.ones(3, 4).requires_grad_()
    y = x * 2
    for make in (lambda: y[0], lambda: y.t(), lambda: y.view(12), lambda: y.split(2)[0],
                 lambda: y.unbind()[1], lambda: y.expand(1, 3, 4), lambda: y[:, 1:]):
        with pytest.raises(NotImplementedError, match="in-place operation on a view"):
            make().add_(1)
    with pytest.raises(NotImplementedError, match="in-place operation on a view"):
        y[0][1] = 5.0
    # the refused writes changed nothing: gradients are still right
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0))


def test_inplace_write_into_leaf_is_refused():
    x = st.ones(3).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 2.0
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.scatter_add_(0, st.tensor([0]), st.ones(1))


def test_views_without_grad_stay_plain():
    x = st.ones(3, 4)
    v = x[0]
    assert v.grad_fn is None and not v.requires_grad
    v.add_(1)  # no history: in-place writes are fine
    w = st.ones(3, 4).requires_grad_()
    with st.no_grad():
        u = w.t()
        assert u.grad_fn is None
    y = w * 1
    with st.no_grad():
        y[0].mul_(0)  # under no_grad the view isn't marked: allowed


def test_reshape_copy_is_not_a_view():
    x = st.ones(3, 4).requires_grad_()
    y = x.t().reshape(12)  # a copy: writing into it is fine
    y.mul_(3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 3.0))


def test_saved_index_positions_survive_later_writes_to_the_result():
    x = st.from_numpy(np.arange(4.0)).requires_grad_()
    y = x[st.tensor([0, 0, 3])]
    y.mul_(2)  # y is not a view: its own in-place history follows
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4, 0, 0, 2])


# ---- random shapes and index expressions -------------------------------------------------------

@SETTINGS
@given(index_case(), hs.integers(0, 2**31 - 1))
def test_random_index_expressions(case, seed):
    shape, expr = case
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    try:
        t_out = torch.from_numpy(a.copy())[expr.torch()]
    except (IndexError, RuntimeError, ValueError, TypeError):
        assume(False)
    w = rng.standard_normal(tuple(t_out.shape))
    x = st.from_numpy(a.copy()).requires_grad_()
    (x[expr.st()] * st.from_numpy(w)).sum().backward()
    xt = torch.from_numpy(a.copy()).requires_grad_()
    (xt[expr.torch()] * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(index_case(), hs.integers(0, 2**31 - 1), hs.booleans())
def test_random_index_put(case, seed, accumulate):
    shape, expr = case
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    try:
        t_shape = tuple(torch.from_numpy(a.copy())[expr.torch()].shape)
    except (IndexError, RuntimeError, ValueError, TypeError):
        assume(False)
    array_like = (list, np.ndarray, torch.Tensor, st.Tensor)
    if accumulate:  # torch's index_put_ takes index tensors only
        assume(all(isinstance(i, array_like) for i in expr.st()))
    vshape = t_shape[rng.integers(0, len(t_shape) + 1):]  # a suffix: broadcasts
    v = rng.standard_normal(vshape)
    w = rng.standard_normal(shape)
    grads = []
    for lib in (st, torch):
        frm = st.from_numpy if lib is st else torch.from_numpy
        x, val = frm(a.copy()).requires_grad_(), frm(v.copy()).requires_grad_()
        y = x * 1
        index = expr.st() if lib is st else expr.torch()
        if accumulate:
            if lib is torch:
                index = tuple(torch.as_tensor(np.asarray(i)) if not isinstance(i, torch.Tensor) else i for i in index)
            y.index_put_(index, val, accumulate=True)
        else:
            y[index] = val
        (y * frm(w)).sum().backward()
        grads.append((x.grad.numpy(), val.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12, atol=1e-12)
    if accumulate or not _has_repeats(a, expr):  # with repeats, which write wins is unspecified
        np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-12, atol=1e-12)


def _has_repeats(a, expr):
    """Whether the index reaches some element of `a` twice."""
    pos = torch.arange(a.size).reshape(a.shape)[expr.torch()]
    return pos.numel() != torch.unique(pos).numel()


@hs.composite
def view_chain(draw):
    """A shape and a short chain of random shape ops valid for it (same spelling in both libs)."""
    shape = tuple(draw(hs.lists(hs.sampled_from([1, 2, 3, 4]), min_size=1, max_size=4)))
    ops, cur = [], shape
    for _ in range(draw(hs.integers(1, 4))):
        nd = len(cur)
        kind = draw(hs.sampled_from(["permute", "transpose", "reshape", "expand", "unsqueeze", "squeeze", "slice",
                                     "select"] if nd else ["reshape", "unsqueeze", "expand"]))
        if kind == "permute":
            perm = draw(hs.permutations(range(nd)))
            ops.append(lambda t, p=tuple(perm): t.permute(*p))
            cur = tuple(cur[i] for i in perm)
        elif kind == "transpose":
            a, b = draw(hs.integers(0, nd - 1)), draw(hs.integers(0, nd - 1))
            ops.append(lambda t, a=a, b=b: t.transpose(a, b))
            cur = list(cur)
            cur[a], cur[b] = cur[b], cur[a]
            cur = tuple(cur)
        elif kind == "reshape":
            n = int(np.prod(cur))
            new = (n,) if draw(hs.booleans()) or n <= 1 else (draw(hs.sampled_from([d for d in range(1, n + 1) if n % d == 0])), -1)
            ops.append(lambda t, s=new: t.reshape(*s))
            cur = (n,) if len(new) == 1 else (new[0], n // new[0])
        elif kind == "expand":
            lead = draw(hs.integers(0, 1))  # maybe a new leading dim; size-1 dims maybe grow
            new = (3,) * lead + tuple(2 if c == 1 and draw(hs.booleans()) else c for c in cur)
            ops.append(lambda t, s=new: t.expand(s))
            cur = new
        elif kind == "unsqueeze":
            d = draw(hs.integers(-nd - 1, nd))
            ops.append(lambda t, d=d: t.unsqueeze(d))
            cur = tuple(np.expand_dims(np.empty(cur), d).shape)
        elif kind == "squeeze":
            ops.append(lambda t: t.squeeze())
            cur = tuple(c for c in cur if c != 1)
        elif kind == "slice":
            d = draw(hs.integers(0, nd - 1))
            start, step = draw(hs.integers(0, cur[d])), draw(hs.integers(1, 3))
            ops.append(lambda t, d=d, s=start, k=step: t[(slice(None),) * d + (slice(s, None, k),)])
            cur = tuple(len(range(start, cur[d], step)) if i == d else c for i, c in enumerate(cur))
        elif kind == "select":
            d = draw(hs.integers(0, nd - 1))
            if cur[d] == 0:
                continue
            i = draw(hs.integers(-cur[d], cur[d] - 1))
            ops.append(lambda t, d=d, i=i: t.select(d, i))
            cur = cur[:d] + cur[d + 1:]
    return shape, ops


@SETTINGS
@given(view_chain(), hs.integers(0, 2**31 - 1))
def test_random_view_chains(chain, seed):
    shape, ops = chain

    def fn(m, x):
        for op in ops:
            x = op(x)
        return x
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    t_out = fn(torch, torch.from_numpy(a.copy()))
    w = rng.standard_normal(tuple(t_out.shape))
    got, _ = run(st, fn, [a], [w], [0])
    want, _ = run(torch, fn, [a], [w], [0])
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-12)


@SETTINGS
@given(hs.lists(hs.sampled_from([0, 1, 2, 3, 7]), min_size=1, max_size=3), hs.integers(0, 2**31 - 1),
       hs.integers(1, 4))
def test_random_split_cat_roundtrip(shape, seed, pieces):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    dim = int(rng.integers(0, len(shape)))
    size = max(1, -(-shape[dim] // pieces))
    outs = torch.from_numpy(a).split(size, dim)
    use = sorted(set(int(k) for k in rng.integers(0, len(outs), size=2)))
    weights = [rng.standard_normal(tuple(o.shape)) for o in outs]
    got, _ = run(st, lambda m, x: x.split(size, dim), [a], weights, use)
    want, _ = run(torch, lambda m, x: x.split(size, dim), [a], weights, use)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-12)
