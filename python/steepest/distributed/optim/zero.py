"""ZeroRedundancyOptimizer: each rank keeps and updates the optimizer state of its own share of
the parameters (ZeRO-1: 1/N of the state per rank), then every parameter is broadcast from its
owner. stage=2 also shards the gradients: each gradient is reduced (summed, averaged) only to the
rank that owns it while backward runs, and the other ranks drop theirs."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

from ... import _core
from ...autograd import enable_grad
from .. import _mpi
from ..process_group import ProcessGroup, _default, _world, blocking
from .grad_shards import GradSharder
from .partition import partition


def _to_numpy(v: Any) -> Any:
    return ("tensor", v.detach().numpy().copy()) if isinstance(v, _core.Tensor) else v


def _from_numpy(v: Any) -> Any:
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "tensor":
        return _core.from_numpy(v[1])
    return v


class ZeroRedundancyOptimizer:
    """torch's ZeroRedundancyOptimizer(params, optimizer_class, **defaults): a wrapper whose
    param_groups list every parameter (schedulers drive it as any optimizer) while a local
    optimizer_class instance holds only this rank's share (whole tensors, balanced by size; see
    partition.py) and steps it with its fused kernel. After the local step every parameter is
    broadcast from its owner, so all ranks again hold identical parameters.

    stage=1 (ZeRO-1): gradients must already be averaged across ranks (the model is wrapped in
    DistributedDataParallel). stage=2 (ZeRO-2): use the plain model, not DDP; the parameters are
    broadcast from rank 0 at construction; during backward, gradients are copied into buckets
    of about bucket_cap_mb laid out by owning rank, dropped, and each full bucket is
    reduce-scattered (started from the post-accumulate hooks, so it overlaps backward): a rank
    receives, averages and keeps only its own parameters' gradients (see grad_shards.py). One
    backward per step under stage 2 (accumulate by summing losses). deterministic=True sums in
    rank order (an all-to-all, then adds), matching DistributedDataParallel(deterministic=True)
    bit for bit.

    state_dict() needs consolidate_state_dict(to) first, and only rank `to` can call it; it is
    the state a single optimizer_class over all params would have, so it loads into any number
    of ranks (load_state_dict keeps this rank's share) or into a plain optimizer."""

    def __init__(self, params: Any, optimizer_class: Callable[..., Any], process_group: Optional[ProcessGroup] = None,
                 parameters_as_bucket_view: bool = False, overlap_with_ddp: bool = False, *, stage: int = 1,
                 deterministic: bool = False, bucket_cap_mb: float = 25.0, **defaults: Any) -> None:
        if stage not in (1, 2):
            raise ValueError(f"ZeroRedundancyOptimizer: stage must be 1 or 2, got {stage!r} (stage 3, sharded "
                             "parameters, is not implemented)")
        if overlap_with_ddp:
            raise ValueError("ZeroRedundancyOptimizer: overlap_with_ddp is not supported; stage=2 overlaps the "
                             "gradient reduction with backward")
        if not getattr(optimizer_class, "_shardable", True):
            name = getattr(optimizer_class, "__name__", repr(optimizer_class))
            raise ValueError(f"ZeroRedundancyOptimizer: {name} cannot be sharded (its iterations take dot products "
                             "over all params and re-evaluate a closure); use it unsharded")
        self.group = _default(process_group)
        self.size, self.rank = self.group.size(), self.group.rank()
        self.stage, self.deterministic = stage, bool(deterministic)
        self.optimizer_class, self.defaults = optimizer_class, dict(defaults)
        groups: List[Any] = list(params)
        if not groups:
            raise ValueError("ZeroRedundancyOptimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        # A throwaway full optimizer fills each group's hyperparameters (and checks them) the
        # way optimizer_class does; it allocates no state (that happens at its first step).
        probe = optimizer_class([dict(g, params=list(g["params"])) for g in groups], **defaults)
        self.param_groups: List[Dict[str, Any]] = probe.param_groups
        self._all: List[_core.Tensor] = [p for g in self.param_groups for p in g["params"]]
        self._pos_of = {id(p): i for i, p in enumerate(self._all)}
        for p in self._all:
            _mpi.buffer(p.detach(), "parameter")
        self._owner = partition(self._all, self.size)
        self._local_of_group: Dict[int, int] = {}
        local_groups: List[Dict[str, Any]] = []
        for gi, g in enumerate(self.param_groups):
            mine = [p for p in g["params"] if self._owner[self._pos_of[id(p)]] == self.rank]
            if mine:
                self._local_of_group[gi] = len(local_groups)
                local_groups.append({**{n: v for n, v in g.items() if n != "params"}, "params": mine})
        self.optim: Any = optimizer_class(local_groups, **defaults) if local_groups else None
        self._consolidated: Optional[Dict[str, Any]] = None
        if stage == 2:
            self._setup_stage2(float(bucket_cap_mb))

    @property
    def state(self) -> Any:
        """This rank's optimizer state (its share of the parameters only)."""
        return self.optim.state if self.optim is not None else {}

    def owner(self, p: _core.Tensor) -> int:
        """The group rank that keeps p's optimizer state and updates it."""
        i = self._pos_of.get(id(p))
        if i is None:
            raise KeyError("ZeroRedundancyOptimizer: not one of this optimizer's parameters")
        return self._owner[i]

    # -- ZeRO-2 -------------------------------------------------------------------------------------
    def _setup_stage2(self, bucket_cap_mb: float) -> None:
        from .. import collectives
        src = self.group.ranks[0]
        for p in self._all:
            collectives.broadcast(p.detach(), src=src, group=self.group)
        self._sharder = GradSharder(self._all, self._owner, self.group, bucket_cap_mb, self.deterministic)

    # -- stepping ----------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        _core._zero_grads(self._all, set_to_none)

    def _sync_hypers(self) -> None:
        """Schedulers change the full groups: the local groups follow before each step."""
        for gi, li in self._local_of_group.items():
            local = self.optim.param_groups[li]
            for n, v in self.param_groups[gi].items():
                if n != "params":
                    local[n] = v

    def _copy_back_hypers(self) -> None:
        """Group state a rule keeps in the group (LAMB's step count) flows back to the full groups."""
        for gi, li in self._local_of_group.items():
            for n, v in self.optim.param_groups[li].items():
                if n != "params":
                    self.param_groups[gi][n] = v

    def step(self, closure: Optional[Callable[[], Any]] = None, **kwargs: Any) -> Any:
        """The local optimizer's step on this rank's share, then every parameter broadcast from
        its owner (nonblocking broadcasts, all started, then waited for)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if self.stage == 2:
            self._sharder.finish()
        if self.optim is not None:
            self._sync_hypers()
            self.optim.step(**kwargs)
            self._copy_back_hypers()
        self._broadcast_params()
        self._consolidated = None
        return loss

    def _broadcast_params(self) -> None:
        comm = self.group.comm
        if comm is None:
            return
        reqs = [comm.Ibcast(_mpi.buffer(p.detach(), "parameter"), self._owner[i]) for i, p in enumerate(self._all)]
        with blocking("ZeroRedundancyOptimizer parameter broadcast", self.group):
            _world.mpi.Request.Waitall(reqs)

    def train(self) -> None:
        """For optimizers with train/eval modes (ScheduleFreeAdamW): each rank switches its own
        share, then every parameter is broadcast from its owner."""
        self._switch_mode("train")

    def eval(self) -> None:
        self._switch_mode("eval")

    def _switch_mode(self, name: str) -> None:
        fn = getattr(self.optimizer_class, name, None)
        if fn is None:
            raise AttributeError(f"{getattr(self.optimizer_class, '__name__', 'the optimizer')} has no {name}() mode")
        if self.optim is not None:
            getattr(self.optim, name)()
            self._copy_back_hypers()
        else:  # no share on this rank: keep the group flags the rule reads in step with the others
            for g in self.param_groups:
                if "train_mode" in g:
                    g["train_mode"] = name == "train"
        self._broadcast_params()

    # -- checkpoints -------------------------------------------------------------------------------
    def _local_entries(self) -> Dict[str, Any]:
        """This rank's state by global parameter index, and its local groups' values by group."""
        if self.optim is None:
            return {"state": {}, "groups": {}}
        sd = self.optim.state_dict()
        local_params = [p for g in self.optim.param_groups for p in g["params"]]
        state = {}
        for li, entries in sd["state"].items():
            gi = self._pos_of[id(local_params[int(li)])]
            state[gi] = {k: _to_numpy(v) for k, v in entries.items()}
        groups = {gi: {k: _to_numpy(v) for k, v in sd["param_groups"][li].items() if k != "params"}
                  for gi, li in self._local_of_group.items()}
        return {"state": state, "groups": groups}

    def consolidate_state_dict(self, to: int = 0) -> None:
        """Gathers every rank's share of the state on rank `to` (a global rank); every rank of the
        group must call it. Afterwards state_dict() on rank `to` returns the whole state."""
        to_group = self.group.group_rank(to, "to")
        mine = self._local_entries()
        if self.group.comm is None:
            every = [mine]
        else:
            with blocking("consolidate_state_dict", self.group):
                every = self.group.comm.gather(mine, root=to_group)
        if self.rank != to_group:
            self._consolidated = None
            return
        state: Dict[int, Dict[str, Any]] = {}
        groups: List[Dict[str, Any]] = [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]
        seen_group: set = set()
        for part in every:
            for gi, entries in part["state"].items():
                state[int(gi)] = {k: _from_numpy(v) for k, v in entries.items()}
            for gi, values in part["groups"].items():
                if gi not in seen_group:
                    seen_group.add(gi)
                    groups[gi].update({k: _from_numpy(v) for k, v in values.items()})
        k = 0
        for g, packed in zip(self.param_groups, groups):
            packed["params"] = list(range(k, k + len(g["params"])))
            k += len(g["params"])
        self._consolidated = {"state": dict(sorted(state.items())), "param_groups": groups}

    def state_dict(self) -> Dict[str, Any]:
        """The whole optimizer state in torch's layout (after consolidate_state_dict on this rank)."""
        if self._consolidated is None:
            raise RuntimeError("ZeroRedundancyOptimizer: the state has not been consolidated on this rank; call "
                               "consolidate_state_dict(to=this rank) on every rank first (and again after a step)")
        return self._consolidated

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Loads a whole state (from state_dict(), saved with any number of ranks, or from a plain
        optimizer_class): every rank keeps its own share."""
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(self.param_groups, saved):
            if len(g["params"]) != len(s["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
            g.update({k: v for k, v in s.items() if k != "params"})
        # Our k-th parameter (in group order) is the saved dict's index saved_index[k].
        saved_index = [int(i) for s in saved for i in s["params"]]
        states = {int(i): v for i, v in state_dict["state"].items()}
        if self.optim is None:
            return
        local_params = [p for g in self.optim.param_groups for p in g["params"]]
        local_state = {}
        for li, p in enumerate(local_params):
            key = saved_index[self._pos_of[id(p)]]
            if key in states:
                local_state[li] = states[key]
        local_groups = []
        li = 0
        for gi in sorted(self._local_of_group, key=self._local_of_group.__getitem__):
            n = len(self.optim.param_groups[self._local_of_group[gi]]["params"])
            local_groups.append({**{k: v for k, v in saved[gi].items() if k != "params"},
                                 "params": list(range(li, li + n))})
            li += n
        self.optim.load_state_dict({"state": local_state, "param_groups": local_groups})

    def __repr__(self) -> str:
        return (f"ZeroRedundancyOptimizer(stage={self.stage}, rank={self.rank}/{self.size}, "
                f"optimizer_class={getattr(self.optimizer_class, '__name__', self.optimizer_class)})")


__all__: Sequence[str] = ["ZeroRedundancyOptimizer"]
