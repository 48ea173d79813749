"""The collectives, with torch.distributed's names and arguments, run by MPI directly on the
tensors' memory (the numpy views _mpi.buffer makes; no staging copies). async_op=True starts
the nonblocking MPI call and returns a Work whose wait() completes it."""
from __future__ import annotations

import enum
import pickle
from typing import Any, Callable, List, Optional

import numpy as np

from .. import _core
from ._mpi import buffer
from .process_group import ProcessGroup, _member, _world, blocking


class ReduceOp(enum.Enum):
    """How all_reduce/reduce/reduce_scatter combine the ranks' values. AVG is SUM followed by one
    in-place scale by 1/size (floating dtypes only)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


def _check_op(op: Any, dtype: np.dtype) -> None:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"steepest.distributed: op must be a ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and dtype.kind != "f":
        raise TypeError(f"steepest.distributed: ReduceOp.AVG needs a floating dtype, got {dtype}")


_OPS: dict = {}


def _mpi_op(op: ReduceOp) -> Any:
    if not _OPS:
        MPI = _world.mpi
        _OPS.update({ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                     ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX})
    return _OPS[op]


class Work:
    """A started operation. wait() blocks until it is done (and runs what must follow it, e.g.
    AVG's scale), returning True; is_completed() asks without blocking. Keeps the buffers alive
    until then."""

    def __init__(self, request: Any, group: Optional[ProcessGroup], what: str,
                 after: Optional[Callable[[], None]] = None, keep: Any = None) -> None:
        self._request = request
        self._group = group
        self._what = what
        self._after = after
        self._keep = keep
        self._done = request is None
        if self._done and after is not None:
            after()

    def _finish(self) -> None:
        self._done = True
        self._request = None
        if self._after is not None:
            self._after()
        self._keep = None

    def wait(self, timeout: Any = None) -> bool:
        if not self._done:
            assert self._group is not None
            with blocking(self._what, self._group):
                self._request.Wait()
            self._finish()
        return True

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._finish()
        return self._done

    def result(self) -> List[Any]:
        return []


def _run(group: ProcessGroup, what: str, blocking_call: Callable[[], Any], nonblocking_call: Callable[[], Any],
         async_op: bool, after: Optional[Callable[[], None]] = None, keep: Any = None) -> Optional[Work]:
    if async_op:
        return Work(nonblocking_call(), group, what, after, keep)
    with blocking(what, group):
        blocking_call()
    if after is not None:
        after()
    return None


def _done(async_op: bool, after: Optional[Callable[[], None]] = None) -> Optional[Work]:
    """One-rank groups: nothing to communicate."""
    if async_op:
        return Work(None, None, "", after)
    if after is not None:
        after()
    return None


def _scaler(buf: np.ndarray, op: ReduceOp, n: int) -> Optional[Callable[[], None]]:
    if op is not ReduceOp.AVG:
        return None

    def scale() -> None:
        np.multiply(buf, buf.dtype.type(1.0 / n), out=buf)
    return scale


def all_reduce(tensor: _core.Tensor, op: ReduceOp = ReduceOp.SUM, group: Optional[ProcessGroup] = None,
               async_op: bool = False) -> Optional[Work]:
    """Every rank's tensor becomes the reduction (op) of all ranks' tensors, in place."""
    g = _member(group, "all_reduce")
    buf = buffer(tensor)
    _check_op(op, buf.dtype)
    if g.comm is None:
        return _done(async_op)
    mop = _mpi_op(op)
    IN_PLACE = _world.mpi.IN_PLACE
    if async_op or op is ReduceOp.AVG:
        return _run(g, "all_reduce", lambda: g.comm.Allreduce(IN_PLACE, buf, mop),
                    lambda: g.comm.Iallreduce(IN_PLACE, buf, mop), async_op, _scaler(buf, op, g.size()), buf)
    # The common case, written out: small all-reduces are latency-bound, Python adds to it.
    w = _world.watchdog
    if w is not None:
        w.arm("all_reduce", g.timeout)
    try:
        g.comm.Allreduce(IN_PLACE, buf, mop)
    finally:
        if w is not None:
            w.disarm()
    return None


def reduce(tensor: _core.Tensor, dst: int, op: ReduceOp = ReduceOp.SUM, group: Optional[ProcessGroup] = None,
           async_op: bool = False) -> Optional[Work]:
    """The reduction of every rank's tensor lands in rank dst's tensor (a global rank); the
    others' tensors are left as they were."""
    g = _member(group, "reduce")
    root = g.group_rank(dst, "dst")
    buf = buffer(tensor)
    _check_op(op, buf.dtype)
    if g.comm is None:
        return _done(async_op)
    mop = _mpi_op(op)
    me = g.rank()
    send = _world.mpi.IN_PLACE if me == root else buf
    recv = buf if me == root else None
    after = _scaler(buf, op, g.size()) if me == root else None
    return _run(g, "reduce", lambda: g.comm.Reduce(send, recv, mop, root),
                lambda: g.comm.Ireduce(send, recv, mop, root), async_op, after, buf)


def broadcast(tensor: _core.Tensor, src: int, group: Optional[ProcessGroup] = None,
              async_op: bool = False) -> Optional[Work]:
    """Every rank's tensor becomes rank src's (a global rank)."""
    g = _member(group, "broadcast")
    root = g.group_rank(src, "src")
    buf = buffer(tensor)
    if g.comm is None:
        return _done(async_op)
    return _run(g, "broadcast", lambda: g.comm.Bcast(buf, root), lambda: g.comm.Ibcast(buf, root), async_op,
                None, buf)


def _same_dtype(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if a.dtype != b.dtype:
        raise TypeError(f"steepest.distributed: {what}: output and input dtypes differ ({a.dtype} vs {b.dtype})")


def all_gather_into_tensor(output_tensor: _core.Tensor, input_tensor: _core.Tensor,
                           group: Optional[ProcessGroup] = None, async_op: bool = False) -> Optional[Work]:
    """output (size x input's numel elements, rank order) = every rank's input, concatenated."""
    g = _member(group, "all_gather_into_tensor")
    out, inp = buffer(output_tensor, "output_tensor"), buffer(input_tensor, "input_tensor")
    _same_dtype(out, inp, "all_gather_into_tensor")
    if out.size != inp.size * g.size():
        raise ValueError(f"steepest.distributed: all_gather_into_tensor: output has {out.size} elements, needs "
                         f"world size x input = {g.size()} x {inp.size}")
    if g.comm is None:
        out[:] = inp
        return _done(async_op)
    return _run(g, "all_gather_into_tensor", lambda: g.comm.Allgather(inp, out),
                lambda: g.comm.Iallgather(inp, out), async_op, None, (inp, out))


def reduce_scatter_tensor(output: _core.Tensor, input: _core.Tensor, op: ReduceOp = ReduceOp.SUM,
                          group: Optional[ProcessGroup] = None, async_op: bool = False) -> Optional[Work]:
    """input (size x output's numel elements) is reduced across ranks; rank r's output gets
    block r of the result."""
    g = _member(group, "reduce_scatter_tensor")
    out, inp = buffer(output, "output"), buffer(input, "input")
    _same_dtype(out, inp, "reduce_scatter_tensor")
    if inp.size != out.size * g.size():
        raise ValueError(f"steepest.distributed: reduce_scatter_tensor: input has {inp.size} elements, needs "
                         f"world size x output = {g.size()} x {out.size}")
    _check_op(op, out.dtype)
    if g.comm is None:
        out[:] = inp
        return _done(async_op)
    mop = _mpi_op(op)
    return _run(g, "reduce_scatter_tensor", lambda: g.comm.Reduce_scatter_block(inp, out, mop),
                lambda: g.comm.Ireduce_scatter_block(inp, out, mop), async_op, _scaler(out, op, g.size()),
                (inp, out))


def all_gather(tensor_list: List[_core.Tensor], tensor: _core.Tensor, group: Optional[ProcessGroup] = None,
               async_op: bool = False) -> Optional[Work]:
    """tensor_list[r] = rank r's tensor (gathered into one staging buffer, then copied out:
    the list's tensors need not be adjacent in memory)."""
    g = _member(group, "all_gather")
    if len(tensor_list) != g.size():
        raise ValueError(f"steepest.distributed: all_gather: tensor_list has {len(tensor_list)} tensors, the "
                         f"group has {g.size()} ranks")
    inp = buffer(tensor)
    outs = [buffer(t, f"tensor_list[{i}]") for i, t in enumerate(tensor_list)]
    for o in outs:
        if o.size != inp.size or o.dtype != inp.dtype:
            raise ValueError("steepest.distributed: all_gather: every tensor of tensor_list must have the "
                             "input's numel and dtype")
    stage = np.empty((g.size(), inp.size), dtype=inp.dtype)

    def scatter_out() -> None:
        for o, row in zip(outs, stage):
            o[:] = row
    if g.comm is None:
        stage[0] = inp
        return _done(async_op, scatter_out)
    return _run(g, "all_gather", lambda: g.comm.Allgather(inp, stage), lambda: g.comm.Iallgather(inp, stage),
                async_op, scatter_out, (inp, stage))


def _p2p_group(group: Optional[ProcessGroup], what: str, peer: int, name: str) -> tuple:
    g = _member(group, what)
    r = g.group_rank(peer, name)
    if r == g.rank():
        raise ValueError(f"steepest.distributed: {what}: {name}={peer} is this rank itself")
    return g, r


def send(tensor: _core.Tensor, dst: int, group: Optional[ProcessGroup] = None, tag: int = 0) -> None:
    """Sends tensor to rank dst (blocking until MPI has taken the data)."""
    g, r = _p2p_group(group, "send", dst, "dst")
    buf = buffer(tensor)
    with blocking("send", g):
        g.comm.Send(buf, r, tag)


def recv(tensor: _core.Tensor, src: Optional[int] = None, group: Optional[ProcessGroup] = None,
         tag: int = 0) -> int:
    """Receives into tensor from rank src (any rank when None); returns the sender's rank."""
    g = _member(group, "recv")
    buf = buffer(tensor)
    MPI = _world.mpi
    if g.comm is None:
        raise RuntimeError("steepest.distributed: recv in a one-rank group would wait forever")
    source = MPI.ANY_SOURCE if src is None else _p2p_group(group, "recv", src, "src")[1]
    status = MPI.Status()
    with blocking("recv", g):
        g.comm.Recv(buf, source, tag, status)
    got = status.Get_count(MPI.BYTE)
    if got != buf.nbytes:
        raise ValueError(f"steepest.distributed: recv: the message had {got} bytes, the tensor holds "
                         f"{buf.nbytes}")
    return g.ranks[status.Get_source()]


def isend(tensor: _core.Tensor, dst: int, group: Optional[ProcessGroup] = None, tag: int = 0) -> Work:
    g, r = _p2p_group(group, "isend", dst, "dst")
    buf = buffer(tensor)
    return Work(g.comm.Isend(buf, r, tag), g, "isend", None, buf)


def irecv(tensor: _core.Tensor, src: int, group: Optional[ProcessGroup] = None, tag: int = 0) -> Work:
    g, r = _p2p_group(group, "irecv", src, "src")
    buf = buffer(tensor)
    return Work(g.comm.Irecv(buf, r, tag), g, "irecv", None, buf)


def barrier(group: Optional[ProcessGroup] = None, async_op: bool = False) -> Optional[Work]:
    g = _member(group, "barrier")
    if g.comm is None:
        return _done(async_op)
    return _run(g, "barrier", g.comm.Barrier, g.comm.Ibarrier, async_op)


def all_gather_object(object_list: List[Any], obj: Any, group: Optional[ProcessGroup] = None) -> None:
    """object_list[r] = rank r's obj (pickled)."""
    g = _member(group, "all_gather_object")
    if len(object_list) != g.size():
        raise ValueError(f"steepest.distributed: all_gather_object: object_list has {len(object_list)} slots, "
                         f"the group has {g.size()} ranks")
    if g.comm is None:
        object_list[0] = pickle.loads(pickle.dumps(obj))
        return
    with blocking("all_gather_object", g):
        got = g.comm.allgather(obj)
    object_list[:] = got


def broadcast_object_list(object_list: List[Any], src: int = 0, group: Optional[ProcessGroup] = None) -> None:
    """object_list's items become rank src's (pickled), in place."""
    g = _member(group, "broadcast_object_list")
    root = g.group_rank(src, "src")
    if g.comm is None:
        return
    with blocking("broadcast_object_list", g):
        got = g.comm.bcast(list(object_list) if g.rank() == root else None, root)
    object_list[:] = got
