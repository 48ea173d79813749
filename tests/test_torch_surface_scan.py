"""Issue 12, cumsum / cumprod / prod (C++ scan kernels): values and dtypes against torch,
gradients against torch's autograd (including inputs with zeros, where cumprod's and prod's
gradients must not divide by the input) and float64 gradcheck, and errors for bad input."""
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as hst
import numpy as np
import pytest
import torch
from hypothesis import given, settings

import steepest as st

SETTINGS = settings(max_examples=30, deadline=None)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)


def values(shape, seed, zeros=False, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, shape)
    if zeros:
        x[rng.random(shape) < 0.3] = 0.0
    return x.astype(dtype)


def compare(sfn, tfn, x, rtol):
    s = st.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    so, to = sfn(s), tfn(t)
    assert tuple(so.shape) == tuple(to.shape) and str(so.dtype).split(".")[-1] == str(to.dtype).split(".")[-1]
    np.testing.assert_allclose(so.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=rtol)
    if to.numel():
        w = np.random.default_rng(7).standard_normal(tuple(to.shape)).astype(x.dtype)
        (so * st.tensor(w)).sum().backward()
        (to * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=rtol * 10, atol=rtol * 10)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16), zeros=hst.booleans(), data=hst.data())
def test_scans_match_torch(name, dtype, shape, seed, zeros, data):
    x = values(shape, seed, zeros, dtype)
    dim = data.draw(hst.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    compare(lambda s: getattr(st, name)(s, dim), lambda t: getattr(torch, name)(t, dim), x, rtol)
    compare(lambda s: getattr(s, name)(dim), lambda t: getattr(t, name)(dim), x, rtol)


@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16), zeros=hst.booleans(), data=hst.data(), keep=hst.booleans())
def test_prod_matches_torch(shape, seed, zeros, data, keep):
    x = values(shape, seed, zeros)
    compare(lambda s: st.prod(s), lambda t: torch.prod(t), x, 1e-12)
    dim = data.draw(hst.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    compare(lambda s: s.prod(dim, keep), lambda t: t.prod(dim, keep), x, 1e-12)


def test_prod_gradient_with_one_and_two_zeros():
    for x in ([2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 2.0], [0.0]):
        s = st.tensor(x, dtype=st.float64, requires_grad=True)
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        st.prod(s).backward()
        torch.prod(t).backward()
        np.testing.assert_array_equal(s.grad.numpy(), t.grad.numpy())


def test_gradcheck_float64():
    x = st.tensor(values((3, 4), 1), requires_grad=True)
    for f in (lambda a: st.cumsum(a, 1), lambda a: st.cumprod(a, 0), lambda a: st.prod(a, 1), st.prod):
        assert st.autograd.gradcheck(f, (x,))


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64"])
def test_integer_scans_widen_to_int64_like_torch(dtype):
    v = [[1, 0, 3], [2, 2, 1]] if dtype != "bool" else [[True, False, True], [True, True, False]]
    s, t = st.tensor(v, dtype=getattr(st, dtype)), torch.tensor(v, dtype=getattr(torch, dtype))
    for name in ("cumsum", "cumprod"):
        got, want = getattr(s, name)(1), getattr(t, name)(1)
        assert got.dtype == st.int64 and got.tolist() == want.tolist()
    assert s.prod().item() == t.prod().item() and s.prod().dtype == st.int64
    assert s.prod(0).tolist() == t.prod(0).tolist()
    big = st.tensor([2**62, 4])  # wraps around as torch's int64 does
    assert big.cumsum(0).tolist() == torch.tensor([2**62, 4]).cumsum(0).tolist()
    assert big.cumprod(0).tolist() == torch.tensor([2**62, 4]).cumprod(0).tolist()


def test_dtype_argument_and_half_types():
    x = values((5,), 3, dtype=np.float32)
    assert st.cumsum(st.tensor(x), 0, dtype=st.float64).dtype == st.float64
    assert st.tensor([1, 2, 3]).cumsum(0, dtype=st.float32).dtype == st.float32
    for sd, td in ((st.bfloat16, torch.bfloat16), (st.float16, torch.float16)):
        got = st.tensor(x).to(sd).cumsum(0)
        want = torch.tensor(x).to(td).cumsum(0)
        assert got.dtype == sd
        np.testing.assert_allclose(got.float().numpy(), want.float().numpy(), rtol=1e-2)


def test_empty_and_errors():
    assert st.prod(st.zeros(0)).item() == 1.0
    assert st.zeros(2, 0).prod(1).tolist() == torch.zeros(2, 0).prod(1).tolist()
    assert tuple(st.zeros(2, 0).prod(1, keepdim=True).shape) == (2, 1)
    assert tuple(st.zeros(0, 3).cumsum(0).shape) == (0, 3)
    with pytest.raises(IndexError, match="dimension out of range"):
        st.cumsum(st.ones(2, 3), 2)
    with pytest.raises(IndexError, match="dimension out of range"):
        st.ones(2).prod(1)
    with pytest.raises(TypeError, match="can't compute a float32 input in int64"):
        st.ones(2).cumsum(0, dtype=st.int64)


def test_grad_setter_names_itself_and_what_it_accepts():
    p = st.ones(2, requires_grad=True)
    for bad, kind in ((0.0, "builtins.float"), (torch.zeros(2), "torch.Tensor"), ([0.0, 0.0], "builtins.list")):
        with pytest.raises(TypeError, match=f"Tensor.grad = value: value must be a steepest Tensor or None, got {kind}"):
            p.grad = bad
    p.grad = st.zeros(2)
    p.grad = None
    assert p.grad is None
