"""Gradient checkpointing (st.utils.checkpoint): the same gradients as running the block
normally (for its arguments and for parameters it closes over, with and without random ops),
and less peak memory, measured with the allocator's live-byte counters."""
import gc

import numpy as np
import pytest

import steepest as st
from steepest.utils import checkpoint


def params(seed, shapes, dtype=st.float64):
    rng = np.random.default_rng(seed)
    return [st.tensor(rng.standard_normal(s) * 0.4, dtype=dtype, requires_grad=True) for s in shapes]


def block(x, W, b):
    return ((x @ W + b).tanh() @ W).sigmoid() * x


def grads_of(ts):
    return [None if t.grad is None else t.grad.numpy().copy() for t in ts]


def run(use_ckpt, seed=0):
    W, b = params(seed, [(4, 4), (4,)])
    x = st.tensor(np.random.default_rng(seed + 1).standard_normal((3, 4)), dtype=st.float64, requires_grad=True)
    h = x * 1.5
    h = checkpoint(block, h, W, b) if use_ckpt else block(h, W, b)
    h = checkpoint(block, h, W, b) if use_ckpt else block(h, W, b)
    loss = (h * h).sum()
    loss.backward()
    return loss.item(), grads_of([x, W, b])


def test_same_value_and_grads_as_without():
    v0, g0 = run(False)
    v1, g1 = run(True)
    assert v0 == v1
    for a, b in zip(g0, g1):
        np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-15)


def test_closed_over_parameters_only():
    """No argument requires grad: the parameters the function closes over still get grads."""
    (W,) = params(3, [(4, 4)])
    x = st.tensor(np.random.default_rng(4).standard_normal((2, 4)), dtype=st.float64)

    def f(t):
        return (t @ W).tanh()

    checkpoint(f, x).sum().backward()
    g_ckpt = W.grad.numpy().copy()
    W.grad = None
    f(x).sum().backward()
    np.testing.assert_allclose(g_ckpt, W.grad.numpy(), rtol=1e-13)
    assert x.grad is None


def dropout_block(x, W):
    keep = (st.rand(*x.shape, dtype=x.dtype) > 0.3).to(x.dtype)
    return (x @ W).tanh() * keep / 0.7


def test_random_ops_replay_the_same_numbers():
    """With preserve_rng_state (the default) the recomputation draws the same dropout mask."""
    def go(use_ckpt):
        st.manual_seed(123)
        (W,) = params(5, [(5, 5)])
        x = st.tensor(np.random.default_rng(6).standard_normal((4, 5)), dtype=st.float64, requires_grad=True)
        h = checkpoint(dropout_block, x, W) if use_ckpt else dropout_block(x, W)
        after = st.rand(3)  # the forward's draws moved the generator on: later ops see that
        (h.sum() * 2).backward()
        return h.detach().numpy().copy(), grads_of([x, W]), after.tolist(), st.rand(2).tolist()

    h0, g0, a0, r0 = go(False)
    h1, g1, a1, r1 = go(True)
    np.testing.assert_array_equal(h0, h1)
    assert a0 == a1
    assert r0 == r1  # backward's replay didn't disturb the generator's state
    for a, b in zip(g0, g1):
        np.testing.assert_allclose(b, a, rtol=1e-13)


def test_without_preserving_rng_state_masks_differ():
    st.manual_seed(7)
    (W,) = params(8, [(6, 6)])
    x = st.tensor(np.ones((20, 6)), dtype=st.float64, requires_grad=True)
    h = checkpoint(dropout_block, x, W, preserve_rng_state=False)
    h.sum().backward()
    st.manual_seed(7)
    x2 = st.tensor(np.ones((20, 6)), dtype=st.float64, requires_grad=True)
    W.grad = None
    dropout_block(x2, W).sum().backward()
    assert not np.allclose(x.grad.numpy(), x2.grad.numpy())


def test_under_no_grad_just_calls_the_function():
    (W,) = params(9, [(3, 3)])
    with st.no_grad():
        out = checkpoint(lambda t: t @ W, st.ones(2, 3, dtype=st.float64))
    assert not out.requires_grad


def test_several_outputs_and_non_tensor_arguments():
    (W,) = params(10, [(3, 3)])
    x = st.tensor(np.arange(6.0).reshape(2, 3) / 10, dtype=st.float64, requires_grad=True)

    def f(t, k, scale=1.0):
        y = t @ W
        return y * k * scale, y.exp(), (y > 0)

    a, b, mask = checkpoint(f, x, 2.0, scale=0.5)
    assert not mask.requires_grad
    (a.sum() + b.sum()).backward()
    g_ckpt = grads_of([x, W])
    x.grad, W.grad = None, None
    a, b, _ = f(x, 2.0, scale=0.5)
    (a.sum() + b.sum()).backward()
    for p, q in zip(g_ckpt, grads_of([x, W])):
        np.testing.assert_allclose(p, q, rtol=1e-13)


def test_checkpointed_graph_is_freed_after_backward():
    (W,) = params(11, [(3, 3)])
    x = st.tensor(np.ones((2, 3)), dtype=st.float64, requires_grad=True)
    y = checkpoint(lambda t: (t @ W).exp(), x).sum() * 1.0
    y.backward(retain_graph=True)
    y.backward()  # the block is recomputed each time
    g = W.grad.numpy().copy()
    W.grad = None
    (x @ W).exp().sum().backward()
    np.testing.assert_allclose(g, 2 * W.grad.numpy(), rtol=1e-13)


# ---- memory ----------------------------------------------------------------------------


def deep_model(blocks, width, layers_per_block):
    rng = np.random.default_rng(0)
    return [[st.tensor(rng.standard_normal((width, width)) / np.sqrt(width), dtype=st.float32, requires_grad=True)
             for _ in range(layers_per_block)] for _ in range(blocks)]


def run_block(h, Ws):
    for W in Ws:
        h = (h @ W).tanh()
    return h


def peak_bytes(use_ckpt, model, x):
    gc.collect()
    base = st.memory_allocated()
    st.reset_peak_memory_stats()
    h = x
    for Ws in model:
        h = checkpoint(run_block, h, Ws) if use_ckpt else run_block(h, Ws)
    after_forward = st.memory_allocated() - base
    h.sum().backward()
    peak = st.max_memory_allocated() - base
    grads = [W.grad.numpy().copy() for Ws in model for W in Ws]
    for Ws in model:
        for W in Ws:
            W.grad = None
    del h
    return peak, after_forward, grads


def test_memory_counters_track_live_tensors():
    gc.collect()
    base = st.memory_allocated()
    st.reset_peak_memory_stats()
    assert st.max_memory_allocated() == base
    t = st.empty(1 << 18)  # 1 MiB of float32
    assert st.memory_allocated() - base >= 1 << 20
    u = st.empty(1 << 18)
    peak = st.max_memory_allocated()
    assert peak - base >= 2 << 20
    del t, u
    gc.collect()
    assert st.memory_allocated() == base  # cached blocks don't count as allocated
    assert st.max_memory_allocated() == peak
    st.reset_peak_memory_stats()
    assert st.max_memory_allocated() == base


def test_checkpointing_a_deep_model_lowers_peak_memory():
    """8 blocks of 6 layers, 1024x64 activations (weights small beside them): plain backward
    keeps every layer's activations; checkpointing keeps the 8 block outputs plus one
    block's worth while that block is recomputed."""
    model = deep_model(blocks=8, width=64, layers_per_block=6)
    x = st.tensor(np.random.default_rng(1).standard_normal((1024, 64)), dtype=st.float32)
    x.requires_grad_()
    peak_plain, fwd_plain, g_plain = peak_bytes(False, model, x)
    x.grad = None
    peak_ckpt, fwd_ckpt, g_ckpt = peak_bytes(True, model, x)
    act = 1024 * 64 * 4
    print(f"\npeak plain {peak_plain / 2**20:.1f} MiB, checkpointed {peak_ckpt / 2**20:.1f} MiB; "
          f"after forward {fwd_plain / 2**20:.1f} vs {fwd_ckpt / 2**20:.1f} MiB")
    assert fwd_plain >= 48 * act  # every layer's output is kept (matmul's input, tanh's output)
    assert fwd_ckpt <= 10 * act   # the block outputs only
    assert peak_ckpt < 0.6 * peak_plain
    for a, b in zip(g_plain, g_ckpt):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_function_returning_no_tensor_is_a_type_error():
    with pytest.raises(TypeError):
        checkpoint(lambda: 1)  # the function's result must be tensors
