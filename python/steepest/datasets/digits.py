"""The 8x8 handwritten digits: 64 pixel values (0-16) then the label (0-9) per CSV line, read
into float32 features scaled to [0, 1] and int64 labels, with errors that name the line."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .._typing import StrPath
from ._files import DataError, bundled, read_lines

N_PIXELS = 64
N_CLASSES = 10


def load_digits(path: Optional[StrPath] = None) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Returns (X, y): X float32 (n, 64) in [0, 1], y int64 (n,) in 0..9. Default path: the
    bundled UCI digits (CC BY 4.0, see data/README.md)."""
    if path is None:
        path = bundled("digits.csv.gz")
    what = "digits data"
    rows = []
    for n, line in read_lines(path, what):
        if not line.strip():
            continue
        parts = line.split(",")
        if len(parts) != N_PIXELS + 1:
            raise DataError(f"{what}: {path}, line {n}: expected {N_PIXELS + 1} comma-separated values "
                            f"(64 pixels and a label), found {len(parts)}")
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            bad = next(p for p in parts if not _is_number(p))
            raise DataError(f"{what}: {path}, line {n}: {bad.strip()!r} is not a number") from None
        label = vals[-1]
        if label != int(label) or not 0 <= label < N_CLASSES:
            raise DataError(f"{what}: {path}, line {n}: label {parts[-1].strip()!r} is not an integer 0-9")
        rows.append(vals)
    if not rows:
        raise DataError(f"{what}: {path} is empty (no rows)")
    a = np.asarray(rows, dtype=np.float64)
    X = (a[:, :N_PIXELS] / 16.0).astype(np.float32)
    y = a[:, N_PIXELS].astype(np.int64)
    return X, y


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False
