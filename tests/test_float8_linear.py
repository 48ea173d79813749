"""The FP8 training recipe: Float8Linear's forward and backward against a float64 numpy
reference that performs the recipe's casts itself (torch's rounding of the clamped values),
delayed scaling across steps, state_dict round trips, convert_to_float8_training, and a small
model trained in FP8 landing near its float32 twin."""
import numpy as np
import pytest
import torch

import steepest as st
import steepest.nn as nn

E4, E5 = 448.0, 57344.0


def q(x, scale, fmt):
    """The recipe's cast, done with torch: x * scale clamped to the finite range, rounded."""
    lim = E4 if fmt == "e4m3" else E5
    t = torch.from_numpy(np.asarray(x, np.float32) * np.float32(scale)).clamp(-lim, lim)
    return t.to(torch.float8_e4m3fn if fmt == "e4m3" else torch.float8_e5m2).double().numpy()


def scale_of(history, fp8_max, margin=0.0):
    m = float(np.max(history))
    return np.float32(fp8_max / m / 2 ** margin)


def test_forward_backward_match_the_recipe_in_float64():
    st.manual_seed(0)
    layer = nn.Float8Linear(48, 32, amax_history_len=4)
    x = st.randn(3, 5, 48) * 3
    x.requires_grad_(True)
    y = layer(x)
    xn, wn, bn = x.detach().numpy().reshape(-1, 48), layer.weight.detach().numpy(), layer.bias.detach().numpy()
    # fresh states take the current amax: scale = fp8_max / amax
    sx, sw = scale_of([np.abs(xn).max()], E4), scale_of([np.abs(wn).max()], E4)
    ref = (q(xn, sx, "e4m3") / sx) @ (q(wn, sw, "e4m3") / sw).T + bn
    assert y.dtype == st.float32 and tuple(y.shape) == (3, 5, 32)
    np.testing.assert_allclose(y.detach().numpy().reshape(-1, 32), ref, rtol=1e-5, atol=1e-5)
    # and the FP8 product is close to the float32 one (e4m3 has 3 mantissa bits)
    exact = xn @ wn.T + bn
    assert np.abs(ref - exact).max() < 0.1 * np.abs(exact).max()

    g = np.random.default_rng(1).standard_normal((15, 32)).astype(np.float32)
    y.backward(st.from_numpy(g.reshape(3, 5, 32)))
    sg = scale_of([np.abs(g).max()], E5)
    qg = q(g, sg, "e5m2") / sg
    np.testing.assert_allclose(x.grad.numpy().reshape(-1, 48), qg @ (q(wn, sw, "e4m3") / sw), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.weight.grad.numpy(), qg.T @ (q(xn, sx, "e4m3") / sx), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.numpy(), g.sum(0), rtol=1e-5, atol=1e-5)
    assert layer.weight.grad.dtype == st.float32  # the optimizer never sees FP8

    # the histories hold the amaxes, newest first; the scales are ready for the next step
    h = layer.fp8_amax_history_input.numpy()
    np.testing.assert_array_equal(h, np.array([np.abs(xn).max(), 0, 0, 0], np.float32))
    np.testing.assert_allclose(layer.fp8_scale_grad_output.numpy(), sg, rtol=1e-6)


def test_delayed_scaling_uses_the_history_and_margin():
    layer = nn.Float8Linear(16, 16, bias=False, amax_history_len=3, margin=1.0)
    with st.no_grad():
        layer.weight.copy_(st.eye(16) * 0.5)
    xs = [np.full((2, 16), v, np.float32) for v in (1.0, 4.0, 2.0, 0.5, 0.25)]
    hist = []
    scale = None
    for i, xv in enumerate(xs):
        y = layer(st.from_numpy(xv)).detach().numpy()
        amax = float(np.abs(xv).max())
        if i == 0:  # fresh: set from this input first
            hist = [amax]
            scale = scale_of(hist, E4, 1.0)
            used = scale
        else:
            used = scale
            hist = ([amax] + hist)[:3]
            scale = scale_of(hist, E4, 1.0)
        np.testing.assert_allclose(layer.fp8_scale_input.numpy(), scale, rtol=1e-6)
        sw = scale_of([0.5], E4, 1.0)
        ref = (q(xv, used, "e4m3") / used) @ (q(np.eye(16) * 0.5, sw, "e4m3") / sw).T
        np.testing.assert_allclose(y, ref, rtol=1e-6, err_msg=f"step {i}")
        np.testing.assert_array_equal(layer.fp8_amax_history_input.numpy(), np.array(hist + [0] * (3 - len(hist)),
                                                                                      np.float32))
    # step 1 cast 4.0 with the scale set from 1.0: 4 * (448 / 1 / 2) saturates to 448
    assert float(layer(st.from_numpy(np.full((1, 16), 1e6, np.float32))).abs().max()) < 1e6


def test_state_dict_round_trip_and_conversion():
    st.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
    params_before = [id(p) for p in model.parameters()]
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    nn.convert_to_float8_training(model, module_filter_fn=lambda m, fqn: fqn != "2")
    assert isinstance(model[0], nn.Float8Linear) and not isinstance(model[2], nn.Float8Linear)
    assert [id(p) for p in model.parameters()] == params_before  # the optimizer's tensors are the model's
    x = st.randn(4, 16)
    model(x).sum().backward()
    opt.step()
    sd = model.state_dict()
    for k in ("fp8_amax_history_input", "fp8_scale_input", "fp8_amax_history_weight", "fp8_scale_weight",
              "fp8_amax_history_grad_output", "fp8_scale_grad_output"):
        assert "0." + k in sd
    assert float(sd["0.fp8_amax_history_grad_output"][0]) > 0
    other = nn.convert_to_float8_training(nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8)),
                                          module_filter_fn=lambda m, fqn: fqn != "2")
    other.load_state_dict(sd)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy(), err_msg=k)
    with st.no_grad():
        np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())  # same weights, same scales
    assert "amax_history_len=16" in repr(model[0])


def test_bfloat16_master_weights_and_errors():
    layer = nn.Float8Linear(32, 16).bfloat16()  # the cast reaches the buffers; forward restores float32
    x = st.randn(8, 32).bfloat16().requires_grad_(True)
    y = layer(x)
    assert y.dtype == st.bfloat16
    y.float().sum().backward()
    assert layer.weight.grad.dtype == st.bfloat16 and x.grad.dtype == st.bfloat16
    assert layer.fp8_scale_input.dtype == st.float32 and layer.fp8_amax_history_grad_output.dtype == st.float32
    with pytest.raises(ValueError, match="cannot be multiplied"):
        layer(st.randn(8, 31).bfloat16())
    with pytest.raises(TypeError, match="same dtype"):
        layer(st.randn(8, 32))
    with pytest.raises(ValueError, match="amax_history_len must be a positive int"):
        nn.Float8Linear(4, 4, amax_history_len=0)
    with pytest.raises(ValueError, match="amax_history must be a contiguous 1-D float32"):
        st._core._float8_linear(st.randn(2, 4), st.randn(3, 4), None, st.zeros(2, 2), st.ones(()), st.zeros(2),
                                st.ones(()), st.zeros(2), st.ones(()))


def _train(fp8, steps=60):
    st.manual_seed(0)
    rng = np.random.default_rng(0)
    w_true = rng.standard_normal((32, 4)).astype(np.float32)
    X = rng.standard_normal((512, 32)).astype(np.float32)
    Y = np.tanh(X @ w_true) + 0.05 * rng.standard_normal((512, 4)).astype(np.float32)
    model = nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 4))
    if fp8:
        nn.convert_to_float8_training(model)
    opt = st.optim.Adam(model.parameters(), lr=3e-3)
    Xv, Yv = st.from_numpy(X[384:]), st.from_numpy(Y[384:])
    with st.no_grad():
        first = float(nn.functional.mse_loss(model(Xv), Yv))
    Xt, Yt = st.from_numpy(X[:384]), st.from_numpy(Y[:384])
    for _ in range(steps):
        idx = st.from_numpy(rng.integers(0, 384, 64))
        loss = nn.functional.mse_loss(model(Xt[idx]), Yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with st.no_grad():
        return first, float(nn.functional.mse_loss(model(Xv), Yv))


def test_fp8_training_lands_within_tolerance_of_float32():
    (start, base), (_, fp8) = _train(False), _train(True)
    assert base < 0.5 * start  # the model learned
    assert abs(fp8 - base) / base < 0.03, (base, fp8)  # about 1 % apart
