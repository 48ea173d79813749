"""Character-level language-model data: a text, its character vocabulary, encoding to int64
ids and back, and random (input, next-character target) windows drawn by a seeded
generator, as a causal transformer trains on them."""
import numpy as np

from ._files import DataError, bundled, read_bytes


def load_text(path=None, max_chars=None):
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

    def __init__(self, text, val_fraction=0.1, chars=None):
        self.chars = sorted(set(text)) if chars is None else list(chars)
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.ids = self.encode(text)
        cut = int(len(self.ids) * (1.0 - val_fraction))
        self.train, self.val = self.ids[:cut], self.ids[cut:]

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        """Characters -> ids; a character outside the vocabulary raises DataError."""
        try:
            return np.fromiter((self.stoi[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as e:
            raise DataError(f"character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids):
        return "".join(self.chars[int(i)] for i in ids)

    def batch(self, split, batch_size, block_size, rng):
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
