"""The autograd engine: graph recording (requires_grad, is_leaf, grad_fn), grad modes and
their thread-locality, deep graphs, accumulation and retain_graph, autograd.grad, hooks,
in-place safety, custom Functions, a 2-layer MLP against a hand-derived numpy backward, and
clear errors for bad backward/grad arguments."""
import threading
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st


def leaf(values, dtype=st.float64):
    return st.tensor(values, dtype=dtype, requires_grad=True)


# ---- recording -------------------------------------------------------------------------


def test_requires_grad_propagation_and_leaves():
    x = leaf([1.0, 2.0])
    c = st.tensor([3.0, 4.0], dtype=st.float64)
    assert x.is_leaf and c.is_leaf and x.grad_fn is None
    y = x * c
    assert y.requires_grad and not y.is_leaf
    z = c * 2
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None
    assert (y + z).requires_grad
    assert not st.tensor([1.0]).requires_grad


def test_grad_fn_names_and_next_functions():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = x * w
    assert y.grad_fn.name() == "MulBackward0"
    nf = y.grad_fn.next_functions
    assert [n.name() for n, _ in nf] == ["AccumulateGrad", "AccumulateGrad"]
    assert nf[0][0].variable is not None
    assert st.tensor(nf[0][0].variable.tolist()).tolist() == [1.0, 2.0]
    z = (y + 1).exp().sum()
    assert z.grad_fn.name() == "SumBackward0"
    e = z.grad_fn.next_functions[0][0]
    assert e.name() == "ExpBackward0"
    assert e.next_functions[0][0].name() == "AddBackward0"
    assert e.next_functions[0][0].next_functions[0][0].name() == "MulBackward0"
    assert e.next_functions[0][0].next_functions[1][0] is None  # the number 1: no edge
    names = {
        "SubBackward0": x - w, "DivBackward0": x / w, "PowBackward0": x ** 2, "NegBackward0": -x,
        "MaximumBackward0": st.maximum(x, w), "TanhBackward0": x.tanh(), "SigmoidBackward0": x.sigmoid(),
        "ReluBackward0": x.relu(), "MeanBackward0": x.mean(), "SumBackward1": x.sum(0),
        "DotBackward0": st.dot(x, w), "MmBackward0": leaf([[1.0, 2.0]]) @ leaf([[1.0], [2.0]]),
        "MvBackward0": leaf([[1.0, 2.0]]) @ w, "WhereBackward0": st.where(x > 1, x, w),
        "CloneBackward0": x.clone(), "MatmulBackward0": leaf([[[1.0, 2.0]]]) @ leaf([[1.0], [2.0]]),
        "AmaxBackward0": x.amax(0), "MaxBackward1": x.max(), "MaxBackward0": x.max(0)[0],
        "VarBackward0": x.var(), "StdBackward0": x.std(), "ClampBackward1": x.clamp(0, 1),
        "MaskedFillBackward0": x.masked_fill(x > 1, 0.0), "ToCopyBackward0": x.float(),
        "LogBackward0": x.log(), "AddBackward0": x + w, "AbsBackward0": x.abs(),
    }
    for name, t in names.items():
        assert t.grad_fn.name() == name
    # the same leaf used twice: both edges lead to the one accumulator
    sq = x * x
    a, b = sq.grad_fn.next_functions
    assert a[0] is b[0] or a[0].variable is b[0].variable


def test_detach_and_requires_grad_():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d2 = d.requires_grad_()
    assert d2 is d or d2.requires_grad
    assert d.requires_grad
    # detach shares memory: an in-place change shows in both
    with st.no_grad():
        y.mul_(10)
    assert d.tolist() == [20.0, 40.0]
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    z = st.tensor([1.0])
    assert z.requires_grad_() is not None and z.requires_grad
    z.requires_grad_(False)
    assert not z.requires_grad


# ---- grad modes ------------------------------------------------------------------------


def test_no_grad_enable_grad_set_grad_enabled_context():
    x = leaf([1.0])
    with st.no_grad():
        assert not st.is_grad_enabled()
        assert not (x * 2).requires_grad
        with st.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert st.is_grad_enabled()
    with st.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert st.is_grad_enabled()
    st.set_grad_enabled(False)
    assert not st.is_grad_enabled()
    st.set_grad_enabled(True)
    assert st.is_grad_enabled()
    # a raised exception restores the mode
    with pytest.raises(KeyError):
        with st.no_grad():
            raise KeyError
    assert st.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = leaf([1.0])

    @st.no_grad()
    def f():
        return x * 2

    @st.enable_grad()
    def g():
        return x * 2

    @st.set_grad_enabled(False)
    def h():
        return x * 2

    assert st.is_grad_enabled()  # decorating didn't change the mode
    assert not f().requires_grad and not h().requires_grad
    with st.no_grad():
        assert g().requires_grad
    assert f.__name__ == "f"
    with st.inference_mode():
        assert not (x * 2).requires_grad


def test_grad_mode_is_thread_local():
    x = leaf([1.0])
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def worker():
        with st.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = (x * 2).requires_grad

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = (x * 2).requires_grad  # while the other thread is inside no_grad
    seen["main_enabled"] = st.is_grad_enabled()
    release.set()
    t.join()
    assert seen == {"worker": False, "main": True, "main_enabled": True}
    # and a new thread starts with grad enabled even if this one disabled it
    with st.no_grad():
        out = {}
        th = threading.Thread(target=lambda: out.setdefault("r", st.is_grad_enabled()))
        th.start()
        th.join()
    assert out["r"] is True


# ---- deep graphs, accumulation, retain_graph -------------------------------------------


def test_deep_chain_backward_without_recursion():
    """A 100 000-op chain: backward must not recurse (it would overflow the stack)."""
    x = leaf([1.0])
    y = x
    n = 100_000
    t0 = time.perf_counter()
    for _ in range(n):
        y = y * 1.0000001
    y.backward()
    dt = time.perf_counter() - t0
    np.testing.assert_allclose(x.grad.numpy(), [1.0000001 ** n], rtol=1e-9)
    assert dt < 60, f"100k-op chain took {dt:.1f}s"
    del y  # freeing the chain must not recurse either


def test_deep_chain_freed_without_backward():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    del y  # destroying 100k nested nodes


def test_grads_accumulate_over_two_backwards():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0 + 2.0, 3.0 + 4.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_grad_of_two_leaves_through_one_add_do_not_alias():
    """a = x + y sends the same gradient to x and y; their .grad must be separate tensors."""
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    a = x + y
    a.sum().backward(retain_graph=True)
    a.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and y.grad.tolist() == [2.0, 2.0]
    with st.no_grad():
        x.grad.mul_(0)
    assert y.grad.tolist() == [2.0, 2.0]


def test_user_gradient_is_not_aliased_into_grad():
    x = leaf([1.0, 2.0])
    g = st.tensor([1.0, 1.0], dtype=st.float64)
    (x * 1).backward(g)
    (x * 1).backward(g)
    assert g.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [2.0, 2.0]


def test_backward_on_a_leaf():
    x = leaf([1.0, 2.0])
    x.backward(st.tensor([3.0, 4.0], dtype=st.float64))
    assert x.grad.tolist() == [3.0, 4.0]


def test_grad_property_is_settable_and_checked():
    x = leaf([1.0, 2.0])
    x.grad = st.tensor([5.0, 5.0], dtype=st.float64)
    (x * 1).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    with pytest.raises(ValueError):
        x.grad = st.tensor([1.0, 2.0, 3.0], dtype=st.float64)


# ---- gradient= and autograd.grad -------------------------------------------------------


def test_gradient_argument_for_non_scalar_outputs():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * x
    y.backward(st.tensor([[1.0, 0.0], [0.5, 2.0]], dtype=st.float64))
    assert x.grad.tolist() == [[2.0, 0.0], [3.0, 16.0]]


def test_implicit_grad_of_non_scalar_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="scalar outputs"):
        st.autograd.grad(x * 2, x)


def test_autograd_grad_leaves_dot_grad_alone():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (x * w).sum()
    gx, gw = st.autograd.grad(y, (x, w))
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None
    # grad with respect to a non-leaf
    x2 = leaf([1.0, 2.0])
    h = x2 * 3
    out = (h * h).sum()
    (gh,) = st.autograd.grad(out, [h])
    assert gh.tolist() == [6.0, 12.0]
    assert x2.grad is None


def test_autograd_grad_allow_unused_and_grad_outputs():
    x, u = leaf([1.0, 2.0]), leaf([5.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="allow_unused"):
        st.autograd.grad(y.sum(), [x, u], retain_graph=True)
    gx, gu = st.autograd.grad(y.sum(), [x, u], allow_unused=True, retain_graph=True)
    assert gx.tolist() == [2.0, 2.0] and gu is None
    gx, gu = st.autograd.grad(y.sum(), [x, u], materialize_grads=True, retain_graph=True)
    assert gu.tolist() == [0.0]
    (gx,) = st.autograd.grad([y], [x], grad_outputs=[st.tensor([1.0, -1.0], dtype=st.float64)])
    assert gx.tolist() == [2.0, -2.0]


def test_autograd_grad_of_input_not_requiring_grad():
    x = leaf([1.0])
    c = st.tensor([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        st.autograd.grad((x * 2).sum(), [c])


def test_autograd_backward_function_several_roots():
    x = leaf([1.0, 2.0])
    a, b = x * 2, x * x
    st.autograd.backward([a.sum(), b.sum()])
    assert x.grad.tolist() == [2.0 + 2.0, 2.0 + 4.0]
    y = leaf([1.0, 2.0])
    st.autograd.backward([y * 1, y * 3], [st.ones(2, dtype=st.float64), st.ones(2, dtype=st.float64)])
    assert y.grad.tolist() == [4.0, 4.0]


# ---- hooks -----------------------------------------------------------------------------


def test_leaf_hook_replaces_grad_and_handle_removes_it():
    x = leaf([1.0, 2.0])
    calls = []
    h = x.register_hook(lambda g: (calls.append(g.tolist()), g * 10)[1])
    (x * 2).sum().backward()
    assert calls == [[2.0, 2.0]] and x.grad.tolist() == [20.0, 20.0]
    h.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and len(calls) == 1


def test_hooks_run_in_registration_order_and_chain():
    x = leaf([1.0])
    order = []
    x.register_hook(lambda g: (order.append("a"), g + 1)[1])
    x.register_hook(lambda g: (order.append(("b", g.tolist())), None)[1])  # None keeps it
    x.register_hook(lambda g: (order.append(("c", g.tolist())), g * 2)[1])
    (x * 3).sum().backward()
    assert order == ["a", ("b", [4.0]), ("c", [4.0])]
    assert x.grad.tolist() == [8.0]


def test_non_leaf_hook_changes_what_flows_upstream():
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = []
    y.register_hook(lambda g: (seen.append(g.tolist()), g * 0.5)[1])
    (y * y).sum().backward()
    assert seen == [[6.0, 12.0]]
    assert x.grad.tolist() == [9.0, 18.0]  # 3 * 0.5 * 2y
    assert y.grad is None  # not retained


def test_hook_in_autograd_grad_and_bad_hook_return():
    x = leaf([1.0])
    x.register_hook(lambda g: g * 4)
    (gx,) = st.autograd.grad((x * 2).sum(), [x])
    assert gx.tolist() == [8.0] and x.grad is None
    z = leaf([1.0])
    z.register_hook(lambda g: "nope")
    with pytest.raises(TypeError, match="must return a Tensor or None"):
        (z * 2).sum().backward()


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        st.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    z = (y * y).sum()
    z.backward(retain_graph=True)
    assert y.grad.tolist() == [6.0, 12.0]
    z.backward()
    assert y.grad.tolist() == [12.0, 24.0]  # accumulates like a leaf
    x.retain_grad()  # no-op on a leaf


def test_post_accumulate_grad_hook_runs_sgd_inside_backward():
    w = leaf([1.0, 2.0])
    b = leaf([0.5])
    lr = 0.1

    def sgd(p):
        with st.no_grad():
            p.sub_(p.grad * lr)
        p.grad = None

    handles = [p.register_post_accumulate_grad_hook(sgd) for p in (w, b)]
    x = st.tensor([3.0, 4.0], dtype=st.float64)
    loss = ((w * x).sum() + b).sum()
    loss.backward()
    np.testing.assert_allclose(w.detach().numpy(), [1.0 - 0.3, 2.0 - 0.4])
    np.testing.assert_allclose(b.detach().numpy(), [0.4])
    assert w.grad is None and b.grad is None
    for h in handles:
        h.remove()
    ((w * x).sum() + b).sum().backward()
    assert w.grad.tolist() == [3.0, 4.0]


def test_post_accumulate_hook_only_on_leaves():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda p: None)


# ---- in-place safety -------------------------------------------------------------------


def test_modified_saved_tensor_raises_under_no_grad():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = (y * y).sum()  # saves y
    with st.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_modified_saved_tensor_raises_via_alias():
    x = leaf([1.0, 2.0])
    w = st.tensor([3.0, 4.0], dtype=st.float64)
    z = (x * w).sum()  # saves w
    w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    # and a saved output (exp saves its result)
    e = x.exp()
    s = e.sum()
    e.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.exp_()
    with st.no_grad():
        x.add_(1)  # allowed: not recorded
    assert x.tolist() == [2.0, 3.0]


def test_inplace_on_view_of_differentiable_tensor_is_refused():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 1
    v = y[0]
    if v.grad_fn is None:
        pytest.skip("indexing isn't differentiable in this build yet")
    with pytest.raises((NotImplementedError, RuntimeError)):
        v.mul_(2)


# ---- custom Functions ------------------------------------------------------------------


class Cube(st.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * x * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x * ctx.k, None


class TwoOut(st.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.record = ctx.needs_input_grad
        return a * b, a + b

    @staticmethod
    def backward(ctx, gp, gs):
        a, b = ctx.saved_tensors
        TwoOut.seen = (gp is None, gs is None, ctx.needs_input_grad)
        ga = (gp * b if gp is not None else 0) + (gs if gs is not None else 0)
        gb = (gp * a if gp is not None else 0) + (gs if gs is not None else 0)
        return ga, gb


def test_custom_function_forward_backward():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    assert y.tolist() == [2.0, 16.0]
    (y * 1).sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]
    assert st.autograd.gradcheck(lambda t: Cube.apply(t, 2.0), [leaf([0.3, -1.2])])


def test_custom_function_needs_input_grad_and_unused_output():
    a, b = leaf([1.0, 2.0]), st.tensor([3.0, 4.0], dtype=st.float64)
    p, s = TwoOut.apply(a, b)
    p.sum().backward()
    assert TwoOut.seen == (False, True, (True, False))
    assert a.grad.tolist() == [3.0, 4.0] and b.grad is None


def test_custom_function_without_grad_records_nothing():
    x = st.tensor([1.0, 2.0], dtype=st.float64)
    y = Cube.apply(x, 1.0)
    assert not y.requires_grad and y.grad_fn is None
    with st.no_grad():
        assert Cube.apply(leaf([1.0]), 1.0).grad_fn is None


def test_custom_function_wrong_gradient_count():
    class Bad(st.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x).sum().backward()


def test_custom_function_saved_tensor_modified_raises():
    x = leaf([1.0, 2.0])
    h = x * 1
    y = Cube.apply(h, 1.0)
    with st.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- a 2-layer MLP against a hand-derived numpy backward -------------------------------


def mlp_numpy(x, W1, b1, W2, b2, target, loss):
    """Forward and the hand-derived backward of  tanh(x W1 + b1) W2 + b2  in float64."""
    z1 = x @ W1 + b1
    h = np.tanh(z1)
    out = h @ W2 + b2
    n = x.shape[0]
    if loss == "mse":
        diff = out - target
        value = np.mean(diff ** 2)
        d_out = 2 * diff / diff.size
    else:  # cross-entropy with class indices, from log-softmax
        m = out.max(axis=1, keepdims=True)
        logz = m + np.log(np.exp(out - m).sum(axis=1, keepdims=True))
        logp = out - logz
        value = -np.mean(logp[np.arange(n), target])
        p = np.exp(logp)
        onehot = np.zeros_like(out)
        onehot[np.arange(n), target] = 1
        d_out = (p - onehot) / n
    dW2 = h.T @ d_out
    db2 = d_out.sum(axis=0)
    dh = d_out @ W2.T
    dz1 = dh * (1 - h ** 2)
    dW1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    return value, [dW1, db1, dW2, db2]


def mlp_steepest(x, params, target, loss):
    W1, b1, W2, b2 = params
    out = (x @ W1 + b1).tanh() @ W2 + b2
    if loss == "mse":
        return ((out - target) ** 2).mean()
    # log-softmax from primitives: out - max - log(sum(exp(out - max)))
    m = out.amax(1, keepdim=True).detach()
    logp = out - m - (out - m).exp().sum(1, keepdim=True).log()
    n = out.shape[0]
    onehot = st.tensor(np.eye(out.shape[1])[target], dtype=out.dtype)
    return -(logp * onehot).sum() / n


@pytest.mark.parametrize("loss", ["mse", "xent"])
@pytest.mark.parametrize("dtype", [st.float64, st.float32])
def test_two_layer_mlp_against_numpy_backward(loss, dtype):
    rng = np.random.default_rng(42)
    n, d, hdim, k = 7, 5, 16, 3
    x = rng.standard_normal((n, d))
    arrays = [rng.standard_normal((d, hdim)) * 0.5, rng.standard_normal(hdim) * 0.1,
              rng.standard_normal((hdim, k)) * 0.5, rng.standard_normal(k) * 0.1]
    target = rng.standard_normal((n, k)) if loss == "mse" else rng.integers(0, k, size=n)
    value, grads = mlp_numpy(x, *arrays, target, loss)
    params = [st.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    tgt = st.tensor(target, dtype=dtype) if loss == "mse" else target
    out = mlp_steepest(st.tensor(x, dtype=dtype), params, tgt, loss)
    tol = 1e-10 if dtype == st.float64 else 2e-5
    np.testing.assert_allclose(out.item(), value, rtol=tol)
    out.backward()
    for p, g, name in zip(params, grads, ["W1", "b1", "W2", "b2"]):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=tol * 10, atol=tol, err_msg=name)


# ---- errors for bad arguments ----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.integers(0, 4), min_size=0, max_size=3), hs.lists(hs.integers(0, 4), min_size=0, max_size=3),
       hs.sampled_from(["float32", "float64", "int64", "bool"]))
def test_backward_gradient_shape_or_dtype_mismatch(shape, gshape, gdtype):
    x = st.ones(shape, dtype=st.float64).requires_grad_()
    y = x * 2
    g = st.ones(gshape, dtype=getattr(st, gdtype))
    if tuple(gshape) != tuple(shape):
        with pytest.raises(ValueError, match="Mismatch in shape"):
            y.backward(g)
        with pytest.raises(ValueError, match="Mismatch in shape"):
            st.autograd.grad([y], [x], grad_outputs=[g])
    else:
        y.backward(g)  # other dtypes are cast to the output's
        assert x.grad.dtype == st.float64
        np.testing.assert_array_equal(x.grad.numpy(), 2 * np.asarray(g.numpy(), dtype=np.float64))


@settings(max_examples=40, deadline=None)
@given(hs.integers(0, 3), hs.integers(0, 3))
def test_grad_outputs_count_mismatch(n_out, n_grads):
    x = leaf([1.0, 2.0])
    outs = [x * (i + 1) for i in range(n_out)]
    grads = [st.ones(2, dtype=st.float64) for _ in range(n_grads)]
    if n_out == 0:
        with pytest.raises((ValueError, RuntimeError)):
            st.autograd.grad(outs, [x], grad_outputs=grads or None)
    elif n_grads and n_grads != n_out:
        with pytest.raises(ValueError, match="grad_outputs has"):
            st.autograd.grad(outs, [x], grad_outputs=grads)
    elif n_grads == n_out:
        (g,) = st.autograd.grad(outs, [x], grad_outputs=grads)
        assert g.tolist() == [sum(range(1, n_out + 1))] * 2


@pytest.mark.parametrize("bad", [3, "x", [1.0, 2.0], np.ones(2), object()])
def test_backward_bad_gradient_argument(bad):
    x = leaf([1.0, 2.0])
    with pytest.raises((TypeError, ValueError)):
        (x * 2).backward(bad)
    with pytest.raises((TypeError, ValueError)):
        st.autograd.grad([x * 2], [x], grad_outputs=[bad])


@pytest.mark.parametrize("bad", [3, "x", None, object()])
def test_grad_bad_inputs_argument(bad):
    x = leaf([1.0, 2.0])
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        st.autograd.grad((x * 2).sum(), bad)
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        st.autograd.grad(bad, [x])


def test_backward_of_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        st.tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        st.autograd.backward([st.tensor([1.0]).sum()])


def test_create_graph_not_supported_clearly():
    x = leaf([1.0])
    with pytest.raises(NotImplementedError, match="higher-order"):
        (x * 2).sum().backward(create_graph=True)
    with pytest.raises(NotImplementedError, match="higher-order"):
        st.autograd.grad((x * 2).sum(), [x], create_graph=True)


def test_integer_outputs_cannot_start_backward():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError):
        (x > 1).sum().backward()


def test_matches_torch_on_a_small_graph_with_reuse():
    """A diamond with reuse and in-place on a non-leaf, compared with torch."""
    a = np.array([0.3, -0.2, 0.9])

    def f(L, x):
        y = x * 2
        z = y.exp() + y.sin() * x
        z.mul_(y)
        return (z * z).sum() + L.maximum(z, y).mean()

    s, t = st.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    f(st, s).backward()
    f(torch, t).backward()
    np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_function_returning_none_for_an_input_that_requires_grad():
    """The node below then receives no gradient at all: it is skipped (it used to crash)."""
    class Blocked(st.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return None

    x = leaf([1.0, 2.0])
    h = x.exp()
    (Blocked.apply(h).sum() + x.sum()).backward()
    assert x.grad.tolist() == [1.0, 1.0]  # only the direct path
    y = leaf([1.0])
    Blocked.apply(y * 3).sum().backward()
    assert y.grad is None


def test_autograd_grad_runs_only_what_it_needs():
    """grad with respect to a non-leaf neither runs nor frees the graph below it (as torch):
    a later backward through that part still works."""
    x = leaf([1.0, 2.0])
    h = x.exp()
    out = (h * h).sum()
    (gh,) = st.autograd.grad(out, [h])
    np.testing.assert_allclose(gh.numpy(), 2 * np.exp([1.0, 2.0]))
    h.sum().backward()  # ExpBackward's saved output is still there
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))
    # and the part that was run is freed
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()


def test_bare_decorators():
    x = leaf([1.0])

    @st.no_grad
    def f():
        return x * 2

    @st.enable_grad
    def g():
        return x * 2

    assert not f().requires_grad
    with st.no_grad():
        assert g().requires_grad
    assert st.is_grad_enabled()


def test_custom_function_mark_non_differentiable():
    class SortLike(st.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            idx = (a > 0).to(a.dtype)
            ctx.mark_non_differentiable(idx)
            return a * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            assert g_idx is None
            return g * 2

    x = leaf([1.0, -1.0])
    y, idx = SortLike.apply(x)
    assert y.requires_grad and not idx.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
