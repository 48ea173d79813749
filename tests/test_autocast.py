"""st.autocast against torch.autocast on the CPU: the output dtype of every op steepest has in
torch's autocast lists (and a few that fall through), the values (both round to the autocast
dtype, so they agree to its rounding), the gradients reaching float32 weights; the region's
state (nesting, decorator, thread-locality, enabled=False, the legacy spellings), the cast
cache, custom_fwd/custom_bwd, bad arguments, and float16 training with GradScaler."""
import threading
import warnings

import numpy as np
import pytest
import torch

import steepest as st

# Each case: f(m, F, mk) with m the library (st or torch), F its nn.functional and mk(shape,
# dtype, kind) making the same tensor in either (same seeded draws in the same order).
CASES = {
    "matmul": lambda m, F, mk: mk((3, 4, 5)) @ mk((5, 6)),
    "matmul_1d": lambda m, F, mk: m.matmul(mk((5,)), mk((5, 3))),
    "mm": lambda m, F, mk: m.mm(mk((4, 5)), mk((5, 3))),
    "bmm": lambda m, F, mk: m.bmm(mk((2, 4, 5)), mk((2, 5, 3))),
    "mm_bf16_f32": lambda m, F, mk: m.mm(mk((4, 5), "bfloat16"), mk((5, 3))),
    "mm_f64": lambda m, F, mk: m.mm(mk((4, 5), "float64"), mk((5, 3), "float64")),
    "linear": lambda m, F, mk: F.linear(mk((3, 5)), mk((4, 5)), mk((4,))),
    "linear_nobias": lambda m, F, mk: F.linear(mk((2, 3, 5)), mk((4, 5))),
    "einsum": lambda m, F, mk: m.einsum("bij,jk->bik", mk((2, 3, 4)), mk((4, 5))),
    "conv1d": lambda m, F, mk: F.conv1d(mk((2, 3, 9)), mk((4, 3, 3)), mk((4,)), padding=1),
    "conv2d": lambda m, F, mk: F.conv2d(mk((2, 3, 6, 6)), mk((4, 3, 3, 3)), mk((4,)), stride=2),
    "conv_transpose1d": lambda m, F, mk: F.conv_transpose1d(mk((2, 3, 5)), mk((3, 4, 3)), mk((4,))),
    "conv_transpose2d": lambda m, F, mk: F.conv_transpose2d(mk((1, 3, 4, 4)), mk((3, 2, 3, 3)), None, stride=2),
    "sdpa": lambda m, F, mk: F.scaled_dot_product_attention(mk((2, 2, 5, 4)), mk((2, 2, 6, 4)), mk((2, 2, 6, 4))),
    "sdpa_causal_mask": lambda m, F, mk: F.scaled_dot_product_attention(mk((2, 5, 4)), mk((2, 5, 4)), mk((2, 5, 4)),
                                                                        attn_mask=mk((5, 5))),
    "prelu": lambda m, F, mk: F.prelu(mk((2, 3, 4)), mk((3,), kind="unit")),
    "mse_loss": lambda m, F, mk: F.mse_loss(mk((4, 5), "bfloat16"), mk((4, 5), "bfloat16")),
    "l1_loss": lambda m, F, mk: F.l1_loss(mk((4, 5), "bfloat16"), mk((4, 5))),
    "cross_entropy": lambda m, F, mk: F.cross_entropy(mk((6, 5), "bfloat16"), mk((6,), kind="int", high=5)),
    "cross_entropy_probs": lambda m, F, mk: F.cross_entropy(mk((6, 5), "bfloat16"), mk((6, 5), kind="unit")),
    "nll_loss": lambda m, F, mk: F.nll_loss(F.log_softmax(mk((6, 5), "bfloat16"), 1), mk((6,), kind="int", high=5)),
    "bce_with_logits": lambda m, F, mk: F.binary_cross_entropy_with_logits(mk((4, 3), "bfloat16"),
                                                                           mk((4, 3), "bfloat16", kind="unit")),
    "binary_cross_entropy": lambda m, F, mk: F.binary_cross_entropy(mk((4, 3), "bfloat16", kind="unit"),
                                                                    mk((4, 3), kind="unit")),
    "smooth_l1_loss": lambda m, F, mk: F.smooth_l1_loss(mk((4, 5), "bfloat16"), mk((4, 5), "bfloat16")),
    "huber_loss": lambda m, F, mk: F.huber_loss(mk((4, 5), "bfloat16"), mk((4, 5), "bfloat16")),
    "kl_div": lambda m, F, mk: F.kl_div(F.log_softmax(mk((4, 5), "bfloat16"), 1), mk((4, 5), "bfloat16", kind="unit"),
                                        reduction="batchmean"),
    "margin_ranking_loss": lambda m, F, mk: F.margin_ranking_loss(mk((6,), "bfloat16"), mk((6,), "bfloat16"),
                                                                  mk((6,), kind="sign")),
    "cosine_embedding_loss": lambda m, F, mk: F.cosine_embedding_loss(mk((4, 5), "bfloat16"), mk((4, 5), "bfloat16"),
                                                                      mk((4,), kind="sign")),
    "triplet_margin_loss": lambda m, F, mk: F.triplet_margin_loss(mk((4, 5), "bfloat16"), mk((4, 5), "bfloat16"),
                                                                  mk((4, 5), "bfloat16")),
    "cat_promote": lambda m, F, mk: m.cat([mk((2, 3), "bfloat16"), mk((1, 3))]),
    "cat_low": lambda m, F, mk: m.cat([mk((2, 3), "bfloat16"), mk((1, 3), "bfloat16")]),
    "cat_f64": lambda m, F, mk: m.cat([mk((2, 3), "bfloat16"), mk((1, 3), "float64")]),
    "stack_promote": lambda m, F, mk: m.stack([mk((2, 3)), mk((2, 3), "bfloat16")]),
    # not in torch's CPU lists: they run in their inputs' dtype
    "softmax": lambda m, F, mk: F.softmax(mk((3, 5), "bfloat16"), dim=-1),
    "log_softmax": lambda m, F, mk: F.log_softmax(mk((3, 5), "bfloat16"), dim=-1),
    "layer_norm": lambda m, F, mk: F.layer_norm(mk((3, 5), "bfloat16"), (5,)),
    "relu_f32": lambda m, F, mk: m.relu(mk((3, 5))),
    "exp_bf16": lambda m, F, mk: m.exp(mk((3, 5), "bfloat16")),
    "sum_bf16": lambda m, F, mk: mk((3, 5), "bfloat16").sum(),
    "add_mixed": lambda m, F, mk: mk((3, 5), "bfloat16") + mk((3, 5)),
    "gelu": lambda m, F, mk: F.gelu(mk((3, 5))),
}


def run(lib, case, ac_dtype="bfloat16", enabled=True):
    m, F = (st, st.nn.functional) if lib == "st" else (torch, torch.nn.functional)
    rng = np.random.default_rng(7)

    def mk(shape, dtype="float32", kind="normal", high=None):
        if kind == "int":
            return m.tensor(rng.integers(0, high, shape), dtype=m.int64)
        arr = {"normal": lambda: rng.standard_normal(shape), "unit": lambda: rng.uniform(0.05, 0.95, shape),
               "sign": lambda: rng.choice([-1.0, 1.0], shape)}[kind]()
        return m.tensor(arr.astype(np.float32), dtype=getattr(m, dtype))

    with m.autocast("cpu", dtype=getattr(m, ac_dtype), enabled=enabled):
        return CASES[case](m, F, mk)


def dtype_name(t):
    return str(t.dtype).split(".")[-1]


def values(t):
    return np.asarray(t.detach().double().tolist())


TOL = {"bfloat16": 2.0 ** -7, "float16": 2.0 ** -10, "float32": 1e-5, "float64": 1e-12}


@pytest.mark.parametrize("case", sorted(CASES))
def test_dtype_and_values_match_torch(case):
    out, ref = run("st", case), run("torch", case)
    assert dtype_name(out) == dtype_name(ref), case
    assert tuple(out.shape) == tuple(ref.shape)
    # Both round operands or intermediates to bfloat16 (a float32 loss may read bfloat16
    # log-probabilities); the float32 accumulations may differ in order. So allow two bfloat16
    # units in the last place, relative to the largest magnitude (sums cancel).
    r = values(ref)
    tol = 2 * TOL["bfloat16"] * max(1.0, float(np.abs(r).max()))
    np.testing.assert_allclose(values(out), r, rtol=0, atol=tol)


@pytest.mark.parametrize("case", ["matmul", "linear", "conv2d", "sdpa", "relu_f32", "einsum"])
def test_float16_autocast_matches_torch(case):
    out, ref = run("st", case, "float16"), run("torch", case, "float16")
    assert dtype_name(out) == dtype_name(ref)
    r = values(ref)
    np.testing.assert_allclose(values(out), r, rtol=0, atol=4 * TOL[dtype_name(ref)] * max(1.0, np.abs(r).max()))


@pytest.mark.parametrize("case", ["matmul", "linear", "mse_loss", "cat_promote", "conv1d"])
def test_disabled_region_is_a_no_op(case):
    out = run("st", case, enabled=False)
    with st.no_grad():
        plain = run("st", case, enabled=False)
    ref = run("torch", case, enabled=False)
    assert dtype_name(out) == dtype_name(ref) == dtype_name(plain)


def test_cast_between_float16_and_bfloat16_in_cat_is_refused_like_torch():
    a = st.ones(2, dtype=st.bfloat16)
    b = st.ones(2, dtype=st.float16)
    with st.autocast("cpu"), pytest.raises(RuntimeError, match="float16"):
        st.cat([a, b])
    with torch.autocast("cpu"), pytest.raises(RuntimeError):
        torch.cat([torch.ones(2, dtype=torch.bfloat16), torch.ones(2, dtype=torch.float16)])


def test_gradients_reach_float32_weights_like_torch():
    rng = np.random.default_rng(3)
    x, w1, b1, w2 = (rng.standard_normal(s).astype(np.float32) for s in [(8, 6), (5, 6), (5,), (3, 5)])
    y = rng.integers(0, 3, 8)
    grads = {}
    for m in (st, torch):
        F = m.nn.functional
        ps = [m.tensor(a, requires_grad=True) for a in (w1, b1, w2)]
        with m.autocast("cpu", dtype=m.bfloat16):
            h = F.relu(F.linear(m.tensor(x), ps[0], ps[1]))
            out = h @ ps[2].T
            loss = F.cross_entropy(out, m.tensor(y))
        assert dtype_name(out) == "bfloat16" and dtype_name(loss) == "float32"
        loss.backward()
        assert all(dtype_name(p.grad) == "float32" for p in ps)
        grads[m.__name__] = [values(p.grad) for p in ps]
    for g, r in zip(grads["steepest"], grads["torch"]):
        np.testing.assert_allclose(g, r, rtol=0, atol=4 * 2.0 ** -8 * max(1.0, np.abs(r).max()))


def _rnn_case(kind, cell=False):
    """One module of each library with the same weights, run under autocast on the same input."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    outs = []
    for m in (st, torch):
        mod = getattr(m.nn, kind + ("Cell" if cell else ""))(4, 5)
        with m.no_grad():
            for _, p in sorted(mod.named_parameters()):
                p.copy_(m.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
        rng = np.random.default_rng(5)
        rng.standard_normal((2, 3, 4))
        inp = m.tensor(x[0] if cell else x)
        try:
            with m.autocast("cpu", dtype=m.bfloat16):
                out = mod(inp)
        except RuntimeError as e:
            # torch runs a bfloat16 LSTM layer through oneDNN, which has no such primitive on CPUs
            # without AVX512 (AVX2-only machines): its reference is then the same module in float32
            # on bfloat16-rounded weights and input, rounded to bfloat16 like autocast's output.
            if m is st or "primitive descriptor" not in str(e):
                raise
            with torch.no_grad():
                for p in mod.parameters():
                    p.copy_(p.to(torch.bfloat16).float())
                out = mod(inp.to(torch.bfloat16).float())
            out = (out[0] if isinstance(out, tuple) else out).to(torch.bfloat16)
        outs.append(out[0] if isinstance(out, tuple) else out)
    return outs


@pytest.mark.parametrize("kind,cell", [("LSTM", False), ("GRU", False), ("RNN", False), ("LSTM", True),
                                       ("GRU", True)])
def test_recurrent_layers_follow_torch(kind, cell):
    out, ref = _rnn_case(kind, cell)
    assert dtype_name(out) == dtype_name(ref)
    r = values(ref)
    np.testing.assert_allclose(values(out), r, rtol=0, atol=6 * TOL["bfloat16"] * max(1.0, np.abs(r).max()))


def test_nn_modules_obey_autocast():
    lin = st.nn.Linear(6, 4)
    mha = st.nn.MultiheadAttention(8, 2, batch_first=True)
    x = st.randn(2, 3, 8)
    with st.autocast("cpu"):
        assert lin(st.randn(3, 6)).dtype == st.bfloat16
        out, attn = mha(x, x, x)
        assert out.dtype == st.bfloat16
    assert lin(st.randn(3, 6)).dtype == st.float32


def test_state_nesting_and_restore():
    assert not st.is_autocast_enabled("cpu")
    assert st.get_autocast_dtype("cpu") == st.bfloat16 and st.get_autocast_dtype("cuda") == st.float16
    x = st.randn(3, 3)
    with st.autocast("cpu"):
        assert st.is_autocast_enabled("cpu") and not st.is_autocast_enabled()  # no argument: CUDA's, as torch
        with st.autocast("cpu", enabled=False):
            assert not st.is_autocast_enabled("cpu")
            assert (x @ x).dtype == st.float32
            with st.autocast("cpu", dtype=st.float16):
                assert st.get_autocast_dtype("cpu") == st.float16
                assert (x @ x).dtype == st.float16
            assert st.get_autocast_dtype("cpu") == st.bfloat16
        assert st.is_autocast_enabled("cpu")
        assert (x @ x).dtype == st.bfloat16
    assert not st.is_autocast_enabled("cpu")
    assert (x @ x).dtype == st.float32
    # an exception leaving the region restores the state too
    with pytest.raises(ValueError), st.autocast("cpu"):
        raise ValueError("inside")
    assert not st.is_autocast_enabled("cpu")
    st.set_autocast_enabled("cpu", True)
    try:
        assert (x @ x).dtype == st.bfloat16
    finally:
        st.set_autocast_enabled("cpu", False)
    assert st.amp.autocast is st.autocast


def test_decorator_and_reentry():
    ac = st.autocast("cpu")

    @ac
    def f(a, depth):
        inner = f(a, depth - 1) if depth else None
        return (a @ a).dtype, inner, st.is_autocast_enabled("cpu")

    x = st.randn(2, 2)
    dt, inner, on = f(x, 2)
    assert dt == st.bfloat16 and on and inner[0] == st.bfloat16
    assert not st.is_autocast_enabled("cpu")
    with ac:  # the same object as a context manager as well
        assert (x @ x).dtype == st.bfloat16
    assert f.__name__ == "f"


def test_thread_starts_with_autocast_off():
    seen = []
    with st.autocast("cpu"):
        t = threading.Thread(target=lambda: seen.append((st.is_autocast_enabled("cpu"),
                                                          (st.randn(2, 2) @ st.randn(2, 2)).dtype)))
        t.start()
        t.join()
        assert st.is_autocast_enabled("cpu")
    assert seen == [(False, st.float32)]


def test_cache_casts_a_weight_once_and_tracks_versions():
    w = st.randn(4, 4, requires_grad=True)
    x = st.randn(3, 4)
    assert st._core._autocast_cache_size() == 0
    with st.autocast("cpu"):
        y1 = x @ w
        assert st._core._autocast_cache_size() == 1
        y2 = x @ w  # the cached cast: no new entry
        assert st._core._autocast_cache_size() == 1
        with st.autocast("cpu"):  # a nested region shares the cache
            y3 = x @ w
        assert st._core._autocast_cache_size() == 1
        x @ st.randn(4, 4)  # not a leaf requiring grad: not cached
        assert st._core._autocast_cache_size() == 1
        with st.no_grad():
            w.mul_(2.0)  # an in-place update (an optimizer step) bumps the version: recast
        y4 = x @ w
        assert st._core._autocast_cache_size() == 1
    assert st._core._autocast_cache_size() == 0
    ref = x.double() @ w.detach().double()
    np.testing.assert_allclose(values(y4), values(ref), rtol=0, atol=0.05 * max(1, np.abs(values(ref)).max()))
    np.testing.assert_allclose(values(y1) * 2, values(y4), rtol=0, atol=0.05 * max(1, np.abs(values(ref)).max()))
    (y1.float().sum() + y2.float().sum() + y3.float().sum()).backward()
    # three uses through one cached cast: the gradient is 3 x^T 1, in float32
    assert w.grad.dtype == st.float32
    expect = 3 * x.double().sum(0).reshape(4, 1).expand(4, 4)
    np.testing.assert_allclose(values(w.grad), values(expect), rtol=0.02, atol=0.02)


def test_cache_disabled_region_caches_nothing():
    w = st.randn(4, 4, requires_grad=True)
    with st.autocast("cpu", cache_enabled=False):
        st.randn(2, 4) @ w
        assert st._core._autocast_cache_size() == 0


class _ScaledMatmul(st.autograd.Function):
    @staticmethod
    @st.amp.custom_fwd(device_type="cpu", cast_inputs=st.float32)
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.fwd_state = (st.is_autocast_enabled("cpu"), a.dtype, b.dtype)
        return a @ b

    @staticmethod
    @st.amp.custom_bwd(device_type="cpu")
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ctx.bwd_state = st.is_autocast_enabled("cpu")
        return g @ b.T, a.T @ g


class _PlainMatmul(st.autograd.Function):
    @staticmethod
    @st.amp.custom_fwd(device_type="cpu")
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    @st.amp.custom_bwd(device_type="cpu")
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        states.append((st.is_autocast_enabled("cpu"), st.get_autocast_dtype("cpu")))
        return (g @ b.T).to(a.dtype), (a.T @ g).to(b.dtype)


states: list = []


def test_custom_fwd_casts_inputs_and_runs_without_autocast():
    a = st.randn(3, 4, dtype=st.bfloat16, requires_grad=True)
    b = st.randn(4, 2, requires_grad=True)
    with st.autocast("cpu"):
        out = _ScaledMatmul.apply(a, b)
    assert out.dtype == st.float32
    out.sum().backward()
    assert a.grad.dtype == st.bfloat16 and b.grad.dtype == st.float32
    # outside autocast, cast_inputs does nothing
    with pytest.raises(TypeError):
        _ScaledMatmul.apply(a, b)  # bfloat16 @ float32 is refused by matmul, as torch's


def test_custom_bwd_runs_in_the_forward_state():
    states.clear()
    a = st.randn(3, 4, requires_grad=True)
    b = st.randn(4, 2, requires_grad=True)
    with st.autocast("cpu", dtype=st.float16):
        out = _PlainMatmul.apply(a, b)
    assert out.dtype == st.float16
    out.float().sum().backward()  # outside the region: backward re-enters the forward's state
    assert states == [(True, st.float16)]
    out = _PlainMatmul.apply(a, b)
    out.sum().backward()
    assert states[-1][0] is False


def test_legacy_spellings_warn_like_torch():
    x = st.randn(2, 2)
    with pytest.warns(FutureWarning, match="deprecated"):
        ac = st.cpu.amp.autocast()
    with ac:
        assert (x @ x).dtype == st.bfloat16
    if not st.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                cac = st.cuda.amp.autocast()
        with cac:
            assert not st.is_autocast_enabled("cuda")
            assert (x @ x).dtype == st.float32
        with pytest.warns(UserWarning, match="CUDA is not available"):
            st.autocast("cuda")


@pytest.mark.parametrize("dtype", [st.int32, st.float32, st.float64])
def test_unsupported_dtype_warns_and_disables(dtype):
    x = st.randn(2, 2)
    with pytest.warns(UserWarning, match="not supported. Disabling autocast"):
        ac = st.autocast("cpu", dtype=dtype)
    with ac:
        assert not st.is_autocast_enabled("cpu")
        assert (x @ x).dtype == st.float32


def test_bad_arguments_raise():
    with pytest.raises(RuntimeError, match="tpu"):
        st.autocast("tpu")
    with pytest.raises(RuntimeError):
        torch.autocast("tpu")
    with pytest.raises(ValueError, match="device_type"):
        st.autocast(3)
    with pytest.raises(TypeError, match="enabled"):
        st.autocast("cpu", enabled=1)
    with pytest.raises(RuntimeError, match="tpu"):
        st.is_autocast_enabled("tpu")
    with pytest.raises(ValueError, match="bfloat16 or float16"):
        st.set_autocast_dtype("cpu", st.float32)
    with pytest.raises(TypeError):
        st.amp.custom_fwd(lambda ctx: 0)  # device_type is required, as torch's


def test_float16_training_with_grad_scaler():
    rng = np.random.default_rng(0)
    X = st.tensor(rng.standard_normal((64, 8)).astype(np.float32))
    true_w = rng.standard_normal((8, 1)).astype(np.float32)
    Y = X @ st.tensor(true_w)
    model = st.nn.Sequential(st.nn.Linear(8, 16), st.nn.Tanh(), st.nn.Linear(16, 1))
    opt = st.optim.Adam(model.parameters(), lr=0.01)
    scaler = st.amp.GradScaler(init_scale=2.0 ** 10)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        with st.autocast("cpu", dtype=st.float16):
            out = model(X)
            loss = st.nn.functional.mse_loss(out, Y)
        assert out.dtype == st.float16 and loss.dtype == st.float32
        scaler.scale(loss).backward()
        assert all(p.grad.dtype == st.float32 for p in model.parameters())
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]


def test_bfloat16_training_tracks_float32():
    """A few dozen AdamW steps of a digits MLP from one init on the same batches: autocast
    bfloat16's losses stay within 5 % of float32's (examples/autocast_accuracy.py runs longer
    with a 2 % bound on the validation loss)."""
    import copy
    X, y = st.datasets.load_digits()
    rng = np.random.default_rng(0)
    Xf = X.astype(np.float32)  # already scaled to [0, 1]
    batches = [rng.choice(len(X), 64, replace=False) for _ in range(40)]
    st.manual_seed(0)
    init = st.nn.Sequential(st.nn.Linear(64, 128), st.nn.ReLU(), st.nn.Linear(128, 10))
    finals = {}
    for ac in (False, True):
        model = copy.deepcopy(init)
        opt = st.optim.AdamW(model.parameters(), lr=1e-2)
        for b in batches:
            opt.zero_grad()
            with st.autocast("cpu", enabled=ac):
                out = model(st.tensor(Xf[b]))
                loss = st.nn.functional.cross_entropy(out, st.tensor(y[b].astype(np.int64)))
            assert out.dtype == (st.bfloat16 if ac else st.float32)
            loss.backward()
            opt.step()
        with st.no_grad():
            finals[ac] = st.nn.functional.cross_entropy(model(st.tensor(Xf)), st.tensor(y.astype(np.int64))).item()
    assert finals[False] < 0.5, finals  # it trained (chance is ln 10 = 2.3)
    assert abs(finals[True] - finals[False]) <= 0.05 * finals[False], finals


@pytest.mark.parametrize("ac_dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("leaf", [True, False])
def test_linear_weight_and_bias_gradients_are_float32_products(ac_dtype, leaf):
    """Under autocast linear's float32 weight and bias get gradients summed in float32 from the
    16-bit operands, not rounded to 16 bits first (the f64 reference is the same sums of the
    rounded operands; a gradient rounded to 16 bits misses it by up to half a 16-bit ulp)."""
    import ml_dtypes

    rng = np.random.default_rng(11)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in [(33, 20), (7, 20), (7,)])
    g = rng.standard_normal((33, 7)).astype(np.float32)
    low = {"bfloat16": ml_dtypes.bfloat16, "float16": np.float16}[ac_dtype]
    xr, gr = (a.astype(low).astype(np.float64) for a in (x, g))
    ref_w, ref_b = gr.T @ xr, gr.sum(0)
    ref_x = gr @ w.astype(low).astype(np.float64)

    wp, bp, xt = st.tensor(w, requires_grad=True), st.tensor(b, requires_grad=True), st.tensor(x, requires_grad=True)
    with st.autocast("cpu", dtype=getattr(st, ac_dtype)):
        wu, bu = (wp, bp) if leaf else (wp * 1.0, bp + 0.0)  # a computed weight takes the same path
        out = st.nn.functional.linear(xt, wu, bu)
    assert dtype_name(out) == ac_dtype
    out.backward(st.tensor(g).to(getattr(st, ac_dtype)))
    assert wp.grad.dtype == st.float32 and bp.grad.dtype == st.float32
    # float32 sums of 33 products: far inside a 16-bit rounding (2^-9 relative for bfloat16)
    bound_w = 33 * 2.0 ** -23 * (np.abs(gr).T @ np.abs(xr)) + 1e-30
    bound_b = 33 * 2.0 ** -23 * np.abs(gr).sum(0)
    assert np.all(np.abs(values(wp.grad) - ref_w) <= bound_w)
    assert np.all(np.abs(values(bp.grad) - ref_b) <= bound_b)
    # the input's gradient stays in the input's dtype (float32 here, through the 16-bit product)
    np.testing.assert_allclose(values(xt.grad), ref_x, rtol=0, atol=2 * TOL[ac_dtype] * np.abs(ref_x).max())


def test_weight_shared_by_linear_and_matmul_sums_both_gradients():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    w = rng.standard_normal((4, 6)).astype(np.float32)
    grads = {}
    for m in (st, torch):
        wp = m.tensor(w, requires_grad=True)
        with m.autocast("cpu", dtype=m.bfloat16):
            y = m.nn.functional.linear(m.tensor(x), wp) + (m.tensor(x) @ wp.T) * 2
        y.float().sum().backward()
        grads[m.__name__] = values(wp.grad)
    import ml_dtypes

    ref = 3 * np.ones((5, 4)).T @ x.astype(ml_dtypes.bfloat16).astype(np.float64)
    np.testing.assert_allclose(grads["steepest"], ref, rtol=2.0 ** -7)
    np.testing.assert_allclose(grads["steepest"], grads["torch"], rtol=2.0 ** -7)
