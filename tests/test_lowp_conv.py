"""Convolutions in bfloat16/float16 (conv1d/2d, conv_transpose1d/2d, unfold, fold), forward
and backward, on both 16-bit GEMM paths (AVX512_BF16 where the CPU has it, and the widened
float32 path forced): against float64 references computed from the same rounded inputs, with
a stated bound; against torch's bfloat16 convolution; against steepest's own float32 path.

Bound. Every result is a sum of exact products (two 16-bit values multiply exactly in float32)
accumulated in float32 and rounded once to the 16-bit dtype (unit roundoff u: 2^-8 bfloat16,
2^-11 float16). With S the same quantity computed from |x|, |w|, |b|, |gy| in float64 and n
an upper bound on the float32 additions into any one result,
    |got - ref| <= u |ref| + (n + 4) 2^-24 S (1 + u) + t,
where t is half the dtype's smallest subnormal step (results below the normal range round
absolutely: 2^-25 for float16).
n here: (C/groups + O/groups + 2) * kernel elements + batch * positions + 8, which covers the
forward sum over C/groups * kernel taps, the data gradient's sum over O/groups * taps plus the
col2im additions, and the weight/bias gradients' sums over batch * positions and the
per-thread partial sums."""
import contextlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
import steepest.nn.functional as F


def _native_available():
    before = st._core._bf16_gemm_path()
    try:
        st._core._set_bf16_gemm_path("avx512_bf16")
    except ValueError:  # no AVX512_BF16 here, or a lower instruction set forced
        return False
    st._core._set_bf16_gemm_path(before)
    return True


PATHS = ["f32"] + (["avx512_bf16"] if _native_available() else [])
U = {"bfloat16": 2.0 ** -8, "float16": 2.0 ** -11}
U24 = 2.0 ** -24
TINY = {"bfloat16": 2.0 ** -134, "float16": 2.0 ** -25}


@contextlib.contextmanager
def gemm_path(name):
    before = st._core._bf16_gemm_path()
    st._core._set_bf16_gemm_path(name)
    try:
        yield
    finally:
        st._core._set_bf16_gemm_path(before)


def rounded(rng, shape, dtype):
    """A torch tensor of the 16-bit dtype from standard normal values."""
    return torch.from_numpy(rng.standard_normal(shape).astype(np.float32)).to(getattr(torch, dtype))


def to_st(t, requires_grad=False):
    dt = {torch.bfloat16: st.bfloat16, torch.float16: st.float16, torch.float32: st.float32}[t.dtype]
    return st.tensor(t.float().numpy(), dtype=dt, requires_grad=requires_grad)


def f64(t):
    return np.asarray(t.detach().float().numpy(), dtype=np.float64)


def check(got, ref, s, n, u, what):
    bound = u * np.abs(ref) + (n + 4) * U24 * s * (1 + u) + (TINY["float16"] if u == U["float16"] else 0.0)
    err = np.abs(got - ref)
    assert np.all(err <= bound), f"{what}: max excess {np.max(err - bound):.3g} (n={n}, u={u})"


def torch_op(kind):
    return getattr(TF, kind)


def reference(kind, x, w, b, gy, kw):
    """float64 values and gradients of torch's op on the rounded inputs, and the same from
    their absolute values (the S of the bound)."""
    out = []
    for absolute in (False, True):
        ins = [t.double().abs() if absolute else t.double() for t in (x, w, b)]
        ins = [t.requires_grad_() for t in ins]
        y = torch_op(kind)(*ins, **kw)
        y.backward(gy.double().abs() if absolute else gy.double())
        out.append([y.detach().numpy()] + [t.grad.numpy() for t in ins])
    return out


def run_steepest(kind, x, w, b, gy, kw):
    xs, ws, bs = to_st(x, True), to_st(w, True), to_st(b, True)
    y = getattr(F, kind)(xs, ws, bs, **kw)
    y.backward(to_st(gy))
    return y, [y, xs.grad, ws.grad, bs.grad]


CASES = hs.fixed_dictionaries({
    "kind": hs.sampled_from(["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]),
    "dtype": hs.sampled_from(["bfloat16", "float16"]),
    "n": hs.integers(1, 3), "groups": hs.integers(1, 2), "cg": hs.integers(1, 4), "og": hs.integers(1, 4),
    "size": hs.integers(1, 11), "k": hs.integers(1, 3), "stride": hs.integers(1, 2), "pad": hs.integers(0, 1),
    "dil": hs.integers(1, 2), "seed": hs.integers(0, 2 ** 16)})


def build(c):
    rng = np.random.default_rng(c["seed"])
    two_d = c["kind"].endswith("2d")
    g, cg, og, k = c["groups"], c["cg"], c["og"], c["k"]
    spatial = (c["size"], c["size"] + 1) if two_d else (c["size"] + 2,)
    kernel = (k, k) if two_d else (k,)
    kw = {"stride": c["stride"], "padding": c["pad"], "dilation": c["dil"], "groups": g}
    if c["kind"].startswith("conv_transpose"):
        x = rounded(rng, (c["n"], g * cg) + spatial, c["dtype"])
        w = rounded(rng, (g * cg, og) + kernel, c["dtype"])
        b = rounded(rng, (g * og,), c["dtype"])
        kw["output_padding"] = 1 if c["stride"] > 1 else 0
    else:
        x = rounded(rng, (c["n"], g * cg) + spatial, c["dtype"])
        w = rounded(rng, (g * og, cg) + kernel, c["dtype"])
        b = rounded(rng, (g * og,), c["dtype"])
    return x, w, b, kw


def terms(x, y, w, g):
    kk = int(np.prod(w.shape[2:]))
    positions = max(int(np.prod(x.shape[2:])), int(np.prod(y.shape[2:])))
    return (w.shape[0] // g + w.shape[1] + 2) * kk * g + x.shape[0] * positions + 8


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=30, deadline=None)
@given(c=CASES)
def test_against_float64_reference(path, c):
    with gemm_path(path):
        check_against_float64(c)


def check_against_float64(c):
    x, w, b, kw = build(c)
    try:
        yt = torch_op(c["kind"])(x.double(), w.double(), b.double(), **kw)
    except RuntimeError:
        return  # geometry torch refuses (the kernel's extent beyond the padded input)
    gy = rounded(np.random.default_rng(c["seed"] + 1), tuple(yt.shape), c["dtype"])
    y, got = run_steepest(c["kind"], x, w, b, gy, kw)
    assert y.dtype == getattr(st, c["dtype"])
    assert all(t.dtype == y.dtype for t in got)
    ref, s = reference(c["kind"], x, w, b, gy, kw)
    n = terms(x, yt, w, c["groups"])
    for name, gt, r, sv in zip(("y", "gx", "gw", "gb"), got, ref, s):
        check(f64(gt), r, sv, n, U[c["dtype"]], f"{c['kind']} {name}")


@settings(max_examples=15, deadline=None)
@given(c=CASES.filter(lambda c: c["dtype"] == "bfloat16"))
def test_against_torch_bfloat16_and_own_float32(c):
    """torch's bfloat16 convolution and steepest's float32 one on the same inputs each lie
    within the bound of the float64 reference, so within twice the bound of ours."""
    x, w, b, kw = build(c)
    try:
        yt = torch_op(c["kind"])(x.double(), w.double(), b.double(), **kw)
    except RuntimeError:
        return
    gy = rounded(np.random.default_rng(c["seed"] + 1), tuple(yt.shape), c["dtype"])
    _, got = run_steepest(c["kind"], x, w, b, gy, kw)
    ref, s = reference(c["kind"], x, w, b, gy, kw)
    tins = [t.clone().requires_grad_() for t in (x, w, b)]
    ty = torch_op(c["kind"])(*tins, **kw)
    ty.backward(gy)
    torch_res = [ty] + [t.grad for t in tins]
    _, own32 = run_steepest(c["kind"], x.float(), w.float(), b.float(), gy.float(), kw)
    n = terms(x, yt, w, c["groups"])
    for name, a, t, o, r, sv in zip(("y", "gx", "gw", "gb"), got, torch_res, own32, ref, s):
        # the float32 result rounded to bfloat16 is a bfloat16 result of the same sums
        o16 = f64(torch.from_numpy(f64(o).astype(np.float32)).bfloat16())
        # On CPUs without AVX512 torch's bfloat16 convolution can round partial sums to
        # bfloat16 (one such input gradient is off by 7% after cancellation): elements where
        # torch misses the float64 bound it is held to say nothing about ours, which the
        # float64 test checks everywhere, so the torch comparison keeps the others.
        t64 = f64(t)
        torch_fair = np.abs(t64 - r) <= U["bfloat16"] * np.abs(r) * 1.01 + (n + 4) * U24 * sv * 1.01
        for other, who, keep in ((t64, "torch", torch_fair), (o16, "steepest float32", True)):
            bound = 2 * (U["bfloat16"] * np.abs(other) * 1.01 + (n + 4) * U24 * sv * 1.01)
            err = np.where(keep, np.abs(f64(a) - other), 0.0)
            assert np.all(err <= bound), f"{c['kind']} {name} vs {who}: max excess {np.max(err - bound):.3g}"


def test_paths_agree_on_larger_convolutions():
    """The AVX512_BF16 kernel and the widened float32 path on bigger shapes (several threads,
    batched small images, the 1x1 kernel that skips the column copy), both within the bound."""
    rng = np.random.default_rng(7)
    before_threads = st.get_num_threads()
    cases = [((4, 16, 12, 12), (32, 16, 3, 3), {"padding": 1}),
             ((6, 8, 5, 5), (8, 8, 3, 3), {"padding": 1}),
             ((3, 16, 9, 9), (24, 16, 1, 1), {}),
             ((2, 8, 10, 10), (8, 2, 3, 3), {"stride": 2, "groups": 4})]
    try:
        st.set_num_threads(2)
        for xs, wsh, kw in cases:
            x, w, b = rounded(rng, xs, "bfloat16"), rounded(rng, wsh, "bfloat16"), rounded(rng, (wsh[0],), "bfloat16")
            yt = TF.conv2d(x.double(), w.double(), b.double(), **kw)
            gy = rounded(rng, tuple(yt.shape), "bfloat16")
            ref, s = reference("conv2d", x, w, b, gy, kw)
            n = terms(x, yt, w, kw.get("groups", 1))
            for p in PATHS:
                with gemm_path(p):
                    _, got = run_steepest("conv2d", x, w, b, gy, kw)
                for name, gt, r, sv in zip(("y", "gx", "gw", "gb"), got, ref, s):
                    check(f64(gt), r, sv, n, U["bfloat16"], f"{xs} {p} {name}")
    finally:
        st.set_num_threads(before_threads)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_unfold_copies_bits_and_fold_sums_in_float32(dtype):
    rng = np.random.default_rng(8)
    x = rounded(rng, (2, 3, 7, 6), dtype)
    kw = {"kernel_size": (3, 2), "dilation": 1, "padding": 1, "stride": (2, 1)}
    xs = to_st(x, True)
    u = F.unfold(xs, **kw)
    assert u.dtype == getattr(st, dtype)
    np.testing.assert_array_equal(f64(u), f64(TF.unfold(x, **kw)))  # a pure copy: exact
    gu = rounded(rng, tuple(u.shape), dtype)
    u.backward(to_st(gu))  # unfold's backward is fold
    ref = TF.fold(gu.double(), (7, 6), **kw).numpy()
    s = TF.fold(gu.double().abs(), (7, 6), **kw).numpy()
    check(f64(xs.grad), ref, s, 6 + 8, U[dtype], "unfold backward")
    f = F.fold(to_st(gu), (7, 6), **kw)
    assert f.dtype == getattr(st, dtype)
    check(f64(f), ref, s, 6 + 8, U[dtype], "fold")


def test_mixed_dtypes_are_refused():
    x = st.zeros(1, 2, 5, 5, dtype=st.bfloat16)
    with pytest.raises(TypeError, match="weight"):
        F.conv2d(x, st.zeros(3, 2, 3, 3))
    with pytest.raises(TypeError, match="bias"):
        F.conv2d(x, st.zeros(3, 2, 3, 3, dtype=st.bfloat16), st.zeros(3))
    with pytest.raises(TypeError, match="weight"):
        F.conv_transpose2d(x, st.zeros(2, 3, 3, 3, dtype=st.float16))


def test_empty_batch_and_channels():
    x = st.zeros(0, 2, 5, 5, dtype=st.bfloat16, requires_grad=True)
    w = st.ones(3, 2, 3, 3, dtype=st.bfloat16, requires_grad=True)
    y = F.conv2d(x, w)
    assert tuple(y.shape) == (0, 3, 3, 3)
    y.sum().backward()
    assert np.all(w.grad.float().numpy() == 0)
    y2 = F.conv2d(st.ones(1, 2, 4, 4, dtype=st.bfloat16), st.ones(0, 2, 3, 3, dtype=st.bfloat16))
    assert tuple(y2.shape) == (1, 0, 2, 2)
