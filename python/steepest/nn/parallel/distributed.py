"""DistributedDataParallel: the module replicated on every rank, each rank feeding it its own
part of the batch; gradients are averaged across ranks during backward (bucketed, overlapped
all-reduce, see _reducer.py), so after backward every rank holds the same averaged gradients and
the same optimizer step keeps the replicas identical."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, List, Optional, Set

from ... import _core
from ... import distributed as dist
from ...distributed.process_group import ProcessGroup, _default
from ..module import Module
from ._consistency import check_same_model
from ._reducer import Reducer


def _output_tensors(out: Any) -> Iterator[_core.Tensor]:
    if isinstance(out, _core.Tensor):
        yield out
    elif isinstance(out, (list, tuple)):
        for o in out:
            yield from _output_tensors(o)
    elif isinstance(out, dict):
        for o in out.values():
            yield from _output_tensors(o)


def _used_leaves(out: Any) -> Set[int]:
    """ids of the leaf tensors the autograd graph behind `out` reaches (AccumulateGrad nodes)."""
    seen: Set[Any] = set()
    stack: List[Optional[_core.Node]] = [t.grad_fn for t in _output_tensors(out)]
    used: Set[int] = set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if node.name() == "AccumulateGrad":
            used.add(id(node.variable))
        stack.extend(n for n, _ in node.next_functions)
    return used


class DistributedDataParallel(Module):
    """Wraps `module` for data-parallel training over `process_group` (default: the world).

    At construction every rank's parameters and buffers are compared with rank 0's (names,
    shapes, dtypes: a ValueError naming the first difference, on every rank) and then set to
    rank 0's values. Parameters are moved into one flat buffer per dtype, their gradients into
    another (each gradient a view of it; nothing is copied during training), in reverse
    registration order, cut into buckets of about `bucket_cap_mb` MiB. During backward, each
    bucket's all-reduce starts as soon as its last gradient is accumulated; when the last one
    has started, backward waits for them all and averages (one in-place scale by 1/world size
    per bucket), so the gradients are final when backward() returns.

    no_sync(): forward and backward inside it accumulate local gradients without communicating;
    the next forward/backward outside reduces the accumulated sum.
    find_unused_parameters: after each forward, the graph is walked and parameters it does not
    reach are marked ready at once (their gradients are reduced as they are); without it, a
    parameter without a gradient leaves the reduction unfinished and the next forward raises.
    broadcast_buffers: rank 0's buffers (e.g. running statistics) are broadcast before every
    forward. static_graph is accepted and has no effect (nothing is re-planned per iteration).
    deterministic (steepest's own argument): buckets are all-gathered and summed in rank order,
    so results are bit-identical from launch to launch and for any bucket_cap_mb.
    device_ids/output_device/dim exist for torch's signature; only CPU tensors are supported.
    state_dict keys are the module's with a "module." prefix, as torch's.
    Do not st.optim.flatten_ the parameters, before or after wrapping: DDP's own flat buffers
    replace that arena (flattening afterwards raises at the next forward; an optimizer flattened
    before would zero a stale arena; st.train.fit drops such an arena itself)."""

    def __init__(self, module: Module, device_ids: Optional[List[Any]] = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Optional[ProcessGroup] = None,
                 bucket_cap_mb: float = 25.0, find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = True, static_graph: bool = False,
                 deterministic: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be an st.nn.Module, got {type(module).__name__}")
        if device_ids not in (None, [], ["cpu"]) or output_device not in (None, "cpu"):
            raise ValueError("DistributedDataParallel: device_ids/output_device name devices; steepest's "
                             "distributed backend handles CPU tensors only")
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb}")
        group = _default(process_group)
        self.module = module
        self.process_group = group
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.static_graph = bool(static_graph)
        self.deterministic = bool(deterministic)
        self.dim = dim
        self.require_backward_grad_sync = True
        check_same_model(module, group)
        params = [p for p in module.parameters() if p.requires_grad]
        self._reducer = Reducer(params, group, float(bucket_cap_mb), self.deterministic)
        src = group.ranks[0]
        for buf in self._reducer.param_buffers:
            dist.broadcast(buf, src=src, group=group)
        self._broadcast_buffers()
        self._hooks = [p.register_post_accumulate_grad_hook(self._make_hook(i))
                       for i, p in enumerate(self._reducer.params)]

    def _broadcast_buffers(self) -> None:
        src = self.process_group.ranks[0]
        for b in self.module.buffers():
            dist.broadcast(b, src=src, group=self.process_group)

    def _make_hook(self, i: int) -> Any:
        reducer = self._reducer

        def hook(p: _core.Tensor) -> None:
            if reducer.active:
                reducer.mark_ready(i)
            elif reducer.finished:
                raise RuntimeError("DistributedDataParallel: a second backward through one forward (retain_graph) "
                                   "would leave its gradients unsynchronized across ranks; run a new forward, or "
                                   "do the earlier backwards inside no_sync()")
        return hook

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside: backward accumulates gradients locally, without communicating."""
        before = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = before

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        reducer = self._reducer
        left = reducer.unfinished()
        if left:
            names = {id(p): n for n, p in self.module.named_parameters()}
            missing = [names.get(id(reducer.params[i]), f"#{i}") for i in left]
            reducer.active = False
            raise RuntimeError("DistributedDataParallel: the previous iteration's gradient reduction did not "
                               f"finish: parameters {missing[:10]} received no gradient. Pass "
                               "find_unused_parameters=True if some parameters are not used in every forward, "
                               "and make sure every forward's output takes part in the loss")
        if self.broadcast_buffers and self.process_group.size() > 1:
            self._broadcast_buffers()
        sync = self.require_backward_grad_sync and _core.is_grad_enabled()
        if sync:
            reducer.prepare()
        else:
            reducer.finished = False
        out = self.module(*inputs, **kwargs)
        if sync and self.find_unused_parameters:
            used = _used_leaves(out)
            for i, p in enumerate(reducer.params):
                if id(p) not in used:
                    reducer.mark_ready(i)
        return out
