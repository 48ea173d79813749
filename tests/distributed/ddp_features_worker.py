"""Worker (2 ranks): DistributedDataParallel's no_sync, find_unused_parameters, broadcast_buffers,
state_dict and the mismatched-model error, each against a formula or a local reference."""
import numpy as np

import steepest as st
import steepest.distributed as dist
from steepest.nn.parallel import DistributedDataParallel as DDP

st.set_num_threads(1)
dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(3)
X = rng.standard_normal((2, n * 4, 5)).astype(np.float32)


def mine(k):
    return st.tensor(X[k, r * 4:(r + 1) * 4])


def build():
    st.manual_seed(0)
    return st.nn.Sequential(st.nn.Linear(5, 8), st.nn.Tanh(), st.nn.Linear(8, 2))


def grads(m):
    return [p.grad.numpy().copy() for p in m.parameters()]


# no_sync: the first micro-batch's gradients stay local, the second backward reduces the sum.
model = DDP(build(), bucket_cap_mb=0.0001)
local, ref = build(), build()
with model.no_sync():
    model(mine(0)).pow(2).mean().backward()
local(mine(0)).pow(2).mean().backward()
for a, b in zip(grads(model), grads(local)):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # nothing was averaged yet
model(mine(1)).pow(2).mean().backward()
for k in range(2):
    ref(st.tensor(X[k])).pow(2).mean().backward()
for a, b in zip(grads(model), grads(ref)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class TwoHeads(st.nn.Module):
    def __init__(self):
        super().__init__()
        st.manual_seed(1)
        self.body = st.nn.Linear(5, 4)
        self.used = st.nn.Linear(4, 1)
        self.unused = st.nn.Linear(4, 1)

    def forward(self, x):
        return self.used(self.body(x))


# A second backward through the same forward would go unsynchronized: refused.
out = model(mine(0)).pow(2).mean()
out.backward(retain_graph=True)
try:
    out.backward()
    raise AssertionError("no error for a second backward")
except RuntimeError as e:
    assert "second backward" in str(e), str(e)

# An unused parameter without find_unused_parameters: the next forward says what to do.
m = DDP(TwoHeads(), bucket_cap_mb=0.0001)
m(mine(0)).sum().backward()
try:
    m(mine(0))
    raise AssertionError("no error for an unfinished reduction")
except RuntimeError as e:
    assert "find_unused_parameters=True" in str(e) and "unused.weight" in str(e), str(e)

# With it: used gradients averaged, unused ones zero.
m = DDP(TwoHeads(), bucket_cap_mb=0.0001, find_unused_parameters=True)
ref2 = TwoHeads()
for k in range(2):
    m.zero_grad()
    m(mine(k)).sum().backward()
ref2(st.tensor(X[1])).sum().backward()
for (name, p), q in zip(m.module.named_parameters(), ref2.parameters()):
    want = np.zeros(tuple(p.shape), np.float32) if name.startswith("unused") else q.grad.numpy() / n
    np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-5, atol=1e-6, err_msg=name)

# Buffers: rank 0's values at construction and before every forward.
class Counted(st.nn.Module):
    """A layer with a buffer that training-mode forwards change (like running statistics)."""

    def __init__(self):
        super().__init__()
        self.lin = st.nn.Linear(5, 5)
        self.register_buffer("running_mean", st.zeros([5]))

    def forward(self, x):
        if self.training:
            self.running_mean.add_(x.detach().mean(0))
        return self.lin(x)


bn = Counted()
bn.running_mean.fill_(float(r + 1))
mb = DDP(bn, broadcast_buffers=True)
assert np.all(bn.running_mean.numpy() == 1.0)
mb.train()
mb(mine(0))
if r == 1:
    bn.running_mean.fill_(42.0)
mb.eval()
with st.no_grad():
    mb(mine(0))
assert not np.any(bn.running_mean.numpy() == 42.0)

# state_dict: torch's keys, and it loads back.
sd = model.state_dict()
assert sorted(sd) == ["module.0.bias", "module.0.weight", "module.2.bias", "module.2.weight"], sorted(sd)
model.load_state_dict(sd)

# Parameters moved out of DDP's buffers by st.optim.flatten_: the next forward says so.
flat = DDP(build())
st.optim.flatten_(st.optim.SGD(flat.parameters(), lr=0.1))
try:
    flat(mine(0))
    raise AssertionError("no error for flattened parameters")
except RuntimeError as e:
    assert "flatten_" in str(e), str(e)

# A model that differs on one rank: the same clear error on every rank, no hang.
st.manual_seed(0)
other = st.nn.Sequential(st.nn.Linear(5, 8), st.nn.Tanh(), st.nn.Linear(8, 2 if r == 0 else 3))
try:
    DDP(other)
    raise AssertionError("no error for mismatched models")
except ValueError as e:
    msg = str(e)
    assert "'2.weight'" in msg and "shape (2, 8) on rank 0 but (3, 8) on rank 1" in msg, msg
dist.barrier()
print(f"OK rank {r}", flush=True)
