"""Sizes, strides and offsets whose element or byte count overflows int64 are refused with
torch's error wherever they enter (creation, views, expand, as_strided, matmul, cat, stack)
instead of sizing memory from a wrapped count. Calls that crashed or wrote outside a buffer
before the checks run in a subprocess."""
import pytest
import torch
from isolated import error_of, isolated_error, run_isolated

import steepest as st

# Calls torch refuses with the same type and message as steepest now does.
SAME_AS_TORCH = [
    "lib.empty(2**62)",
    "lib.zeros(2**62)",
    "lib.ones(2**62)",
    "lib.full((2**62,), 1.0)",
    "lib.empty(2**40, 2**40)",
    "lib.empty(2**61, dtype=lib.float64)",
    "lib.empty(2**62, 4, 0)",
    "lib.rand(2**62)",
    "lib.randn(2**62)",
    "lib.arange(2**62)",
    "lib.linspace(0, 1, 2**62)",
    "lib.eye(2**32)",
    "lib.zeros(1).expand(2**62).contiguous()",
    "lib.zeros(4).expand(2**62, 4)",
    "lib.zeros(4).expand(2**62, 4).sum()",
    "lib.zeros(4).as_strided((2**62,), (1,))",
    "lib.zeros(0).view(2**62, 4, 0)",
    "lib.zeros(0).reshape(2**62, 2**62, 0)",
    "lib.zeros(2**31, 0) @ lib.zeros(0, 2**31)",
    "lib.zeros(2**62, 0) @ lib.zeros(0, 2**62)",
]


@pytest.mark.parametrize("expr", SAME_AS_TORCH)
def test_overflowing_sizes_raise_torchs_error(expr):
    want = error_of(torch, expr)
    assert want is not None and want[0] == "RuntimeError"
    assert isolated_error(expr) == want


def test_an_expanded_tensor_of_representable_size_is_still_a_view():
    t = st.zeros(1).expand(2**62)
    assert t.shape == (2**62,) and t.stride() == (0,)
    assert t[2**62 - 1].item() == 0.0


@pytest.mark.parametrize("expr, words", [
    # torch's words differ here (a negative dimension; the count of its unsqueezed inputs)
    ("lib.cat([lib.zeros(1).expand(2**62), lib.zeros(1).expand(2**62)])", "cat(): the sizes of the tensors"),
    ("lib.stack([lib.zeros(1).expand(2**62)] * 4)", "Storage size calculation overflowed with sizes=[4, 4611686018427387904]"),
])
def test_joins_whose_result_size_overflows_raise(expr, words):
    assert error_of(torch, expr)[0] == "RuntimeError"
    kind, message = isolated_error(expr)
    assert kind == "RuntimeError" and words in message


def test_as_strided_whose_reach_wraps_around_is_refused():
    # Strides chosen so the largest offset, computed in wrapping int64 arithmetic, lands back
    # inside the 4-element storage while element [1, 0, 0] lies 1 GiB past it: filling the
    # view wrote there.
    s1 = 2**62 + 2**28
    s2 = (3 * 2**62 - 2**28 + 2) // 2
    expr = f"lib.zeros(4).as_strided((2, 2, 2), ({s1}, {s2}, {s2})).fill_(1.0)"
    want = error_of(torch, expr)
    assert want[0] == "RuntimeError" and "Storage size calculation overflowed" in want[1]
    assert isolated_error(expr) == want


def test_as_strided_views_must_lie_inside_the_storage():
    with pytest.raises(ValueError, match="does not fit in a storage of 4 elements"):
        st.zeros(4).as_strided((3,), (2,))
    with pytest.raises(ValueError, match="does not fit in a storage of 4 elements"):
        st.zeros(4).as_strided((2,), (1,), 3)
    assert st.arange(4.0).as_strided((2,), (2,), 1).tolist() == [1.0, 3.0]


def test_indexing_a_tensor_after_an_overflowing_empty_never_reads_memory():
    out = run_isolated("""
        import steepest as st
        try:
            t = st.empty(2**62)
        except RuntimeError:
            print("refused")
        else:
            print(t[5].item())
    """)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "refused"


def test_narrow_whose_end_overflows_is_refused():
    want = error_of(torch, "lib.zeros(4).narrow(0, 1, 2**63 - 1)")
    assert want == ("RuntimeError", "start (1) + length (9223372036854775807) exceeds dimension size (4).")
    assert error_of(st, "lib.zeros(4).narrow(0, 1, 2**63 - 1)") == ("ValueError", want[1])


def test_a_huge_slice_step_never_wraps_a_stride():
    # One element is left; its stride must not be the wrapped product (10 * 2**62 wraps to
    # -2**63 in int64), which later stride arithmetic (views, reach checks) would trust.
    x = st.arange(100, dtype=st.float32).reshape(10, 10)
    for step in (2**62, 2**63 - 1):
        v = x[::step]
        assert v.shape == (1, 10)
        assert all(s >= 0 for s in v.stride())
        assert v.tolist() == [list(range(10))]
        assert v.reshape(-1).tolist() == list(range(10))
        assert float(v.sum()) == 45.0
        w = v.unsqueeze(0).expand(3, 1, 10).contiguous()
        assert w.sum().item() == 135.0
    v = x[:, ::2**62]
    assert v.stride() == (10, 2**62)
    assert repr(v).startswith("tensor([[ 0.],") and v.contiguous().reshape(-1).tolist() == list(range(0, 100, 10))
    assert (v + 1).reshape(-1).tolist() == list(range(1, 101, 10))
