"""F.pad (every mode, negative padding, batched and unbatched), F.interpolate and Upsample
(nearest, nearest-exact, linear/bilinear/trilinear, align_corners, size or scale_factor),
pixel_shuffle / pixel_unshuffle and one_hot, against torch with hypothesis shapes; gradients
through each, gradcheck in float64, and errors for bad arguments."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as hs
from nn_ref import check_against_torch, pair, same

import steepest as st
import steepest.nn.functional as F
from steepest.autograd import gradcheck

SET = settings(max_examples=20, deadline=None)


@SET
@given(shape=hs.lists(hs.integers(1, 5), min_size=1, max_size=4), data=hs.data(), seed=hs.integers(0, 99))
def test_constant_pad_any_dims(shape, data, seed):
    k = data.draw(hs.integers(1, len(shape)))
    pads = []
    for j in range(k):
        size = shape[len(shape) - 1 - j]
        lo = data.draw(hs.integers(-size + 1, 3))
        pads += [lo, data.draw(hs.integers(-(size + min(lo, 0)) + 1, 3))]
    value = data.draw(hs.sampled_from([None, 0.0, -2.5]))
    x = np.random.default_rng(seed).standard_normal(shape)
    check_against_torch(lambda t: F.pad(t, pads, value=value), lambda t: TF.pad(t, pads, value=value), [x])


@SET
@given(mode=hs.sampled_from(["reflect", "replicate", "circular"]), k=hs.integers(1, 3), batched=hs.booleans(),
       data=hs.data(), seed=hs.integers(0, 99))
def test_non_constant_pad(mode, k, batched, data, seed):
    shape = [data.draw(hs.integers(1, 3))] * (2 if batched else 1) + [data.draw(hs.integers(2, 5)) for _ in range(k)]
    pads = []
    for j in range(k):
        size = shape[-1 - j]
        top = size - 1 if mode == "reflect" else size
        pads += [data.draw(hs.integers(0, top)), data.draw(hs.integers(0, top))]
    x = np.random.default_rng(seed).standard_normal(shape)
    check_against_torch(lambda t: F.pad(t, pads, mode=mode), lambda t: TF.pad(t, pads, mode=mode), [x])


def test_pad_gradcheck():
    x = st.from_numpy(np.random.default_rng(0).standard_normal((1, 2, 3, 4))).requires_grad_()
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert gradcheck(lambda t, m=mode: F.pad(t, (2, 1, 1, 2), mode=m), (x,))
    assert gradcheck(lambda t: F.pad(t, (-1, 2, 0, -1), value=3.0), (x,))


@SET
@given(nd=hs.sampled_from([1, 2, 3]), data=hs.data(), seed=hs.integers(0, 99))
def test_interpolate(nd, data, seed):
    mode = data.draw(hs.sampled_from(["nearest", "nearest-exact", {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]]))
    spatial = [data.draw(hs.integers(1, 6)) for _ in range(nd)]
    kw = {"mode": mode}
    if mode not in ("nearest", "nearest-exact"):
        kw["align_corners"] = data.draw(hs.sampled_from([None, False, True]))
    if data.draw(hs.booleans()):
        kw["size"] = [data.draw(hs.integers(1, 9)) for _ in range(nd)]
        if nd == 1 and data.draw(hs.booleans()):
            kw["size"] = kw["size"][0]
    else:
        sf = [data.draw(hs.sampled_from([0.5, 1.0, 1.5, 2.0, 2.7, 3.0])) for _ in range(nd)]
        assume(all(int(s * f) >= 1 for s, f in zip(spatial, sf)))
        kw["scale_factor"] = sf if data.draw(hs.booleans()) else sf[0]
        if isinstance(kw["scale_factor"], float):
            assume(all(int(s * sf[0]) >= 1 for s in spatial))
        kw["recompute_scale_factor"] = data.draw(hs.sampled_from([None, True]))
    x = np.random.default_rng(seed).standard_normal([2, 3] + spatial)
    check_against_torch(lambda t: F.interpolate(t, **kw), lambda t: TF.interpolate(t, **kw), [x])


@pytest.mark.parametrize("kw", [dict(scale_factor=2, mode="bilinear"), dict(size=(5, 3), mode="bilinear",
                                align_corners=True), dict(size=(3, 7), mode="nearest")])
def test_upsample_module_and_float32(kw):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    check_against_torch(st.nn.Upsample(**kw), torch.nn.Upsample(**kw), [x], np.float32, scale=4)
    assert repr(st.nn.Upsample(**kw)) == repr(torch.nn.Upsample(**kw))


def test_interpolate_gradcheck():
    x = st.from_numpy(np.random.default_rng(1).standard_normal((1, 2, 3, 4))).requires_grad_()
    assert gradcheck(lambda t: F.interpolate(t, size=(5, 6), mode="bilinear"), (x,))
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode="bilinear", align_corners=True), (x,))
    assert gradcheck(lambda t: F.interpolate(t, size=(2, 7)), (x,))


@SET
@given(lead=hs.lists(hs.integers(1, 3), max_size=2), c=hs.integers(1, 3), r=hs.integers(1, 3), h=hs.integers(1, 3),
       w=hs.integers(1, 3), seed=hs.integers(0, 99))
def test_pixel_shuffle_roundtrip(lead, c, r, h, w, seed):
    x = np.random.default_rng(seed).standard_normal(lead + [c * r * r, h, w])
    y = check_against_torch(lambda t: F.pixel_shuffle(t, r), lambda t: TF.pixel_shuffle(t, r), [x])
    assert tuple(y.shape) == tuple(lead) + (c, h * r, w * r)
    z = np.random.default_rng(seed).standard_normal(lead + [c, h * r, w * r])
    check_against_torch(st.nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r), [z])
    same(F.pixel_unshuffle(F.pixel_shuffle(st.from_numpy(x), r), r), x)


@SET
@given(shape=hs.lists(hs.integers(0, 4), max_size=3), n=hs.integers(1, 6), seed=hs.integers(0, 99))
def test_one_hot(shape, n, seed):
    idx = np.random.default_rng(seed).integers(0, n, size=shape)
    s, t = st.from_numpy(idx), torch.from_numpy(idx)
    a = F.one_hot(s, n)
    assert a.dtype == st.int64
    np.testing.assert_array_equal(a.numpy(), TF.one_hot(t, n).numpy())
    if idx.size:
        np.testing.assert_array_equal(F.one_hot(s).numpy(), TF.one_hot(t).numpy())


def test_errors():
    x = st.zeros(1, 2, 3)
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="less than or equal to two times"):
        F.pad(st.zeros(2), (1, 1, 1, 1))
    with pytest.raises(ValueError, match="less than the corresponding input dimension"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="wrapping around"):
        F.pad(x, (4, 0), mode="circular")
    with pytest.raises(ValueError, match="doesn't take in value"):
        F.pad(x, (1, 1), mode="replicate", value=1.0)
    with pytest.raises(NotImplementedError, match="not supported for 1D"):
        F.pad(st.zeros(3), (1, 1), mode="reflect")
    with pytest.raises(NotImplementedError, match="unrecognised padding mode"):
        F.pad(x, (1, 1), mode="bogus")
    with pytest.raises(ValueError, match="negative output size"):
        F.pad(x, (-2, -2))
    with pytest.raises(TypeError, match="sequence of ints"):
        F.pad(x, (1.5, 1))
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(NotImplementedError, match="bilinear mode needs 4D"):
        F.interpolate(x, size=3, mode="bilinear")
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(3, 3))
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(st.zeros(1, 1, 2, 2), size=3, mode="bicubic")
    with pytest.raises(ValueError, match="greater than 0"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(st.zeros(1, 5, 2, 2), 2)
    with pytest.raises(ValueError, match="divisible by downscale_factor"):
        F.pixel_unshuffle(st.zeros(1, 1, 3, 4), 2)
    with pytest.raises(ValueError, match="upscale_factor must be a positive int"):
        F.pixel_shuffle(st.zeros(1, 4, 2, 2), 0)
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(st.from_numpy(np.array([0, 5])), 3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(st.from_numpy(np.array([0, -1])), 3)
    with pytest.raises(TypeError, match="int64"):
        F.one_hot(st.zeros(3), 3)
    s, _ = pair(np.zeros(3), grad=False)
    with pytest.raises(ValueError, match="empty tensor"):
        F.one_hot(st.from_numpy(np.zeros(0, np.int64)))
    assert s.shape == (3,)
