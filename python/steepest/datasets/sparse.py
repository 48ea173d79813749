"""SparseRows: a matrix of mostly-zero rows kept in compressed-row form (numpy indptr,
column ids and values), what a text vectorizer with a large vocabulary returns; and
SparseBatches, (rows, labels) mini-batches of it for st.train.fit."""
from __future__ import annotations

from typing import Any, Iterator, Optional, Union

import numpy as np

from .. import _core


class SparseRows:
    """Row r holds values[indptr[r]:indptr[r + 1]] in columns indices[indptr[r]:indptr[r + 1]]
    of n_cols. len() is the number of rows; tensors() gives what st.nn.SparseLinear reads."""

    def __init__(self, indptr: Any, indices: Any, values: Any, n_cols: int) -> None:
        indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        indices = np.ascontiguousarray(indices, dtype=np.int64)
        values = np.ascontiguousarray(values, dtype=np.float32)
        if indptr.ndim != 1 or len(indptr) < 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
            raise ValueError("SparseRows: indptr must be a 1-d non-decreasing array starting at 0")
        if indices.shape != (int(indptr[-1]),) or values.shape != indices.shape:
            raise ValueError(f"SparseRows: indptr ends at {int(indptr[-1])} but indices has shape {indices.shape} "
                             f"and values {values.shape}")
        if isinstance(n_cols, bool) or not isinstance(n_cols, (int, np.integer)) or n_cols < 0:
            raise ValueError(f"SparseRows: n_cols must be a non-negative integer, got {n_cols!r}")
        if len(indices) and (indices.min() < 0 or indices.max() >= n_cols):
            raise ValueError(f"SparseRows: column ids must be in [0, {n_cols}), got {int(indices.min())}.."
                             f"{int(indices.max())}")
        self.indptr, self.indices, self.values, self.n_cols = indptr, indices, values, int(n_cols)
        self._tensors: Optional[tuple[Any, Any, Any]] = None

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self), self.n_cols)

    def subset(self, idx: Union[np.ndarray[Any, Any], list[int]]) -> SparseRows:
        """The rows idx (in that order) as a new SparseRows."""
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if len(idx) and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError(f"SparseRows.subset: row index out of range for {len(self)} rows")
        starts, ends = self.indptr[idx], self.indptr[idx + 1]
        lengths = ends - starts
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        # Position of each kept entry in the source arrays: its row's start plus its rank in the row.
        take = np.repeat(starts - indptr[:-1], lengths) + np.arange(int(indptr[-1]), dtype=np.int64)
        return SparseRows(indptr, self.indices[take], self.values[take], self.n_cols)

    def to_dense(self) -> np.ndarray[Any, Any]:
        out = np.zeros(self.shape, dtype=np.float32)
        rows = np.repeat(np.arange(len(self)), np.diff(self.indptr))
        out[rows, self.indices] = self.values
        return out

    def tensors(self) -> tuple[Any, Any, Any]:
        """(row id of each entry, column ids, values) as int64, int64, float32 tensors (made once)."""
        if self._tensors is None:
            rows = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.indptr))
            self._tensors = (_core.from_numpy(rows), _core.from_numpy(self.indices.copy()),
                             _core.from_numpy(self.values.copy()))
        return self._tensors


class SparseBatches:
    """Re-iterable (SparseRows, int64 label tensor) batches of `batch_size` rows; shuffle=True
    draws a new order each pass from `seed` plus the pass number, so runs repeat exactly."""

    def __init__(self, rows: SparseRows, labels: Any, batch_size: int, shuffle: bool = False, seed: int = 0) -> None:
        labels = np.asarray(labels)
        if len(labels) != len(rows):
            raise ValueError(f"SparseBatches: {len(rows)} rows but {len(labels)} labels")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"SparseBatches: batch_size must be a positive integer, got {batch_size!r}")
        self.rows, self.labels, self.batch_size = rows, labels, batch_size
        self.shuffle, self.seed, self._passes = shuffle, seed, 0
        self._whole: Optional[tuple[SparseRows, Any]] = None

    def __len__(self) -> int:
        return -(-len(self.rows) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[SparseRows, Any]]:
        n = len(self.rows)
        if self.batch_size >= n:
            # One batch of everything: the order does not change a full-batch step, so build it once.
            if self._whole is None:
                self._whole = (self.rows, _core.from_numpy(self.labels.copy()))
            yield self._whole
            return
        order = np.arange(n)
        if self.shuffle:
            np.random.default_rng([self.seed, self._passes]).shuffle(order)
            self._passes += 1
        for i in range(0, n, self.batch_size):
            idx = order[i:i + self.batch_size]
            yield self.rows.subset(idx), _core.from_numpy(self.labels[idx].copy())
