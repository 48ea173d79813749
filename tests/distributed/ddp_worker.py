"""Worker: DistributedDataParallel on this rank against one process training the same model on
the whole batch (every rank computes that reference itself, from rank 0's initial weights).
argv: bucket_cap_mb deterministic(0/1). Prints the final parameters' SHA-256 on rank 0."""
import hashlib
import sys

import numpy as np

import steepest as st
import steepest.distributed as dist
from steepest.nn.parallel import DistributedDataParallel as DDP

st.set_num_threads(1)
dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
cap, deterministic = float(sys.argv[1]), sys.argv[2] == "1"
B, D, H, STEPS = 4, 6, 16, 5


def build(seed):
    st.manual_seed(seed)
    return st.nn.Sequential(st.nn.Linear(D, H), st.nn.Tanh(), st.nn.Linear(H, H), st.nn.Tanh(), st.nn.Linear(H, 3))


rng = np.random.default_rng(7)
X = rng.standard_normal((STEPS, n * B, D)).astype(np.float32)
Y = rng.integers(0, 3, (STEPS, n * B))

# Each rank builds its model from a different seed: DDP must broadcast rank 0's.
model = DDP(build(r), bucket_cap_mb=cap, deterministic=deterministic)
assert list(model.state_dict())[0].startswith("module.") and model.module is not None
opt = st.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
ref = build(0)
ref_opt = st.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
loss_fn = st.nn.CrossEntropyLoss()
for s in range(STEPS):
    opt.zero_grad()
    xb, yb = st.tensor(X[s, r * B:(r + 1) * B]), st.tensor(Y[s, r * B:(r + 1) * B])
    loss_fn(model(xb), yb).backward()
    opt.step()
    ref_opt.zero_grad()
    loss_fn(ref(st.tensor(X[s])), st.tensor(Y[s])).backward()
    ref_opt.step()
for (name, p), q in zip(model.module.named_parameters(), ref.parameters()):
    np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=2e-5, atol=2e-6, err_msg=name)
# every rank holds the same bits
flat = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
gathered = [None] * n
dist.all_gather_object(gathered, flat.tobytes())
assert all(g == gathered[0] for g in gathered), "replicas diverged"
if r == 0:
    sys.stdout.write(f"HASH {hashlib.sha256(flat.tobytes()).hexdigest()}\n")
    sys.stdout.flush()
print(f"OK rank {r}", flush=True)
