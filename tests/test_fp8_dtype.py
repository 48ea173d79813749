"""The FP8 storage dtypes float8_e4m3fn and float8_e5m2: conversions bit for bit against
torch (whose .to() steepest follows) and ml_dtypes (over all 256 patterns, and over a dense
float32 sweep with the documented differences), numpy/safetensors/torch-file round trips,
the ops that support FP8 and the ones that refuse it with torch's message."""
import json

import ml_dtypes
import numpy as np
import pytest
import torch

import steepest as st

FORMATS = [("float8_e4m3fn", ml_dtypes.float8_e4m3fn), ("float8_e5m2", ml_dtypes.float8_e5m2)]
ALL_BITS = np.arange(256, dtype=np.uint8)


def st_bits(t):
    """The bytes of a steepest FP8 tensor, read through Tensor.view (not through numpy)."""
    n = t.numel()
    padded = st.zeros(((n + 3) // 4 * 4,), dtype=t.dtype)
    padded[:n] = t.reshape(-1)
    return padded.view(st.int32).numpy().view(np.uint8)[:n]


def torch_bits(t):
    return t.contiguous().view(torch.uint8).numpy().reshape(-1)


def from_bits(bits, name):
    """A steepest FP8 tensor holding exactly these bytes (through int32 words and view)."""
    n = bits.size
    words = np.zeros((n + 3) // 4 * 4, dtype=np.uint8)
    words[:n] = bits
    return st.from_numpy(words.view(np.int32).copy()).view(getattr(st, name))[:n]


def sweep():
    """float32 values: a stride through every bit pattern, every FP8 grid point of both formats
    with its neighbours, the exact midpoints between them (ties) and one float32 ulp either side,
    and the specials."""
    wide = np.arange(0, 1 << 32, 4099, dtype=np.uint64).astype(np.uint32).view(np.float32)
    pts = []
    for _, ml in FORMATS:
        grid = np.unique(np.abs(ALL_BITS.view(ml).astype(np.float64)))
        grid = grid[np.isfinite(grid)]
        grid = np.concatenate([grid, [2 * grid[-1] - grid[-2]]])  # one step past the largest finite value
        mids = (grid[:-1] + grid[1:]) / 2
        vals = np.concatenate([grid, mids]).astype(np.float32)
        pts += [vals, np.nextafter(vals, np.float32(np.inf)), np.nextafter(vals, np.float32(0))]
    specials = np.array([0.0, np.inf, np.nan, 448, 464, 480, 57344, 61440, 65536, 1e30, 1e-30, 2.0 ** -9,
                         2.0 ** -10, 2.0 ** -16, 2.0 ** -17, 3.0 * 2.0 ** -18, np.finfo(np.float32).max,
                         np.finfo(np.float32).tiny], dtype=np.float32)
    v = np.concatenate(pts + [specials, wide])
    return np.concatenate([v, -v])


@pytest.mark.parametrize("name,ml", FORMATS)
def test_dtype_attributes(name, ml):
    d = getattr(st, name)
    td = getattr(torch, name)
    assert d.itemsize == td.itemsize == 1
    assert d.is_floating_point and td.is_floating_point
    assert str(d) == f"steepest.{name}" and repr(d) == f"steepest.{name}"
    assert st.zeros(3, dtype=d).dtype == d


@pytest.mark.parametrize("name,ml", FORMATS)
def test_all_256_patterns_widen_like_ml_dtypes_and_torch(name, ml):
    t = from_bits(ALL_BITS, name)
    np.testing.assert_array_equal(st_bits(t), ALL_BITS)
    ref = ALL_BITS.view(ml).astype(np.float32)
    nan = np.isnan(ref)
    torch_ref = torch.from_numpy(ALL_BITS.copy()).view(getattr(torch, name)).float().numpy()
    for target in ("float32", "float64", "bfloat16", "float16"):
        got = t.to(getattr(st, target)).float().numpy()
        want = ref.astype(np.float64).astype(np.float32) if target in ("float32", "float64") else \
            torch.from_numpy(ref).to(getattr(torch, target)).float().numpy()
        np.testing.assert_array_equal(np.isnan(got), nan, err_msg=target)
        np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32), err_msg=target)
    np.testing.assert_array_equal(np.isnan(torch_ref), nan)
    assert (t.float().numpy()[~nan].view(np.uint32) == torch_ref[~nan].view(np.uint32)).all()


@pytest.mark.parametrize("name,ml", FORMATS)
def test_float32_to_fp8_bit_for_bit(name, ml):
    x = sweep()
    got = st_bits(st.from_numpy(x).to(getattr(st, name)))
    # torch's .to(): exactly the same bits everywhere.
    np.testing.assert_array_equal(got, torch_bits(torch.from_numpy(x).to(getattr(torch, name))))
    # ml_dtypes: the same except where the rules documented in docs/fp8.md differ.
    ml_bits = x.astype(ml).view(np.uint8)
    differ = got != ml_bits
    nan = np.isnan(x)
    if name == "float8_e4m3fn":
        # torch saturates: |x| > 464 (which rounds past 448; 464 itself ties to 448) and +-inf
        # give +-448, where ml_dtypes gives NaN.
        with np.errstate(invalid="ignore"):
            expect = ~nan & (np.abs(x) > 464)
        np.testing.assert_array_equal(differ, expect)
        assert (got[expect] & 0x7F == 0x7E).all()
    else:
        # NaN: torch and steepest write 0x7f (sign kept), ml_dtypes 0x7e.
        np.testing.assert_array_equal(differ, nan)
    np.testing.assert_array_equal(got[nan] & 0x7F, np.full(nan.sum(), 0x7F, np.uint8))


def test_round_to_nearest_even_and_specials():
    x = st.tensor([1.0625, 1.1875, -1.0625, 0.0, -0.0, 2.0 ** -10, 3 * 2.0 ** -10, 2.0 ** -11, 500.0,
                   float("inf"), float("-inf")])
    # 1.0625 lies halfway between 1 and 1.125: even mantissa (1.0); 1.1875 between 1.125 and 1.25: 1.25.
    assert x.to(st.float8_e4m3fn).float().tolist()[:3] == [1.0, 1.25, -1.0]
    b = st_bits(x.to(st.float8_e4m3fn))
    assert b[3] == 0x00 and b[4] == 0x80  # -0 keeps its sign
    assert b[5] == 0x00 and b[6] == 0x02  # 2^-10 ties to 0; 3*2^-10 ties to the even subnormal 2*2^-9
    assert b[7] == 0x00
    assert list(b[8:]) == [0x7E, 0x7E, 0xFE]  # saturation to +-448, as torch's .to()
    e5 = st_bits(x.to(st.float8_e5m2))
    assert list(e5[8:]) == [0x60, 0x7C, 0xFC]  # 500 rounds to 512; infinities stay infinite


@pytest.mark.parametrize("name", ["float8_e4m3fn", "float8_e5m2"])
@pytest.mark.parametrize("src", ["float64", "bfloat16", "float16", "int64", "int32", "bool"])
def test_other_dtypes_to_fp8_match_torch(name, src):
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.standard_normal(2000) * 10.0 ** rng.integers(-8, 6, 2000), [0, 1, -1, 448, 1e6]])
    if src in ("int64", "int32"):
        v = np.round(v).clip(-70000, 70000)
    tt = torch.from_numpy(v).to(getattr(torch, src))
    s = st.from_numpy(v).to(getattr(st, src))
    np.testing.assert_array_equal(st_bits(s.to(getattr(st, name))), torch_bits(tt.to(getattr(torch, name))))


@pytest.mark.parametrize("name,ml", FORMATS)
def test_numpy_round_trip_through_ml_dtypes(name, ml):
    a = ALL_BITS.view(ml).reshape(16, 16)
    t = st.from_numpy(a)
    assert t.dtype == getattr(st, name) and tuple(t.shape) == (16, 16)
    np.testing.assert_array_equal(st_bits(t), ALL_BITS)
    back = t.numpy()
    assert back.dtype == np.dtype(ml)
    np.testing.assert_array_equal(back.view(np.uint8).reshape(-1), ALL_BITS)
    t2 = st.tensor(a)
    assert t2.dtype == getattr(st, name)
    np.testing.assert_array_equal(st_bits(t2), ALL_BITS)


@pytest.mark.parametrize("name,ml", FORMATS)
def test_safetensors_and_torch_files_round_trip(name, ml, tmp_path):
    t = from_bits(ALL_BITS, name).reshape(16, 16).t()  # a strided view
    st.save({"w": t}, tmp_path / "a.safetensors")
    back = st.load(tmp_path / "a.safetensors")["w"]
    assert back.dtype == getattr(st, name)
    np.testing.assert_array_equal(st_bits(back), st_bits(t.contiguous()))
    # the format itself: the header names F8_E4M3 / F8_E5M2 and the body holds the bytes
    blob = (tmp_path / "a.safetensors").read_bytes()
    hlen = int.from_bytes(blob[:8], "little")
    entry = json.loads(blob[8:8 + hlen])["w"]
    assert entry["dtype"] == {"float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2"}[name]
    assert entry["shape"] == [16, 16]
    lo, hi = entry["data_offsets"]
    body = np.frombuffer(blob[8 + hlen + lo:8 + hlen + hi], np.uint8)
    np.testing.assert_array_equal(body, st_bits(t.contiguous()))
    st.save({"w": t}, tmp_path / "a.pt")
    tt = torch.load(tmp_path / "a.pt", weights_only=True)["w"]
    assert tt.dtype == getattr(torch, name)
    np.testing.assert_array_equal(torch_bits(tt), st_bits(t.contiguous()))
    torch.save({"w": tt.t()}, tmp_path / "b.pt")
    back = st.load(tmp_path / "b.pt")["w"]
    assert back.dtype == getattr(st, name) and tuple(back.shape) == (16, 16)
    np.testing.assert_array_equal(st_bits(back), torch_bits(tt.t()))


@pytest.mark.parametrize("name", ["float8_e4m3fn", "float8_e5m2"])
def test_supported_ops_match_torch(name):
    d, td = getattr(st, name), getattr(torch, name)
    v = [[1.5, -2.0, 0.3], [7.0, 1e-3, -448.0]]
    s, t = st.tensor(v).to(d), torch.tensor(v).to(td)

    def same(a, b):
        assert a.dtype == d and b.dtype == td and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(st_bits(a), torch_bits(b))

    same(s, t)
    same(s.clone(), t.clone())
    same(s.t().contiguous(), t.t().contiguous())
    same(st.cat([s, s]), torch.cat([t, t]))
    same(st.stack([s, s]), torch.stack([t, t]))
    same(s[st.tensor([1, 0])], t[torch.tensor([1, 0])])
    same(st.zeros(2, 3, dtype=d), torch.zeros(2, 3, dtype=td))
    same(st.ones(2, 3, dtype=d), torch.ones(2, 3, dtype=td))
    same(st.full((2, 3), 3.0, dtype=d), torch.full((2, 3), 3.0, dtype=td))
    same(s.clone().fill_(-0.75), t.clone().fill_(-0.75))
    assert s.tolist() == t.tolist()
    assert s[1, 2].item() == t[1, 2].item()
    assert st.zeros(2, dtype=d, requires_grad=True).requires_grad
    assert repr(s) == repr(t).replace("torch.", "steepest.")


@pytest.mark.parametrize("name,torch_name", [("float8_e4m3fn", "Float8_e4m3fn"), ("float8_e5m2", "Float8_e5m2")])
def test_arithmetic_refused_with_torch_message(name, torch_name):
    s = st.tensor([1.0, 2.0]).to(getattr(st, name))
    m = st.tensor([[1.0, 2.0], [3.0, 4.0]]).to(getattr(st, name))
    refused = [lambda: s + s, lambda: s * 2, lambda: -s, lambda: s.sum(), lambda: s.max(), lambda: s.exp(),
               lambda: s == s, lambda: s < 1, lambda: m @ m, lambda: st.nn.functional.linear(m, m),
               lambda: st.nn.functional.softmax(m, 0), lambda: st.nn.functional.relu(s),
               lambda: st.cumsum(s, 0), lambda: s.sort(), lambda: st.randn(2, dtype=getattr(st, name)),
               lambda: st.arange(3, dtype=getattr(st, name)), lambda: s.abs(), lambda: st.where(s > 0, s, s),
               lambda: st.nn.functional.embedding(st.tensor([0]), m), lambda: s.mean()]
    for i, f in enumerate(refused):
        with pytest.raises((NotImplementedError, TypeError, RuntimeError)) as e:
            f()
        assert torch_name in str(e.value) or name in str(e.value), (i, str(e.value))
    with pytest.raises(RuntimeError, match=f"Promotion for Float8 Types is not supported, attempted to promote "
                                           f"{torch_name} and Float"):
        s + st.tensor([1.0])
    with pytest.raises(RuntimeError, match="Promotion for Float8 Types"):
        st.promote_types(st.float8_e4m3fn, st.float8_e5m2)
    assert st.promote_types(getattr(st, name), getattr(st, name)) == getattr(st, name)


def test_dlpack_export_refused_clearly():
    t = st.zeros(3, dtype=st.float8_e4m3fn)
    with pytest.raises(BufferError, match="can't export a float8_e4m3fn tensor"):
        t.__dlpack__()
