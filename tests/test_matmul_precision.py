"""st.set_float32_matmul_precision / get_float32_matmul_precision and
st.backends.cuda.matmul.allow_tf32: one setting seen two ways, with torch's documented
coupling, clear errors for bad values, and CPU products the same under every setting."""
import numpy as np
import pytest
import torch

import steepest as st


@pytest.fixture(autouse=True)
def restore():
    before = st.get_float32_matmul_precision()
    yield
    st.set_float32_matmul_precision(before)


def test_default_is_highest_and_tf32_off():
    assert st.get_float32_matmul_precision() == "highest"
    assert st.backends.cuda.matmul.allow_tf32 is False


# torch's documented coupling: allow_tf32 is True exactly when the precision is not "highest";
# setting it True means "high", False means "highest".
@pytest.mark.parametrize("steps,prec", [
    ([("prec", "high")], "high"),
    ([("prec", "medium")], "medium"),
    ([("prec", "high"), ("prec", "highest")], "highest"),
    ([("tf32", True)], "high"),
    ([("tf32", True), ("tf32", False)], "highest"),
    ([("prec", "medium"), ("tf32", False)], "highest"),
])
def test_the_two_views_are_one_setting(steps, prec):
    st.set_float32_matmul_precision("highest")
    for kind, v in steps:
        if kind == "prec":
            st.set_float32_matmul_precision(v)
        else:
            st.backends.cuda.matmul.allow_tf32 = v
    assert st.get_float32_matmul_precision() == prec
    assert st.backends.cuda.matmul.allow_tf32 is (prec != "highest")
    assert hasattr(torch, "set_float32_matmul_precision")  # the names are torch's


def test_bad_values_raise():
    with pytest.raises(ValueError, match="'highest', 'high' or 'medium'.*'fast'"):
        st.set_float32_matmul_precision("fast")
    with pytest.raises(TypeError, match="precision must be a str"):
        st.set_float32_matmul_precision(1)  # type: ignore[arg-type]
    assert st.get_float32_matmul_precision() == "highest"


def test_cpu_products_do_not_change():
    rng = np.random.default_rng(0)
    a = st.from_numpy(rng.standard_normal((33, 70)).astype(np.float32))
    b = st.from_numpy(rng.standard_normal((70, 21)).astype(np.float32))
    full = st.matmul(a, b).numpy()
    st.set_float32_matmul_precision("medium")
    np.testing.assert_array_equal(st.matmul(a, b).numpy(), full)
