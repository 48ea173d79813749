"""Python numbers written into a tensor (fill_, full, t[i] = v, masked_fill_) must have a
value in its integer dtype: out-of-range integers, NaN or infinity raise torch's error instead
of wrapping."""
import pytest
import torch
from isolated import error_of

import steepest as st

OUT_OF_RANGE = [
    "lib.zeros(3, dtype=lib.int32).fill_(2**40)",
    "lib.zeros(3, dtype=lib.int32).fill_(-2**31 - 1)",
    "lib.zeros(3, dtype=lib.int32).fill_(2.5e10)",
    "lib.zeros(3, dtype=lib.int32).fill_(float('inf'))",
    "lib.zeros(3, dtype=lib.int64).fill_(float('nan'))",
    "lib.zeros(3, dtype=lib.int64).__setitem__(0, float('nan'))",
    "lib.zeros(3, dtype=lib.int32).__setitem__(slice(0, 2), 2**40)",
    "lib.full((2,), 2**40, dtype=lib.int32)",
    "lib.zeros(3, dtype=lib.int32).masked_fill_(lib.tensor([True, False, True]), 2**40)",
]


@pytest.mark.parametrize("expr", OUT_OF_RANGE)
def test_out_of_range_scalars_raise_instead_of_wrapping(expr):
    want = error_of(torch, expr)
    assert want is not None and want[0] == "RuntimeError"
    assert error_of(st, expr) == want


def test_two_to_the_63_is_refused_for_int64():
    # torch lets 2.0**63 through its range check and writes whatever the undefined float to
    # int64 conversion yields; steepest refuses it like any other out-of-range value.
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64_t without overflow"):
        st.zeros(3, dtype=st.int64).fill_(2.0**63)


def test_in_range_scalars_are_written_as_torch_writes_them():
    for dtype, value in [("int32", 2**31 - 1), ("int32", -2**31), ("int32", 2.9), ("int32", -2.9),
                         ("int64", 2**63 - 1), ("int64", -2**63), ("float16", 65504.0), ("float32", float("inf")),
                         ("float16", float("nan")), ("bool", 7)]:
        got = st.zeros(2, dtype=getattr(st, dtype)).fill_(value).tolist()
        want = torch.zeros(2, dtype=getattr(torch, dtype)).fill_(value).tolist()
        assert str(got) == str(want), (dtype, value)
