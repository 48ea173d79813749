"""Classification results as the CLI prints them: accuracy, precision/recall/F1 for one
positive class, a confusion matrix (rows: true class, columns: predicted), and plot saving
(matplotlib when installed, else the built-in PNG writer)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import numpy as np


def confusion_matrix(true: np.ndarray[Any, Any], pred: np.ndarray[Any, Any], n_classes: int) -> np.ndarray[Any, Any]:
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(true, np.int64), np.asarray(pred, np.int64)), 1)
    return m


def binary_metrics(true: np.ndarray[Any, Any], pred: np.ndarray[Any, Any], positive: int = 1) -> dict[str, Any]:
    """accuracy, precision, recall, f1 with `positive` as the positive class. Precision with no
    positive predictions and recall with no positive samples are 0 (F1 then 0): a model that
    never says spam scores F1 = 0, not nan."""
    true, pred = np.asarray(true), np.asarray(pred)
    tp = int(((pred == positive) & (true == positive)).sum())
    fp = int(((pred == positive) & (true != positive)).sum())
    fn = int(((pred != positive) & (true == positive)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    acc = float((true == pred).mean()) if len(true) else float("nan")
    return {"accuracy": acc, "precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn,
            "tn": int(len(true) - tp - fp - fn)}


def format_confusion(m: np.ndarray[Any, Any], names: Sequence[str]) -> str:
    w = max(6, max(len(n) for n in names) + 2, len(str(int(m.max()))) + 2)
    lines = ["confusion matrix (rows: true label, columns: predicted)",
             " " * w + "".join(f"{n:>{w}}" for n in names)]
    for i, n in enumerate(names):
        lines.append(f"{n:>{w}}" + "".join(f"{int(v):>{w}}" for v in m[i]))
    return "\n".join(lines)


def save_plot(plot_fn: Callable[[str], Any], path: str, what: str) -> str:
    """Calls plot_fn(path); returns the line to print (where it went)."""
    plot_fn(path)
    return f"{what}: {path}"
