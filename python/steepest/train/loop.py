"""st.train.fit: epochs of mini-batch gradient descent with evaluation, progress, gradient
accumulation, clipping, schedules, early stopping, checkpoints that resume bit for bit, and
diagnostics for non-finite values, vanishing/exploding gradients and loss spikes."""
from __future__ import annotations

import math
import numbers
import os
import time
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Callable, Optional, Union

from .. import _core
from .._typing import PathLike
from ..nn import functional as F
from ..optim.clip import clip_grads_with_norm_
from ..optim.lr_scheduler import ReduceLROnPlateau
from ._batch import batch_size, check_iterable, forward, loss_value, split_batch
from ._parallel import data_parallel
from .callbacks import EarlyStopping, TrainState
from .checkpoint import load_checkpoint, save_checkpoint
from .diagnostics import GradNormMonitor, LossSpikeMonitor, NonFiniteError, first_nonfinite_grad, param_names
from .history import History, json_line
from .metrics import _check_metrics, evaluate
from .progress import progress_bar, shown, write

__all__ = ["fit"]

_HOOKS = ("on_after_backward", "on_step_end", "on_epoch_end")


def _positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"fit: {name} must be a positive integer{' or None' if allow_none else ''}, got {value!r}")
    return int(value)


def _check_args(model, optimizer, train_data, loss_fn, val_data, scheduler, scheduler_interval, clip_grad_norm,
                early_stopping, checkpoint, resume, on_nonfinite, grad_norms, callbacks, metrics):
    if not callable(model):
        raise TypeError(f"fit: model must be callable (an st.nn.Module), got {type(model).__name__}")
    if not hasattr(optimizer, "param_groups") or not hasattr(optimizer, "step"):
        raise TypeError(f"fit: optimizer must be an st.optim optimizer, got {type(optimizer).__name__}")
    check_iterable(train_data, "train_data", "fit")
    if val_data is not None:
        check_iterable(val_data, "val_data", "fit")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable as loss_fn(outputs, targets), got {type(loss_fn).__name__}")
    if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise ValueError("fit: scheduler was built for a different optimizer than the one given")
    if scheduler is not None and not hasattr(scheduler, "step"):
        raise TypeError(f"fit: scheduler must be an st.optim.lr_scheduler scheduler, got {type(scheduler).__name__}")
    if scheduler_interval not in ("step", "epoch"):
        raise ValueError(f"fit: scheduler_interval must be 'step' or 'epoch', got {scheduler_interval!r}")
    if clip_grad_norm is not None and (isinstance(clip_grad_norm, bool) or not isinstance(clip_grad_norm, numbers.Real)
                                       or not float(clip_grad_norm) > 0):
        raise ValueError(f"fit: clip_grad_norm must be a positive number or None, got {clip_grad_norm!r}")
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise TypeError("fit: early_stopping must be an st.train.EarlyStopping, got "
                            f"{type(early_stopping).__name__}")
        if early_stopping.monitor.startswith("val_") and val_data is None:
            raise ValueError(f"fit: early_stopping monitors {early_stopping.monitor!r}, which needs val_data")
        allowed = {"train_loss", "val_loss", *(f"val_{k}" for k in metrics)}
        if early_stopping.monitor not in allowed:
            raise ValueError(f"fit: early_stopping monitor {early_stopping.monitor!r} is not an epoch value; "
                             f"choose one of {sorted(allowed)}")
    if metrics and val_data is None:
        raise ValueError("fit: metrics are evaluated on val_data; pass val_data (or drop metrics)")
    if resume and checkpoint is None:
        raise ValueError("fit: resume=True needs checkpoint=PATH to resume from")
    if checkpoint is not None:
        os.fspath(checkpoint)  # TypeError for a non-path
    if on_nonfinite not in ("raise", "skip"):
        raise ValueError(f"fit: on_nonfinite must be 'raise' or 'skip', got {on_nonfinite!r}")
    if grad_norms is not None and grad_norms != "track" and not isinstance(grad_norms, GradNormMonitor):
        raise ValueError(f"fit: grad_norms must be 'track', a GradNormMonitor or None, got {grad_norms!r}")
    for cb in callbacks:
        if not any(callable(getattr(cb, h, None)) for h in _HOOKS):
            raise TypeError(f"fit: callback {cb!r} has none of the methods {', '.join(_HOOKS)}")


def fit(model: Any, optimizer: Any, train_data: Iterable[Any], loss_fn: Callable[..., Any] = F.cross_entropy,
        epochs: int = 1, val_data: Optional[Iterable[Any]] = None,
        metrics: Optional[dict[str, Callable[..., Any]]] = None, scheduler: Any = None,
        scheduler_interval: str = "step", accumulate: int = 1, clip_grad_norm: Optional[float] = None,
        early_stopping: Optional[EarlyStopping] = None, checkpoint: Optional[PathLike] = None, resume: bool = False,
        on_nonfinite: str = "raise", grad_norms: Union[str, GradNormMonitor, None] = "track", progress: bool = True,
        metrics_out: Optional[PathLike] = None, log_every: int = 10, max_steps: Optional[int] = None,
        seed: Optional[int] = None, callbacks: Sequence[Any] = ()) -> History:
    """Trains `model` with `optimizer` for `epochs` passes over `train_data`; returns a History.

    train_data / val_data: DataLoaders, or any re-iterable of (inputs, targets) batches; inputs
      may be a tuple of model arguments. loss_fn(outputs, targets) -> scalar tensor (default
      st.nn.functional.cross_entropy). After each epoch the model is evaluated on val_data
      (eval mode, no gradients): val_loss and, for each metrics entry name -> fn(outputs,
      targets), val_<name> (e.g. metrics={"accuracy": st.train.accuracy} -> "val_accuracy").
    scheduler: stepped after every optimizer step (scheduler_interval="step") or after every
      epoch ("epoch"). A ReduceLROnPlateau is always stepped per epoch, with val_loss (or
      train_loss without val_data).
    accumulate=k: one optimizer step per k micro-batches. Each micro-batch's loss is divided by
      k before backward, so with a mean loss and equal-sized micro-batches the step equals one
      step on their concatenation (to float rounding). An epoch's last group of j < k
      micro-batches has its summed gradients scaled by k/j (the mean over the j present).
    clip_grad_norm: rescale the gradients to this global L2 norm when larger (as
      st.nn.utils.clip_grad_norm_), after accumulation, before the step.
    early_stopping: an st.train.EarlyStopping; the run stops after the epoch that exhausts its
      patience (history.stopped_early).
    checkpoint / resume: save the full training state to this path at the end of every epoch
      (atomically, via st.save). With resume=True and the file present, training continues from
      it: the result equals the uninterrupted run bit for bit (same data order, dropout masks,
      optimizer and scheduler state), provided the model, optimizer, scheduler, data and
      callbacks are built as before. Only epoch boundaries are saved: a run interrupted
      mid-epoch resumes at the start of that epoch. resume=True without the file starts fresh.
    on_nonfinite: "raise" -> NonFiniteError when a step's loss or gradient has a nan/inf, naming
      the (1-based) step and the first parameter with a non-finite gradient; "skip" -> warn,
      drop that step's gradients, skip the optimizer and scheduler step, count it in
      history.skipped_steps and a "skipped_step" record.
    grad_norms: "track" (a default GradNormMonitor), a GradNormMonitor with your thresholds, or
      None. Per-parameter gradient norms go into each step record; vanishing/exploding ones warn.
      Loss spikes are reported by a LossSpikeMonitor (pass your own in callbacks to configure).
    progress: a tqdm bar per epoch with loss, lr and samples/s (only on a terminal).
    metrics_out: path of a JSONL file receiving every history record as it is made (rewritten
      from the checkpoint's history when resuming).
    log_every: a "step" record every this many optimizer steps. max_steps: stop after this many
      optimizer steps in all (the epoch then ends early, is evaluated and recorded).
    seed: st.manual_seed(seed) before training (the default generator: init-free dropout and
      shuffling by loaders without their own generator).
    Data-parallel: launched on several ranks (steepest launch -n N, or mpiexec), fit wraps the
      model in DistributedDataParallel (unless it already is one), gives each rank its share of
      a DataLoader's data through a DistributedSampler (batch_size is per rank: a step sees
      N x batch_size samples), splits an unshuffled val DataLoader across ranks, and all-reduces
      the epoch's train loss, the logged step losses and the validation loss and metrics. Only
      rank 0 shows progress, writes metrics_out and the checkpoint (which holds the unwrapped
      model's state, so it resumes on any number of ranks); every rank returns the same History.
    callbacks: objects with any of on_after_backward(state), on_step_end(state),
      on_epoch_end(state) (see st.train.callbacks).
    """
    if loss_fn is None:
        loss_fn = F.cross_entropy
    metrics = _check_metrics(metrics, "fit")
    callbacks = tuple(callbacks)
    _check_args(model, optimizer, train_data, loss_fn, val_data, scheduler, scheduler_interval, clip_grad_norm,
                early_stopping, checkpoint, resume, on_nonfinite, grad_norms, callbacks, metrics)
    epochs = _positive_int("epochs", epochs)
    accumulate = _positive_int("accumulate", accumulate)
    log_every = _positive_int("log_every", log_every)
    max_steps = _positive_int("max_steps", max_steps, allow_none=True)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"fit: seed must be an integer or None, got {seed!r}")
        _core.manual_seed(int(seed))

    dp = data_parallel(model, optimizer, train_data, val_data, seed)
    if dp is not None:
        progress = progress and dp.is_main
        if not dp.is_main:
            metrics_out = None
    history = History()
    if early_stopping is not None:
        history.monitor = (early_stopping.monitor, early_stopping.mode)
    base_model = model if dp is None else dp.module  # names and checkpoints: the unwrapped model's
    named = param_names(base_model, optimizer)
    grad_monitor = GradNormMonitor() if grad_norms == "track" else grad_norms
    stateful: dict[str, Any] = {}  # checkpoint key -> callback with state
    hooks: list[Any] = []
    if grad_monitor is not None:
        hooks.append(grad_monitor)
        stateful["grad_norms"] = grad_monitor
    if not any(isinstance(cb, LossSpikeMonitor) for cb in callbacks):
        spike = LossSpikeMonitor()
        hooks.append(spike)
        stateful["loss_spikes"] = spike
    for i, cb in enumerate(callbacks):
        hooks.append(cb)
        if callable(getattr(cb, "state_dict", None)) and callable(getattr(cb, "load_state_dict", None)):
            stateful[f"callbacks.{i}"] = cb
    if early_stopping is not None:
        hooks.append(early_stopping)
        stateful["early_stopping"] = early_stopping

    state = TrainState(base_model, optimizer, scheduler, history, named)
    start_epoch = 0
    ckpt_args = dict(model=base_model, optimizer=optimizer, scheduler=scheduler, train_data=train_data,
                     history=history, callbacks=stateful)
    if resume and checkpoint is not None and os.path.exists(checkpoint):
        start_epoch, state.step = load_checkpoint(checkpoint, **ckpt_args)
    if dp is not None:
        model, train_data = dp.ddp, dp.train_data

    sink = None
    if metrics_out is not None:
        sink = open(metrics_out, "w", encoding="utf-8")
        for r in history.records:
            sink.write(json_line(r) + "\n")
        sink.flush()

        def write_record(r):
            sink.write(json_line(r) + "\n")
            sink.flush()
        history._sink = write_record
    loop = _Loop(model, optimizer, train_data, loss_fn, scheduler, scheduler_interval, accumulate, clip_grad_norm,
                 on_nonfinite, log_every, max_steps, progress, epochs, state, hooks, dp)
    quiet = warnings.catch_warnings()
    if dp is not None and not dp.is_main:  # the ranks see the same averaged gradients: rank 0 warns
        quiet.__enter__()
        warnings.simplefilter("ignore")
    try:
        for epoch in range(start_epoch, epochs):
            if history.stopped_early or loop.steps_done():
                break
            state.epoch = epoch
            t0 = time.perf_counter()
            if dp is not None:
                dp.set_epoch(epoch)
            train_loss = loop.run_epoch(epoch)
            if dp is not None:
                train_loss = dp.weighted_mean(loop._loss_sum, loop._samples)
            rec = {"type": "epoch", "epoch": epoch, "steps": state.step, "train_loss": train_loss}
            plateau_value = train_loss
            if val_data is not None:
                res = evaluate(model, val_data, loss_fn, metrics) if dp is None else dp.evaluate(loss_fn, metrics)
                rec["val_loss"] = res.pop("loss")
                plateau_value = rec["val_loss"]
                rec.update({f"val_{k}": v for k, v in res.items()})
            rec["lr"] = _lr(optimizer)
            rec["time"] = time.perf_counter() - t0
            if scheduler is not None:
                if isinstance(scheduler, ReduceLROnPlateau):
                    scheduler.step(plateau_value)
                elif scheduler_interval == "epoch":
                    scheduler.step()
            history._add(rec)
            state.epoch_record = rec
            for cb in hooks:
                fn = getattr(cb, "on_epoch_end", None)
                if fn is not None:
                    fn(state)
            if state.stop_training:
                history.stopped_early = True
            if checkpoint is not None:
                consolidate = getattr(optimizer, "consolidate_state_dict", None)
                if dp is not None and consolidate is not None:
                    consolidate(to=0)  # a sharded optimizer: rank 0 gathers the whole state
                if dp is None or dp.is_main:
                    save_checkpoint(checkpoint, epoch=epoch + 1, step=state.step, **ckpt_args)
                if dp is not None:
                    dp.barrier()  # the checkpoint is complete before any rank goes on
            if loop.bar_shown:
                extra = "".join(f"  {k} {v:.4g}" for k, v in rec.items() if k.startswith("val_"))
                write(f"epoch {epoch + 1}/{epochs}  train_loss {train_loss:.4g}{extra}")
    finally:
        if dp is not None and not dp.is_main:
            quiet.__exit__(None, None, None)
        history._sink = None
        if sink is not None:
            sink.close()
    return history


def _lr(optimizer):
    return float(optimizer.param_groups[0]["lr"])


class _Loop:
    """One run's step machinery: micro-batches -> accumulated gradients -> checks -> step."""

    def __init__(self, model, optimizer, train_data, loss_fn, scheduler, interval, accumulate, clip, on_nonfinite,
                 log_every, max_steps, progress, epochs, state, hooks, dp=None):
        self.model, self.optimizer, self.train_data, self.loss_fn = model, optimizer, train_data, loss_fn
        self.scheduler = scheduler
        self.step_scheduler = scheduler is not None and interval == "step" and not isinstance(scheduler,
                                                                                               ReduceLROnPlateau)
        self.accumulate, self.clip, self.on_nonfinite = accumulate, clip, on_nonfinite
        self.log_every, self.max_steps, self.progress, self.epochs = log_every, max_steps, progress, epochs
        self.state, self.hooks = state, hooks
        self.history = state.history
        self.bar_shown = False
        self.dp = dp

    def steps_done(self):
        return self.max_steps is not None and self.state.step >= self.max_steps

    def _call(self, hook):
        for cb in self.hooks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(self.state)

    def run_epoch(self, epoch):
        """One pass over train_data; returns the sample-weighted mean loss of its kept batches."""
        if hasattr(self.model, "train"):
            self.model.train()
        try:
            total = len(self.train_data)
        except TypeError:
            total = None
        bar = progress_bar(self.progress, total, f"epoch {epoch + 1}/{self.epochs}")
        self.bar_shown = shown(bar)
        self._loss_sum = 0.0  # over the epoch's kept micro-batches, weighted by samples
        self._samples = 0
        self._log_losses = []  # step losses since the last step record
        self._tick = self._epoch_start = time.perf_counter()
        self._tick_samples = 0
        micro_losses: list[Any] = []
        micro_sizes: list[int] = []
        try:
            for batch in self.train_data:
                inputs, targets = split_batch(batch, "fit")
                if not micro_losses:
                    self.optimizer.zero_grad()
                outputs = forward(self.model, inputs)
                loss = self.loss_fn(outputs, targets)
                value = loss_value(loss, "fit")
                (loss if self.accumulate == 1 else loss * (1.0 / self.accumulate)).backward()
                micro_losses.append(value)
                micro_sizes.append(batch_size(inputs))
                bar.update(1)
                if len(micro_losses) == self.accumulate:
                    self._step(micro_losses, micro_sizes, bar)
                    micro_losses, micro_sizes = [], []
                    if self.steps_done():
                        break
            if micro_losses:  # the epoch's last, partial group: the mean over the micro-batches present
                grads = [p.grad for _, p in self.state.named_params if p.grad is not None]
                if grads:
                    _core._scale_(grads, self.accumulate / len(micro_losses))
                self._step(micro_losses, micro_sizes, bar)
        finally:
            bar.close()
        return self._loss_sum / self._samples if self._samples else float("nan")

    def _step(self, losses, sizes, bar):
        st, opt = self.state, self.optimizer
        step = st.step + 1
        n = sum(sizes)
        step_loss = sum(losses) / len(losses)
        grads = [p.grad for _, p in st.named_params if p.grad is not None]
        total_norm = float(_core._total_norm(grads, 2.0)) if grads else 0.0
        finite_loss = all(math.isfinite(v) for v in losses)
        skipped = False
        if not finite_loss or not math.isfinite(total_norm):
            bad = first_nonfinite_grad(st.named_params)
            if not finite_loss or bad is not None:  # (else: finite grads whose squared sum overflowed)
                skipped = self._nonfinite(step, step_loss, bad)
        st.step, st.loss, st.skipped, st.lr = step, step_loss, skipped, _lr(opt)
        st.is_log_step = not skipped and step % self.log_every == 0
        st.step_record = None
        if skipped:
            opt.zero_grad()
            self._call("on_step_end")
            return
        if st.is_log_step:
            st.step_record = {"type": "step", "epoch": st.epoch, "step": step}
        self._call("on_after_backward")
        if self.clip is not None and grads:
            clip_grads_with_norm_([p for _, p in st.named_params], self.clip, total_norm)
        opt.step()
        if self.step_scheduler:
            self.scheduler.step()
        for v, b in zip(losses, sizes):
            self._loss_sum += v * b
        self._samples += n
        self._tick_samples += n
        self._log_losses.append(step_loss)
        now = time.perf_counter()
        rate = self._tick_samples / (now - self._tick) if now > self._tick else float("nan")
        if st.is_log_step:
            rec = st.step_record
            loss_avg = sum(self._log_losses) / len(self._log_losses)
            if self.dp is not None:
                step_loss, loss_avg = self.dp.mean([step_loss, loss_avg])
            rec.update({"loss": step_loss, "loss_avg": loss_avg, "lr": st.lr,
                        "grad_norm": total_norm, "samples_per_s": rate})
            if "grad_norms" in rec:  # keep the per-layer dict last: it is the long one
                rec["grad_norms"] = rec.pop("grad_norms")
            self.history._add(rec)
            self._log_losses = []
            self._tick, self._tick_samples = now, 0
        if self.bar_shown:
            epoch_rate = self._samples / (now - self._epoch_start) if now > self._epoch_start else 0.0
            bar.set_postfix({"loss": f"{step_loss:.4g}", "lr": f"{st.lr:.3g}", "samples/s": f"{epoch_rate:.0f}"},
                            refresh=False)
        self._call("on_step_end")

    def _nonfinite(self, step, loss, bad):
        """Raises NonFiniteError, or (on_nonfinite="skip") warns, records and returns True."""
        st = self.state
        what = f"loss is {loss}" if not math.isfinite(loss) else f"loss {loss:.6g} is finite"
        where = (f"first parameter with a non-finite gradient: '{bad}'" if bad is not None
                 else "no parameter gradient is non-finite")
        msg = f"non-finite value at step {step} (epoch {st.epoch}): {what}; {where}"
        if self.on_nonfinite == "raise":
            raise NonFiniteError(msg + " (on_nonfinite='skip' skips such steps)", step=step, epoch=st.epoch,
                                 loss=loss, param=bad)
        warnings.warn(msg + "; step skipped", RuntimeWarning, stacklevel=4)
        self.history.skipped_steps += 1
        self.history._add({"type": "skipped_step", "epoch": st.epoch, "step": step, "loss": loss, "param": bad})
        return True
