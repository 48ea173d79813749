"""The caching CPU allocator: aligned blocks, reuse after release, a cache that can be emptied."""
import gc

import numpy as np

import steepest as st


def test_allocations_are_64_byte_aligned():
    for n in [0, 1, 7, 1000, 4097, 1 << 20]:
        t = st.empty((n,))
        assert t.data_ptr() % 64 == 0


def test_released_memory_is_cached_and_reused():
    gc.collect()  # earlier tests' cyclic garbage would otherwise land in the cache mid-test
    st.empty_cache()
    assert st.memory_cached() == 0
    t = st.empty((1 << 20,))  # 4 MiB
    ptr = t.data_ptr()
    del t
    gc.collect()
    assert st.memory_cached() >= 4 << 20
    again = st.empty((1 << 20,))
    assert again.data_ptr() == ptr  # the same block came back
    assert st.memory_cached() == 0
    del again
    st.empty_cache()
    assert st.memory_cached() == 0


def test_reused_memory_holds_new_values():
    a = st.full((5000,), 3.0)
    del a
    b = st.zeros((5000,))  # reuses a's block: must not see 3.0
    assert not np.any(b.numpy())
