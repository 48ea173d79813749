"""The flat arena (st.optim.flatten_): params and grads become views of one buffer per dtype,
param identity is kept, backward accumulates into the arena, zero_grad is one fill, and every
optimizer step is bit-identical to the tensor-list path (row merging included)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as hst

import steepest as st

RULES = {
    "SGD": lambda ps: st.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2),
    "Adam": lambda ps: st.optim.Adam(ps, lr=1e-2, amsgrad=True),
    "AdamW": lambda ps: st.optim.AdamW(ps, lr=1e-2),
    "Adagrad": lambda ps: st.optim.Adagrad(ps, lr=1e-2, initial_accumulator_value=0.1),
    "RMSprop": lambda ps: st.optim.RMSprop(ps, lr=1e-3, centered=True, momentum=0.5),
    "NAdam": lambda ps: st.optim.NAdam(ps, lr=1e-2),
    "RAdam": lambda ps: st.optim.RAdam(ps, lr=1e-2),
    "Adamax": lambda ps: st.optim.Adamax(ps, lr=1e-2),
    "Lion": lambda ps: st.optim.Lion(ps, lr=1e-3, weight_decay=0.1),
}


def make(shapes, seed, dtype=st.float32):
    rng = np.random.RandomState(seed)
    return [st.nn.Parameter(st.from_numpy(np.asarray(rng.randn(*s), np.float32)).to(dtype)) for s in shapes]


def raw(t):
    t = t.detach()
    return (t.to(st.float32) if t.dtype == st.bfloat16 else t).numpy().tobytes()


@settings(max_examples=12, deadline=None)
@given(shapes=hst.lists(hst.sampled_from([(), (1,), (7,), (1003,), (4097,), (3, 5, 7), (40000,)]),
                        min_size=1, max_size=6),
       rule=hst.sampled_from(sorted(RULES)), threads=hst.sampled_from([1, 2]))
def test_arena_step_bitwise_equals_list_path(shapes, rule, threads):
    before = st.get_num_threads()
    st.set_num_threads(threads)
    try:
        a, b = make(shapes, 0), make(shapes, 0)
        oa, ob = RULES[rule](a), RULES[rule](b)
        arena = st.optim.flatten_(ob)
        assert all(p.is_contiguous() for p in b)
        rng = np.random.RandomState(1)
        for _ in range(5):
            ob.zero_grad()
            for p, q in zip(a, b):
                g = np.asarray(rng.randn(*tuple(p.shape)), np.float32)
                p.grad = st.from_numpy(g.copy())
                with st.no_grad():
                    q.grad.copy_(st.from_numpy(g.copy()))  # written into the arena
            oa.step()
            ob.step()
        for p, q in zip(a, b):
            assert raw(p) == raw(q)
            for k, v in oa.state[p].items():
                assert raw(v) == raw(ob.state[q][k]), k
        total = sum(int(np.prod(s)) for s in shapes)
        assert arena.param_buffers[0].numel() == total
    finally:
        st.set_num_threads(before)


def test_identity_views_and_backward_accumulates_into_the_arena():
    model = st.nn.Sequential(st.nn.Linear(5, 4), st.nn.ReLU(), st.nn.Linear(4, 3))
    params = list(model.parameters())
    ids = [id(p) for p in params]
    values = [p.detach().numpy().copy() for p in params]
    opt = st.optim.SGD(params, lr=0.1, momentum=0.9)
    arena = st.optim.flatten_(opt)
    assert [id(p) for p in model.parameters()] == ids
    buf = arena.param_buffers[0].numpy()
    off = 0
    for p, v in zip(params, values):
        np.testing.assert_array_equal(p.detach().numpy(), v)
        np.testing.assert_array_equal(buf[off:off + v.size], v.ravel())
        off += v.size
    x = st.randn([6, 5])
    model(x).sum().backward()
    g1 = arena.grad_buffers[0].numpy().copy()
    assert np.abs(g1).sum() > 0
    model(x).sum().backward()  # accumulates in place into the arena
    np.testing.assert_allclose(arena.grad_buffers[0].numpy(), 2 * g1, rtol=1e-6)
    off = 0
    for p in params:
        np.testing.assert_array_equal(p.grad.numpy().ravel(), arena.grad_buffers[0].numpy()[off:off + p.numel()])
        off += p.numel()
    opt.step()  # the step writes through the views into the arena
    off = 0
    for p in params:
        np.testing.assert_array_equal(p.detach().numpy().ravel(), arena.param_buffers[0].numpy()[off:off + p.numel()])
        off += p.numel()
    opt.zero_grad()  # one fill; the grads stay arena views
    assert np.all(arena.grad_buffers[0].numpy() == 0)
    model(x).sum().backward()
    assert np.abs(arena.grad_buffers[0].numpy()).sum() > 0


def test_training_with_and_without_arena_identical():
    def run(flat):
        st.manual_seed(0)
        model = st.nn.Sequential(st.nn.Linear(8, 16), st.nn.Tanh(), st.nn.Linear(16, 2))
        opt = st.optim.AdamW(model.parameters(), lr=1e-2)
        if flat:
            st.optim.flatten_(opt)
        x, y = st.randn([32, 8]), st.randn([32, 2])
        for _ in range(10):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
        return [raw(p) for p in model.parameters()]
    assert run(True) == run(False)


def test_mixed_dtypes_and_low_precision():
    ps = make([(7,), (3, 3)], 2) + make([(5,), (1003,)], 3, st.bfloat16)
    qs = [st.nn.Parameter(p.detach().clone()) for p in ps]
    arena = st.optim.flatten_(qs)
    assert [b.dtype for b in arena.param_buffers] == [st.float32, st.bfloat16]
    assert [b.numel() for b in arena.param_buffers] == [16, 1008]
    oa, ob = st.optim.AdamW(ps, lr=1e-2), st.optim.AdamW(qs, lr=1e-2)
    rng = np.random.RandomState(4)
    for _ in range(4):
        for p, q in zip(ps, qs):
            g = st.from_numpy(rng.randn(*tuple(p.shape)).astype(np.float32)).to(p.dtype)
            p.grad = g.clone()
            with st.no_grad():
                q.grad.copy_(g)
        oa.step()
        ob.step()
    for p, q in zip(ps, qs):
        assert raw(p) == raw(q)


def test_errors():
    p = st.nn.Parameter(st.ones([3]))
    with pytest.raises(ValueError, match="same tensor"):
        st.optim.flatten_([p, p])
