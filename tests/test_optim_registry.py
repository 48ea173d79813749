"""The optimizer rule registry: every rule the C++ core registers has its st.optim class and
every class names a registered rule; the constructors built from the C++ descriptions have
torch.optim's signatures (names, kinds, defaults) for the rules torch has; the descriptions'
state names are the keys the steps create; the generic step equals the rule's own."""
import inspect

import numpy as np
import pytest
import torch

import steepest as st

# Arguments steepest adds to torch's signatures (mixed precision; Muon's iteration dtype).
EXTRAS = {"master_weights", "state_dtype", "stochastic_rounding", "sr_seed", "ns_dtype"}
TORCH_RULES = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "NAdam", "RAdam", "Adamax", "Adafactor", "Muon",
               "Adadelta"]


def _rule_classes():
    out = {}
    for name in dir(st.optim):
        cls = getattr(st.optim, name)
        if isinstance(cls, type) and issubclass(cls, st.optim.Optimizer) and cls._rule is not None:
            out[name] = cls
    return out


def test_every_registered_rule_has_a_class_and_every_class_a_rule():
    classes = _rule_classes()
    assert {c._rule for c in classes.values()} == set(st.optim.RULES)
    for cls in classes.values():
        assert cls._state_names == tuple(st.optim.RULES[cls._rule]["state"])


def test_a_class_naming_an_unknown_rule_fails_at_definition():
    with pytest.raises(ImportError, match="no registered C\\+\\+ rule 'Nope'.*registered: .*Adam"):
        class Nope(st.optim.Optimizer, rule="Nope"):
            pass


@pytest.mark.parametrize("name", TORCH_RULES)
def test_constructor_signature_is_torchs(name):
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    ours = {k: p for k, p in inspect.signature(getattr(st.optim, name)).parameters.items() if k not in EXTRAS}
    assert set(ours) == set(theirs)
    positional = [k for k, p in theirs.items() if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert [k for k, p in ours.items() if p.kind == p.POSITIONAL_OR_KEYWORD] == positional
    for k, p in theirs.items():
        assert ours[k].kind == p.kind, k
        if p.default is not inspect.Parameter.empty:
            assert ours[k].default == p.default, k


@pytest.mark.parametrize("name, kw", [("Adam", dict(amsgrad=True)), ("RMSprop", dict(momentum=0.9, centered=True)),
                                      ("NAdam", {}), ("SGD", dict(momentum=0.9)), ("Adagrad", {})])
def test_state_keys_are_torchs(name, kw):
    """The description's state names are what torch's step creates, for the same configuration."""
    rng = np.random.RandomState(0)
    a = rng.randn(3, 4).astype(np.float32)
    p = st.tensor(a, requires_grad=True)
    tp = torch.tensor(a, requires_grad=True)
    p.grad = st.ones(3, 4)
    tp.grad = torch.ones(3, 4)
    opt = getattr(st.optim, name)([p], **kw)
    topt = getattr(torch.optim, name)([tp], **kw)
    opt.step()
    topt.step()
    assert set(opt.state[p]) == set(topt.state[tp])


def test_generic_step_equals_the_class_step():
    rng = np.random.RandomState(1)
    a = rng.randn(257).astype(np.float32)
    g = rng.randn(257).astype(np.float32)
    p1, p2 = st.tensor(a, requires_grad=True), st.tensor(a, requires_grad=True)
    opt = st.optim.AdamW([p1], lr=1e-2)
    for _ in range(3):
        p1.grad = st.tensor(g)
        opt.step()
    group = {"lr": 1e-2, "weight_decay": 1e-2, "decoupled_weight_decay": True}
    lists = st._core._TensorLists([[p2], [None], [None], [None], [None]])
    for _ in range(3):
        p2.grad = st.tensor(g)
        st._core._optim_step("Adam", lists, group)
    np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())


def test_group_scalars_are_written_back():
    p = st.zeros(4, requires_grad=True)
    opt = st.optim.ScheduleFreeAdamW([p], lr=1e-2, warmup_steps=2)
    opt.train()
    for _ in range(3):
        p.grad = st.ones(4)
        opt.step()
    g = opt.param_groups[0]
    assert g["k"] == 3 and isinstance(g["k"], int)
    assert g["scheduled_lr"] == pytest.approx(1e-2) and g["lr_max"] == pytest.approx(1e-2)


def test_unknown_rule_and_bad_hyperparameter_types_are_clear():
    lists = st._core._TensorLists([[st.zeros(2, requires_grad=True)]])
    with pytest.raises(ValueError, match="unknown optimizer rule 'Adum'.*Adam"):
        st._core._optim_step("Adum", lists, {})
    with pytest.raises(TypeError, match="Invalid lr: 'fast' \\(lr must be a number\\)"):
        st._core._optim_step("SGD", lists, {"lr": "fast"})
    with pytest.raises(ValueError, match="adjust_lr_fn.*must be one of"):
        st._core._optim_step("Muon", st._core._TensorLists([[st.zeros(2, 2, requires_grad=True)], [None]]),
                             {"adjust_lr_fn": "fastest"})
