"""Process-wide runtime settings: threads, the SIMD instruction set (set_isa and the
STEEPEST_ISA variable), show_config/build facts, cmake_dir, devices and the clear errors a
CPU-only build gives when CUDA is asked for."""
import io
import os
import subprocess
import sys

import pytest

import steepest as st

PYTHONPATH = os.path.dirname(os.path.dirname(os.path.abspath(st.__file__)))


def run_python(code, **env):
    full_env = dict(os.environ, PYTHONPATH=PYTHONPATH, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env)


def test_set_and_get_num_threads():
    before = st.get_num_threads()
    try:
        for n in (1, 2, 3):
            st.set_num_threads(n)
            assert st.get_num_threads() == n
    finally:
        st.set_num_threads(before)
    for bad in (0, -4):
        with pytest.raises(ValueError, match=f"set_num_threads: n must be >= 1, got {bad}"):
            st.set_num_threads(bad)
    assert st.get_num_threads() == before


def test_show_config_names_version_isa_threads_blas_cuda():
    buf = io.StringIO()
    st.show_config(file=buf)
    text = buf.getvalue()
    info = st.build_info()
    assert f"steepest {st.__version__}" in text and st.__version__ == info["version"]
    assert f"instruction set: {st.current_isa()}" in text
    for isa in st.supported_isas():
        assert isa in text
    assert f"threads:         {st.get_num_threads()}" in text
    assert "BLAS:" in text and "OpenBLAS" in text and info["blas"] in text
    assert "CUDA:" in text and ("not built" in text) == (not info["cuda"])
    assert info["compiler"] in text


def test_build_info_fields():
    info = st.build_info()
    assert set(info) >= {"version", "compiler", "blas", "isas_compiled", "cuda"}
    assert "scalar" in info["isas_compiled"]
    for isa in st.supported_isas():
        assert isa in info["isas_compiled"]
    assert isinstance(info["cuda"], bool) and isinstance(st.cuda_is_available(), bool)
    assert info["cuda"] or not st.cuda_is_available()  # a device needs the backend


def test_set_isa_switches_and_errors():
    before = st.current_isa()
    try:
        for isa in st.supported_isas():
            st.set_isa(isa)
            assert st.current_isa() == isa
    finally:
        st.set_isa(before)
    assert "scalar" in st.supported_isas()
    with pytest.raises(ValueError, match=r"unknown instruction set 'bogus' \(this build has: .*scalar"):
        st.set_isa("bogus")
    unsupported = [i for i in st.build_info()["isas_compiled"].split(", ") if i not in st.supported_isas()]
    for isa in unsupported:
        with pytest.raises(ValueError, match=f"instruction set '{isa}' is not supported by this CPU"):
            st.set_isa(isa)
    assert st.current_isa() == before


def test_steepest_isa_environment_variable():
    out = run_python("import steepest as st; print(st.current_isa())", STEEPEST_ISA="scalar")
    assert out.returncode == 0 and out.stdout.strip() == "scalar"
    shown = run_python("import steepest as st; st.show_config()", STEEPEST_ISA="scalar")
    assert "instruction set: scalar" in shown.stdout
    bad = run_python("import steepest as st; st.current_isa()", STEEPEST_ISA="bogus")
    assert bad.returncode != 0 and "unknown instruction set 'bogus'" in bad.stderr


def test_cmake_dir_is_a_path_in_the_package():
    d = st.cmake_dir()
    assert isinstance(d, str) and os.path.isabs(d)
    assert d.replace(os.sep, "/").endswith("lib/cmake/steepest")
    assert d.startswith(os.path.dirname(os.path.abspath(st.__file__)))


def test_device_parsing():
    assert st.device("cpu").type == "cpu" and st.device("cpu").index is None
    assert repr(st.device("cpu")) == "device(type='cpu')"
    d = st.device("cuda:1")
    assert (d.type, d.index, str(d), repr(d)) == ("cuda", 1, "cuda:1", "device(type='cuda', index=1)")
    assert st.device("cuda", 2) == st.device("cuda:2") and st.device("cuda") != st.device("cuda:0")
    assert st.device(st.device("cpu")) == "cpu"
    assert st.device("cpu", 0) == st.device("cpu")
    assert st.zeros(2).device == st.device("cpu") and st.zeros(2).device == "cpu"
    assert not st.zeros(2).is_cuda
    assert len({st.device("cpu"), st.device("cpu")}) == 1


@pytest.mark.parametrize("spec,msg", [
    ("gpu", "unknown device 'gpu' \\(expected 'cpu', 'cuda' or 'cuda:N'\\)"),
    ("", "unknown device ''"),
    ("cuda:x", "bad device index in 'cuda:x'"),
    ("cuda:", "bad device index in 'cuda:'"),
    ("cuda:-1", "bad device index in 'cuda:-1'"),
    ("cpu:1", "cpu has only index 0"),
])
def test_device_parse_errors(spec, msg):
    with pytest.raises(ValueError, match=msg):
        st.device(spec)


def test_device_index_errors():
    with pytest.raises(ValueError, match="device index must be non-negative, got -1"):
        st.device("cuda", -1)
    with pytest.raises(ValueError, match="cpu has only device index 0"):
        st.device("cpu", 1)


@pytest.mark.parametrize("make", [
    lambda: st.zeros(2, device="cuda"),
    lambda: st.ones((2,), device="cuda:0"),
    lambda: st.empty(3, device=st.device("cuda")),
    lambda: st.rand(2, device="cuda"),
    lambda: st.tensor([1.0], device="cuda"),
    lambda: st.zeros(2).to("cuda"),
    lambda: st.zeros(2).to(st.device("cuda", 0)),
    lambda: st.from_dlpack(st.zeros(2), device="cuda"),
    pytest.param(lambda: st.Generator(device="cuda"), marks=pytest.mark.skipif(
        st.build_info()["cuda"], reason="CUDA generators come with the GPU random kernels")),
])
def test_cuda_requests_say_why_they_cannot_be_served(make):
    """A CPU-only build: NotImplementedError naming the build. A CUDA build on a machine
    without a GPU: RuntimeError 'no CUDA device'."""
    if st.cuda.is_available():
        pytest.skip("a GPU is present: these requests succeed (tests/test_cuda_runtime.py)")
    if st.build_info()["cuda"]:
        with pytest.raises(RuntimeError, match="no CUDA device"):
            make()
    else:
        with pytest.raises(NotImplementedError, match="no CUDA backend"):
            make()
