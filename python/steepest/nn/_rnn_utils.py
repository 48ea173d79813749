"""st.nn.utils.rnn: PackedSequence, pack_padded_sequence, pad_packed_sequence, pad_sequence,
pack_sequence, unpad_sequence and unpack_sequence, with torch's layouts and arguments. The
lengths are host-side bookkeeping; the data moves by one differentiable gather each way."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Optional, Union

from .. import _core
from .._tensor import tensor as _tensor
from .._typing import DeviceLike, Tensor

_Lengths = Union[Tensor, Sequence[int]]


class PackedSequence(NamedTuple):
    """Sequences of different lengths stored step by step: data holds, for each time step,
    the rows of the sequences still running (longest first); batch_sizes how many there are
    at each step. sorted_indices / unsorted_indices map between that order and the caller's."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor] = None
    unsorted_indices: Optional[Tensor] = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._replace(data=self.data.to(*args, **kwargs))

    def float(self) -> PackedSequence:
        return self._replace(data=self.data.float())

    def double(self) -> PackedSequence:
        return self._replace(data=self.data.double())

    @property
    def is_cuda(self) -> bool:
        return bool(self.data.is_cuda)


def _as_list(fn: str, lengths: _Lengths) -> list[int]:
    if isinstance(lengths, _core.Tensor):
        if lengths.dim() != 1 or lengths.is_floating_point():
            raise ValueError(f"{fn}: lengths must be a 1-D integer tensor or a list of ints, got shape "
                             f"{tuple(lengths.shape)} and dtype {lengths.dtype}")
        return [int(v) for v in lengths.cpu().tolist()]
    out = []
    for v in lengths:
        if isinstance(v, bool) or not hasattr(v, "__index__"):
            raise TypeError(f"{fn}: lengths must hold ints, got {type(v).__name__}")
        out.append(int(v))
    return out


def _long(values: list[int], device: Optional[DeviceLike] = None) -> Tensor:
    """Index lists go where the data they index lives (lengths and batch sizes stay on the host)."""
    return _tensor(values, dtype=_core.int64, device=device)


def _order(sorted_indices: Optional[Tensor], b: int) -> list[int]:
    return list(range(b)) if sorted_indices is None else [int(v) for v in sorted_indices.cpu().tolist()]


def _packed_rows(batch_sizes: list[int], order: list[int]) -> list[int]:
    """For each row of the packed data, its position t * B + b in a (T, B) padded batch."""
    B = batch_sizes[0] if batch_sizes else 0
    return [t * B + order[i] for t, n in enumerate(batch_sizes) for i in range(n)]


def pack_padded_sequence(input: Tensor, lengths: _Lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch (T, B, *) ((B, T, *) when batch_first) of sequences of the given
    lengths. enforce_sorted: lengths must be in decreasing order; otherwise they are sorted here
    and the permutation is kept in the result."""
    fn = "pack_padded_sequence"
    lens = _as_list(fn, lengths)
    x = input.transpose(0, 1) if batch_first else input
    if x.dim() < 2:
        raise ValueError(f"{fn}: input must be at least 2-D (T, B, *), got shape {tuple(input.shape)}")
    T, B = x.shape[0], x.shape[1]
    if len(lens) != B:
        raise ValueError(f"{fn}: expected {B} lengths (the batch size), got {len(lens)}")
    if any(v <= 0 for v in lens):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if any(v > T for v in lens):
        raise RuntimeError(f"{fn}: a length ({max(lens)}) is larger than the sequence dim of input ({T})")
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        order, sorted_idx, unsorted_idx = list(range(B)), None, None
    else:
        order = sorted(range(B), key=lambda b: -lens[b])
        inverse = [0] * B
        for i, b in enumerate(order):
            inverse[b] = i
        sorted_idx, unsorted_idx = _long(order, x.device), _long(inverse, x.device)
    batch_sizes = [sum(1 for v in lens if v > t) for t in range(max(lens))]
    rows = _packed_rows(batch_sizes, order)
    data = x.reshape((T * B,) + tuple(x.shape[2:]))[_long(rows, x.device)]
    return PackedSequence(data, _long(batch_sizes), sorted_idx, unsorted_idx)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: Optional[int] = None) -> tuple[Tensor, Tensor]:
    """The inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths (B,) int64),
    in the caller's batch order; T is the longest length, or total_length."""
    fn = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{fn}: expected a PackedSequence, got {type(sequence).__name__}")
    bs = [int(v) for v in sequence.batch_sizes.tolist()]
    T, B = len(bs), bs[0]
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {T}")
        T = total_length
    order = _order(sequence.sorted_indices, B)
    data = sequence.data
    rest = tuple(data.shape[1:])
    src = [data.shape[0]] * (T * B)  # the padding row, unless a packed row lands there
    for p, pos in enumerate(_packed_rows(bs, order)):
        src[pos] = p
    pad_row = _core.full((1,) + rest, padding_value, dtype=data.dtype, device=data.device)
    padded = _core.cat([data, pad_row])[_long(src, data.device)].reshape((T, B) + rest)
    lens = [0] * B
    for i, b in enumerate(order):
        lens[b] = sum(1 for n in bs if n > i)
    return (padded.transpose(0, 1) if batch_first else padded), _long(lens)


def pad_sequence(sequences: Union[Tensor, Sequence[Tensor]], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stacks sequences (L_i, *) into (T, B, *) ((B, T, *) when batch_first), T the longest,
    filling with padding_value on the right (or the left)."""
    fn = "pad_sequence"
    seqs = list(sequences)
    if not seqs:
        raise ValueError(f"{fn}: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    rest = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if not isinstance(s, _core.Tensor) or s.dim() < 1 or tuple(s.shape[1:]) != rest:
            raise ValueError(f"{fn}: sequence {i} must be a tensor (L, *) with trailing shape {rest}")
    T = max(s.shape[0] for s in seqs)
    out = []
    for s in seqs:
        n = T - s.shape[0]
        if n:
            pad = _core.full((n,) + rest, padding_value, dtype=s.dtype, device=s.device)
            s = _core.cat([s, pad] if padding_side == "right" else [pad, s])
        out.append(s)
    return _core.stack(out, 0 if batch_first else 1)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of sequences (L_i, *) (longest first, unless enforce_sorted is False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: _Lengths, batch_first: bool = False) -> list[Tensor]:
    """The list of sequences (L_i, *) in a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :n] for i, n in enumerate(_as_list("unpad_sequence", lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a PackedSequence holds, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
