"""Worker: every optimizer class of st.optim sharded by ZeroRedundancyOptimizer (ZeRO-1 over
DDP and ZeRO-2) against DDP with the full optimizer, deterministic mode: the same bits. Muon
gets a model of matrices only; MuonWithAuxAdamW its use_muon groups; ScheduleFreeAdamW its
train() mode."""
import inspect

import numpy as np

import steepest as st
import steepest.distributed as dist
from steepest.distributed.optim import ZeroRedundancyOptimizer as ZeRO
from steepest.nn.parallel import DistributedDataParallel as DDP

st.set_num_threads(1)
dist.init_process_group("mpi")
r = dist.get_rank()
rng = np.random.default_rng(0)
X = rng.standard_normal((3, 6, 8)).astype(np.float32)


def build(bias=True):
    st.manual_seed(1)
    return st.nn.Sequential(st.nn.Linear(8, 8, bias=bias), st.nn.Tanh(), st.nn.Linear(8, 8, bias=bias), st.nn.Tanh(),
                            st.nn.Linear(8, 2, bias=bias))


def params_for(cls, model):
    if cls is st.optim.MuonWithAuxAdamW:
        ps = list(model.parameters())
        return [{"params": [p for p in ps if p.dim() == 2], "use_muon": True},
                {"params": [p for p in ps if p.dim() != 2], "use_muon": False}]
    return model.parameters()


classes = sorted({c for c in vars(st.optim).values() if inspect.isclass(c) and issubclass(c, st.optim.Optimizer)
                  and c is not st.optim.Optimizer}, key=lambda c: c.__name__)
assert len(classes) >= 15, [c.__name__ for c in classes]
# LBFGS (closure-driven, dot products over all params) is refused by ZeRO, as it can't be sharded
unshardable = [c for c in classes if not getattr(c, "_shardable", True)]
assert unshardable == [st.optim.LBFGS], unshardable
try:
    ZeRO(build().parameters(), st.optim.LBFGS)
    raise AssertionError("ZeRO accepted LBFGS")
except ValueError as e:
    assert "LBFGS cannot be sharded" in str(e), e
classes = [c for c in classes if c not in unshardable]
for cls in classes:
    results = []
    for kind in ("full", "zero1", "zero2"):
        raw = build(bias=cls is not st.optim.Muon)
        m = raw if kind == "zero2" else DDP(raw, deterministic=True, bucket_cap_mb=0.0005)
        kw = {"lr": 1e-2}
        if kind == "full":
            opt = cls(params_for(cls, m), **kw)
        else:
            opt = ZeRO(params_for(cls, m), cls, stage=1 if kind == "zero1" else 2, deterministic=True,
                       bucket_cap_mb=0.0005, **kw)
        if hasattr(opt, "train") and cls is st.optim.ScheduleFreeAdamW:
            opt.train()
        step_kw = {"bs": 6} if cls is st.optim.SophiaG else {}
        for s in range(3):
            opt.zero_grad()
            m(st.tensor(X[s])).pow(2).mean().backward()
            opt.step(**step_kw)
        if cls is st.optim.ScheduleFreeAdamW:
            opt.eval()
        results.append(b"".join(p.detach().numpy().tobytes() for p in raw.parameters()))
    assert results[1] == results[0], f"ZeRO-1 {cls.__name__} differs from the full optimizer"
    assert results[2] == results[0], f"ZeRO-2 {cls.__name__} differs from the full optimizer"
print(f"OK rank {r}", flush=True)
