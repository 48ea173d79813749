"""Worker: every collective of st.distributed on this rank against numpy formulas computed
from what every rank is known to hold (rank r's data is a function of r)."""
import numpy as np

import steepest as st
import steepest.distributed as dist

st.set_num_threads(1)
dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == "mpi"


def data(rank, shape=(3, 4), dtype=np.float64):
    rng = np.random.default_rng(100 + rank)
    return (rng.standard_normal(shape) * 4).astype(dtype)


every = [data(k) for k in range(n)]
refs = {dist.ReduceOp.SUM: np.sum(every, axis=0), dist.ReduceOp.AVG: np.mean(every, axis=0),
        dist.ReduceOp.PRODUCT: np.prod(every, axis=0), dist.ReduceOp.MIN: np.min(every, axis=0),
        dist.ReduceOp.MAX: np.max(every, axis=0)}

# all_reduce, every op, float32 and float64, blocking and async; in place (same memory).
for dtype in (np.float64, np.float32):
    for op, ref in refs.items():
        for async_op in (False, True):
            t = st.tensor(data(r, dtype=dtype))
            ptr = t.data_ptr()
            w = dist.all_reduce(t, op=op, async_op=async_op)
            if async_op:
                assert w.wait() is True and w.is_completed()
            assert t.data_ptr() == ptr
            np.testing.assert_allclose(t.numpy(), ref.astype(dtype), rtol=1e-6 if dtype == np.float32 else 1e-13,
                                       err_msg=f"{op} {dtype}")

# integer all_reduce is exact.
ti = st.tensor(np.arange(6, dtype=np.int64) * (r + 1))
dist.all_reduce(ti)
assert ti.numpy().tolist() == [k * n * (n + 1) // 2 for k in range(6)]
ti32 = st.tensor(np.full(4, r + 3, dtype=np.int32))
dist.all_reduce(ti32, op=dist.ReduceOp.MAX)
assert ti32.numpy().tolist() == [n + 2] * 4

# broadcast from each rank in turn.
for src in range(n):
    t = st.tensor(data(r))
    dist.broadcast(t, src=src)
    assert np.array_equal(t.numpy(), every[src])
t = st.tensor(data(r))
dist.broadcast(t, src=n - 1, async_op=True).wait()
assert np.array_equal(t.numpy(), every[n - 1])

# reduce to dst: dst holds the sum, others unchanged.
for dst in range(n):
    t = st.tensor(data(r))
    dist.reduce(t, dst=dst, op=dist.ReduceOp.SUM)
    np.testing.assert_allclose(t.numpy(), refs[dist.ReduceOp.SUM] if r == dst else every[r], rtol=1e-13)

# all_gather_into_tensor (2-D output view of rank blocks) and reduce_scatter_tensor.
inp = st.tensor(data(r, (5,)))
out = st.zeros([n, 5], dtype=st.float64)
dist.all_gather_into_tensor(out, inp)
assert np.array_equal(out.numpy(), np.stack([data(k, (5,)) for k in range(n)]))
out2 = st.zeros([n * 5], dtype=st.float64)
dist.all_gather_into_tensor(out2, inp, async_op=True).wait()
assert np.array_equal(out2.numpy(), np.concatenate([data(k, (5,)) for k in range(n)]))

big = st.tensor(data(r, (n * 4,)))
shard = st.zeros([4], dtype=st.float64)
dist.reduce_scatter_tensor(shard, big)
full = np.sum([data(k, (n * 4,)) for k in range(n)], axis=0)
np.testing.assert_allclose(shard.numpy(), full[r * 4:(r + 1) * 4], rtol=1e-13)
shard = st.zeros([4], dtype=st.float64)
dist.reduce_scatter_tensor(shard, big, op=dist.ReduceOp.AVG, async_op=True).wait()
np.testing.assert_allclose(shard.numpy(), full[r * 4:(r + 1) * 4] / n, rtol=1e-13)

# all_gather into a list, object collectives.
lst = [st.zeros([3, 4], dtype=st.float64) for _ in range(n)]
dist.all_gather(lst, st.tensor(data(r)))
for k in range(n):
    assert np.array_equal(lst[k].numpy(), every[k])
objs = [None] * n
dist.all_gather_object(objs, {"rank": r})
assert objs == [{"rank": k} for k in range(n)]
ob = [r * 10, "x"] if r == 0 else [None, None]
dist.broadcast_object_list(ob, src=0)
assert ob == [0, "x"]

# send/recv in a ring, and isend/irecv; recv reports the sender.
nxt, prv = (r + 1) % n, (r - 1) % n
got = st.zeros([3, 4], dtype=st.float64)
if r % 2 == 0:
    dist.send(st.tensor(data(r)), dst=nxt)
    sender = dist.recv(got, src=prv)
else:
    sender = dist.recv(got)
    dist.send(st.tensor(data(r)), dst=nxt)
assert sender == prv and np.array_equal(got.numpy(), every[prv])
got2 = st.zeros([3, 4], dtype=st.float64)
reqs = [dist.isend(st.tensor(data(r)), dst=nxt, tag=7), dist.irecv(got2, src=prv, tag=7)]
for w in reqs:
    w.wait()
assert np.array_equal(got2.numpy(), every[prv])

# sub-groups: ranks {0, n-1}; members reduce among themselves, others are told they are not members.
sub = dist.new_group([0, n - 1])
t = st.tensor(np.array([float(r + 1)]))
if r in (0, n - 1):
    assert dist.get_rank(sub) == (0 if r == 0 else 1) and dist.get_world_size(sub) == 2
    dist.all_reduce(t, group=sub)
    assert t.numpy().tolist() == [1.0 + n]
    dist.broadcast(t, src=n - 1, group=sub)
else:
    assert dist.get_rank(sub) == -1
    try:
        dist.all_reduce(t, group=sub)
        raise AssertionError("non-member collective did not raise")
    except RuntimeError as e:
        assert "not a member" in str(e)

# bad input: clear errors, raised before any communication (so no rank is left waiting).
def raises(kind, words, fn):
    try:
        fn()
    except kind as e:
        assert all(w in str(e) for w in words), str(e)
        return
    raise AssertionError(f"no {kind.__name__} for {words}")


raises(ValueError, ["not contiguous"], lambda: dist.all_reduce(st.zeros([4, 4])[:, 1]))
raises(TypeError, ["float16", "dtype"], lambda: dist.all_reduce(st.zeros([4], dtype=st.float16)))
raises(TypeError, ["steepest Tensor"], lambda: dist.all_reduce(np.zeros(3)))
raises(TypeError, ["AVG", "floating"], lambda: dist.all_reduce(st.zeros([2], dtype=st.int64), op=dist.ReduceOp.AVG))
raises(TypeError, ["ReduceOp"], lambda: dist.all_reduce(st.zeros([2]), op="sum"))
raises(ValueError, ["src=7", "not a rank"], lambda: dist.broadcast(st.zeros([2]), src=7))
raises(ValueError, ["output has"], lambda: dist.all_gather_into_tensor(st.zeros([3]), st.zeros([2])))
raises(TypeError, ["dtypes differ"], lambda: dist.all_gather_into_tensor(st.zeros([2 * n], dtype=st.float64),
                                                                       st.zeros([2])))
raises(ValueError, ["itself"], lambda: dist.send(st.zeros([2]), dst=r))
raises(RuntimeError, ["twice"], lambda: dist.init_process_group("mpi"))

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"OK rank {r}", flush=True)
