"""st.set_num_threads takes counts from 1 to a bound and refuses the rest before OpenMP
sees them."""
import pytest

import steepest as st


@pytest.mark.parametrize("n", [0, -1, 1025, 10**6, 2**40])
def test_set_num_threads_refuses_counts_out_of_range(n):
    before = st.get_num_threads()
    with pytest.raises(ValueError, match=f"set_num_threads: n must be {'>= 1' if n < 1 else '<= 1024'}, got {n}$"):
        st.set_num_threads(n)
    assert st.get_num_threads() == before


def test_set_num_threads_accepts_the_bounds():
    before = st.get_num_threads()
    try:
        st.set_num_threads(1)
        assert st.get_num_threads() == 1
        st.set_num_threads(1024)
        assert st.get_num_threads() == 1024
    finally:
        st.set_num_threads(before)
