"""The CUDA runtime on a GPU: host/device round trips (contiguous, strided, every dtype),
same-device copies with dtype conversion and broadcast against steepest's CPU copy, fill,
non_blocking copies from pinned memory, the caching allocator's statistics and reuse,
streams and events, DLPack with torch CUDA and CuPy, Module.to and mixed-device errors.
Every test needs a GPU (skipped elsewhere with the reason); the device-free answers of a
CUDA build are checked at the end on any build."""
import numpy as np
import pytest
from gpu import needs_gpu

import steepest as st

DTYPES = [st.bool, st.int32, st.int64, st.bfloat16, st.float16, st.float32, st.float64]


def _rand(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) * 10
    if dtype == st.bool:
        return st.tensor(a > 0)
    if dtype in (st.int32, st.int64):
        return st.tensor(np.round(a).astype(np.int64)).to(dtype)
    return st.tensor(a).to(dtype)


def _same(a, b):
    """Equal dtype, shape and bits (NaN-free data)."""
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    assert np.array_equal(a.cpu().float().numpy() if a.dtype in (st.bfloat16, st.float16) else a.cpu().numpy(),
                          b.cpu().float().numpy() if b.dtype in (st.bfloat16, st.float16) else b.cpu().numpy())


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (3, 257), (1025, 3)])
def test_round_trip(dtype, shape):
    x = _rand(shape, dtype)
    g = x.to("cuda")
    assert g.device == st.device("cuda:0") and g.is_cuda
    assert g.dtype == dtype
    _same(g.cpu(), x)
    assert x.cuda().cpu().device.type == "cpu"


@needs_gpu
def test_strided_sources_both_ways():
    x = _rand((6, 9), st.float32)
    t = x.t()                       # non-contiguous on the host
    _same(t.cuda().cpu(), t.contiguous())
    g = x.cuda()
    s = g[:, ::2]                   # non-contiguous on the device
    _same(s.cpu(), x[:, ::2].contiguous())
    _same(g.t().contiguous().cpu(), t.contiguous())


@needs_gpu
@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES)
def test_device_cast_matches_cpu(src, dst):
    x = _rand((5, 33), src, seed=1)
    _same(x.cuda().to(dst).cpu(), x.to(dst))


@needs_gpu
def test_copy_broadcast_and_strides_match_cpu():
    a = _rand((4, 1, 5), st.float32, seed=2)
    out_cpu = st.zeros(3, 4, 6, 5)[:, :, ::2, :]
    out_gpu = st.zeros(3, 4, 6, 5, device="cuda")[:, :, ::2, :]
    out_cpu.copy_(a)
    out_gpu.copy_(a.cuda())
    _same(out_gpu.cpu(), out_cpu)
    # A 0-d source and a permuted view of 8 dims.
    b = _rand((2, 3, 2, 3, 2, 3, 2, 3), st.float64, seed=3)
    perm = (7, 6, 5, 4, 3, 2, 1, 0)
    _same(b.cuda().permute(*perm).contiguous().cpu(), b.permute(*perm).contiguous())
    z = st.empty(5, 5, device="cuda")
    z.copy_(st.tensor(2.5).cuda())
    _same(z.cpu(), st.full((5, 5), 2.5))


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_fill_and_creation(dtype):
    v = True if dtype == st.bool else 3
    _same(st.full((3, 300), v, dtype=dtype, device="cuda").cpu(), st.full((3, 300), v, dtype=dtype))
    _same(st.zeros(17, dtype=dtype, device="cuda").cpu(), st.zeros(17, dtype=dtype))
    _same(st.ones(2, 3, dtype=dtype, device="cuda").cpu(), st.ones(2, 3, dtype=dtype))
    g = st.zeros(4, 6, dtype=dtype, device="cuda")
    g[:, 1::2].fill_(v)
    c = st.zeros(4, 6, dtype=dtype)
    c[:, 1::2].fill_(v)
    _same(g.cpu(), c)
    t = st.tensor([[1, 2], [3, 4]], dtype=dtype, device="cuda")
    _same(t.cpu(), st.tensor([[1, 2], [3, 4]], dtype=dtype))


@needs_gpu
def test_printing_copies_to_host():
    g = st.tensor([1.0, 2.5], device="cuda")
    assert repr(g) == "tensor([1.0000, 2.5000], device='cuda:0')"
    assert repr(st.tensor([1, 2], dtype=st.int32, device="cuda")) == \
        "tensor([1, 2], device='cuda:0', dtype=steepest.int32)"


@needs_gpu
def test_pinned_and_non_blocking():
    x = _rand((1000, 33), st.float32, seed=4)
    assert not x.is_pinned()
    p = x.pin_memory()
    assert p.is_pinned() and p.device.type == "cpu"
    _same(p, x)
    g = p.to("cuda", non_blocking=True)
    st.cuda.synchronize()
    _same(g.cpu(), x)
    h = g.to("cpu", non_blocking=True)
    st.cuda.synchronize()
    _same(h, x)
    with pytest.raises(RuntimeError, match="only CPU tensors can be pinned"):
        g.pin_memory()


@needs_gpu
def test_allocator_stats_and_reuse():
    st.cuda.synchronize()
    st.cuda.empty_cache()
    base = st.cuda.memory_allocated()
    x = st.empty(1000, device="cuda")          # 4000 bytes -> 4096 (512 B size classes)
    assert st.cuda.memory_allocated() - base == 4096
    assert st.cuda.memory_reserved() >= st.cuda.memory_allocated()
    del x
    assert st.cuda.memory_allocated() == base

    def step():
        a = st.empty(12345, device="cuda")                 # small pool
        b = st.empty(3 << 20, device="cuda")               # 12 MiB: large pool
        c = st.ones(777, device="cuda")
        del a, b, c

    step()
    segments = st.cuda.memory_stats()["segment.all.allocated"]
    for _ in range(50):                        # steady state: every block comes from the cache
        step()
    assert st.cuda.memory_stats()["segment.all.allocated"] == segments
    st.cuda.reset_peak_memory_stats()
    assert st.cuda.max_memory_allocated() == st.cuda.memory_allocated()
    big = st.empty(1 << 20, device="cuda")
    assert st.cuda.max_memory_allocated() >= st.cuda.memory_allocated() >= (4 << 20)
    reserved = st.cuda.memory_reserved()
    del big
    st.cuda.empty_cache()                      # unused segments go back to the GPU
    assert st.cuda.memory_reserved() < reserved
    stats = st.cuda.memory_stats()
    assert set(stats) >= {"allocated_bytes.all.current", "reserved_bytes.all.current", "num_ooms"}
    assert stats["segment.all.freed"] >= 1


@needs_gpu
def test_out_of_memory_message():
    with pytest.raises(RuntimeError, match="CUDA out of memory. Tried to allocate"):
        st.empty(1 << 45, dtype=st.float32, device="cuda")


@needs_gpu
def test_streams_and_events():
    s = st.cuda.Stream()
    assert st.cuda.current_stream() == st.cuda.default_stream()
    x = st.ones(1 << 20, device="cuda")
    start, end = st.cuda.Event(enable_timing=True), st.cuda.Event(enable_timing=True)
    s.wait_stream(st.cuda.current_stream())
    with st.cuda.stream(s):
        assert st.cuda.current_stream() == s
        start.record()
        y = x.to(st.float64)        # a copy kernel on s
        x.record_stream(s)
        end.record()
    assert st.cuda.current_stream() == st.cuda.default_stream()
    end.synchronize()
    assert end.query() and s.query()
    assert start.elapsed_time(end) >= 0.0
    st.cuda.current_stream().wait_stream(s)
    _same(y.cpu(), st.ones(1 << 20, dtype=st.float64))
    s.synchronize()
    lo, hi = st.cuda.Stream.priority_range()
    assert st.cuda.Stream(priority=hi).priority == hi
    ev = st.cuda.Event()
    ev.record()
    ev.wait(s)
    ev.synchronize()
    with pytest.raises(RuntimeError, match="enable_timing"):
        ev.elapsed_time(ev)


@needs_gpu
def test_device_queries():
    assert st.cuda.device_count() >= 1
    assert st.cuda.current_device() == 0
    assert isinstance(st.cuda.get_device_name(), str) and st.cuda.get_device_name()
    major, minor = st.cuda.get_device_capability()
    assert major >= 7 and minor >= 0
    st.cuda.set_device(0)
    st.cuda.synchronize()


@needs_gpu
def test_module_to_moves_params_buffers_and_grads():
    m = st.nn.Sequential(st.nn.Linear(3, 4), st.nn.BatchNorm1d(4))
    w = m[0].weight
    m[0].weight.grad = st.ones(4, 3)
    m.to("cuda")
    assert m[0].weight is w
    assert w.device == st.device("cuda:0") and w.grad.device == st.device("cuda:0")
    assert m[1].running_mean.device == st.device("cuda:0")
    assert m[1].num_batches_tracked.device == st.device("cuda:0")
    m.cpu()
    assert w.device.type == "cpu" and w.grad.device.type == "cpu"
    m.cuda()
    assert m[1].weight.is_cuda


@needs_gpu
def test_autograd_through_device_moves():
    x = st.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.cuda()
    z = y.cpu() * st.tensor([2.0, 3.0, 4.0])
    z.sum().backward()
    assert x.grad.device.type == "cpu"
    _same(x.grad, st.tensor([2.0, 3.0, 4.0]))


@needs_gpu
def test_mixed_devices_raise_torch_message():
    a, b = st.ones(3), st.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least "
                                           "two devices, cpu and cuda:0!"):
        a + b
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least "
                                           "two devices, (cuda:0 and cpu|cpu and cuda:0)!"):
        b.add_(a)


@needs_gpu
def test_copy_across_devices_converts_and_broadcasts():
    """copy_ between devices works as torch's does: dtype conversion and broadcast included."""
    src = _rand((1, 5), st.float64, seed=5)
    dst = st.zeros(3, 5, dtype=st.float32, device="cuda")
    dst.copy_(src)
    _same(dst.cpu(), st.zeros(3, 5).copy_(src))
    host = st.zeros(2, 3, dtype=st.int64)
    host.copy_(st.full((3,), 7, dtype=st.int32, device="cuda"))
    _same(host, st.full((2, 3), 7, dtype=st.int64))


@needs_gpu
def test_default_device_and_load_map_location(tmp_path):
    st.set_default_device("cuda")
    try:
        assert st.zeros(2).device == st.device("cuda:0")
        assert st.tensor([1.0]).device == st.device("cuda:0")
        assert st.get_default_device() == st.device("cuda:0")
    finally:
        st.set_default_device("cpu")
    assert st.zeros(2).device.type == "cpu"
    f = tmp_path / "t.safetensors"
    st.save({"w": st.arange(6.0).reshape(2, 3)}, str(f))
    d = st.load(str(f), map_location="cuda")
    assert d["w"].device == st.device("cuda:0")
    _same(d["w"].cpu(), st.arange(6.0).reshape(2, 3))


@needs_gpu
def test_optimizer_state_on_param_device():
    p = st.nn.Parameter(st.ones(5, device="cuda"))
    opt = st.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = st.ones(5, device="cuda")
    try:
        opt.step()
    except NotImplementedError:
        pytest.skip("the optimizer's CUDA update kernels are not in this build")
    assert opt.state[p]["momentum_buffer"].device == st.device("cuda:0")


@needs_gpu
def test_dlpack_with_torch_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA here")
    t = torch.arange(12, dtype=torch.float32, device="cuda").reshape(3, 4)
    s = st.from_dlpack(t)
    assert s.device == st.device("cuda:0") and s.data_ptr() == t.data_ptr()   # zero-copy
    assert s.__dlpack_device__() == (2, 0)
    back = torch.from_dlpack(s)
    assert back.device.type == "cuda" and back.data_ptr() == t.data_ptr()
    t[0, 0] = 100.0
    torch.cuda.synchronize()
    assert s.cpu()[0, 0].item() == 100.0
    np.testing.assert_array_equal(s.cpu().numpy(), t.cpu().numpy())


@needs_gpu
def test_dlpack_with_cupy():
    cp = pytest.importorskip("cupy")
    a = cp.arange(10, dtype=cp.float64)
    s = st.from_dlpack(a)
    assert s.device == st.device("cuda:0") and s.data_ptr() == a.data.ptr
    b = cp.from_dlpack(s)
    assert int(b.data.ptr) == a.data.ptr
    np.testing.assert_array_equal(s.cpu().numpy(), cp.asnumpy(a))


def test_cuda_answers_without_a_device():
    """Any build: without a GPU, device requests fail with a clear message (NotImplementedError
    on a CPU-only build, RuntimeError 'no CUDA device' on a CUDA build)."""
    if st.cuda.is_available():
        pytest.skip("a GPU is present")
    expected = RuntimeError if st._core.build_info()["cuda"] else NotImplementedError
    match = "no CUDA device" if expected is RuntimeError else "no CUDA backend"
    with pytest.raises(expected, match=match):
        st.ones(2).to("cuda")
    with pytest.raises(expected, match=match):
        st.nn.Linear(2, 2).cuda()
    with pytest.raises(expected, match=match):
        st.tensor([1.0], device="cuda")
    assert st.cuda.device_count() == 0
    assert st.cuda.memory_allocated() == 0 and st.cuda.memory_stats() == {}
    with pytest.raises(RuntimeError, match="no CUDA device"):
        st.cuda.Stream()
    with pytest.raises(RuntimeError, match="no CUDA device"):
        st.cuda.current_device()


@needs_gpu
def test_dataloader_pin_memory():
    data = st.utils.data.TensorDataset(st.arange(20.0).reshape(10, 2), st.arange(10))
    batches = list(st.utils.data.DataLoader(data, batch_size=4, pin_memory=True))
    assert all(x.is_pinned() and y.is_pinned() for x, y in batches)
    _same(batches[0][0], st.arange(8.0).reshape(4, 2))
