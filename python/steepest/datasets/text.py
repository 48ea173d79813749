"""Text to features for linear models: a tokenizer (lowercase words plus word bigrams) and the
hashing trick, which maps each token to one of n_features columns by a stable hash (CRC-32 of
its UTF-8 bytes: the same in every process, unlike Python's salted hash()), so no vocabulary
needs storing and unseen words still land somewhere."""
from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any, Callable, Optional, Union

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


def char_ngrams(text: str, lo: int = 2, hi: int = 5) -> list[str]:
    """Character n-grams (lo <= n <= hi) of each lowercase whitespace-separated word padded
    with a space on each side, so prefixes and suffixes are grams of their own and
    punctuation inside a word ("£1000", "www.", "!!") is kept:
    char_ngrams("Hi!", 2, 3) -> [' h', 'hi', 'i!', '! ', ' hi', 'hi!', 'i! ']. They catch
    misspellings, inflections and the shape of numbers and links that words miss."""
    if not 1 <= lo <= hi:
        raise ValueError(f"char_ngrams: need 1 <= lo <= hi, got ({lo}, {hi})")
    out = []
    for w in text.lower().split():
        w = f" {w} "
        for n in range(lo, hi + 1):
            out += [w[i:i + n] for i in range(len(w) - n + 1)]
    return out


def stable_hash(token: str) -> int:
    """CRC-32 (the zlib/PNG polynomial) of the token's UTF-8 bytes, an int in [0, 2**32)."""
    return zlib.crc32(token.encode("utf-8")) & 0xFFFFFFFF


class HashingVectorizer:
    """Texts -> a float32 matrix (len(texts), n_features).

    Column of a token = stable_hash(token) % n_features. weighting: 'log' (log(1 + count),
    damps repeated words), 'tf' (count / number of tokens) or 'count'. normalize=True scales
    each row to unit L2 norm so long and short messages weigh alike. char_ngrams=(lo, hi) adds
    the character n-grams of each word (see char_ngrams()) as a second block of tokens in
    the same columns: each block is weighted and normalized on its own, then they are added
    (and the sum normalized), so the many character grams don't drown the words.
    config() / from_config() round-trip the settings through a checkpoint."""

    WEIGHTINGS = ("log", "tf", "count")

    def __init__(self, n_features: int = 4096, ngrams: int = 2, weighting: str = "log", normalize: bool = True,
                 char_ngrams: Optional[tuple[int, int]] = None) -> None:
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
            raise ValueError(f"HashingVectorizer: n_features must be a positive integer, got {n_features!r}")
        if weighting not in self.WEIGHTINGS:
            raise ValueError(f"HashingVectorizer: weighting must be one of {self.WEIGHTINGS}, got {weighting!r}")
        if isinstance(ngrams, bool) or not isinstance(ngrams, int) or ngrams < 1:
            raise ValueError(f"HashingVectorizer: ngrams must be a positive integer, got {ngrams!r}")
        if char_ngrams is not None:
            lo_hi = tuple(char_ngrams)
            if (len(lo_hi) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in lo_hi)
                    or not 1 <= lo_hi[0] <= lo_hi[1]):
                raise ValueError(f"HashingVectorizer: char_ngrams must be (lo, hi) with 1 <= lo <= hi, got "
                                 f"{char_ngrams!r}")
            char_ngrams = (int(lo_hi[0]), int(lo_hi[1]))
        self.char_ngrams = char_ngrams
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
        out = self._block(texts, lambda t: tokenize(t, self.ngrams))
        if self.char_ngrams is not None:
            lo, hi = self.char_ngrams
            # "\x01" keeps the character grams apart from words in the hash ("hi" the word vs the gram).
            out += self._block(texts, lambda t: ["\x01" + g for g in char_ngrams(t, lo, hi)])
            if self.normalize:
                self._normalize(out)
        return out

    def _block(self, texts: Sequence[str], tokens: Callable[[str], list[str]]) -> np.ndarray[Any, Any]:
        """One block of token columns, weighted and (when normalize) row-normalized."""
        n, f = len(texts), self.n_features
        rows, cols = [], []
        for row, text in enumerate(texts):
            c = [stable_hash(t) % f for t in tokens(text)]
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
            self._normalize(out)
        return out

    @staticmethod
    def _normalize(out: np.ndarray[Any, Any]) -> None:
        norms = np.sqrt(np.einsum("ij,ij->i", out, out, dtype=np.float64))[:, None].astype(np.float32)
        np.divide(out, norms, out=out, where=norms > 0)

    def config(self) -> dict[str, Any]:
        return {"kind": "hashing", "hash": "crc32-utf8", "tokenizer": "lower-words+ngrams",
                "n_features": self.n_features, "ngrams": self.ngrams, "weighting": self.weighting,
                "normalize": self.normalize, "char_ngrams": list(self.char_ngrams) if self.char_ngrams else None}

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> HashingVectorizer:
        if cfg.get("kind") != "hashing" or cfg.get("hash") != "crc32-utf8":
            raise ValueError(f"HashingVectorizer.from_config: unsupported feature config {cfg!r}")
        return cls(n_features=int(cfg["n_features"]), ngrams=int(cfg["ngrams"]), weighting=cfg["weighting"],
                   normalize=bool(cfg["normalize"]),
                   char_ngrams=tuple(cfg["char_ngrams"]) if cfg.get("char_ngrams") else None)
