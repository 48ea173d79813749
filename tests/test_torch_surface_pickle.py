"""Issue 12, serialization: tensors and whole models pickle and deep-copy (values, dtype,
requires_grad, Parameter-ness, Python attributes; protocol 5 out of band), and st.save /
st.load take binary file objects and torch's map_location / weights_only keywords."""
import copy
import io
import pickle

import numpy as np
import pytest
import torch

import steepest as st


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int32", "int64", "bool"])
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_tensor_pickle_round_trip(dtype, protocol):
    t = st.tensor([[1.5, -2.0, 0.0], [3.0, 4.25, -0.5]]).to(getattr(st, dtype))
    u = pickle.loads(pickle.dumps(t, protocol=protocol))
    assert type(u) is st.Tensor and u.dtype == t.dtype and tuple(u.shape) == (2, 3)
    np.testing.assert_array_equal(u.float().numpy(), t.float().numpy())
    assert u.data_ptr() != t.data_ptr()


def test_pickle_keeps_strided_views_values_and_requires_grad():
    base = st.arange(12.0).reshape(3, 4)
    view = base.t()[1:]
    u = pickle.loads(pickle.dumps(view))
    np.testing.assert_array_equal(u.numpy(), view.numpy())
    leaf = st.ones(2, requires_grad=True)
    assert pickle.loads(pickle.dumps(leaf)).requires_grad


def test_pickle_protocol5_out_of_band():
    t = st.arange(1000.0)
    buffers = []
    data = pickle.dumps(t, protocol=5, buffer_callback=buffers.append)
    assert buffers and len(data) < 1000  # the values went out of band
    u = pickle.loads(data, buffers=buffers)
    np.testing.assert_array_equal(u.numpy(), t.numpy())
    u.add_(1)  # a rebuilt tensor is writable


def test_pickle_refuses_tensors_inside_a_graph():
    x = st.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="autograd graph"):
        pickle.dumps(x * 2)


def test_deepcopy_tensor_like_torch():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.is_leaf and y.data_ptr() != x.data_ptr()
    np.testing.assert_array_equal(y.grad.numpy(), [3, 3])
    assert y.grad.data_ptr() != x.grad.data_ptr()
    x.detach().add_(1)
    np.testing.assert_array_equal(y.detach().numpy(), [1, 2])
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)
    # shared tensors stay shared inside one deepcopy
    pair = copy.deepcopy([x, x])
    assert pair[0] is pair[1]


def _model():
    st.manual_seed(0)
    return st.nn.Sequential(st.nn.Linear(3, 5), st.nn.ReLU(), st.nn.Linear(5, 2))


def test_pickle_whole_model_and_optimizer_state():
    m = _model()
    m[0].weight.custom_tag = "kept"
    u = pickle.loads(pickle.dumps(m))
    assert isinstance(u, st.nn.Sequential) and isinstance(u[0].weight, st.nn.Parameter)
    assert u[0].weight.requires_grad and u[0].weight.custom_tag == "kept"
    x = st.randn(4, 3)
    np.testing.assert_array_equal(u(x).detach().numpy(), m(x).detach().numpy())
    # the copy trains on its own
    opt = st.optim.SGD(u.parameters(), lr=0.1)
    u(x).sum().backward()
    opt.step()
    assert not np.array_equal(u[0].weight.detach().numpy(), m[0].weight.detach().numpy())


def test_deepcopy_model_like_torch_ema_copy():
    m = _model()
    ema = copy.deepcopy(m)
    for p in ema.parameters():
        p.requires_grad_(False)
    assert all(p.requires_grad for p in m.parameters())
    with st.no_grad():
        for e, p in zip(ema.parameters(), m.parameters()):
            e.mul_(0.5).add_(p, alpha=0.5)
    np.testing.assert_allclose(ema[0].weight.numpy(), m[0].weight.detach().numpy(), rtol=1e-7)


def test_save_load_file_objects():
    m = _model()
    sd = m.state_dict()
    buf = io.BytesIO()
    st.save(sd, buf)
    buf.seek(0)
    back = st.load(buf, map_location="cpu", weights_only=True)
    assert list(back) == list(sd)
    for k in sd:
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())
    # file objects from open(), at their current position
    with io.BytesIO() as f:
        f.write(b"header")
        st.save({"a": st.ones(2)}, f)
        f.seek(6)
        assert st.load(f, map_location=st.device("cpu"))["a"].tolist() == [1, 1]
    # a torch user's map_location dict that sends GPU tensors to the CPU
    buf.seek(0)
    assert list(st.load(buf, map_location={"cuda:0": "cpu"})) == list(sd)


def test_save_load_bad_arguments():
    buf = io.BytesIO()
    with pytest.raises(TypeError, match="pickle_module"):
        st.save({}, buf, pickle_module=pickle)
    with pytest.raises(NotImplementedError, match="functions are not supported"):
        st.load(buf, map_location=lambda storage, loc: storage)
    if not st.build_info()["cuda"]:
        with pytest.raises(NotImplementedError, match="no CUDA backend"):
            st.load(buf, map_location="cuda:0")
    with pytest.raises(TypeError, match="unsupported keyword"):
        st.load(buf, encoding="latin1")
    with pytest.raises(ValueError):
        st.load(io.BytesIO(b"not a safetensors file"))


def test_torch_checkpoints_load_but_plain_pickles_do_not():
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    buf.seek(0)
    assert st.load(buf)["w"].tolist() == [1.0, 1.0]  # tests/test_torch_checkpoint.py has the details
    with pytest.raises(ValueError, match="plain Python pickle"):
        st.load(io.BytesIO(pickle.dumps({"w": [1.0]})))
