"""Tensor.view(dtype): the same bytes read as another dtype, against torch (values bit for
bit, shapes, strides, errors) and against numpy's own reinterpretation."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st

NAMES = ["float32", "float64", "float16", "bfloat16", "int32", "int64"]
# a dtype numpy reads exactly, of each element size, to compare raw bytes through
CARRIER = {2: "float16", 4: "int32", 8: "int64"}


def raw_bytes(x, lib):
    x = x.contiguous()
    return x.view(getattr(lib, CARRIER[x.element_size()])).numpy().view(np.uint8).reshape(-1)


def same_bits(s, t):
    """Raw bytes of a steepest and a torch tensor of the same shape and dtype agree."""
    assert tuple(s.shape) == tuple(t.shape)
    assert str(s.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(raw_bytes(s, st), raw_bytes(t, torch))


@settings(max_examples=60, deadline=None)
@given(src=hs.sampled_from(NAMES), dst=hs.sampled_from(NAMES),
       rows=hs.integers(0, 4), cols=hs.sampled_from([0, 2, 4, 8, 12]), start=hs.sampled_from([0, 2, 4]),
       transpose=hs.booleans(), seed=hs.integers(0, 2**16))
def test_view_dtype_matches_torch(src, dst, rows, cols, start, transpose, seed):
    raw = np.random.default_rng(seed).integers(-2**31, 2**31, (rows, cols + 8, 4), dtype=np.int64).astype(np.int32)
    n = (cols + 8) * 4
    tb, sb = torch.from_numpy(raw.copy()).reshape(rows, n), st.from_numpy(raw.copy()).reshape(rows, n)
    # the same bytes as src in both libraries, then a sliced / transposed view of them
    tsrc, ssrc = tb.view(getattr(torch, src)), sb.view(getattr(st, src))
    tv, sv = tsrc[:, start:], ssrc[:, start:]
    if transpose:
        tv, sv = tv.transpose(0, 1), sv.transpose(0, 1)
    try:
        want = tv.view(getattr(torch, dst))
    except RuntimeError:
        with pytest.raises(ValueError, match="view\\(dtype\\)"):
            sv.view(getattr(st, dst))
        return
    got = sv.view(getattr(st, dst))
    assert tuple(got.shape) == tuple(want.shape)
    if got.numel():
        assert tuple(got.stride()) == tuple(want.stride())
    same_bits(got, want)


def test_view_dtype_shares_memory_and_bumps_no_history():
    x = st.tensor([1.0, -2.0, 0.5], requires_grad=True)
    bits = x.view(st.int32)
    assert not bits.requires_grad and bits.grad_fn is None
    np.testing.assert_array_equal(bits.numpy(), np.array([1.0, -2.0, 0.5], np.float32).view(np.int32))
    y = st.zeros(4)
    y.view(st.int32)[1] = np.float32(3.0).view(np.int32).item()
    assert y.numpy()[1] == 3.0  # the write landed in y's bytes


def test_view_dtype_keyword_and_shapes_still_work():
    x = st.arange(24, dtype=st.float32).reshape(4, 6)
    assert x.view(dtype=st.float16).shape == (4, 12)
    assert x.view(2, 12).shape == (2, 12) and x.view((3, 8)).shape == (3, 8) and x.view(size=(24,)).shape == (24,)


def test_view_dtype_errors():
    x = st.randn(4, 6)
    with pytest.raises(ValueError, match="stride must be 1"):
        x.t().view(st.float16)
    with pytest.raises(ValueError, match="divisible by 2"):
        x[:, 1:4].view(st.float64)
    with pytest.raises(ValueError, match="0-d"):
        st.tensor(1.0).view(st.float16)
    with pytest.raises(TypeError, match="dtype"):
        x.view(dtype=3)
    with pytest.raises(TypeError, match="bool"):
        st.zeros(3, dtype=st.int32).view(st.bool)
    assert st.tensor([True, False]).view(st.bool).tolist() == [True, False]
