"""Shared pytest fixtures: run a test once per instruction set this CPU supports."""
import pytest

import steepest as st


@pytest.fixture(params=st.supported_isas())
def isa(request):
    """Forces the CPU kernels to one ISA for the test, then restores the previous one."""
    before = st.current_isa()
    st.set_isa(request.param)
    yield request.param
    st.set_isa(before)


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` (tests/gpu.py's needs_gpu) skip, saying why, where no GPU is at hand."""
    from gpu import why_no_gpu

    why = why_no_gpu()
    if why:
        skip = pytest.mark.skip(reason=why)
        for item in items:
            if item.get_closest_marker("gpu") is not None:
                item.add_marker(skip)
