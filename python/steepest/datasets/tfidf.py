"""Text to sparse TF-IDF features with an exact vocabulary: word 1..n-grams and character
n-grams within words, each block weighted by sublinear tf times smooth idf (fitted on the
training texts only) and L2-normalised; rows come back as a SparseRows (CSR) matrix."""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Callable, Optional, Union

import numpy as np

from .sparse import SparseRows

# A word is a run of two or more word characters; shorter ones carry little signal.
_WORD = re.compile(r"(?u)\b\w\w+\b")


def word_ngrams(text: str, lo: int = 1, hi: int = 2) -> list[str]:
    """Lowercase words of 2+ word characters, then their n-grams for lo <= n <= hi joined by a
    space: word_ngrams("Call NOW, a free", 1, 2) -> ['call', 'now', 'free', 'call now', 'now free']."""
    words = _WORD.findall(text.lower())
    out: list[str] = []
    for n in range(lo, hi + 1):
        out += [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
    return out


def char_wb_ngrams(text: str, lo: int = 2, hi: int = 5) -> list[str]:
    """Character n-grams (lo <= n <= hi) of each lowercase whitespace-separated word padded
    with a space on each side. A padded word no longer than n is one gram, counted once for
    the first such n (longer n would only repeat it): char_wb_ngrams("Hi", 2, 5) ->
    [' h', 'hi', 'i ', ' hi', 'hi ', ' hi ']."""
    out: list[str] = []
    for w in text.lower().split():
        w = f" {w} "
        for n in range(lo, hi + 1):
            if n >= len(w):
                out.append(w)
                break
            out += [w[i:i + n] for i in range(len(w) - n + 1)]
    return out


def _check_range(name: str, r: Any) -> tuple[int, int]:
    lo_hi = tuple(r) if isinstance(r, (tuple, list)) else ()
    if (len(lo_hi) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in lo_hi)
            or not 1 <= lo_hi[0] <= lo_hi[1]):
        raise ValueError(f"TfidfVectorizer: {name} must be (lo, hi) with 1 <= lo <= hi, got {r!r}")
    return int(lo_hi[0]), int(lo_hi[1])


class _Block:
    """One vocabulary: term -> column (terms sorted, so the columns don't depend on the order
    of the training texts) and each column's idf."""

    def __init__(self, terms: Callable[[str], list[str]], vocabulary: Sequence[str], idf: np.ndarray[Any, Any]):
        self.terms = terms
        self.vocabulary = list(vocabulary)
        self.index = {t: i for i, t in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)

    @staticmethod
    def document_frequencies(term_lists: Sequence[list[str]]) -> Counter[str]:
        df: Counter[str] = Counter()
        for terms in term_lists:
            df.update(set(terms))
        return df

    @classmethod
    def fit(cls, terms: Callable[[str], list[str]], df: Counter[str], n: int) -> _Block:
        vocab = sorted(df)
        # Smooth idf: as if one extra document held every term once, so no term divides by zero
        # and a term in every document still weighs 1.
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocab], dtype=np.float64)
        return cls(terms, vocab, idf)

    def entries(self, term_lists: Sequence[list[str]]) -> tuple[np.ndarray[Any, Any], ...]:
        """(row, column, value) of every non-zero, sorted by row then column: known terms only,
        each row of unit L2 norm."""
        index, v = self.index, len(self.vocabulary)
        rows, cols = [], []
        for r, terms in enumerate(term_lists):
            c = [index[t] for t in terms if t in index]
            cols += c
            rows += [r] * len(c)
        # Count each (row, column) pair once; the flat key sorts by row, then column.
        keys, tf = np.unique(np.asarray(rows, dtype=np.int64) * v + np.asarray(cols, dtype=np.int64),
                             return_counts=True)
        row, col = keys // v, keys % v
        # Sublinear tf (1 + log count): a word said five times is not five times the evidence.
        vals = (1.0 + np.log(tf)) * self.idf[col]
        norms = np.sqrt(np.bincount(row, weights=vals * vals, minlength=len(term_lists)))
        return row, col, vals / norms[row]


class TfidfVectorizer:
    """Texts -> SparseRows (len(texts), n_features) of TF-IDF values.

    Two blocks side by side: word n-grams (word_ngrams, `ngrams`=(lo, hi), columns first) and,
    unless char_ngrams is None, character n-grams within words (char_wb_ngrams). fit(texts)
    learns each block's sorted vocabulary (every term seen, or the max_features terms found in
    the most texts over both blocks) and smooth idf
    log((1 + n) / (1 + df)) + 1; transform gives each known term (1 + log count) * idf, and
    each block of a row unit L2 norm (a row without known terms stays zero). Terms not seen in
    fit are ignored. config() / from_config() round-trip the vocabulary and idf (JSON-able)."""

    def __init__(self, ngrams: tuple[int, int] = (1, 2), char_ngrams: Optional[tuple[int, int]] = (2, 5),
                 max_features: Optional[int] = None) -> None:
        if max_features is not None and (isinstance(max_features, bool) or not isinstance(max_features, int)
                                         or max_features < 1):
            raise ValueError(f"TfidfVectorizer: max_features must be a positive integer or None, got {max_features!r}")
        self.max_features = max_features
        self.ngrams = _check_range("ngrams", ngrams)
        self.char_ngrams = None if char_ngrams is None else _check_range("char_ngrams", char_ngrams)
        self._blocks: list[_Block] = []

    def _term_fns(self) -> list[Callable[[str], list[str]]]:
        (wlo, whi), fns = self.ngrams, []
        fns.append(lambda t: word_ngrams(t, wlo, whi))
        if self.char_ngrams is not None:
            clo, chi = self.char_ngrams
            fns.append(lambda t: char_wb_ngrams(t, clo, chi))
        return fns

    @property
    def n_features(self) -> int:
        self._check_fitted()
        return sum(len(b.vocabulary) for b in self._blocks)

    def _check_fitted(self) -> None:
        if not self._blocks:
            raise RuntimeError("TfidfVectorizer: call fit(texts) before transform (or load one with from_config)")

    def fit(self, texts: Sequence[str]) -> TfidfVectorizer:
        self._fit(texts)
        return self

    def _fit(self, texts: Sequence[str]) -> list[list[list[str]]]:
        """Learns the vocabularies and idf; returns each block's term lists of the texts."""
        texts = _texts(texts, "fit")
        if not texts:
            raise ValueError("TfidfVectorizer.fit: no texts to learn a vocabulary from")
        fns = self._term_fns()
        term_lists = [[fn(t) for t in texts] for fn in fns]
        dfs = [_Block.document_frequencies(tl) for tl in term_lists]
        if self.max_features is not None and sum(map(len, dfs)) > self.max_features:
            # Keep the terms found in the most texts (ties: block, then term order), over all blocks.
            ranked = sorted(((-c, k, t) for k, df in enumerate(dfs) for t, c in df.items()))[:self.max_features]
            kept: list[Counter[str]] = [Counter() for _ in dfs]
            for c, k, t in ranked:
                kept[k][t] = -c
            dfs = kept
        self._blocks = [_Block.fit(fn, df, len(texts)) for fn, df in zip(fns, dfs)]
        return term_lists

    def fit_transform(self, texts: Sequence[str]) -> SparseRows:
        return self._rows(self._fit(texts))

    def transform(self, texts: Union[str, Sequence[str]]) -> SparseRows:
        self._check_fitted()
        texts = _texts(texts, "transform")
        return self._rows([[b.terms(t) for t in texts] for b in self._blocks])

    def _rows(self, term_lists: list[list[list[str]]]) -> SparseRows:
        rows, cols, vals, offset = [], [], [], 0
        for b, tl in zip(self._blocks, term_lists):
            r, c, v = b.entries(tl)
            rows.append(r)
            cols.append(c + offset)
            vals.append(v)
            offset += len(b.vocabulary)
        row = np.concatenate(rows)
        # Stable by row: within a row the first block's columns stay ahead of the second's.
        order = np.argsort(row, kind="stable")
        n = len(term_lists[0])
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=n))]).astype(np.int64)
        return SparseRows(indptr, np.concatenate(cols)[order], np.concatenate(vals)[order], offset)

    def config(self) -> dict[str, Any]:
        self._check_fitted()
        return {"kind": "tfidf", "tokenizer": "words-2plus+char_wb", "ngrams": list(self.ngrams),
                "char_ngrams": list(self.char_ngrams) if self.char_ngrams else None,
                "blocks": [{"vocabulary": b.vocabulary, "idf": b.idf.tolist()} for b in self._blocks]}

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> TfidfVectorizer:
        if not isinstance(cfg, dict) or cfg.get("kind") != "tfidf" or cfg.get("tokenizer") != "words-2plus+char_wb":
            raise ValueError("TfidfVectorizer.from_config: not a TF-IDF feature config")
        vec = cls(ngrams=tuple(cfg["ngrams"]), char_ngrams=tuple(cfg["char_ngrams"]) if cfg["char_ngrams"] else None)
        fns, blocks = vec._term_fns(), cfg["blocks"]
        if len(blocks) != len(fns):
            raise ValueError(f"TfidfVectorizer.from_config: expected {len(fns)} vocabulary blocks, got {len(blocks)}")
        for b in blocks:
            if len(b["vocabulary"]) != len(b["idf"]):
                raise ValueError("TfidfVectorizer.from_config: a block's vocabulary and idf differ in length")
        vec._blocks = [_Block(fn, b["vocabulary"], np.asarray(b["idf"], dtype=np.float64))
                       for fn, b in zip(fns, blocks)]
        return vec


def _texts(texts: Union[str, Iterable[str]], who: str) -> list[str]:
    out = [texts] if isinstance(texts, str) else list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"TfidfVectorizer.{who}: texts must be strings, item {i} is {type(t).__name__}")
    return out
