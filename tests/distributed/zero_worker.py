"""Worker: ZeroRedundancyOptimizer. argv[1] picks the check:
equal        ZeRO-1 (over DDP) and ZeRO-2 (plain model) give the same bits as DDP with the full
             optimizer, deterministic mode, for several rules; per-rank optimizer state and
             ZeRO-2 gradients are 1/N of the whole (st.memory_allocated and tensor bytes);
save DIR     K1 steps on this many ranks, consolidated checkpoint written by rank 0;
resume DIR   loads it on this many ranks, K2 more steps, compared with one process running all
             K1+K2 steps on the same global batches."""
import os
import sys

import numpy as np

import steepest as st
import steepest.distributed as dist
from steepest.distributed.optim import ZeroRedundancyOptimizer as ZeRO
from steepest.nn.parallel import DistributedDataParallel as DDP

st.set_num_threads(1)
dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
G, D, K1, K2 = 12, 16, 3, 3  # global batch of 12 samples: 6 per rank on 2 ranks, 4 on 3
rng = np.random.default_rng(5)
X = rng.standard_normal((K1 + K2, G, D)).astype(np.float32)
T = rng.standard_normal((K1 + K2, G, 2)).astype(np.float32)


def build(width=D, depth=3):
    st.manual_seed(1)
    layers = []
    for _ in range(depth):
        layers += [st.nn.Linear(width, width), st.nn.Tanh()]
    return st.nn.Sequential(*layers, st.nn.Linear(width, 2))


def mine(step):
    b = G // n
    return st.tensor(X[step, r * b:(r + 1) * b]), st.tensor(T[step, r * b:(r + 1) * b])


def loss_of(model, x, t):
    return (model(x) - t).pow(2).mean()


def params_bytes(model):
    return b"".join(p.detach().numpy().tobytes() for p in model.parameters())


def run(kind, cls, kw, steps=4):
    if kind in ("zero2", "zero2-mpi-sum"):
        model = build()
        opt = ZeRO(model.parameters(), cls, stage=2, deterministic=kind == "zero2", bucket_cap_mb=0.001, **kw)
    else:
        model = DDP(build(), deterministic=True, bucket_cap_mb=0.001)
        opt = ZeRO(model.parameters(), cls, **kw) if kind == "zero1" else cls(model.parameters(), **kw)
    for s in range(steps):
        opt.zero_grad()
        loss_of(model, *mine(s)).backward()
        opt.step()
    return params_bytes(model)


mode = sys.argv[1]
if mode == "equal":
    rules = [(st.optim.SGD, dict(lr=0.1, momentum=0.9)), (st.optim.Adam, dict(lr=1e-2)),
             (st.optim.AdamW, dict(lr=1e-2, weight_decay=0.1)), (st.optim.Lamb, dict(lr=1e-2)),
             (st.optim.Adafactor, dict(lr=1e-2))]
    for cls, kw in rules:
        want = run("ddp", cls, kw)
        assert run("zero1", cls, kw) == want, f"ZeRO-1 {cls.__name__} differs from DDP"
        assert run("zero2", cls, kw) == want, f"ZeRO-2 {cls.__name__} differs from DDP"
        # MPI's own reduce-scatter: the same up to summation order
        got = np.frombuffer(run("zero2-mpi-sum", cls, kw), np.float32)
        np.testing.assert_allclose(got, np.frombuffer(want, np.float32), rtol=1e-5, atol=1e-6)

    # Memory: six equal 64x64 layers, Adam state (exp_avg, exp_avg_sq: 2 x params) per rank.
    def state_memory(make_opt):
        model = DDP(build(64, 6))
        opt = make_opt(model.parameters())
        loss_of(model, st.randn([4, 64]), st.randn([4, 2])).backward()
        before = st.memory_allocated()
        opt.step()
        grown = st.memory_allocated() - before
        tensors = sum(v.numel() * v.element_size() for s in opt.state.values() for v in s.values()
                      if isinstance(v, st.Tensor) and v.dim() > 0)
        return grown, tensors
    full = state_memory(lambda ps: st.optim.Adam(ps, lr=1e-3))
    zero = state_memory(lambda ps: ZeRO(ps, st.optim.Adam, lr=1e-3))
    last = 64 * 2 + 2  # the 64->2 head: one whole tensor (and its bias) lands on one rank
    for z, f in zip(zero, full):
        share = z / f
        assert abs(share - 1 / n) < 0.05, (share, z, f)
    assert zero[1] in range(int(full[1] / n) - 8 * last, int(full[1] / n) + 8 * last + 1)

    # ZeRO-2: after the step a rank holds the gradients of its own share only.
    model = build(64, 6)
    opt = ZeRO(model.parameters(), st.optim.Adam, stage=2, lr=1e-3)
    loss_of(model, st.randn([4, 64]), st.randn([4, 2])).backward()
    opt.step()
    kept = sum(p.grad.numel() for p in model.parameters() if p.grad is not None)
    total = sum(p.numel() for p in model.parameters())
    assert all((p.grad is not None) == (opt.owner(p) == r) for p in model.parameters())
    assert abs(kept / total - 1 / n) < 0.05, kept / total
    # A second backward before step() is refused (stage 2 reduces each gradient once).
    loss_of(model, st.randn([4, 64]), st.randn([4, 2])).backward()
    try:
        loss_of(model, st.randn([4, 64]), st.randn([4, 2])).backward()
        raise AssertionError("no error for two backwards under stage 2")
    except RuntimeError as e:
        assert "once per step" in str(e)
        opt.step()  # the reductions the first backward started complete on every rank alike

elif mode in ("save", "resume"):
    path = os.path.join(sys.argv[2], "zero.ckpt")
    model = DDP(build())
    opt = ZeRO(model.parameters(), st.optim.Adam, lr=1e-2)
    first = 0
    if mode == "resume":
        ck = st.load(path)
        model.module.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optim"])
        first = K1
    for s in range(first, first + (K1 if mode == "save" else K2)):
        opt.zero_grad()
        loss_of(model, *mine(s)).backward()
        opt.step()
    ref = build()
    ref_opt = st.optim.Adam(ref.parameters(), lr=1e-2)
    for s in range(K1 if mode == "save" else K1 + K2):
        ref_opt.zero_grad()
        loss_of(ref, st.tensor(X[s]), st.tensor(T[s])).backward()
        ref_opt.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-6)
    opt.consolidate_state_dict(to=0)
    if r == 0:
        sd = opt.state_dict()
        want = ref_opt.state_dict()
        assert sorted(sd["state"]) == sorted(want["state"])
        for i, entries in want["state"].items():
            for k, v in entries.items():
                np.testing.assert_allclose(np.asarray(sd["state"][i][k].numpy() if hasattr(sd["state"][i][k], "numpy")
                                                      else sd["state"][i][k]), v.numpy(), rtol=1e-4, atol=1e-7)
        if mode == "save":
            st.save({"model": model.module.state_dict(), "optim": sd}, path)
    else:
        try:
            opt.state_dict()
            raise AssertionError("state_dict on a rank without the consolidated state")
        except RuntimeError as e:
            assert "consolidate_state_dict" in str(e)
dist.barrier()
print(f"OK rank {r}", flush=True)
