"""GroupNorm / F.group_norm and RMSNorm / F.rms_norm against torch: values and the gradients
of input, weight and bias over hypothesis shapes, gradcheck in float64, eps=None's machine
epsilon per dtype, 16-bit inputs, the modules' parameters, and errors naming the problem."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs
from nn_ref import check_against_torch, pair, same

import steepest as st
import steepest.nn.functional as F
from steepest.autograd import gradcheck

SET = settings(max_examples=15, deadline=None)


@SET
@given(n=hs.integers(1, 3), groups=hs.sampled_from([1, 2, 3]), per=hs.integers(1, 3),
       spatial=hs.lists(hs.integers(1, 4), max_size=2), affine=hs.booleans(),
       dt=hs.sampled_from([np.float32, np.float64]),
       seed=hs.integers(0, 99))
def test_group_norm_matches_torch(n, groups, per, spatial, affine, dt, seed):
    r = np.random.default_rng(seed)
    C = groups * per
    x = (r.standard_normal((n, C, *spatial)) * 3 + 1).astype(dt)
    if n * per * int(np.prod(spatial)) == 1:  # one value per group: both refuse
        with pytest.raises(ValueError, match="more than 1 value"):
            F.group_norm(st.from_numpy(x), groups)
        return
    arrays = [x] + ([r.standard_normal(C).astype(dt), r.standard_normal(C).astype(dt)] if affine else [])
    # torch computed in float64 (and cast back): with 2 values per group, float32 torch's own
    # gradient rounding reaches 1e-3 relative, more than the kernel's.
    check_against_torch(lambda *a: F.group_norm(a[0], groups, *a[1:], eps=1e-4),
                        lambda *a: TF.group_norm(a[0].double(), groups, *(t.double() for t in a[1:]),
                                                 eps=1e-4).to(a[0].dtype), arrays, dt, scale=20)


@SET
@given(lead=hs.lists(hs.integers(1, 4), max_size=2), norm=hs.lists(hs.integers(1, 6), min_size=1, max_size=2),
       affine=hs.booleans(), eps=hs.sampled_from([None, 1e-5, 0.1]), dt=hs.sampled_from([np.float32, np.float64]),
       seed=hs.integers(0, 99))
def test_rms_norm_matches_torch(lead, norm, affine, eps, dt, seed):
    r = np.random.default_rng(seed)
    x = (r.standard_normal((*lead, *norm)) * 2).astype(dt)
    arrays = [x] + ([r.standard_normal(norm).astype(dt)] if affine else [])
    check_against_torch(lambda *a: F.rms_norm(a[0], tuple(norm), *a[1:], eps=eps),
                        lambda *a: TF.rms_norm(a[0], tuple(norm), *a[1:], eps=eps), arrays, dt, scale=20)


def test_rms_norm_large_rows_use_threads_and_match():
    r = np.random.default_rng(0)
    x, w = r.standard_normal((300, 257)).astype(np.float32), r.standard_normal(257).astype(np.float32)
    check_against_torch(lambda a, b: F.rms_norm(a, 257, b), lambda a, b: TF.rms_norm(a, (257,), b), [x, w],
                        np.float32, scale=50)


def test_default_eps_is_the_dtypes_machine_epsilon():
    x = np.full((2, 3), 1e-4)  # mean(x^2) = 1e-8: eps matters
    for dt, eps in ((np.float64, np.finfo(np.float64).eps), (np.float32, np.finfo(np.float32).eps)):
        y = F.rms_norm(st.from_numpy(x.astype(dt)), 3).numpy()
        np.testing.assert_allclose(y, x / np.sqrt(1e-8 + eps), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_16bit(dtype):
    x = np.random.default_rng(0).standard_normal((4, 6, 3))
    for fs, ft in ((lambda t: F.rms_norm(t, (3,)), lambda t: TF.rms_norm(t, (3,))),
                   (lambda t: F.group_norm(t, 2), lambda t: TF.group_norm(t, 2))):
        ys = fs(st.from_numpy(x).to(getattr(st, dtype)))
        yt = ft(torch.from_numpy(x).to(getattr(torch, dtype)))
        assert ys.dtype == getattr(st, dtype)
        np.testing.assert_allclose(ys.float().numpy(), yt.float().numpy(), rtol=3e-2, atol=3e-2)


def test_gradcheck():
    r = np.random.default_rng(1)
    x = st.from_numpy(r.standard_normal((2, 4, 3))).requires_grad_()
    w = st.from_numpy(r.standard_normal(4)).requires_grad_()
    b = st.from_numpy(r.standard_normal(4)).requires_grad_()
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    w3 = st.from_numpy(r.standard_normal(3)).requires_grad_()
    assert gradcheck(lambda x, w: F.rms_norm(x, (3,), w, 1e-3), (x, w3))
    assert gradcheck(lambda x: F.rms_norm(x, (4, 3)), (x,))


def test_second_derivative_through_rms_norm_is_refused_or_right():
    x = st.from_numpy(np.random.default_rng(2).standard_normal((2, 3))).requires_grad_()
    y = F.rms_norm(x, 3, eps=1e-3)
    (g,) = st.autograd.grad(y.sum(), x)
    xt = torch.from_numpy(x.detach().numpy()).requires_grad_()
    (gt,) = torch.autograd.grad(TF.rms_norm(xt, (3,), eps=1e-3).sum(), xt)
    same(g, gt)


def test_modules_match_torch():
    ms, mt = st.nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)
    assert set(ms.state_dict()) == set(mt.state_dict()) == {"weight", "bias"}
    assert ms.weight.detach().numpy().tolist() == [1.0] * 4 and ms.bias.detach().numpy().tolist() == [0.0] * 4
    assert repr(ms) == repr(mt)
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    check_against_torch(ms, mt, [x], np.float32, scale=10)
    assert list(st.nn.GroupNorm(2, 4, affine=False).parameters()) == []
    assert st.nn.GroupNorm(2, 4, bias=False).bias is None
    rs, rt = st.nn.RMSNorm([5]), torch.nn.RMSNorm([5])
    assert set(rs.state_dict()) == set(rt.state_dict()) == {"weight"}
    check_against_torch(rs, rt, [x], np.float32, scale=10)
    check_against_torch(st.nn.RMSNorm(5, eps=0.5, elementwise_affine=False),
                        torch.nn.RMSNorm(5, eps=0.5, elementwise_affine=False), [x], np.float32, scale=10)


def test_errors():
    x = st.zeros(2, 6, 3)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        F.group_norm(x, 4)
    with pytest.raises(ValueError, match="num_groups"):
        F.group_norm(x, 0)
    with pytest.raises(ValueError, match="weight"):
        F.group_norm(x, 2, st.ones(5))
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.group_norm(st.zeros(6), 2)
    with pytest.raises(TypeError, match="floating-point"):
        F.group_norm(st.zeros(2, 6, dtype=st.int64), 2)
    with pytest.raises(ValueError, match="divisible"):
        st.nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="normalized_shape"):
        F.rms_norm(x, (4,))
    with pytest.raises(ValueError, match="weight"):
        F.rms_norm(x, (3,), st.ones(4))
    with pytest.raises(ValueError, match="eps"):
        F.rms_norm(x, 3, eps=-1.0)
    with pytest.raises(TypeError, match="same dtype"):
        F.rms_norm(x, 3, st.ones(3, dtype=st.float64))
    with pytest.raises(TypeError, match="floating-point"):
        F.rms_norm(st.zeros(2, 3, dtype=st.int64), 3)
    s, _ = pair(np.zeros((2, 3)))
    y = F.rms_norm(s, 3)
    with pytest.raises(ValueError, match="shape"):
        y.backward(st.zeros(3, 2))
