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
