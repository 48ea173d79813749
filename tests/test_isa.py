"""Every elementwise kernel under each instruction set this CPU supports (the `isa` fixture)
against the scalar reference kernels, on awkward sizes (vector bodies, tails, empty), and the
STEEPEST_ISA environment variable."""
import os
import subprocess
import sys

import numpy as np
import pytest

import steepest as st

SIZES = [0, 1, 7, 15, 17, 4097]
EXACT_UNARY = ["neg", "abs", "sqrt", "rsqrt", "relu", "sign"]
TRANSCENDENTAL = ["exp", "log", "sin", "cos", "tanh", "sigmoid"]
EXACT_BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "maximum": st.maximum, "minimum": st.minimum,
}


def values(n, dtype, seed=0):
    """n values over many magnitudes with signs, zeros, infinities, NaN and denormals mixed in."""
    rng = np.random.default_rng(seed + n)
    x = rng.standard_normal(n) * np.exp(rng.uniform(-12, 12, n))
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-42, 100.0, -100.0, 1e5, 3e38],
                        dtype=dtype)
    x = x.astype(dtype)
    k = min(n // 3, specials.size)
    x[rng.choice(n, k, replace=False)] = specials[:k] if n else x[:0]
    return x


def under(isa, fn):
    """fn() evaluated with the CPU kernels forced to `isa` (then the previous ISA is back)."""
    before = st.current_isa()
    st.set_isa(isa)
    try:
        return fn()
    finally:
        st.set_isa(before)


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view({4: np.uint32, 8: np.uint64}[a.itemsize])


def ulps(a, b):
    it = {4: np.int32, 8: np.int64}[a.itemsize]
    lo = np.iinfo(it).min

    def ordered(v):
        i = v.view(it).astype(np.int64)
        return np.where(i < 0, lo - i, i)

    d = np.abs(ordered(a) - ordered(b)).astype(np.float64)
    d[np.isnan(a) & np.isnan(b)] = 0
    return d


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_kernels_equal_scalar_reference(isa, n, dtype):
    x = values(n, dtype)
    t = st.from_numpy(x)
    with np.errstate(all="ignore"):
        for name in EXACT_UNARY + TRANSCENDENTAL:
            got = getattr(st, name)(t).numpy()
            ref = under("scalar", lambda: getattr(st, name)(t).numpy())
            if name in EXACT_UNARY:
                np.testing.assert_array_equal(bits(got), bits(ref), err_msg=f"{name} under {isa}, n={n}")
            else:
                assert (ulps(got, ref) <= 1).all(), f"{name} under {isa}, n={n}"


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_kernels_equal_scalar_reference(isa, n, dtype):
    a, b = values(n, dtype, 1), values(n, dtype, 2)
    ta, tb = st.from_numpy(a), st.from_numpy(b)
    s = dtype(1.7)
    with np.errstate(all="ignore"):
        for name, f in EXACT_BINARY.items():
            for label, run in [("full", lambda: f(ta, tb)), ("scalar b", lambda: f(ta, st.tensor(s))),
                               ("scalar a", lambda: f(st.tensor(s), tb))]:
                got = run().numpy()
                ref = under("scalar", lambda: run().numpy())
                np.testing.assert_array_equal(bits(got), bits(ref), err_msg=f"{name} ({label}) under {isa}, n={n}")
        for label, run in [("add alpha", lambda: st.add(ta, tb, alpha=0.3)),
                           ("sub alpha", lambda: st.sub(ta, tb, alpha=3)),
                           ("add number", lambda: ta + 2.5), ("rsub number", lambda: 2.5 - ta),
                           ("rdiv number", lambda: 2.5 / ta), ("clamp", lambda: st.clamp(ta, -1.5, 2.0)),
                           ("clamp min", lambda: st.clamp(ta, min=-1.5)), ("square", lambda: ta ** 2),
                           ("reciprocal", lambda: ta ** -1), ("sqrt pow", lambda: ta ** 0.5)]:
            got = run().numpy()
            ref = under("scalar", lambda: run().numpy())
            np.testing.assert_array_equal(bits(got), bits(ref), err_msg=f"{label} under {isa}, n={n}")
        got = (ta.abs() ** tb).numpy()
        ref = under("scalar", lambda: (ta.abs() ** tb).numpy())
        assert (ulps(got, ref) <= 1).all(), f"pow under {isa}, n={n}"


@pytest.mark.parametrize("n", [1, 7, 17, 4097])
def test_stream_kernel_copies_the_maximum_of_its_reads(isa, n):
    reads = [np.random.default_rng(k).standard_normal(n).astype(np.float32) for k in range(3)]
    out = np.empty(n, dtype=np.float32)
    for k in (1, 2, 3):
        st._core._stream_kernel([st.from_numpy(r) for r in reads[:k]], st.from_numpy(out))
        np.testing.assert_array_equal(out, np.maximum.reduce(reads[:k]))


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "sin", "add", "mul", "maximum"])
def test_strided_and_16_bit_layouts_give_the_contiguous_bits(isa, name):
    """Non-contiguous and converted operands run through chunk buffers into the same kernel,
    so they must give exactly the contiguous result."""
    x = values(4097 * 2, np.float32, 5)
    y = values(4097 * 2, np.float32, 6)
    f = getattr(st, name)
    args = (lambda u, v: (u,)) if name in ("exp", "tanh", "sigmoid", "sin") else (lambda u, v: (u, v))
    with np.errstate(all="ignore"):
        dense = f(*args(st.from_numpy(x[::2].copy()), st.from_numpy(y[::2].copy()))).numpy()
        strided = f(*args(st.from_numpy(x[::2]), st.from_numpy(y[::2]))).numpy()
        np.testing.assert_array_equal(bits(strided), bits(dense))
        # float16 inputs: converted to float32, same kernel, rounded once to float16
        h, g = x[::2].astype(np.float16), y[::2].astype(np.float16)
        half = f(*args(st.from_numpy(h), st.from_numpy(g))).numpy()
        wide = f(*args(st.from_numpy(h.astype(np.float32)), st.from_numpy(g.astype(np.float32)))).numpy()
        np.testing.assert_array_equal(half.view(np.uint16), wide.astype(np.float16).view(np.uint16))


def _run_with_isa(value):
    env = dict(os.environ, STEEPEST_ISA=value, PYTHONPATH=os.pathsep.join(sys.path))
    code = "import steepest as st; print(st.current_isa()); print(st.exp(st.ones((3,))).tolist()[0])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_env_var_forces_the_scalar_isa():
    out = _run_with_isa("scalar")
    assert out.returncode == 0, out.stderr
    isa, e = out.stdout.split()
    assert isa == "scalar"
    assert abs(float(e) - np.e) < 1e-6


def test_env_var_with_unknown_isa_is_a_clear_error():
    out = _run_with_isa("sse9")
    assert out.returncode != 0
    assert "unknown instruction set 'sse9' (this build has: " in out.stderr
