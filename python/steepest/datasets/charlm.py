"""Character-level language-model data: a text, its character vocabulary, encoding to int64
ids and back, and random (input, next-character target) windows drawn by a seeded
generator, as a causal transformer trains on them."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Optional

import numpy as np

from .._typing import StrPath
from ._files import DataError, bundled, read_bytes


def load_text(path: Optional[StrPath] = None, max_chars: Optional[int] = None) -> str:
    """The text of `path` (default: the bundled King James Bible excerpt, public domain),
    at most max_chars characters of it."""
    if path is None:
        path = bundled("kjv_1mb.txt.gz")
    what = "text data"
    try:
        text = read_bytes(path, what).decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{what}: {path}: not UTF-8 text (byte {e.start})") from None
    if max_chars is not None:
        text = text[:max_chars]
    if len(text) < 2:
        raise DataError(f"{what}: {path} is empty (needs at least 2 characters)")
    return text


class CharCorpus:
    """A text as character ids. chars: the sorted vocabulary; ids: np.int64 array;
    train/val: the first (1 - val_fraction) of ids and the rest."""

    def __init__(self, text: str, val_fraction: float = 0.1, chars: Optional[Sequence[str]] = None) -> None:
        self.chars = sorted(set(text)) if chars is None else list(chars)
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.ids = self.encode(text)
        cut = int(len(self.ids) * (1.0 - val_fraction))
        self.train, self.val = self.ids[:cut], self.ids[cut:]

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray[Any, Any]:
        """Characters -> ids; a character outside the vocabulary raises DataError."""
        try:
            return np.fromiter((self.stoi[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as e:
            raise DataError(f"character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def batch(self, split: str, batch_size: int, block_size: int,
              rng: np.random.Generator) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """(x, y): int64 arrays (batch_size, block_size) of random windows of `split`
        ('train' or 'val'); y is x shifted by one character. rng: a numpy Generator."""
        data = self.train if split == "train" else self.val
        if len(data) <= block_size:
            raise DataError(f"the {split} text has {len(data)} characters, fewer than block_size + 1 = "
                            f"{block_size + 1}")
        starts = rng.integers(0, len(data) - block_size, size=batch_size)
        offs = np.arange(block_size)
        x = data[starts[:, None] + offs]
        y = data[starts[:, None] + offs + 1]
        return x, y
