"""A seeded, stratified train/test split of sample indices: each class keeps its share in
both parts, and the same seed gives the same split on every machine (numpy's PCG64)."""
from __future__ import annotations

from typing import Any

import numpy as np


def train_test_split(labels: np.ndarray[Any, Any], test_fraction: float = 0.2,
                     seed: int = 0) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Returns (train_idx, test_idx), int64 arrays, each sorted. Every class with at least two
    samples puts round(test_fraction * count) (at least 1) of them in the test part."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"train_test_split: test_fraction must be in (0, 1), got {test_fraction!r}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        k = 0 if len(idx) < 2 else min(len(idx) - 1, max(1, int(round(test_fraction * len(idx)))))
        test.append(idx[:k])
    test_idx = np.sort(np.concatenate(test)).astype(np.int64) if test else np.zeros(0, np.int64)
    mask = np.ones(len(labels), bool)
    mask[test_idx] = False
    return np.flatnonzero(mask).astype(np.int64), test_idx
