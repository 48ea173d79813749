"""Views and shape ops against torch (shapes, strides, offsets, when a copy happens, error
kinds and messages) and numpy (values). Both libraries get the same data and the same chain
of ops, so strides can be compared exactly."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import steepest as st

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pair(shape, dtype=np.float64, seed=0):
    """The same data as a steepest tensor and a torch tensor, each owning its own copy."""
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype) if shape else np.array(1.5, dtype)
    t = torch.empty(a.shape, dtype=torch.from_numpy(a).dtype)  # contiguous strides even for 0 sizes
    t.copy_(torch.from_numpy(a))
    return st.tensor(a), t


def same_geometry(s, t):
    assert s.shape == tuple(t.shape)
    assert s.stride() == t.stride()
    assert s.storage_offset() == t.storage_offset()
    np.testing.assert_array_equal(s.numpy(), t.numpy())


# ---- random chains of view ops applied to both libraries ------------------------------------

shapes = hs.lists(hs.sampled_from([0, 1, 1, 2, 3, 4, 7]), min_size=0, max_size=4).map(tuple)


def apply(x, ops):
    for name, args in ops:
        if name in ("T", "mT"):
            x = getattr(x, name)
        elif name == "slice":
            d, start, step = args
            x = x[(slice(None),) * d + (slice(start, None, step),)]
        else:
            x = getattr(x, name)(*args)
    return x


@hs.composite
def chain_case(draw):
    shape = draw(shapes)
    final, ops = draw(view_chain_for(shape))
    return shape, ops, final


def view_chain_for(shape):
    @hs.composite
    def inner(draw):
        s = list(shape)
        ops = []
        for _ in range(draw(hs.integers(0, 4))):
            nd = len(s)
            choices = ["unsqueeze", "T"]
            if nd >= 1:
                choices += ["transpose", "permute", "slice", "narrow", "squeeze", "expand", "select"]
            if nd >= 2:
                choices += ["mT", "movedim"]
            if nd <= 2:
                choices += ["t"]
            op = draw(hs.sampled_from(choices))
            if op == "unsqueeze":
                d = draw(hs.integers(-nd - 1, nd))
                ops.append(("unsqueeze", (d,)))
                s.insert(d if d >= 0 else d + nd + 1, 1)
            elif op in ("T", "t"):
                ops.append((op, None if op == "T" else ()))
                s.reverse()
            elif op == "mT":
                ops.append(("mT", None))
                s[-1], s[-2] = s[-2], s[-1]
            elif op == "transpose":
                a, b = draw(hs.integers(-nd, nd - 1)), draw(hs.integers(-nd, nd - 1))
                ops.append(("transpose", (a, b)))
                s[a], s[b] = s[b], s[a]
            elif op == "permute":
                perm = draw(hs.permutations(range(nd)))
                ops.append(("permute", tuple(perm)))
                s = [s[p] for p in perm]
            elif op == "movedim":
                a, b = draw(hs.integers(0, nd - 1)), draw(hs.integers(0, nd - 1))
                ops.append(("movedim", (a, b)))
                s.insert(b, s.pop(a))
            elif op == "slice":
                d = draw(hs.integers(0, nd - 1))
                start, step = draw(hs.integers(0, s[d])), draw(hs.integers(1, 3))
                ops.append(("slice", (d, start, step)))
                s[d] = len(range(start, s[d], step))
            elif op == "narrow":
                d = draw(hs.integers(0, nd - 1))
                start = draw(hs.integers(0, s[d]))
                length = draw(hs.integers(0, s[d] - start))
                ops.append(("narrow", (d, start, length)))
                s[d] = length
            elif op == "select":
                d = draw(hs.integers(0, nd - 1))
                if s[d] == 0:
                    continue
                ops.append(("select", (d, draw(hs.integers(-s[d], s[d] - 1)))))
                s.pop(d)
            elif op == "squeeze":
                d = draw(hs.one_of(hs.none(), hs.integers(-nd, nd - 1)))
                ops.append(("squeeze", () if d is None else (d,)))
                if d is None:
                    s = [x for x in s if x != 1]
                elif s[d] == 1:
                    s.pop(d)
            elif op == "expand":
                target = [draw(hs.sampled_from([1, 3])) if x == 1 else x for x in s]
                lead = draw(hs.lists(hs.sampled_from([1, 2]), max_size=1))
                ops.append(("expand", tuple(lead + target)))
                s = lead + target
        return tuple(s), ops
    return inner()


@SETTINGS
@given(chain_case())
def test_view_chains_match_torch_geometry(case):
    shape, ops, _ = case
    s, t = pair(shape)
    rs, rt = apply(s, ops), apply(t, ops)
    same_geometry(rs, rt)
    # Every op in the chain is a view: the result reads the original memory.
    if rs.numel():
        assert np.shares_memory(rs.numpy(), s.numpy())


def factorizations(n):
    """Strategy: shapes with product n (with extra 1s), sometimes one size given as -1."""
    @hs.composite
    def inner(draw):
        if n == 0:
            dims = draw(hs.lists(hs.integers(0, 3), min_size=1, max_size=4))
            if 0 not in dims:
                dims[draw(hs.integers(0, len(dims) - 1))] = 0
        else:
            dims, rest, p = [], n, 2
            while rest > 1:  # split n into prime factors, then group them randomly
                while rest % p == 0:
                    dims.append(p)
                    rest //= p
                p += 1
            groups = draw(hs.integers(1, max(1, len(dims))))
            out = [1] * groups
            for f in dims:
                out[draw(hs.integers(0, groups - 1))] *= f
            dims = out
            for _ in range(draw(hs.integers(0, 2))):
                dims.insert(draw(hs.integers(0, len(dims))), 1)
            if n == 1 and draw(hs.booleans()):
                dims = []
        if dims and draw(hs.booleans()):
            dims[draw(hs.integers(0, len(dims) - 1))] = -1
        return tuple(dims)
    return inner()


@hs.composite
def reshape_case(draw):
    shape, ops, final = draw(chain_case())
    numel = int(np.prod(final)) if final else 1
    target = draw(factorizations(numel))
    return shape, ops, target


def outcome(fn):
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - compared between libraries
        return None, e


@SETTINGS
@given(reshape_case())
def test_view_and_reshape_match_torch(case):
    shape, ops, target = case
    s, t = pair(shape)
    xs, xt = apply(s, ops), apply(t, ops)
    vs, es = outcome(lambda: xs.view(target))
    vt, et = outcome(lambda: xt.view(target))
    assert (es is None) == (et is None), (es, et)
    if et is not None:
        assert isinstance(es, ValueError)
        assert str(es) == str(et)  # same message (torch raises RuntimeError)
    else:
        same_geometry(vs, vt)
        if vs.numel():
            assert np.shares_memory(vs.numpy(), xs.numpy())
    rs, rt = outcome(lambda: xs.reshape(target)), outcome(lambda: xt.reshape(target))
    if rt[1] is not None:
        assert isinstance(rs[1], ValueError) and str(rs[1]) == str(rt[1])
        return
    rs, rt = rs[0], rt[0]
    assert rs.shape == tuple(rt.shape)
    np.testing.assert_array_equal(rs.numpy(), np.reshape(xs.numpy(), rs.shape))
    # reshape copies exactly when torch does
    torch_copied = rt.numel() > 0 and not np.shares_memory(rt.numpy(), xt.numpy())
    if rs.numel():
        assert np.shares_memory(rs.numpy(), xs.numpy()) == (not torch_copied)
    if not torch_copied:
        assert rs.stride() == rt.stride()


def test_reshape_of_transposed_copies_like_torch():
    s, t = pair((3, 4))
    for fn in (lambda x: x.t().reshape(12), lambda x: x.t().reshape(4, 3), lambda x: x.t().reshape(2, 2, 3),
               lambda x: x[:, ::2].reshape(6), lambda x: x.t().reshape(4, 1, 3), lambda x: x.t()[:, 0].reshape(4)):
        rs, rt = fn(s), fn(t)
        copied_t = rt._base is None
        copied_s = not np.shares_memory(rs.numpy(), s.numpy())
        assert copied_s == copied_t
        np.testing.assert_array_equal(rs.numpy(), rt.numpy())
        assert rs.is_contiguous() or not copied_s


# ---- one op at a time: values, identity, memory sharing -------------------------------------

def test_view_writes_reach_the_base_and_numpy():
    a = np.arange(12.0)
    t = st.from_numpy(a)
    v = t.view(3, 4)
    v[1, 2] = -5.0
    assert a[6] == -5.0
    w = t.view(3, 4).t()  # transposed view: numpy sees its strides
    w.numpy()[3, 0] = 42.0
    assert a[3] == 42.0 and t[3].item() == 42.0
    r = t.reshape(2, 6)
    r.numpy()[1, 0] = 7.0
    assert a[6] == 7.0
    sq = t.view(1, 12, 1).squeeze()
    sq.numpy()[0] = 9.0
    assert a[0] == 9.0


def test_view_ops_return_new_tensor_objects():
    s, t = pair((2, 3))
    for name, args in [("view", (2, 3)), ("reshape", (2, 3)), ("squeeze", ()), ("transpose", (0, 0)),
                       ("permute", (0, 1)), ("expand", (2, 3)), ("t", ())]:
        assert (getattr(s, name)(*args) is s) == (getattr(t, name)(*args) is t), name
    assert (s.flatten(1, 1) is s) and (t.flatten(1, 1) is t)  # torch returns the input itself
    assert s.contiguous() is s


def test_varargs_and_tuples_are_both_accepted():
    s = st.tensor(np.arange(6.0))
    assert s.view(2, 3).shape == s.view((2, 3)).shape == s.view([2, 3]).shape == (2, 3)
    assert s.reshape(-1).shape == (6,) and s.reshape((3, -1)).shape == (3, 2)
    assert s.reshape(shape=(2, 3)).shape == (2, 3)
    assert s.view(np.int64(3), 2).shape == (3, 2)
    m = s.view(2, 3)
    assert m.permute(1, 0).shape == m.permute((1, 0)).shape == (3, 2)
    assert m[:1].expand(4, -1).shape == m[:1].expand((4, 3)).shape == (4, 3)
    assert m.view_as(st.tensor(np.zeros((3, 2)))).shape == (3, 2)
    assert m.t().reshape_as(st.tensor(np.zeros(6))).shape == (6,)
    assert st.tensor([2.0]).view(()).shape == () and st.tensor(2.0).view(1, 1).shape == (1, 1)
    with pytest.raises(TypeError, match="expected ints"):
        s.view(2.0, 3)
    with pytest.raises(TypeError, match="takes its sizes as positional arguments or as the keyword 'size'"):
        s.view(shape=(2, 3))
    assert m.view(size=(3, 2)).shape == m.permute(dims=(1, 0)).shape == m.expand(size=(2, 3)).T.shape == (3, 2)
    # fixed int arguments: positional or by name, like torch
    assert m.transpose(dim1=0, dim0=1).shape == m.swapaxes(axis0=0, axis1=1).shape == (3, 2)
    assert m.unsqueeze(dim=-1).shape == (2, 3, 1)
    assert m.select(dim=1, index=2).shape == (2,) and m.narrow(1, start=1, length=2).shape == (2, 2)
    with pytest.raises(TypeError, match=r"transpose\(\) takes 2 arguments \(1 given\)"):
        m.transpose(0)
    with pytest.raises(TypeError, match="unexpected or repeated keyword argument 'dim0'"):
        m.transpose(0, dim0=1)
    with pytest.raises(TypeError, match="item deletion"):
        del m[0]


def test_module_functions():
    a = np.arange(24.0).reshape(2, 3, 4)
    s = st.tensor(a)
    assert st.reshape(s, (4, 6)).shape == (4, 6)
    np.testing.assert_array_equal(st.transpose(s, 0, 2).numpy(), a.transpose(2, 1, 0))
    np.testing.assert_array_equal(st.swapaxes(s, 0, 1).numpy(), a.swapaxes(0, 1))
    np.testing.assert_array_equal(st.swapdims(s, 1, 2).numpy(), a.swapaxes(1, 2))
    np.testing.assert_array_equal(st.permute(s, (2, 0, 1)).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(st.squeeze(st.tensor(a[:, :1])).numpy(), a[:, 0])
    np.testing.assert_array_equal(st.squeeze(st.tensor(a[:1, :1]), (0, 1)).numpy(), a[0, 0])
    np.testing.assert_array_equal(st.unsqueeze(s, -1).numpy(), a[..., None])
    np.testing.assert_array_equal(st.flatten(s, 1).numpy(), a.reshape(2, 12))
    np.testing.assert_array_equal(st.unflatten(s, 2, (2, -1)).numpy(), a.reshape(2, 3, 2, 2))
    np.testing.assert_array_equal(st.narrow(s, 2, 1, 2).numpy(), a[:, :, 1:3])
    np.testing.assert_array_equal(st.select(s, 1, -1).numpy(), a[:, -1])
    np.testing.assert_array_equal(st.movedim(s, 0, -1).numpy(), np.moveaxis(a, 0, -1))
    np.testing.assert_array_equal(st.movedim(s, (0, 1), (2, 0)).numpy(), np.moveaxis(a, (0, 1), (2, 0)))
    np.testing.assert_array_equal(st.moveaxis(s, 1, 0).numpy(), np.moveaxis(a, 1, 0))
    np.testing.assert_array_equal(st.t(st.tensor(a[0])).numpy(), a[0].T)
    np.testing.assert_array_equal(st.broadcast_to(st.tensor(a[:, :1]), (5, 2, 3, 4)).numpy(),
                                  np.broadcast_to(a[:, :1], (5, 2, 3, 4)))
    parts = st.unbind(s, 1)
    assert isinstance(parts, tuple) and len(parts) == 3
    for i, p in enumerate(parts):
        np.testing.assert_array_equal(p.numpy(), a[:, i])
    np.testing.assert_array_equal(st.as_strided(s, (3, 3), (4, 1), 1).numpy(),
                                  np.lib.stride_tricks.as_strided(a.ravel()[1:], (3, 3), (32, 8)))


def test_T_mT_and_t():
    a = np.arange(24.0).reshape(2, 3, 4)
    s = st.tensor(a)
    np.testing.assert_array_equal(s.T.numpy(), a.T)
    np.testing.assert_array_equal(s.mT.numpy(), a.swapaxes(-1, -2))
    assert st.tensor(np.arange(3.0)).t().shape == (3,)
    assert st.tensor(2.0).t().shape == ()


def test_unbind_iter_and_as_strided_offset():
    a = np.arange(6.0).reshape(2, 3)
    s = st.tensor(a)
    rows = list(s)
    assert len(rows) == 2
    np.testing.assert_array_equal(rows[1].numpy(), a[1])
    t = torch.tensor(a)
    assert s[1].as_strided((2,), (1,)).storage_offset() == t[1].as_strided((2,), (1,)).storage_offset()
    with pytest.raises(TypeError, match="0-d"):
        iter(st.tensor(1.0))


@SETTINGS
@given(shapes, hs.data())
def test_flatten_unflatten_match_numpy(shape, data):
    s, t = pair(shape)
    nd = len(shape)
    if nd == 0:
        assert s.flatten().shape == (1,)
        return
    a = data.draw(hs.integers(-nd, nd - 1))
    b = data.draw(hs.integers(-nd, nd - 1))
    if (a % nd) > (b % nd):
        with pytest.raises(ValueError, match="start_dim cannot come after end_dim"):
            s.flatten(a, b)
        return
    fs, ft = s.flatten(a, b), t.flatten(a, b)
    assert fs.shape == tuple(ft.shape)
    np.testing.assert_array_equal(fs.numpy(), ft.numpy())
    d = data.draw(hs.integers(-nd, nd - 1))
    n = shape[d]
    if n > 0:
        k = data.draw(hs.sampled_from([k for k in range(1, n + 1) if n % k == 0]))
        us = s.unflatten(d, (k, -1))
        np.testing.assert_array_equal(us.numpy(), t.unflatten(d, (k, -1)).numpy())
        assert us.stride() == t.unflatten(d, (k, -1)).stride()


def test_expand_broadcast_strides_and_memory():
    s, t = pair((3, 1))
    e = s.expand(2, 3, 4)
    assert e.stride() == t.expand(2, 3, 4).stride() == (0, 1, 0)
    assert e.expand_as(st.zeros((5, 2, 3, 4))).stride() == t.expand(2, 3, 4).expand_as(torch.zeros(5, 2, 3, 4)).stride()
    np.testing.assert_array_equal(e.numpy(), np.broadcast_to(s.numpy(), (2, 3, 4)))
    assert np.shares_memory(e.numpy(), s.numpy())
    assert s.expand(-1, 1).stride() == t.expand(-1, 1).stride()


def test_squeeze_unsqueeze_strides_match_torch():
    s, t = pair((2, 1, 3, 1))
    for args in [(), (1,), (-1,), (0,), ((1, 3),), ((0, 1),)]:
        assert s.squeeze(*args).shape == tuple(t.squeeze(*args).shape)
        assert s.squeeze(*args).stride() == t.squeeze(*args).stride()
    for d in range(-5, 5):
        assert s.unsqueeze(d).stride() == t.unsqueeze(d).stride()
    assert st.tensor(1.0).squeeze(0).shape == ()


def test_narrow_select_slice_with_python_clipping():
    a = np.arange(10.0)
    s = st.tensor(a)
    for sl in [slice(-100, 100), slice(3, 2), slice(8, None, 3), slice(None, -3, 4), slice(-3, None),
               slice(20, 30), slice(-30, -20), slice(None, None, 100)]:
        np.testing.assert_array_equal(s[sl].numpy(), a[sl])
    np.testing.assert_array_equal(s.narrow(0, -4, 2).numpy(), a[6:8])


# ---- errors: kind and message --------------------------------------------------------------

def torch_message(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return str(e)
    raise AssertionError("torch accepted it")


@pytest.mark.parametrize("expr, kind", [
    ("x.t().view(6)", ValueError),
    ("x.view(2, 5)", ValueError),
    ("x.view(-1, -1)", ValueError),
    ("x.view(-2, 3)", ValueError),
    ("x.view(4, -1)", ValueError),
    ("z.view(0, -1)", ValueError),
    ("x.reshape(5)", ValueError),
    ("x.permute(0, 0)", ValueError),
    ("x.expand(2, 4)", ValueError),
    ("x.expand(-1, 2, 3)", ValueError),
    ("x.narrow(1, 2, 2)", ValueError),
    ("x.narrow(1, 0, -1)", ValueError),
    ("x.narrow(1, 4, 0)", IndexError),
    ("x.select(0, 5)", IndexError),
    ("x.select(1, -4)", IndexError),
    ("x0.select(0, 0)", IndexError),
    ("x3.t()", ValueError),
    ("x1.mT", ValueError),
    ("x.unflatten(1, (2, 2))", ValueError),
    ("x.movedim((0, 1), (1,))", ValueError),
    ("x.movedim((0, 0), (1, 0))", ValueError),
    ("x.movedim((0, 1), (1, 1))", ValueError),
    ("x.flatten(1, 0)", ValueError),
    ("x.transpose(0, 2)", IndexError),
    ("x.squeeze(3)", IndexError),
    ("x.unsqueeze(4)", IndexError),
    ("x.as_strided((2,), (-1,))", ValueError),
    ("x0.unbind()", IndexError),
])
def test_errors_match_torch_messages(expr, kind):
    env_s = {"x": st.tensor(np.arange(6.0).reshape(2, 3)), "z": st.zeros((0, 3)), "x0": st.tensor(1.0),
             "x1": st.zeros((2,)), "x3": st.zeros((2, 2, 2))}
    env_t = {"x": torch.arange(6.0).reshape(2, 3), "z": torch.zeros(0, 3), "x0": torch.tensor(1.0),
             "x1": torch.zeros(2), "x3": torch.zeros(2, 2, 2)}
    expected = torch_message(lambda: eval(expr, {}, env_t))
    with pytest.raises(kind) as info:
        eval(expr, {}, env_s)
    # torch's exact words (the exception type follows this project's mapping: shape problems
    # are ValueError where torch says RuntimeError); wrap_dim spells "dimension" in lower case.
    assert str(info.value).lower() == expected.lower()


def test_permute_length_and_as_strided_bounds_errors():
    x = st.zeros((2, 3))
    with pytest.raises(ValueError, match=r"input.dim\(\) = 2 is not equal to len\(dims\) = 1"):
        x.permute(0)
    with pytest.raises(ValueError, match="does not fit in a storage of 6 elements"):
        x.as_strided((3, 3), (3, 1))
    with pytest.raises(ValueError, match="the number of sizes provided \\(1\\) must be greater or equal"):
        x.expand(3)
    with pytest.raises(ValueError, match="isn't allowed in a leading, non-existing dimension 0"):
        st.broadcast_to(x, (-1, 2, 3))
    with pytest.raises(ValueError, match="only one dimension can be inferred"):
        x.unflatten(1, (-1, -1))
    with pytest.raises(ValueError, match="squeeze: dim 0 appears multiple times"):
        x.squeeze((0, 0))
