"""Shared helpers of the nn-extras tests: steepest and torch leaves from one numpy array, and
comparison of values and input gradients between the two."""
import numpy as np
import torch

import steepest as st


def tol(dt):
    return dict(rtol=1e-5, atol=1e-6) if dt == np.float32 else dict(rtol=1e-10, atol=1e-12)


def pair(a, grad=True):
    """(steepest leaf, torch leaf) holding copies of the numpy array a."""
    a = np.array(a, order="C", copy=True)
    s, t = st.from_numpy(a.copy()), torch.from_numpy(a.copy())
    if grad:
        s.requires_grad_()
        t.requires_grad_()
    return s, t


def same(a, b, dt=np.float64, scale=1.0):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    k = tol(dt)
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=k["rtol"] * scale,
                               atol=k["atol"] * scale)


def check_against_torch(fs, ft, arrays, dt=np.float64, seed=0, scale=1.0, grad=True):
    """fs(*steepest leaves) vs ft(*torch leaves): values, then every input's gradient for the
    same random output gradient."""
    ps = [pair(a, grad) for a in arrays]
    ys, yt = fs(*[p[0] for p in ps]), ft(*[p[1] for p in ps])
    same(ys, yt, dt, scale)
    if not grad:
        return ys
    g = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(dt)
    ys.backward(st.from_numpy(g.copy()))
    yt.backward(torch.from_numpy(g.copy()))
    for s, t in ps:
        if t.grad is None:
            assert s.grad is None or not np.any(s.grad.numpy())
        else:
            same(s.grad, t.grad, dt, scale)
    return ys
