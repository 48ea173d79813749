"""Issue 12, st.einsum on the contractions training code writes (attention scores and
mixing, batched and plain matrix products, outer products, traces of sums, transposes,
broadcasting ellipses), against torch.einsum: values, gradients through torch's autograd,
and errors for bad equations."""
import numpy as np
import pytest
import torch

import steepest as st

CASES = [
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("bhqk,bhkd->bhqd", [(2, 3, 4, 6), (2, 3, 6, 5)]),
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(5,), (5,)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("bnd,de->bne", [(2, 3, 4), (4, 6)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...d,...d->...", [(2, 3, 4), (3, 4)]),
    ("bi,bi->b", [(4, 5), (4, 5)]),
    ("ij,kj->ik", [(3, 4), (5, 4)]),
    ("abc,cd->abd", [(1, 3, 4), (4, 2)]),
    ("ij,j->i", [(3, 4), (4,)]),
    ("ijk,ik->j", [(2, 3, 4), (2, 4)]),
    ("bhq d, bhkd -> bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
]


@pytest.mark.parametrize("eq, shapes", CASES, ids=[c[0] for c in CASES])
def test_einsum_matches_torch(eq, shapes):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s).astype(np.float64) for s in shapes]
    ss = [st.tensor(x, requires_grad=True) for x in xs]
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    so, to = st.einsum(eq, *ss), torch.einsum(eq, *ts)
    assert tuple(so.shape) == tuple(to.shape)
    np.testing.assert_allclose(so.detach().numpy(), to.detach().numpy(), rtol=1e-12, atol=1e-12)
    w = rng.standard_normal(tuple(to.shape))
    (so * st.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for s, t in zip(ss, ts):
        np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)
    # the list form torch also accepts
    np.testing.assert_allclose(st.einsum(eq, ss).detach().numpy(), to.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_einsum_errors():
    a, b = st.ones(2, 3), st.ones(4, 5)
    with pytest.raises(ValueError, match="size 3 in one operand and 4"):
        st.einsum("ij,jk->ik", a, b)
    with pytest.raises(ValueError, match="has 2 operands but 1"):
        st.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="2 indices but its operand has 3"):
        st.einsum("ij->i", st.ones(2, 2, 2))
    with pytest.raises(ValueError, match="does not appear"):
        st.einsum("ij->iz", a)
    with pytest.raises(NotImplementedError, match="repeated indices"):
        st.einsum("ii->i", st.ones(3, 3))
    with pytest.raises(NotImplementedError, match="one or two"):
        st.einsum("i,i,i->", st.ones(2), st.ones(2), st.ones(2))
    with pytest.raises(TypeError, match="steepest Tensors"):
        st.einsum("i->i", np.ones(2))
