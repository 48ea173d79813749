"""Worker: st.train.fit launched on several ranks. argv: mode outdir.
plain   fit 3 epochs; check it equals a hand-written one-process loop over the global batches
        (the sampler's permutation, N x 4 samples per step) and that the logged losses are global;
kill    the same run, but rank 1 SIGKILLs itself in epoch 2 (a checkpoint exists after epoch 1);
resume  fit with resume=True from that checkpoint;
zero    as plain, with a ZeroRedundancyOptimizer: fit consolidates its state into rank 0's checkpoint.
Rank 0 prints the final parameters' SHA-256."""
import hashlib
import json
import os
import signal
import sys

import numpy as np

import steepest as st
import steepest.distributed as dist
from steepest.distributed.optim import ZeroRedundancyOptimizer as ZeRO

st.set_num_threads(1)
mode, outdir = sys.argv[1], sys.argv[2]
dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
M, B, D, EPOCHS, SEED = 24, 4, 5, 3, 11
rng = np.random.default_rng(0)
X = rng.standard_normal((M, D)).astype(np.float32)
Y = rng.integers(0, 3, M)
XV = rng.standard_normal((10, D)).astype(np.float32)
YV = rng.integers(0, 3, 10)


def build():
    st.manual_seed(3)
    return st.nn.Sequential(st.nn.Linear(D, 8), st.nn.Tanh(), st.nn.Linear(8, 3))


class Killer:
    def on_step_end(self, state):
        if mode == "kill" and r == 1 and state.step == M // (n * B) + 1:
            os.kill(os.getpid(), signal.SIGKILL)


model = build()
if mode == "zero":
    opt = ZeRO(model.parameters(), st.optim.SGD, lr=0.2, momentum=0.5)
else:
    opt = st.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
train = st.data.DataLoader(st.data.TensorDataset(st.tensor(X), st.tensor(Y)), batch_size=B, shuffle=True)
val = st.data.DataLoader(st.data.TensorDataset(st.tensor(XV), st.tensor(YV)), batch_size=3)
ckpt = os.path.join(outdir, "run.ckpt")
hist = st.train.fit(model, opt, train, epochs=EPOCHS, val_data=val, metrics={"accuracy": st.train.accuracy},
                    checkpoint=ckpt, resume=(mode == "resume"), progress=False, seed=SEED, log_every=1,
                    grad_norms=st.train.GradNormMonitor(exploding=1e-9, max_warnings=1),
                    metrics_out=os.path.join(outdir, f"metrics{r}.jsonl"), callbacks=[Killer()])

if mode in ("plain", "zero"):
    # The reference: one process, each step on the global batch the ranks' shares make up.
    ref = build()
    ref_opt = st.optim.SGD(ref.parameters(), lr=0.2, momentum=0.5)
    losses = []
    for epoch in range(EPOCHS):
        g = st.Generator()
        g.manual_seed(SEED + epoch)
        perm = st.randperm(M, generator=g).numpy()
        for s in range(M // (n * B)):
            idx = perm[s * n * B:(s + 1) * n * B]
            ref_opt.zero_grad()
            loss = st.nn.functional.cross_entropy(ref(st.tensor(X[idx])), st.tensor(Y[idx]))
            loss.backward()
            ref_opt.step()
            losses.append(loss.item())
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    logged = [rec["loss"] for rec in hist.records if rec["type"] == "step"]
    np.testing.assert_allclose(logged, losses, rtol=1e-5)
    ev = st.train.evaluate(ref, val, metrics={"accuracy": st.train.accuracy})
    last = [rec for rec in hist.records if rec["type"] == "epoch"][-1]
    np.testing.assert_allclose([last["val_loss"], last["val_accuracy"]], [ev["loss"], ev["accuracy"]], rtol=1e-5)
    if r == 0 and mode == "zero":  # the checkpoint holds every parameter's momentum, equal to the reference's
        saved = st.load(ckpt)["optimizer"]["state"]
        want = ref_opt.state_dict()["state"]
        assert sorted(int(k) for k in saved) == sorted(want), (sorted(saved), sorted(want))
        for k, v in want.items():
            got = saved[k] if k in saved else saved[str(k)]
            np.testing.assert_allclose(got["momentum_buffer"].numpy(), v["momentum_buffer"].numpy(), rtol=1e-5,
                                       atol=1e-6)
    if r == 0:
        with open(os.path.join(outdir, "metrics0.jsonl")) as f:
            assert len([json.loads(line) for line in f]) == len(hist.records)
if r == 0:
    flat = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    sys.stdout.write(f"HASH {hashlib.sha256(flat.tobytes()).hexdigest()}\n")
print(f"OK rank {r}", flush=True)
