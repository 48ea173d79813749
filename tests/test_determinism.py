"""Deterministic algorithms: st.use_deterministic_algorithms and the fixed-association sums.

Checked against formulas written here: the sum's fixed-lane order (term i in lane i mod 64,
lanes halved pairwise, blocks of 2048 split at fixed points) emulated in numpy float32, and
the deterministic GEMM's per-element fma chain emulated in extended precision. Then whole
computations (reductions, softmax, layer norm, cross-entropy, matmul, linear, a training
run) must give the same bytes on every instruction set this CPU runs and on 1 or 2 threads.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import steepest as st
import steepest.nn.functional as F

HYP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def deterministic():
    st.use_deterministic_algorithms(True)
    yield
    st.use_deterministic_algorithms(False)


def every_isa_and_thread_count(fn):
    """fn() under every (ISA, thread count) pair; returns the list of its results."""
    isa0, nt0 = st.current_isa(), st.get_num_threads()
    out = []
    try:
        for isa in st.supported_isas():
            for nt in (1, 2):
                st.set_isa(isa)
                st.set_num_threads(nt)
                out.append(((isa, nt), fn()))
    finally:
        st.set_isa(isa0)
        st.set_num_threads(nt0)
    return out


def assert_all_same_bytes(results):
    (k0, ref), *rest = results
    for k, got in rest:
        assert len(got) == len(ref)
        for i, (a, b) in enumerate(zip(ref, got)):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert a.tobytes() == b.tobytes(), f"output {i} differs between {k0} and {k}"


# ---------------------------------------------------------------- the switch

def test_switch_like_torch():
    assert st.are_deterministic_algorithms_enabled() is False
    try:
        st.use_deterministic_algorithms(True)
        assert st.are_deterministic_algorithms_enabled() is True
        assert st.is_deterministic_algorithms_warn_only_enabled() is False
        st.use_deterministic_algorithms(True, warn_only=True)
        assert st.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        st.use_deterministic_algorithms(False)
    assert st.are_deterministic_algorithms_enabled() is False
    assert st.is_deterministic_algorithms_warn_only_enabled() is False
    with pytest.raises(TypeError, match="mode must be a bool"):
        st.use_deterministic_algorithms(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="warn_only must be a bool"):
        st.use_deterministic_algorithms(True, warn_only="yes")  # type: ignore[arg-type]
    assert st.are_deterministic_algorithms_enabled() is False


# ---------------------------------------------------------------- the sum's order, emulated

def fixed_lane_sum(x: np.ndarray, lanes: int) -> np.float32:
    """Term i into lane i mod `lanes` in order, then lanes[l] += lanes[l + w], w = lanes/2 .. 1."""
    acc = np.zeros(lanes, np.float32)
    for start in range(0, len(x), lanes):
        part = x[start:start + lanes]
        acc[:len(part)] = acc[:len(part)] + part
    w = lanes // 2
    while w >= 1:
        acc[:w] = acc[:w] + acc[w:2 * w]
        w //= 2
    return acc[0]


def blocked_sum(x: np.ndarray) -> np.float32:
    """Blocks of 2048 in 64 fixed lanes, split in halves on block boundaries."""
    n = len(x)
    if n <= 2048:
        return fixed_lane_sum(x, 64)
    half = (n // 2 + 2047) // 2048 * 2048
    return np.float32(blocked_sum(x[:half]) + blocked_sum(x[half:]))


@HYP
@given(n=hs.integers(0, 9000), seed=hs.integers(0, 2**32 - 1))
def test_sum_follows_the_documented_order_on_every_isa(isa, n, seed):
    x = np.random.default_rng(seed).standard_normal(n).astype(np.float32) * 1000
    got = st.from_numpy(x).sum().numpy()
    assert got.tobytes() == np.float32(blocked_sum(x)).tobytes()


def test_sum_order_is_not_vector_width_order():
    # The emulation above is specific: summing in 8 lanes (an AVX2 register) or in index order
    # gives other bits for this input, so the test above can tell the orders apart.
    x = np.random.default_rng(3).standard_normal(1000).astype(np.float32) * 1000
    ref = fixed_lane_sum(x, 64)
    assert fixed_lane_sum(x, 8) != ref or np.cumsum(x, dtype=np.float32)[-1] != ref


# ---------------------------------------------------------------- the GEMM's chain, emulated

def fma_chain_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C[i,j] = fma(a[i,k], b[k,j], acc) over k in order, each step rounded once to float32.
    The product of two floats is exact in the 64-bit-mantissa long double, and the sum is
    rounded there before float32: a double rounding that can differ from one fma rounding
    with probability about 2^-40 per step."""
    acc = np.zeros((a.shape[0], b.shape[1]), np.float32)
    al, bl = a.astype(np.longdouble), b.astype(np.longdouble)
    for k in range(a.shape[1]):
        acc = (acc.astype(np.longdouble) + al[:, k:k + 1] * bl[k:k + 1, :]).astype(np.float32)
    return acc


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs an 80-bit long double")
@HYP
@given(m=hs.integers(1, 20), k=hs.integers(1, 70), n=hs.integers(1, 40), ta=hs.booleans(), tb=hs.booleans(),
       seed=hs.integers(0, 2**32 - 1))
def test_matmul_is_the_documented_fma_chain(isa, deterministic, m, k, n, ta, tb, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    ta_ = st.from_numpy(np.ascontiguousarray(a.T)).T if ta else st.from_numpy(a)
    tb_ = st.from_numpy(np.ascontiguousarray(b.T)).T if tb else st.from_numpy(b)
    got = (ta_ @ tb_).numpy()
    assert got.tobytes() == fma_chain_matmul(a, b).tobytes()


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs an 80-bit long double")
def test_linear_with_bias_is_the_chain_plus_bias(isa, deterministic):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((13, 37)).astype(np.float32)
    w = rng.standard_normal((21, 37)).astype(np.float32)
    bias = rng.standard_normal(21).astype(np.float32)
    got = F.linear(st.from_numpy(x), st.from_numpy(w), st.from_numpy(bias)).numpy()
    assert got.tobytes() == (fma_chain_matmul(x, w.T) + bias).tobytes()


def test_deterministic_products_stay_accurate(deterministic):
    rng = np.random.default_rng(2)
    for shape_a, shape_b in [((200, 300), (300, 150)), ((300,), (300, 40)), ((40, 300), (300,)),
                             ((300,), (300,)), ((3, 50, 60), (60, 70))]:
        for dt in (np.float32, np.float64):
            a = rng.standard_normal(shape_a).astype(dt)
            b = rng.standard_normal(shape_b).astype(dt)
            got = (st.from_numpy(a) @ st.from_numpy(b)).numpy()
            exact = np.matmul(a.astype(np.float64), b.astype(np.float64))
            scale = np.matmul(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64))
            eps = np.finfo(dt).eps
            assert got.shape == exact.shape
            assert np.all(np.abs(got - exact) <= 300 * eps * scale + 1e-300)


# ---------------------------------------------------------------- same bytes everywhere

def test_reductions_and_nn_rows_are_the_same_on_every_isa_and_thread_count():
    """Without the switch: sums, variances, norms, softmax, layer norm, cross-entropy."""
    rng = np.random.default_rng(4)
    big = rng.standard_normal(300_001).astype(np.float32)
    rows = rng.standard_normal((64, 1000)).astype(np.float32) * 3
    odd = rng.standard_normal((37, 77)).astype(np.float32)
    f64 = rng.standard_normal((33, 129))
    target = rng.integers(0, 1000, 64)

    def run():
        out = []
        for arr in (big, rows, odd, f64):
            t = st.from_numpy(arr)
            p = st.zeros_like(t).requires_grad_()
            p.grad = t
            total_norm = st.nn.utils.clip_grad_norm_([p], 1e30)  # the fused gradient-norm kernel
            out += [t.sum().numpy(), t.mean().numpy(), t.var().numpy(), t.std().numpy(),
                    np.asarray(total_norm.numpy() if hasattr(total_norm, "numpy") else total_norm)]
        for arr in (rows, odd, f64):
            t = st.from_numpy(arr).requires_grad_()
            for fn in (lambda v: F.softmax(v, dim=1), lambda v: F.log_softmax(v, dim=1),
                       lambda v: F.layer_norm(v, (v.shape[1],))):
                y = fn(t)
                (y * y).sum().backward()
                out += [y.detach().numpy(), t.grad.numpy()]
                t.grad = None
            out += [st.from_numpy(arr).var(dim=1).numpy(), st.from_numpy(arr).sum(dim=0).numpy()]
        logits = st.from_numpy(rows).requires_grad_()
        loss = F.cross_entropy(logits, st.from_numpy(target))
        loss.backward()
        out += [loss.detach().numpy(), logits.grad.numpy()]
        return [np.asarray(o).copy() for o in out]

    assert_all_same_bytes(every_isa_and_thread_count(run))


def test_products_are_the_same_on_every_isa_and_thread_count(deterministic):
    rng = np.random.default_rng(5)
    cases = [(rng.standard_normal((200, 300)).astype(np.float32), rng.standard_normal((300, 170)).astype(np.float32)),
             (rng.standard_normal((7, 300, 40)).astype(np.float32), rng.standard_normal((40, 9)).astype(np.float32)),
             (rng.standard_normal((300,)).astype(np.float32), rng.standard_normal((300, 33)).astype(np.float32)),
             (rng.standard_normal((33, 300)).astype(np.float32), rng.standard_normal((300,)).astype(np.float32)),
             (rng.standard_normal((130, 70)), rng.standard_normal((70, 90)))]
    x = rng.standard_normal((96, 200)).astype(np.float32)
    w = rng.standard_normal((150, 200)).astype(np.float32)
    bias = rng.standard_normal(150).astype(np.float32)

    def run():
        out = []
        for a, b in cases:
            out.append((st.from_numpy(a) @ st.from_numpy(b)).numpy().copy())
            if a.ndim == 2 and b.ndim == 2:  # both operands stored transposed
                out.append((st.from_numpy(a.T.copy()).T @ st.from_numpy(b.T.copy()).T).numpy().copy())
        xt, wt, bt = (st.from_numpy(v).requires_grad_() for v in (x, w, bias))
        y = F.linear(xt, wt, bt)
        (y * y).sum().backward()
        out += [y.detach().numpy().copy(), xt.grad.numpy().copy(), wt.grad.numpy().copy(), bt.grad.numpy().copy()]
        return out

    assert_all_same_bytes(every_isa_and_thread_count(run))


def test_a_training_run_is_bit_identical_on_every_isa_and_thread_count(deterministic):
    rng = np.random.default_rng(6)
    data = rng.standard_normal((128, 64)).astype(np.float32)
    labels = rng.integers(0, 10, 128)

    def run():
        st.manual_seed(0)
        model = st.nn.Sequential(st.nn.Linear(64, 96), st.nn.LayerNorm(96), st.nn.GELU(), st.nn.Linear(96, 10))
        opt = st.optim.AdamW(model.parameters(), lr=1e-2)
        losses = []
        for step in range(6):
            xb = st.from_numpy(data[step * 16:(step + 1) * 16 + 48])
            yb = st.from_numpy(labels[step * 16:(step + 1) * 16 + 48])
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            st.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.detach().numpy().copy())
        return losses + [p.detach().numpy().copy() for p in model.parameters()]

    assert_all_same_bytes(every_isa_and_thread_count(run))


# ---------------------------------------------------------------- other machines, emulated

TRAINING_SNIPPET = """
import hashlib, sys
import numpy as np
import steepest as st
import steepest.nn.functional as F
st.use_deterministic_algorithms(sys.argv[1] == "1")
rng = np.random.default_rng(7)
data = st.from_numpy(rng.standard_normal((96, 300)).astype(np.float32))
labels = st.from_numpy(rng.integers(0, 10, 96))
st.manual_seed(0)
model = st.nn.Sequential(st.nn.Linear(300, 200), st.nn.ReLU(), st.nn.Linear(200, 10))
opt = st.optim.Adam(model.parameters(), lr=1e-3)
for _ in range(4):
    loss = F.cross_entropy(model(data), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
h = hashlib.sha1()
for p in model.parameters():
    h.update(p.detach().numpy().tobytes())
print(h.hexdigest())
"""


def cpuinfo_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


@pytest.mark.skipif(" avx " not in cpuinfo_flags() and " avx2 " not in cpuinfo_flags(), reason="x86 with AVX")
def test_training_is_bit_identical_across_emulated_machines(tmp_path):
    """Fresh processes stand in for other machines: another BLAS kernel family (OpenBLAS picks
    its kernels by CPU model; OPENBLAS_CORETYPE=Sandybridge forces an older one), the scalar
    kernels instead of the vector ones (STEEPEST_ISA), and 1 or 2 threads. With the switch on
    all of them agree; with it off the BLAS change alone already alters the bits, so the
    comparison is a real one."""
    import os
    import subprocess
    import sys

    from isolated import PYTHON_DIR

    script = tmp_path / "train.py"
    script.write_text(TRAINING_SNIPPET)
    machines = [{}, {"OPENBLAS_CORETYPE": "Sandybridge"}, {"STEEPEST_ISA": "scalar"}, {"OMP_NUM_THREADS": "1"},
                {"OPENBLAS_CORETYPE": "Sandybridge", "STEEPEST_ISA": "scalar", "OMP_NUM_THREADS": "2"}]

    def digest(extra, det):
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "STEEPEST_ISA", "OMP_NUM_THREADS")}
        env.update(extra, PYTHONPATH=PYTHON_DIR)
        out = subprocess.run([sys.executable, str(script), "1" if det else "0"], env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    on = [digest(m, True) for m in machines]
    assert len(set(on)) == 1, list(zip(machines, on))
    assert digest(machines[0], False) != digest(machines[1], False)
