"""What Python optimizers written against torch's API call beyond the basics: the _foreach ops
torch.optim's own multi-tensor steps use (clamp_min_, reciprocal_, rsqrt_, minimum, log), the
creation keywords of zeros_like & co. (memory_format=preserve_format, device, requires_grad)
and torch.clone; values against torch."""
import numpy as np
import pytest
import torch

import steepest as st


def _lists(seed):
    rng = np.random.RandomState(seed)
    shapes = [(3,), (2, 2), ()]
    return [rng.uniform(0.2, 3.0, s).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("name, extra", [
    ("_foreach_clamp_min_", (1.0,)), ("_foreach_clamp_max_", (1.0,)), ("_foreach_reciprocal_", ()),
    ("_foreach_rsqrt_", ()), ("_foreach_log_", ()), ("_foreach_minimum_", "list"), ("_foreach_clamp_min_", "list"),
])
def test_more_foreach_ops_match_torch(name, extra):
    a, b = _lists(0), _lists(1)
    sa, ta = [st.tensor(x) for x in a], [torch.tensor(x) for x in a]
    sx = ([st.tensor(x) for x in b],) if extra == "list" else extra
    tx = ([torch.tensor(x) for x in b],) if extra == "list" else extra
    getattr(st, name)(sa, *sx)
    getattr(torch, name)(ta, *tx)
    for s, t in zip(sa, ta):
        np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6, err_msg=name)
    out_of_place = name[:-1]
    got = getattr(st, out_of_place)([st.tensor(x) for x in a], *sx)
    want = getattr(torch, out_of_place)([torch.tensor(x) for x in a], *tx)
    for s, t in zip(got, want):
        np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6, err_msg=out_of_place)


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like"])
def test_like_functions_take_torchs_keywords(fn):
    x = st.randn(3, 4)
    y = getattr(st, fn)(x, memory_format=st.preserve_format)
    assert y.shape == x.shape and y.dtype == x.dtype and not y.requires_grad
    z = getattr(st, fn)(x, dtype=st.float64, device="cpu", requires_grad=True)
    assert z.dtype == st.float64 and z.requires_grad and z.is_leaf
    if fn != "empty_like":
        assert float(z.sum()) == float(getattr(torch, fn)(torch.zeros(3, 4)).sum())
    w = st.full_like(x, 2.5, memory_format=st.contiguous_format)
    np.testing.assert_array_equal(w.numpy(), np.full((3, 4), 2.5, np.float32))
    with pytest.raises(NotImplementedError, match="channels_last"):
        getattr(st, fn)(st.ones(1, 2, 3, 4), memory_format=st.channels_last)


def test_clone_is_a_copy_autograd_sees():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    y = st.clone(x)
    assert y is not x and y.requires_grad
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    z = st.clone(x).detach()
    z.add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


def _python_sgd(lib):
    from importlib import import_module

    optimizer_mod = import_module(lib.__name__ + ".optim.optimizer")

    class PlainSGD(optimizer_mod.Optimizer):
        def __init__(self, params, lr=optimizer_mod.required, momentum=0.0):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        @lib.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    state["step"] = state.get("step", 0) + 1
                    p.add_(p.grad, alpha=-group["lr"] / state["step"])
    return PlainSGD


@pytest.mark.parametrize("lib", [st, torch], ids=["steepest", "torch"])
def test_python_optimizer_base_behaves_as_torchs(lib):
    """`required`, named params (param_names in the groups and the state_dict), and a Python
    number kept as a number through state_dict/load_state_dict: the same under both."""
    PlainSGD = _python_sgd(lib)
    model = lib.nn.Linear(3, 2)
    with pytest.raises(ValueError, match="lr"):
        PlainSGD(model.parameters())
    opt = PlainSGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"][0] is model.weight
    model(lib.ones(1, 3)).sum().backward()
    opt.step()
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["param_names"] == ["weight", "bias"] and sd["param_groups"][0]["params"] == [0, 1]
    assert sd["state"][0] == {"step": 2} and type(sd["state"][0]["step"]) is int
    opt2 = PlainSGD(model.named_parameters(), lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.state[model.weight] == {"step": 2} and opt2.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="names"):
        PlainSGD([("w", model.weight), model.bias], lr=0.1)


def test_python_optimizer_steps_like_torch():
    rng = np.random.RandomState(0)
    w0 = rng.randn(3, 3).astype(np.float32)
    got = []
    for lib in (st, torch):
        model = lib.nn.Linear(3, 3, bias=False)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(w0))
        opt = _python_sgd(lib)(model.named_parameters(), lr=0.3)
        for _ in range(5):
            opt.zero_grad()
            (model(lib.tensor(w0)) ** 2).mean().backward()
            opt.step()
        got.append(model.weight.detach().numpy().copy())
    np.testing.assert_allclose(got[0], got[1], rtol=1e-6)


@pytest.mark.parametrize("lib", [st, torch], ids=["steepest", "torch"])
@pytest.mark.parametrize("python_step", [True, False], ids=["python-step", "fused-step"])
def test_step_hooks_run_around_step_as_torchs(lib, python_step):
    model = lib.nn.Linear(3, 2)
    opt = _python_sgd(lib)(model.parameters(), lr=0.1) if python_step else lib.optim.SGD(model.parameters(), lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o is opt, len(a), a[0] is opt, dict(k))))
    opt.register_step_post_hook(lambda o, a, k: calls.append(("post", float(model.bias.detach().sum()))))
    model(lib.ones(1, 3)).sum().backward()
    opt.step()
    assert calls == [("pre", True, 1, True, {}), ("post", pytest.approx(float(model.bias.detach().sum())))]
    pre.remove()
    opt.step()
    assert [c[0] for c in calls] == ["pre", "post", "post"]
