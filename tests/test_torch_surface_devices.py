"""Issue 12, start-up surface: Module/Tensor .to() and the dtype casts, the device and
backend namespaces (st.cuda, st.accelerator, st.backends), st.onnx, st.utils.data,
st.compile and st.set_default_device, each against what torch does on a CPU-only machine."""
import importlib

import numpy as np
import pytest
import torch

import steepest as st

CUDA_BUILT = st.build_info()["cuda"]
HAS_GPU = st.cuda.is_available()
# What a CUDA request raises where it cannot be served: a CPU-only build says it has no
# backend; a CUDA build without a GPU says there is no device.
NO_CUDA = (RuntimeError, "no CUDA device") if CUDA_BUILT else (NotImplementedError, "no CUDA backend")


def _pair():
    """A steepest and a torch model with the same weights (a Linear and a BatchNorm-like buffer)."""
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    sm = st.nn.Sequential(st.nn.Linear(3, 4), st.nn.Tanh(), st.nn.Linear(4, 2))
    sm.load_state_dict({k: st.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return sm, tm


@pytest.mark.parametrize("method, dtype", [("double", "float64"), ("float", "float32"), ("half", "float16"),
                                           ("bfloat16", "bfloat16")])
def test_module_dtype_casts_keep_parameter_identity_and_match_torch(method, dtype):
    sm, tm = _pair()
    params = list(sm.parameters())
    opt = st.optim.SGD(sm.parameters(), lr=0.1)
    assert getattr(sm, method)() is sm
    getattr(tm, method)()
    # the same Parameter objects (an optimizer built before still holds them), new dtype
    assert [id(p) for p in sm.parameters()] == [id(p) for p in params]
    assert opt.param_groups[0]["params"][0] is params[0]
    for (name, sp), (_, tp) in zip(sm.named_parameters(), tm.named_parameters()):
        assert sp.dtype == getattr(st, dtype), name
        assert sp.requires_grad and sp.is_leaf
        np.testing.assert_array_equal(sp.detach().float().numpy(), tp.float().detach().numpy())


def test_module_to_dtype_runs_forward_and_backward_like_torch():
    sm, tm = _pair()
    assert sm.to(dtype=st.float64) is sm
    tm.to(dtype=torch.float64)
    x = np.random.default_rng(0).standard_normal((5, 3))
    sy, ty = sm(st.tensor(x)), tm(torch.tensor(x))
    assert sy.dtype == st.float64
    np.testing.assert_allclose(sy.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    sy.sum().backward()
    ty.sum().backward()
    for sp, tp in zip(sm.parameters(), tm.parameters()):
        assert sp.grad.dtype == st.float64
        np.testing.assert_allclose(sp.grad.numpy(), tp.grad.numpy(), rtol=1e-12)


def test_module_to_converts_existing_grads_and_leaves_integer_buffers():
    sm, _ = _pair()
    sm.register_buffer("steps", st.tensor([3]))
    sm.register_buffer("scale", st.tensor([0.5]))
    sm(st.ones(2, 3)).sum().backward()
    sm.to(st.float64)
    assert all(p.grad.dtype == st.float64 for p in sm.parameters())
    assert sm.steps.dtype == st.int64 and sm.scale.dtype == st.float64
    sm.type(st.float32)  # type() casts every tensor, integers included (as torch)
    assert sm.steps.dtype == st.float32
    sm.type("torch.DoubleTensor")
    assert sm.scale.dtype == st.float64


def test_module_to_forms():
    sm, tm = _pair()
    for args, kwargs in [(("cpu",), {}), ((st.device("cpu"),), {}), ((), {"device": "cpu"}),
                         (("cpu", st.float64), {}), ((st.zeros(1, dtype=st.float64),), {}),
                         ((), {"device": "cpu", "dtype": st.float64, "non_blocking": True})]:
        assert sm.to(*args, **kwargs) is sm
    assert next(sm.parameters()).dtype == st.float64
    assert sm.cpu() is sm


def test_module_to_rejects_integer_dtype_like_torch():
    sm, tm = _pair()
    with pytest.raises(TypeError) as te:
        tm.to(torch.int64)
    with pytest.raises(TypeError, match="floating point"):
        sm.to(st.int64)
    assert "floating point" in str(te.value)


@pytest.mark.skipif(HAS_GPU, reason="the error is for machines without a GPU")
@pytest.mark.parametrize("call", [lambda m: m.cuda(), lambda m: m.cuda(0), lambda m: m.to("cuda"),
                                  lambda m: m.to(device="cuda:0"), lambda m: m.to(0)])
def test_module_cuda_raises_naming_the_build(call):
    sm, _ = _pair()
    with pytest.raises(NO_CUDA[0], match=NO_CUDA[1]):
        call(sm)


def test_module_to_rejects_bad_arguments():
    sm, _ = _pair()
    with pytest.raises(TypeError, match="unexpected argument"):
        sm.to(1.5)
    with pytest.raises(TypeError, match="unexpected keyword"):
        sm.to(devise="cpu")
    with pytest.raises(ValueError):
        sm.to("gpu")
    with pytest.raises(TypeError, match="torch device"):
        sm.to(torch.device("cpu"))


def test_tensor_to_forms_match_torch():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    s, t = st.tensor(x), torch.tensor(x)
    cases = [((st.float64,), (torch.float64,), {}), (("cpu", st.int32), ("cpu", torch.int32), {}),
             ((), (), {"kw": 1}), ((st.zeros(1, dtype=st.float16),), (torch.zeros(1, dtype=torch.float16),), {})]
    for sargs, targs, kw in cases:
        if kw:
            sr, tr = s.to(dtype=st.float64, non_blocking=True), t.to(dtype=torch.float64, non_blocking=True)
        else:
            sr, tr = s.to(*sargs), t.to(*targs)
        assert str(sr.dtype).split(".")[-1] == str(tr.dtype).split(".")[-1]
        np.testing.assert_array_equal(sr.float().numpy(), tr.float().numpy())
    # no change: the same object unless copy=True (as torch)
    assert s.to("cpu") is s and s.to(st.float32) is s
    c = s.to(st.float32, copy=True)
    assert c is not s and c.data_ptr() != s.data_ptr()
    assert s.to(device="cpu", memory_format=st.contiguous_format) is s
    with pytest.raises(NotImplementedError, match="channels_last"):
        s.to(memory_format=st.channels_last)


@pytest.mark.skipif(HAS_GPU, reason="the error is for machines without a GPU")
def test_tensor_cuda_and_type_names():
    s = st.ones(2)
    with pytest.raises(NO_CUDA[0], match=NO_CUDA[1]):
        s.cuda()
    with pytest.raises(NO_CUDA[0], match=NO_CUDA[1]):
        s.to("cuda:0")
    assert s.type() == torch.ones(2).type() == "torch.FloatTensor"
    assert st.ones(2, dtype=st.int64).type() == torch.ones(2, dtype=torch.int64).type()
    assert s.type("torch.DoubleTensor").dtype == st.float64
    assert s.type(st.int32).dtype == st.int32
    with pytest.raises(ValueError, match="unknown type name"):
        s.type("torch.ComplexTensor")


def test_set_default_device():
    st.set_default_device("cpu")
    st.set_default_device(None)
    assert st.get_default_device() == st.device("cpu")
    assert st.zeros(2).device == st.device("cpu")
    if not HAS_GPU:
        with pytest.raises(NO_CUDA[0], match=NO_CUDA[1]):
            st.set_default_device("cuda")


@pytest.mark.skipif(HAS_GPU, reason="compares with torch on a machine without a GPU")
def test_cuda_namespace_answers_like_torch_on_a_cpu_machine():
    assert st.cuda.is_available() == torch.cuda.is_available() == st.cuda_is_available()
    assert st.cuda.device_count() == torch.cuda.device_count() == 0
    # seeding an absent GPU does nothing, and does not touch the CPU generator
    st.manual_seed(5)
    a = st.rand(3)
    st.manual_seed(5)
    st.cuda.manual_seed(123)
    st.cuda.manual_seed_all(7)
    np.testing.assert_array_equal(st.rand(3).numpy(), a.numpy())
    with pytest.raises(TypeError, match="seed must be an int"):
        st.cuda.manual_seed("x")
    st.cuda.synchronize()
    st.cuda.empty_cache()
    for f in (st.cuda.current_device, st.cuda.get_device_name):
        with pytest.raises(RuntimeError, match="no CUDA device"):
            f()
    assert st.cuda.amp.GradScaler is st.amp.GradScaler
    assert importlib.import_module("steepest.cuda.amp").GradScaler is st.amp.GradScaler


def test_accelerator_and_backends():
    assert st.accelerator.is_available() is torch.accelerator.is_available() is False
    assert st.accelerator.current_accelerator() is None and torch.accelerator.current_accelerator() is None
    assert st.accelerator.device_count() == 0
    # the switches scripts set at start-up are accepted and read back
    st.backends.cuda.matmul.allow_tf32 = True
    st.backends.cudnn.allow_tf32 = True
    st.backends.cudnn.benchmark = True
    st.backends.cudnn.deterministic = True
    assert st.backends.cudnn.deterministic and st.backends.cuda.matmul.allow_tf32
    st.backends.cudnn.benchmark = st.backends.cudnn.deterministic = False
    # deterministic=True is only a flag: it does not turn on use_deterministic_algorithms
    assert not st.are_deterministic_algorithms_enabled()
    assert st.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert isinstance(st.backends.cpu.get_cpu_capability(), str)


def test_onnx_raises_on_use():
    import steepest.onnx
    assert steepest.onnx is st.onnx and st.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="ONNX export is not implemented"):
        st.onnx.export(st.nn.Linear(2, 2), st.ones(1, 2), "model.onnx")


def test_utils_data_is_data():
    import steepest.utils.data as ud
    from steepest.utils.data import DataLoader, TensorDataset
    assert ud is st.data and st.utils.data is st.data
    assert DataLoader is st.data.DataLoader and TensorDataset is st.data.TensorDataset


def test_compile_is_the_identity():
    m = st.nn.Linear(2, 2)
    assert st.compile(m) is m
    assert st.compile(m, mode="max-autotune", fullgraph=True) is m

    @st.compile
    def f(x):
        return x * 2

    @st.compile(mode="reduce-overhead")
    def g(x):
        return x + 1

    assert f(st.ones(1)).item() == 2 and g(st.ones(1)).item() == 2
    with pytest.raises(TypeError, match="module or function"):
        st.compile(3)


def test_distributed_and_parallel_import():
    assert st.distributed.is_available() in (True, False)
    assert st.distributed.is_initialized() is False
    from steepest.nn.parallel import DistributedDataParallel  # noqa: F401
