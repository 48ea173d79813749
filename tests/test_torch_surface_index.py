"""Issue 12, indexing with Python ranges and lists of ints, as torch: reads, writes and the
gradient of a read, each against torch."""
import numpy as np
import pytest
import torch

import steepest as st

CASES = [range(3), range(4, 0, -2), [0, 2], (range(1, 3), 0), (slice(None), range(2)), ([0, 1], [1, 0]),
         (range(2), [1, 0]), range(0)]


@pytest.mark.parametrize("idx", CASES, ids=str)
def test_read_write_and_grad_like_torch(idx):
    x = np.arange(10.0).reshape(5, 2)
    s, t = st.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    so, to = s[idx], t[idx]
    assert tuple(so.shape) == tuple(to.shape)
    np.testing.assert_array_equal(so.detach().numpy(), to.detach().numpy())
    if to.numel():
        (so * 2).sum().backward()
        (to * 2).sum().backward()
        np.testing.assert_array_equal(s.grad.numpy(), t.grad.numpy())
    sw, tw = st.tensor(x), torch.tensor(x)
    sw[idx] = -1.0
    tw[idx] = -1.0
    np.testing.assert_array_equal(sw.numpy(), tw.numpy())


def test_range_out_of_bounds_raises_index_error():
    with pytest.raises(IndexError):
        st.zeros(3)[range(2, 5)]
