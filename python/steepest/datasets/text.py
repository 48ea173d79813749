"""Text to features for linear models: a tokenizer (lowercase words plus word bigrams) and the
hashing trick, which maps each token to one of n_features columns by a stable hash (CRC-32 of
its UTF-8 bytes: the same in every process, unlike Python's salted hash()), so no vocabulary
needs storing and unseen words still land somewhere."""
from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

# A word: letters/digits, with inner apostrophes kept ("don't"). Currency signs carry signal
# in spam ("£1000"), so each is a token of its own.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[£$€]")
_LONG_NUMBER = re.compile(r"\d{5,}")


def tokenize(text: str, ngrams: int = 2) -> list[str]:
    """Lowercase word tokens, then the n-grams up to `ngrams` joined by a space:
    tokenize("Call NOW free") -> ['call', 'now', 'free', 'call now', 'now free'].
    Runs of 5+ digits (phone numbers, short codes) also yield '<num>' so that all of them
    share a feature."""
    if ngrams < 1:
        raise ValueError(f"tokenize: ngrams must be >= 1, got {ngrams}")
    words = _TOKEN.findall(text.lower())
    tokens = list(words)
    tokens += ["<num>" for w in words if _LONG_NUMBER.search(w)]
    for n in range(2, ngrams + 1):
        tokens += [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
    return tokens


def stable_hash(token: str) -> int:
    """CRC-32 (the zlib/PNG polynomial) of the token's UTF-8 bytes, an int in [0, 2**32)."""
    return zlib.crc32(token.encode("utf-8")) & 0xFFFFFFFF


class HashingVectorizer:
    """Texts -> a float32 matrix (len(texts), n_features).

    Column of a token = stable_hash(token) % n_features. weighting: 'log' (log(1 + count),
    damps repeated words), 'tf' (count / number of tokens) or 'count'. normalize=True scales
    each row to unit L2 norm so long and short messages weigh alike. config() / from_config()
    round-trip the settings through a checkpoint."""

    WEIGHTINGS = ("log", "tf", "count")

    def __init__(self, n_features: int = 4096, ngrams: int = 2, weighting: str = "log", normalize: bool = True) -> None:
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
            raise ValueError(f"HashingVectorizer: n_features must be a positive integer, got {n_features!r}")
        if weighting not in self.WEIGHTINGS:
            raise ValueError(f"HashingVectorizer: weighting must be one of {self.WEIGHTINGS}, got {weighting!r}")
        if isinstance(ngrams, bool) or not isinstance(ngrams, int) or ngrams < 1:
            raise ValueError(f"HashingVectorizer: ngrams must be a positive integer, got {ngrams!r}")
        self.n_features = n_features
        self.ngrams = ngrams
        self.weighting = weighting
        self.normalize = bool(normalize)

    def indices(self, text: str) -> list[int]:
        """The column of each token of `text` (with repeats), as a list of ints."""
        return [stable_hash(t) % self.n_features for t in tokenize(text, self.ngrams)]

    def transform(self, texts: Union[str, Sequence[str]]) -> np.ndarray[Any, Any]:
        if isinstance(texts, str):
            texts = [texts]
        n, f = len(texts), self.n_features
        rows, cols = [], []
        for row, text in enumerate(texts):
            c = self.indices(text)
            cols += c
            rows += [row] * len(c)
        # Count each flat (row, column) position once: the matrix is mostly zeros.
        flat, counts = np.unique(np.asarray(rows, dtype=np.int64) * f + np.asarray(cols, dtype=np.int64),
                                 return_counts=True)
        out = np.zeros((n, f), dtype=np.float32)
        out.reshape(-1)[flat] = counts
        if self.weighting == "log":
            np.log1p(out, out=out)
        elif self.weighting == "tf":
            lengths = np.bincount(np.asarray(rows, dtype=np.int64), minlength=n).astype(np.float32)[:, None]
            np.divide(out, lengths, out=out, where=lengths > 0)
        if self.normalize:
            norms = np.sqrt(np.einsum("ij,ij->i", out, out, dtype=np.float64))[:, None].astype(np.float32)
            np.divide(out, norms, out=out, where=norms > 0)
        return out

    def config(self) -> dict[str, Any]:
        return {"kind": "hashing", "hash": "crc32-utf8", "tokenizer": "lower-words+ngrams",
                "n_features": self.n_features, "ngrams": self.ngrams, "weighting": self.weighting,
                "normalize": self.normalize}

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> HashingVectorizer:
        if cfg.get("kind") != "hashing" or cfg.get("hash") != "crc32-utf8":
            raise ValueError(f"HashingVectorizer.from_config: unsupported feature config {cfg!r}")
        return cls(n_features=int(cfg["n_features"]), ngrams=int(cfg["ngrams"]), weighting=cfg["weighting"],
                   normalize=bool(cfg["normalize"]))
