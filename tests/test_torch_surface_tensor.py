"""Issue 12, Tensor methods: .data, __format__, new_*, the new C++ unary ops (log1p, expm1,
floor, ceil, round, trunc) and the composite ones (square, lerp, addcmul/addcdiv, frac,
isnan/isinf/isfinite, any/all, clamp_min/max, tril/triu, flip/roll/repeat/tile, outer,
logsumexp, norm, linalg norms, isclose/allclose/equal, _foreach_*), each against torch:
values, gradients through torch's autograd, and the error for bad input."""
import math

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as hst
import numpy as np
import pytest
import torch
from hypothesis import given, settings

import steepest as st

SETTINGS = settings(max_examples=25, deadline=None)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)


def pair(x, grad=True):
    s = st.tensor(x).requires_grad_(grad)
    t = torch.tensor(x, requires_grad=grad)
    return s, t


def check(sfn, tfn, *arrays, rtol=1e-6, atol=1e-7, grad=True):
    """sfn on steepest tensors equals tfn on torch tensors, and so do the input gradients
    of sum(out * w) for a fixed random w."""
    ss, ts = zip(*(pair(a, grad) for a in arrays))
    so, to = sfn(*ss), tfn(*ts)
    assert tuple(so.shape) == tuple(to.shape)
    assert str(so.dtype).split(".")[-1] == str(to.dtype).split(".")[-1]
    np.testing.assert_allclose(so.detach().float().numpy(), to.detach().float().numpy(), rtol=rtol, atol=atol)
    if grad and to.requires_grad and not so.requires_grad:
        # steepest records no graph for outputs that are piecewise constant counts (norm
        # with p=0); torch's gradient there is zero everywhere
        to.sum().backward()
        assert all(not t.grad.any() for t in ts if t.grad is not None)
    elif grad and to.requires_grad and to.numel():
        w = np.random.default_rng(1).standard_normal(tuple(to.shape)).astype(arrays[0].dtype)
        (so * st.tensor(w)).sum().backward()
        (to * torch.tensor(w)).sum().backward()
        for s, t in zip(ss, ts):
            tg = t.grad if t.grad is not None else torch.zeros_like(t)
            sg = s.grad if s.grad is not None else st.zeros_like(s)
            np.testing.assert_allclose(sg.numpy(), tg.numpy(), rtol=rtol * 10, atol=atol * 10)


def floats(shape, lo=-3.0, hi=3.0, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


# ---- .data ------------------------------------------------------------------------------
def test_data_get_has_no_history_and_shares_memory():
    p = st.nn.Parameter(st.ones(3))
    d = p.data
    assert not d.requires_grad and d.grad_fn is None and d.data_ptr() == p.data_ptr()
    d.mul_(2)  # writes through, unrecorded (as torch)
    np.testing.assert_array_equal(p.detach().numpy(), [2, 2, 2])


def test_data_set_swaps_memory_and_keeps_identity_and_grad_flag():
    p = st.nn.Parameter(st.ones(2, 2))
    opt = st.optim.SGD([p], lr=1.0)
    p.data = st.full((3,), 5.0, dtype=st.float64)
    assert p.requires_grad and isinstance(p, st.nn.Parameter) and p.dtype == st.float64
    assert tuple(p.shape) == (3,)
    (p * 2).sum().backward()
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), [3, 3, 3])
    with pytest.raises(TypeError, match="must be a steepest Tensor"):
        p.data = [1.0, 2.0]
    with pytest.raises(TypeError, match="got a torch.Tensor; convert it"):
        p.data = torch.ones(2)


def test_python_optimizer_written_against_torch_api_runs():
    """A Lion-style step as torch users write it: p.data, p.grad.data, state[p], @no_grad."""
    class Lion(st.optim.Optimizer):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0):
            super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

        @st.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    p.data.mul_(1 - group["lr"] * group["weight_decay"])
                    state = self.state[p]
                    if len(state) == 0:
                        state["exp_avg"] = st.zeros_like(p)
                    b1, b2 = group["betas"]
                    update = state["exp_avg"].clone().mul_(b1).add(p.grad, alpha=1 - b1).sign_()
                    p.add_(update, alpha=-group["lr"])
                    state["exp_avg"].lerp_(p.grad.data, 1 - b2)

    class TLion(torch.optim.Optimizer):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0):
            super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    p.data.mul_(1 - group["lr"] * group["weight_decay"])
                    state = self.state[p]
                    if len(state) == 0:
                        state["exp_avg"] = torch.zeros_like(p)
                    b1, b2 = group["betas"]
                    update = state["exp_avg"].clone().mul_(b1).add(p.grad, alpha=1 - b1).sign_()
                    p.add_(update, alpha=-group["lr"])
                    state["exp_avg"].lerp_(p.grad.data, 1 - b2)

    w0 = floats((4, 3))
    x = floats((8, 4), seed=2)
    sp, tp = st.nn.Parameter(st.tensor(w0)), torch.nn.Parameter(torch.tensor(w0))
    so, to = Lion([sp], lr=0.01, weight_decay=0.1), TLion([tp], lr=0.01, weight_decay=0.1)
    for _ in range(10):
        so.zero_grad()
        to.zero_grad()
        (st.tensor(x) @ sp).tanh().square().mean().backward()
        (torch.tensor(x) @ tp).tanh().square().mean().backward()
        so.step()
        to.step()
    np.testing.assert_allclose(sp.detach().numpy(), tp.detach().numpy(), rtol=1e-6, atol=1e-7)


# ---- formatting and small attributes ----------------------------------------------------
def test_format_like_torch():
    for v in (0.123456, -3.0, 1e-9):
        assert f"{st.tensor(v):.4f}" == f"{torch.tensor(v):.4f}"
        assert f"{st.tensor(v):>12.3e}" == f"{torch.tensor(v):>12.3e}"
    assert f"{st.tensor(7):d}" == f"{torch.tensor(7):d}"
    t = st.tensor([1.0, 2.0])
    assert f"{t}" == str(t)
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{t:.2f}"
    with pytest.raises(TypeError):
        f"{torch.tensor([1.0, 2.0]):.2f}"


def test_nelement_is_sparse_is_complex():
    t = st.zeros(3, 4)
    assert t.nelement() == t.numel() == torch.zeros(3, 4).nelement() == st.numel(t)
    assert t.is_sparse is False and t.is_complex() is False and st.is_complex(t) is False


@pytest.mark.parametrize("name", ["new_zeros", "new_ones", "new_empty"])
def test_new_constructors(name):
    s = st.ones(2, dtype=st.float64)
    for size in [(3, 4), ((3, 4),), ([2],), ((),)]:
        r = getattr(s, name)(*size)
        tr = getattr(torch.ones(2, dtype=torch.float64), name)(*size)
        assert tuple(r.shape) == tuple(tr.shape) and r.dtype == st.float64
        if name != "new_empty":
            np.testing.assert_array_equal(r.numpy(), tr.numpy())
    r = getattr(s, name)(2, dtype=st.int32, requires_grad=False)
    assert r.dtype == st.int32
    assert getattr(s, name)(2, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="size must be ints"):
        getattr(s, name)(2.5)
    with pytest.raises(TypeError, match="missing the size"):
        getattr(s, name)()


def test_new_full_and_new_tensor():
    s = st.ones(1, dtype=st.float16)
    r = s.new_full((2, 3), 7)
    assert r.dtype == st.float16 and r.numpy().tolist() == [[7] * 3] * 2
    n = s.new_tensor([[1, 2]])
    assert n.dtype == st.float16 and n.numpy().tolist() == [[1, 2]]
    src = st.ones(2)
    c = s.new_tensor(src)
    assert c.data_ptr() != src.data_ptr()


def test_clone_memory_format():
    s = st.arange(6.0).reshape(2, 3).t()
    for fmt in (None, st.contiguous_format, st.preserve_format):
        c = s.clone(memory_format=fmt)
        np.testing.assert_array_equal(c.numpy(), s.numpy())
    with pytest.raises(NotImplementedError, match="channels_last"):
        s.clone(memory_format=st.channels_last)


def test_scalar_arguments_as_tensors():
    a = floats((3,))
    b = floats((3,), seed=4)
    for alpha in (st.tensor(0.5), st.tensor([0.5])):
        s = st.tensor(a)
        s.add_(st.tensor(b), alpha=alpha)
        t = torch.tensor(a)
        t.add_(torch.tensor(b), alpha=0.5)
        np.testing.assert_array_equal(s.numpy(), t.numpy())
    with pytest.raises(ValueError, match=r"shape \(2,\)") as e:
        st.tensor(a).add_(st.tensor(b), alpha=st.tensor([1.0, 2.0]))
    assert "tensor(" not in str(e.value)  # the tensors are not printed


# ---- the new C++ unary ops --------------------------------------------------------------
UNARY = {"log1p": (-0.99, 5.0), "expm1": (-10, 10), "floor": (-5, 5), "ceil": (-5, 5), "round": (-5, 5),
         "trunc": (-5, 5), "erf": (-4, 4), "frac": (-5, 5), "square": (-5, 5)}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16))
def test_unary_values_and_grads_match_torch(name, dtype, shape, seed):
    lo, hi = UNARY[name]
    x = floats(shape, lo, hi, dtype, seed)
    rtol = 2e-6 if dtype == np.float32 else 1e-13
    check(lambda s: getattr(st, name)(s), lambda t: getattr(torch, name)(t), x, rtol=rtol, atol=rtol)
    check(lambda s: getattr(s, name)(), lambda t: getattr(t, name)(), x, rtol=rtol, atol=rtol)
    s, t = st.tensor(x), torch.tensor(x)
    getattr(s, name + "_")()
    getattr(t, name + "_")()
    np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", ["log1p", "expm1", "floor", "ceil", "round", "trunc"])
def test_unary_special_values_match_torch(name, isa):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1e-7, -1.0,
                  -2.0, 88.0, 1e20, -1e20, 8388607.5, -8388609.0], dtype=np.float32)
    with np.errstate(all="ignore"):
        got = getattr(st, name)(st.from_numpy(x)).numpy()
    want = getattr(torch, name)(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=2e-7, atol=0)
    np.testing.assert_array_equal(np.signbit(got[ok]), np.signbit(want[ok]))


def test_unary_integers_like_torch():
    v = [-3, 0, 7]
    for name in ("floor", "ceil", "round", "trunc"):
        for dt in ("int32", "int64"):
            got = getattr(st, name)(st.tensor(v, dtype=getattr(st, dt)))
            want = getattr(torch, name)(torch.tensor(v, dtype=getattr(torch, dt)))
            assert got.dtype == getattr(st, dt) and got.tolist() == want.tolist()
        with pytest.raises(TypeError, match="bool"):
            getattr(st, name)(st.tensor([True]))
    for name in ("log1p", "expm1"):
        got = getattr(st, name)(st.tensor(v))
        want = getattr(torch, name)(torch.tensor(v))
        assert got.dtype == st.float32
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_round_decimals_like_torch():
    x = floats((20,), -100, 100, np.float64)
    for d in (-1, 0, 1, 3):
        np.testing.assert_allclose(st.round(st.tensor(x), decimals=d).numpy(),
                                   torch.round(torch.tensor(x), decimals=d).numpy(), rtol=1e-15)
    with pytest.raises(TypeError, match="floating"):
        st.round(st.tensor([1, 2]), decimals=1)


def test_new_unary_ops_agree_across_isas(isa):
    x = floats((1000,), -20, 20, np.float32, 3)
    for name in ("log1p", "expm1", "floor", "ceil", "round", "trunc"):
        arg = np.abs(x) if name == "log1p" else x
        got = getattr(st, name)(st.from_numpy(arg)).numpy()
        ref = getattr(torch, name)(torch.from_numpy(arg)).numpy()
        np.testing.assert_allclose(got, ref, rtol=2e-7)


# ---- composites -------------------------------------------------------------------------
@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16), w=hst.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0, -0.3, 1.7]))
def test_lerp(shape, seed, w):
    a, b = floats(shape, seed=seed), floats(shape, seed=seed + 1)
    # lerp rounds three float32 operations whose intermediates reach |end| + |w||end - input|
    # <= 13.2 here (ulp 9.5e-7), and torch may fuse them: a result that cancels to near zero
    # differs by a couple of those ulps, hence an absolute tolerance of 2e-6
    tol = {"rtol": 1e-6, "atol": 2e-6}
    check(lambda s, e: st.lerp(s, e, w), lambda t, e: torch.lerp(t, e, w), a, b, **tol)
    wt = floats(shape, -0.5, 1.5, seed=seed + 2)
    check(lambda s, e, ww: s.lerp(e, ww), lambda t, e, ww: t.lerp(e, ww), a, b, wt, **tol)
    s, t = st.tensor(a), torch.tensor(a)
    s.lerp_(st.tensor(b), w)
    t.lerp_(torch.tensor(b), w)
    np.testing.assert_allclose(s.numpy(), t.numpy(), **tol)


@pytest.mark.parametrize("value", [1, 0.5, -2.0, "tensor"])
def test_addcmul_addcdiv(value):
    a, b, c = floats((3, 4)), floats((3, 4), seed=1), floats((3, 4), 0.5, 2, seed=2)
    sv = st.tensor(-0.25) if value == "tensor" else value
    tv = torch.tensor(-0.25) if value == "tensor" else value
    for name in ("addcmul", "addcdiv"):
        check(lambda x, y, z, name=name: getattr(st, name)(x, y, z, value=sv),
              lambda x, y, z, name=name: getattr(torch, name)(x, y, z, value=tv), a, b, c)
        s, t = st.tensor(a), torch.tensor(a)
        getattr(s, name + "_")(st.tensor(b), st.tensor(c), value=sv)
        getattr(t, name + "_")(torch.tensor(b), torch.tensor(c), value=tv)
        np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


def test_clamp_min_max():
    a = floats((10,))
    check(lambda s: s.clamp_min(0.3), lambda t: t.clamp_min(0.3), a)
    check(lambda s: st.clamp_max(s, -0.2), lambda t: torch.clamp_max(t, -0.2), a)
    s = st.tensor(a)
    s.clamp_min_(0.0)
    np.testing.assert_array_equal(s.numpy(), np.maximum(a, 0))


def test_isnan_isinf_isfinite():
    x = np.array([0.0, -1.0, np.inf, -np.inf, np.nan, 1e38], dtype=np.float32)
    for name in ("isnan", "isinf", "isfinite"):
        assert getattr(st, name)(st.tensor(x)).tolist() == getattr(torch, name)(torch.tensor(x)).tolist()
        assert getattr(st.tensor(x), name)().dtype == st.bool
        v = [1, -2]
        assert getattr(st, name)(st.tensor(v)).tolist() == getattr(torch, name)(torch.tensor(v)).tolist()
    with pytest.raises(TypeError, match="steepest Tensor"):
        st.isnan(np.zeros(2))


@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16))
def test_any_all(shape, seed):
    x = (np.random.default_rng(seed).random(shape) < 0.3).astype(np.float32)
    s, t = st.tensor(x), torch.tensor(x)
    assert st.any(s).item() == torch.any(t).item() and s.all().item() == t.all().item()
    for d in range(len(shape)):
        for keep in (False, True):
            assert s.any(d, keep).tolist() == t.any(d, keep).tolist()
            assert s.all(d, keep).tolist() == t.all(d, keep).tolist()
    b = st.tensor(x > 0)
    assert b.any().item() == torch.tensor(x > 0).any().item()


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("diag", [-2, -1, 0, 1, 3])
def test_tril_triu(name, diag):
    for shape in [(4, 4), (3, 5), (2, 5, 3), (0, 3)]:
        x = floats(shape)
        check(lambda s: getattr(st, name)(s, diag), lambda t: getattr(torch, name)(t, diag), x)
    s = st.tensor(floats((3, 3)))
    t = torch.tensor(s.numpy())
    getattr(s, name + "_")(diag)
    getattr(t, name + "_")(diag)
    np.testing.assert_array_equal(s.numpy(), t.numpy())
    assert getattr(st, name)(st.ones(2, 2, dtype=st.int64)).dtype == st.int64
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        getattr(st, name)(st.ones(3))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=hst.data())
def test_flip_roll(shape, data):
    x = floats(shape, seed=len(shape))
    nd = len(shape)
    dims = data.draw(hst.lists(hst.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd))
    check(lambda s: st.flip(s, dims), lambda t: torch.flip(t, dims), x)
    check(lambda s: s.flip(*dims), lambda t: t.flip(*dims), x)
    shifts = [data.draw(hst.integers(-7, 7)) for _ in dims]
    check(lambda s: st.roll(s, shifts, dims), lambda t: torch.roll(t, shifts, dims), x)
    check(lambda s: s.roll(shifts[0]), lambda t: t.roll(shifts[0]), x)
    with pytest.raises(IndexError):
        st.flip(st.tensor(x), [nd])
    with pytest.raises(ValueError, match="same length"):
        st.roll(st.tensor(x), [1, 2], [0])


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), data=hst.data())
def test_repeat_tile(shape, data):
    x = floats(shape, seed=3)
    extra = data.draw(hst.integers(0, 2))
    reps = [data.draw(hst.integers(0, 3)) for _ in range(len(shape) + extra)]
    if reps:
        check(lambda s: s.repeat(*reps), lambda t: t.repeat(*reps), x)
        check(lambda s: s.repeat(reps), lambda t: t.repeat(reps), x)
    short = reps[: max(len(reps) - extra - 1, 0)]
    check(lambda s: st.tile(s, short), lambda t: torch.tile(t, short), x)
    if len(shape) > 0:
        with pytest.raises(ValueError, match="can not be smaller"):
            st.tensor(x).repeat(*([2] * (len(shape) - 1)))


def test_outer():
    check(st.outer, torch.outer, floats((3,)), floats((4,), seed=1))
    check(lambda a, b: a.outer(b), lambda a, b: a.outer(b), floats((1,)), floats((0,), seed=1))
    with pytest.raises(ValueError, match="1-D"):
        st.outer(st.ones(2, 2), st.ones(2))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), seed=hst.integers(0, 99))
def test_logsumexp(shape, seed):
    x = floats(shape, -50, 50, seed=seed)
    for d in range(-len(shape), len(shape)):
        for keep in (False, True):
            check(lambda s, d=d, keep=keep: st.logsumexp(s, d, keep),
                  lambda t, d=d, keep=keep: torch.logsumexp(t, d, keep), x, rtol=2e-6)
    if len(shape) > 1:
        check(lambda s: s.logsumexp((0, -1)), lambda t: t.logsumexp((0, -1)), x, rtol=2e-6)


def test_logsumexp_infinities_like_torch():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [1000.0, 1000.0]], dtype=np.float32)
    np.testing.assert_array_equal(st.logsumexp(st.tensor(x), 1).numpy(), torch.logsumexp(torch.tensor(x), 1).numpy())


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, math.inf, -math.inf, 0, "fro"])
def test_norm(p):
    x = floats((3, 4), seed=5)
    check(lambda s: s.norm(p), lambda t: t.norm(p), x, rtol=2e-6)
    if p != "fro":
        for d in (0, 1, -1):
            for keep in (False, True):
                check(lambda s, d=d, keep=keep: st.norm(s, p, d, keep),
                      lambda t, d=d, keep=keep: torch.norm(t, p, d, keep), x, rtol=2e-6)
        check(lambda s: st.linalg.vector_norm(s, p), lambda t: torch.linalg.vector_norm(t, p), x, rtol=2e-6)
        check(lambda s: st.linalg.vector_norm(s, p, (0, 1), True),
              lambda t: torch.linalg.vector_norm(t, p, (0, 1), True), x, rtol=2e-6)


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf])
def test_matrix_norm_and_linalg_norm(ord):
    x = floats((2, 3, 4), seed=6)
    check(lambda s: st.linalg.matrix_norm(s, ord), lambda t: torch.linalg.matrix_norm(t, ord), x, rtol=2e-6)
    check(lambda s: st.linalg.norm(s, ord, (1, 2)), lambda t: torch.linalg.norm(t, ord, (1, 2)), x, rtol=2e-6)
    check(lambda s: st.linalg.norm(s), lambda t: torch.linalg.norm(t), x, rtol=2e-6)
    check(lambda s: st.linalg.norm(s, dim=1), lambda t: torch.linalg.norm(t, dim=1), x, rtol=2e-6)
    with pytest.raises(NotImplementedError, match="nuc"):
        st.linalg.matrix_norm(st.tensor(x), "nuc")
    with pytest.raises(TypeError, match="floating"):
        st.linalg.vector_norm(st.tensor([1, 2]))


def test_isclose_allclose_equal():
    a = np.array([1.0, np.inf, -np.inf, np.nan, 0.0, 1e-9, 1.0], dtype=np.float32)
    b = np.array([1.0 + 1e-6, np.inf, np.inf, np.nan, 1e-9, 0.0, 1.1], dtype=np.float32)
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.2}, {"atol": 0.0, "rtol": 0.0}):
        assert st.isclose(st.tensor(a), st.tensor(b), **kw).tolist() == \
            torch.isclose(torch.tensor(a), torch.tensor(b), **kw).tolist()
        assert st.tensor(a[:3]).allclose(st.tensor(b[:3]), **kw) == torch.tensor(a[:3]).allclose(torch.tensor(b[:3]),
                                                                                                  **kw)
    assert st.isclose(st.tensor([1, 2]), st.tensor([1, 3])).tolist() == [True, False]
    assert st.equal(st.tensor(a[:2]), st.tensor(a[:2])) and not st.equal(st.ones(2), st.ones(3))
    assert st.tensor(a).equal(st.tensor(a)) == torch.tensor(a).equal(torch.tensor(a))
    with pytest.raises(TypeError, match="same dtype"):
        st.isclose(st.ones(2), st.ones(2, dtype=st.float64))
    with pytest.raises(ValueError, match="non-negative"):
        st.isclose(st.ones(2), st.ones(2), rtol=-1)


# ---- _foreach_* -------------------------------------------------------------------------
def test_foreach_ops_match_torch():
    shapes_ = [(3,), (2, 2), ()]
    a = [floats(s, seed=i) for i, s in enumerate(shapes_)]
    b = [floats(s, 0.5, 2, seed=10 + i) for i, s in enumerate(shapes_)]
    c = [floats(s, seed=20 + i) for i, s in enumerate(shapes_)]
    S = lambda xs: [st.tensor(x) for x in xs]  # noqa: E731
    T = lambda xs: [torch.tensor(x) for x in xs]  # noqa: E731
    cases = [
        ("_foreach_mul_", lambda L, M, N: (L, 0.5), {}), ("_foreach_mul_", lambda L, M, N: (L, M), {}),
        ("_foreach_mul_", lambda L, M, N: (L, [1.0, 2.0, 3.0]), {}),
        ("_foreach_add_", lambda L, M, N: (L, M), {"alpha": -0.3}), ("_foreach_add_", lambda L, M, N: (L, 2.0), {}),
        ("_foreach_sub_", lambda L, M, N: (L, M), {"alpha": 2}), ("_foreach_div_", lambda L, M, N: (L, M), {}),
        ("_foreach_lerp_", lambda L, M, N: (L, N, 0.1), {}), ("_foreach_lerp_", lambda L, M, N: (L, N, 0.9), {}),
        ("_foreach_addcmul_", lambda L, M, N: (L, M, N), {"value": 0.5}),
        ("_foreach_addcdiv_", lambda L, M, N: (L, N, M), {"value": -1}),
        ("_foreach_sqrt_", lambda L, M, N: (M,), {}), ("_foreach_neg_", lambda L, M, N: (L,), {}),
        ("_foreach_zero_", lambda L, M, N: (L,), {}), ("_foreach_copy_", lambda L, M, N: (L, N), {}),
        ("_foreach_maximum_", lambda L, M, N: (L, N), {}),
    ]
    for name, args, kw in cases:
        sl, sm, sn = S(a), S(b), S(c)
        tl, tm, tn = T(a), T(b), T(c)
        getattr(st, name)(*args(sl, sm, sn), **kw)
        getattr(torch, name)(*args(tl, tm, tn), **kw)
        for s, t in zip(sl + sm, tl + tm):
            np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6, atol=1e-7, err_msg=name)
    for name in ("_foreach_sqrt", "_foreach_neg", "_foreach_abs", "_foreach_exp"):
        for s, t in zip(getattr(st, name)(S(b)), getattr(torch, name)(T(b))):
            np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6, err_msg=name)
    for s, t in zip(st._foreach_add(S(a), S(b), alpha=2), torch._foreach_add(T(a), T(b), alpha=2)):
        np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6)
    for s, t in zip(st._foreach_norm(S(a)), torch._foreach_norm(T(a))):
        np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="different lengths"):
        st._foreach_add_(S(a), S(b)[:2])


# ---- diagonal, diag, trace, tril/triu_indices, repeat_interleave -----------------------------
@pytest.mark.parametrize("offset", [-3, -1, 0, 1, 2, 5])
def test_diagonal_is_a_view_with_torch_values_and_grads(offset):
    for shape, d1, d2 in [((4, 4), 0, 1), ((3, 5), 0, 1), ((2, 3, 4), 1, 2), ((2, 3, 4), -1, 0), ((3, 2, 4), 2, 0)]:
        x = floats(shape, seed=abs(offset))
        check(lambda s, d1=d1, d2=d2: st.diagonal(s, offset, d1, d2),
              lambda t, d1=d1, d2=d2: torch.diagonal(t, offset, d1, d2), x)
    s, t = st.tensor(floats((4, 5))), torch.tensor(floats((4, 5)))
    s.diagonal(offset).fill_(7.0)  # writes reach the input
    t.diagonal(offset).fill_(7.0)
    np.testing.assert_array_equal(s.numpy(), t.numpy())
    t2 = torch.tensor(floats((3, 4)))[:, 1:]  # a strided view
    s2 = st.tensor(floats((3, 4)))[:, 1:]
    np.testing.assert_array_equal(s2.diagonal(offset).numpy(), t2.diagonal(offset).numpy())
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        st.diagonal(st.ones(3))
    with pytest.raises(ValueError, match="same dim"):
        st.diagonal(st.ones(3, 3), 0, 1, -1)


@pytest.mark.parametrize("k", [-2, 0, 1])
def test_diag_and_trace(k):
    check(lambda s: st.diag(s, k), lambda t: torch.diag(t, k), floats((4,)))
    check(lambda s: s.diag(k), lambda t: t.diag(k), floats((3, 4)))
    check(lambda s: st.trace(s), lambda t: torch.trace(t), floats((3, 4)))
    assert st.diag(st.tensor([1, 2]), k).dtype == st.int64
    with pytest.raises(ValueError, match="1-D or 2-D"):
        st.diag(st.ones(2, 2, 2))


@pytest.mark.parametrize("row, col, off", [(3, 3, 0), (4, 2, -1), (2, 5, 2), (0, 3, 0)])
def test_tril_triu_indices(row, col, off):
    assert st.tril_indices(row, col, off).tolist() == torch.tril_indices(row, col, off).tolist()
    assert st.triu_indices(row, col, off).tolist() == torch.triu_indices(row, col, off).tolist()
    assert st.tril_indices(row, col, off).dtype == st.int64


def test_repeat_interleave():
    x = floats((2, 3))
    for reps, dim in [(2, None), (3, 0), (2, 1), (0, 1), ([1, 0, 2], 1), ([2, 1], 0), ([3], 0)]:
        check(lambda s, r=reps, d=dim: s.repeat_interleave(st.tensor(r) if isinstance(r, list) else r, d),
              lambda t, r=reps, d=dim: t.repeat_interleave(torch.tensor(r) if isinstance(r, list) else r, d), x)
    counts = [2, 0, 1]
    assert st.repeat_interleave(st.tensor(counts)).tolist() == torch.repeat_interleave(torch.tensor(counts)).tolist()
    with pytest.raises(ValueError, match="same size"):
        st.tensor(x).repeat_interleave(st.tensor([1, 2]), 1)
    with pytest.raises(ValueError, match="non-negative"):
        st.tensor(x).repeat_interleave(-1)
