"""PNG plots of training: loss, learning-rate and metric curves of a History, per-layer
gradient norms, and the lr_find curve. matplotlib is an optional extra (steepest[plot]),
imported only here and only when a plot is asked for; figures never touch pyplot's state.
Without it the same curves are drawn by the small built-in PNG writer (_png.py)."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from .._typing import PathLike
from . import _png

if TYPE_CHECKING:
    from .history import History
    from .lr_finder import LRFinderResult

__all__ = ["plot_history", "plot_grad_norms", "plot_lr_find"]


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(*args, **kwargs):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib, an optional extra of steepest: "
                          "pip install 'steepest[plot]' (or pip install matplotlib)") from None
    return Figure(*args, **kwargs)


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(os.fspath(path), format="png", dpi=100)
    return path


def _records(history, kind):
    recs = getattr(history, "records", None)
    if recs is None:
        raise TypeError(f"expected an st.train History, got {type(history).__name__}")
    return [r for r in recs if r.get("type") == kind]


def plot_history(history: History, path: PathLike) -> PathLike:
    """Loss (per logged step, and per epoch for train and validation), learning rate, and the
    validation metrics per epoch, against the optimizer step; written as a PNG to path."""
    steps, epochs = _records(history, "step"), _records(history, "epoch")
    if not steps and not epochs:
        raise ValueError("plot_history: the history has no records yet")
    metric_keys = [k for k in (epochs[-1] if epochs else {}) if k.startswith("val_") and k != "val_loss"]
    if not _have_matplotlib():
        return _history_png(history, steps, epochs, metric_keys, path)
    rows = 3 if metric_keys else 2
    fig = _figure(figsize=(7, 2.6 * rows))
    ax = fig.add_subplot(rows, 1, 1)
    if steps:
        ax.plot([r["step"] for r in steps], [r["loss"] for r in steps], lw=0.8, alpha=0.6, label="train (step)")
    if epochs:
        x = [r["steps"] for r in epochs]
        ax.plot(x, [r["train_loss"] for r in epochs], "o-", label="train (epoch)")
        if "val_loss" in epochs[-1]:
            ax.plot(x, [r.get("val_loss") for r in epochs], "s-", label="validation")
    for r in _records(history, "loss_spike"):
        ax.axvline(r["step"], color="tab:red", lw=0.6, alpha=0.5)
    ax.set_ylabel("loss")
    ax.set_xlabel("step")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax = fig.add_subplot(rows, 1, 2)
    src = steps or epochs
    ax.plot([r["step"] if "step" in r and r.get("type") == "step" else r["steps"] for r in src],
            [r["lr"] for r in src], color="tab:green")
    ax.set_ylabel("learning rate")
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    if metric_keys:
        ax = fig.add_subplot(rows, 1, 3)
        for k in metric_keys:
            ax.plot([r["epoch"] + 1 for r in epochs], [r.get(k) for r in epochs], "o-", label=k)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_grad_norms(history: History, path: PathLike) -> PathLike:
    """Each parameter's gradient L2 norm at the logged steps (log scale), with vanishing and
    exploding flags marked; written as a PNG to path."""
    steps = [r for r in _records(history, "step") if r.get("grad_norms")]
    if not steps:
        raise ValueError("plot_grad_norms: the history holds no gradient norms (fit with grad_norms='track' for "
                         "at least log_every steps)")
    names = list(dict.fromkeys(n for r in steps for n in r["grad_norms"]))
    if not _have_matplotlib():
        series = [_png.Series([r["step"] for r in steps], [r["grad_norms"].get(n) for r in steps], n) for n in names]
        return _png.line_chart(os.fspath(path), [_png.Panel(series, "step", "gradient l2 norm", logy=True)])
    fig = _figure(figsize=(7, 4))
    ax = fig.add_subplot(1, 1, 1)
    for name in names:
        pts = [(r["step"], r["grad_norms"][name]) for r in steps if r["grad_norms"].get(name, 0) > 0]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], lw=1, label=name)
    flags = _records(history, "grad_flag")
    for flag, marker in (("vanishing", "v"), ("exploding", "^")):
        pts = [(r["step"], r["norm"]) for r in flags if r["flag"] == flag and r["norm"] > 0]
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=marker, color="tab:red", zorder=3,
                       label=flag)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("gradient L2 norm")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2 if len(names) > 8 else 1)
    return _save(fig, path)


def plot_lr_find(result: LRFinderResult, path: PathLike) -> PathLike:
    """The lr_find curve: raw and smoothed loss against the learning rate (log scale), with the
    suggested rate marked; written as a PNG to path."""
    if not result.lrs:
        raise ValueError("plot_lr_find: the result holds no points")
    if not _have_matplotlib():
        panel = _png.Panel([_png.Series(result.lrs, result.losses, "loss"),
                            _png.Series(result.lrs, result.smoothed, "smoothed")], "learning rate", "loss",
                           logx=True, vlines=[] if result.suggestion is None else [result.suggestion])
        return _png.line_chart(os.fspath(path), [panel])
    fig = _figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(result.lrs, result.losses, lw=0.8, alpha=0.4, label="loss")
    ax.plot(result.lrs, result.smoothed, lw=1.5, label="smoothed")
    if result.suggestion is not None:
        ax.axvline(result.suggestion, color="tab:red", ls="--", label=f"suggestion {result.suggestion:.2g}")
    # The divergent tail can be orders of magnitude above the rest: keep the view on the descent.
    low = min(min(result.losses), min(result.smoothed))
    top = max(result.smoothed[0], max(result.smoothed[:int(np.argmin(result.smoothed)) + 1]))
    ax.set_ylim(low - 0.05 * (top - low), low + 1.5 * (top - low) if top > low else low + 1.0)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _save(fig, path)


def _history_png(history, steps, epochs, metric_keys, path):
    """plot_history's panels drawn by the built-in PNG writer."""
    loss = []
    if steps:
        loss.append(_png.Series([r["step"] for r in steps], [r["loss"] for r in steps], "train (step)"))
    if epochs:
        x = [r["steps"] for r in epochs]
        loss.append(_png.Series(x, [r["train_loss"] for r in epochs], "train (epoch)", markers=True))
        if "val_loss" in epochs[-1]:
            loss.append(_png.Series(x, [r.get("val_loss") for r in epochs], "validation", markers=True))
    spikes = [r["step"] for r in _records(history, "loss_spike")]
    panels = [_png.Panel(loss, "step", "loss", vlines=spikes)]
    src = steps or epochs
    panels.append(_png.Panel([_png.Series([r["step"] if r.get("type") == "step" else r["steps"] for r in src],
                                          [r["lr"] for r in src])], "step", "learning rate"))
    if metric_keys:
        panels.append(_png.Panel([_png.Series([r["epoch"] + 1 for r in epochs], [r.get(k) for r in epochs], k,
                                              markers=True) for k in metric_keys], "epoch", "metric"))
    return _png.line_chart(os.fspath(path), panels)
