"""The SMS spam data: `label<TAB>text` lines (label ham or spam), gzip or plain UTF-8, read
into texts and integer labels (0 = ham, 1 = spam), with errors that name the line."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from .._typing import StrPath
from ._files import DataError, bundled, read_lines

SPAM_LABELS = ("ham", "spam")


class TextLabels:
    """Texts with integer labels; label_names[i] names label i."""

    def __init__(self, texts: list[str], labels: Union[Sequence[int], np.ndarray[Any, Any]], label_names: Sequence[str],
                 source: str) -> None:
        self.texts = texts
        self.labels = np.asarray(labels, dtype=np.int64)
        self.label_names = tuple(label_names)
        self.source = source

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx: Union[Sequence[int], np.ndarray[Any, Any]]) -> TextLabels:
        return TextLabels([self.texts[i] for i in idx], self.labels[idx], self.label_names, self.source)

    def counts(self) -> dict[str, int]:
        return {name: int((self.labels == i).sum()) for i, name in enumerate(self.label_names)}


def load_spam(path: Optional[StrPath] = None, label_names: Sequence[str] = SPAM_LABELS) -> TextLabels:
    """Reads `path` (default: the bundled SMS Spam Collection subset, CC BY 4.0, see
    data/README.md). Blank lines are skipped; labels match case-insensitively.
    FileNotFoundError for a missing file; DataError for an empty file, a line without a tab,
    an empty text or a label not in label_names."""
    source = None
    if path is None:
        path = bundled("sms_spam.tsv.gz")
        source = "the bundled SMS Spam Collection subset (CC BY 4.0)"
    what = "spam data"
    index = {name.lower(): i for i, name in enumerate(label_names)}
    texts, labels = [], []
    for n, line in read_lines(path, what):
        if not line.strip():
            continue
        label, tab, text = line.partition("\t")
        if not tab:
            raise DataError(f"{what}: {path}, line {n}: expected 'label<TAB>text' but found no tab character")
        key = label.strip().lower()
        if key not in index:
            raise DataError(f"{what}: {path}, line {n}: unknown label {label.strip()!r}; expected one of "
                            f"{', '.join(label_names)}")
        if not text.strip():
            raise DataError(f"{what}: {path}, line {n}: the text after the label is empty")
        texts.append(text)
        labels.append(index[key])
    if not texts:
        raise DataError(f"{what}: {path} is empty (no 'label<TAB>text' lines)")
    return TextLabels(texts, labels, label_names, source or str(path))
