"""LBFGS against torch.optim.LBFGS: the same closures from the same start (Rosenbrock, a small
logistic regression with two params), fixed step and strong-Wolfe line search, float64 and
float32, several step() calls so the history carries over; the iterates and losses agree to
rounding. Also: state_dict round trip, resuming, tolerances and bad arguments."""
import inspect

import numpy as np
import pytest
import torch

import steepest as st


def rosenbrock(lib, x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[2]) ** 2 + 100 * (x[3] - x[2] ** 2) ** 2


def _run_rosenbrock(lib, dtype, steps, **kw):
    x = lib.tensor(np.array([-1.5, 2.0, 0.3, -0.7], dtype=dtype), requires_grad=True)
    opt = lib.optim.LBFGS([x], **kw)
    path, losses = [], []

    def closure():
        opt.zero_grad()
        loss = rosenbrock(lib, x)
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(opt.step(closure).item())
        path.append(x.detach().numpy().copy())
    return np.array(path), np.array(losses), opt


def _logistic_data():
    rng = np.random.RandomState(0)
    x = rng.randn(80, 6)
    w = rng.randn(6, 1)
    y = (x @ w + 0.3 * rng.randn(80, 1) > 0).astype(np.float64)
    return x, y


def _run_logistic(lib, dtype, steps, **kw):
    xn, yn = _logistic_data()
    x, y = lib.tensor(xn.astype(dtype)), lib.tensor(yn.astype(dtype))
    w = lib.tensor(np.full((6, 1), 0.1, dtype), requires_grad=True)
    b = lib.tensor(np.zeros(1, dtype), requires_grad=True)
    opt = lib.optim.LBFGS([w, b], **kw)
    path, losses = [], []

    def closure():
        opt.zero_grad()
        z = x @ w + b
        loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y) + 1e-3 * (w * w).sum()
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(opt.step(closure).item())
        path.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy().ravel()]))
    return np.array(path), np.array(losses), opt


CASES = [dict(lr=1, max_iter=20, history_size=10, line_search_fn="strong_wolfe"),
         dict(lr=0.05, max_iter=10, history_size=5),
         dict(lr=1, max_iter=7, max_eval=9, history_size=3, line_search_fn="strong_wolfe")]
PROBLEMS = {"rosenbrock": (_run_rosenbrock, 6), "logistic": (_run_logistic, 4)}


def _first_state(opt):
    return opt.state[opt.param_groups[0]["params"][0]]


@pytest.mark.parametrize("kw", CASES)
@pytest.mark.parametrize("problem", PROBLEMS)
def test_lbfgs_follows_torch_in_float64(problem, kw):
    """Several step() calls (the history carries over). Dot products are summed in another
    order than torch's, so the iterates differ by rounding, which Rosenbrock's curvature
    (a 100x valley) amplifies over ~80 evaluations: hence its looser bound."""
    run, steps = PROBLEMS[problem]
    ours, our_losses, opt = run(st, np.float64, steps, **kw)
    theirs, their_losses, topt = run(torch, np.float64, steps, **kw)
    rtol = 1e-7 if problem == "rosenbrock" else 1e-9
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol, atol=rtol * 1e-2)
    s, ts = _first_state(opt), _first_state(topt)
    assert s["func_evals"] == ts["func_evals"] and s["n_iter"] == ts["n_iter"]
    assert len(s["old_dirs"]) == len(ts["old_dirs"])
    np.testing.assert_allclose(float(s["t"]), float(ts["t"]), rtol=rtol)
    np.testing.assert_allclose(s["d"].numpy(), ts["d"].numpy(), rtol=1e-5, atol=rtol)


@pytest.mark.parametrize("kw", CASES)
@pytest.mark.parametrize("problem", PROBLEMS)
def test_lbfgs_follows_torch_in_float32(problem, kw):
    """The first step() (up to 10 iterations): the scalars stay float32 0-d tensors as in
    torch, so the line search takes the same branches and the iterates agree to float32
    rounding (grown by the iterations); later, near the optimum, float32 noise decides the
    stopping tests, so whole runs are compared by their end point only (next test)."""
    run, _ = PROBLEMS[problem]
    kw = dict(kw, max_iter=min(kw["max_iter"], 10))
    ours, our_losses, opt = run(st, np.float32, 1, **kw)
    theirs, their_losses, topt = run(torch, np.float32, 1, **kw)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-6)
    assert _first_state(opt)["func_evals"] == _first_state(topt)["func_evals"]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_lbfgs_float32_reaches_torchs_optimum(problem):
    run, steps = PROBLEMS[problem]
    kw = dict(lr=1, max_iter=30, line_search_fn="strong_wolfe")
    ours, our_losses, _ = run(st, np.float32, steps, **kw)
    theirs, their_losses, _ = run(torch, np.float32, steps, **kw)
    np.testing.assert_allclose(ours[-1], theirs[-1], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(our_losses[-1], their_losses[-1], rtol=1e-4, atol=1e-6)


def test_lbfgs_converges_on_rosenbrock():
    path, _, _ = _run_rosenbrock(st, np.float64, 10, lr=1, max_iter=50, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(path[-1], np.ones(4), atol=1e-4)


def test_lbfgs_state_dict_resumes_the_same_trajectory():
    full, full_losses, _ = _run_logistic(st, np.float64, 4, lr=1, max_iter=5, line_search_fn="strong_wolfe")
    half, _, opt = _run_logistic(st, np.float64, 2, lr=1, max_iter=5, line_search_fn="strong_wolfe")
    sd = opt.state_dict()
    assert set(sd["state"][0]) >= {"func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
                                   "prev_flat_grad", "prev_loss"}
    assert sd["param_groups"][0]["line_search_fn"] == "strong_wolfe" and sd["param_groups"][0]["max_eval"] == 6
    xn, yn = _logistic_data()
    x, y = st.tensor(xn), st.tensor(yn)
    w = st.tensor(half[-1][:6].reshape(6, 1).copy(), requires_grad=True)
    b = st.tensor(half[-1][6:].copy(), requires_grad=True)
    opt2 = st.optim.LBFGS([w, b])
    opt2.load_state_dict(sd)

    def closure():
        opt2.zero_grad()
        loss = st.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y) + 1e-3 * (w * w).sum()
        loss.backward()
        return loss

    for i in (2, 3):
        assert float(opt2.step(closure)) == full_losses[i]
    np.testing.assert_array_equal(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()]), full[-1])


def test_lbfgs_stops_at_a_stationary_point_with_one_evaluation():
    x = st.tensor([1.0, 1.0, 1.0, 1.0], requires_grad=True)
    opt = st.optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = rosenbrock(st, x)
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0 and len(calls) == 1
    np.testing.assert_array_equal(x.detach().numpy(), np.ones(4))


def test_lbfgs_signature_and_errors():
    assert list(inspect.signature(st.optim.LBFGS).parameters) == list(inspect.signature(torch.optim.LBFGS).parameters)
    p = st.zeros(3, requires_grad=True)
    assert st.optim.LBFGS([p], max_iter=8).defaults["max_eval"] == 10
    with pytest.raises(ValueError, match="lr"):
        st.optim.LBFGS([p], lr=-1)
    with pytest.raises(ValueError, match="line_search_fn"):
        st.optim.LBFGS([p], line_search_fn="armijo")
    with pytest.raises(ValueError, match="history_size"):
        st.optim.LBFGS([p], history_size=0)
    with pytest.raises(ValueError, match="parameter groups"):
        st.optim.LBFGS([{"params": [p]}, {"params": [st.zeros(2, requires_grad=True)]}])
    with pytest.raises(ValueError, match="closure"):
        st.optim.LBFGS([p]).step()
