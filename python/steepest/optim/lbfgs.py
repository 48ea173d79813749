"""st.optim.LBFGS: limited-memory BFGS over the params flattened into one vector, with torch's
arguments, its fixed-step and strong-Wolfe line searches, its state and its stopping rules.
The algorithm is sequential glue around a handful of whole-vector C++ ops (dot, axpy-style
add_, abs().max()) per iteration, so it lives in Python; nothing loops over elements here.

The scalars (directional derivatives, curvature products, step sizes) are kept as 0-d tensors
of the params' dtype wherever they come out of a tensor op, and mixed with Python floats
(losses, constants) as torch's promotion rules say, so float32 runs round as torch's do."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import _core
from ..autograd.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, ParamsT, _check

Tensor = _core.Tensor
# A scalar that is a Python number or a 0-d tensor, as the algorithm's arithmetic produces it.
Num = Any
# (params as a list of tensors, step, direction) -> (loss, flat gradient) at params + step * direction.
Evaluate = Callable[[List[Tensor], Num, Tensor], Tuple[float, Tensor]]


def _interpolate_cubic(a: Num, fa: Num, ga: Num, b: Num, fb: Num, gb: Num,
                       bounds: Optional[Tuple[Num, Num]] = None) -> Num:
    """The minimiser of the cubic through (a, fa) and (b, fb) with slopes ga and gb, clamped to
    bounds (default: the interval between a and b); the interval's midpoint when the cubic has
    no minimum."""
    lo, hi = bounds if bounds is not None else ((a, b) if a <= b else (b, a))
    d1 = ga + gb - 3 * (fa - fb) / (a - b)
    disc = d1**2 - ga * gb
    if not disc >= 0:
        return (lo + hi) / 2.0
    d2 = disc.sqrt()
    if a <= b:
        x = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2))
    else:
        x = a - (a - b) * ((ga + d2 - d1) / (ga - gb + 2 * d2))
    return min(max(x, lo), hi)


class _Point:
    """One trial of the line search: step, loss, flat gradient and directional derivative."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t: Num, f: Num, g: Tensor, gtd: Num) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(evaluate: Evaluate, x: List[Tensor], t: Num, d: Tensor, f: float, g: Tensor, gtd: Num,
                  c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
                  max_ls: int = 25) -> Tuple[Num, Tensor, Num, int]:
    """A line search along d from x for a step satisfying the strong Wolfe conditions
    (sufficient decrease c1, curvature c2): first steps grow (by cubic extrapolation, between
    1.01x and 10x) until a bracket holds a minimiser, then the bracket is zoomed by cubic
    interpolation, moved away from its ends when progress stalls. Returns (loss, gradient,
    step, evaluations) of the best point found."""
    d_scale = d.abs().max()
    start = _Point(0, f, g.clone(), gtd)

    def trial(step: Num) -> _Point:
        f_new, g_new = evaluate(x, step, d)
        return _Point(step, f_new, g_new, g_new.dot(d))

    def sufficient(p: _Point) -> bool:
        return bool(p.f > (f + c1 * p.t * gtd))

    def curvature(p: _Point) -> bool:
        return bool(abs(p.gtd) <= -c2 * gtd)

    new = trial(t)
    evals, iters = 1, 0
    prev = start
    bracket: List[_Point] = []
    found = False
    # Phase 1: extrapolate until the step is acceptable or a bracket is known.
    while iters < max_ls:
        if sufficient(new) or (iters > 1 and new.f >= prev.f):
            bracket = [prev, _Point(new.t, new.f, new.g.clone(), new.gtd)]
            break
        if curvature(new):
            bracket, found = [new], True
            break
        if new.gtd >= 0:
            bracket = [prev, _Point(new.t, new.f, new.g.clone(), new.gtd)]
            break
        lo_step, hi_step = new.t + 0.01 * (new.t - prev.t), new.t * 10
        step = _interpolate_cubic(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd, bounds=(lo_step, hi_step))
        prev = _Point(new.t, new.f, new.g.clone(), new.gtd)
        new = trial(step)
        evals += 1
        iters += 1
    if iters == max_ls:
        bracket = [_Point(0, f, start.g, None), _Point(new.t, new.f, new.g, None)]

    # Phase 2: zoom into the bracket; `low` indexes its end with the lower loss.
    low = 0 if bracket[0].f <= bracket[-1].f else 1
    stalled = False
    while not found and iters < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * d_scale < tolerance_change:
            break
        step = _interpolate_cubic(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        top, bottom = max(a.t, b.t), min(a.t, b.t)
        margin = 0.1 * (top - bottom)
        if min(top - step, step - bottom) < margin:  # too close to an end of the bracket
            if stalled or step >= top or step <= bottom:
                step = top - margin if abs(step - top) < abs(step - bottom) else bottom + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        new = trial(step)
        evals += 1
        iters += 1
        high = 1 - low
        if sufficient(new) or new.f >= bracket[low].f:
            bracket[high] = _Point(new.t, new.f, new.g.clone(), new.gtd)
            low = 0 if bracket[0].f <= bracket[1].f else 1
        else:
            if curvature(new):
                found = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = _Point(new.t, new.f, new.g.clone(), new.gtd)
    best = bracket[low]
    return best.f, best.g, best.t, evals


class LBFGS(Optimizer):
    """L-BFGS (Liu and Nocedal, 1989; the two-loop recursion of Nocedal, 1980) as torch.optim
    defines it. One `step(closure)` runs up to max_iter iterations: the direction is the
    two-loop product of the last history_size curvature pairs (s, y) with the gradient, scaled
    by H = s'y / y'y; the step is lr (min(1, 1/|g|_1) * lr on the very first iteration), or
    the strong-Wolfe line search's when line_search_fn="strong_wolfe". Iterations stop at
    max_iter or max_eval closure calls, when |g|_inf <= tolerance_grad, or when the step or the
    loss change is below tolerance_change.

    Args: params (one group only), lr=1, max_iter=20, max_eval=None (max_iter * 5 // 4),
    tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100, line_search_fn=None.
    State (on the first param, as torch): func_evals, n_iter, d, t, old_dirs, old_stps, ro,
    H_diag, prev_flat_grad, prev_loss, al.
    """

    _step_supports_amp_scaling = False
    # Each iteration needs dot products over every param and the closure: ZeRO can't shard it.
    _shardable = False

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20, max_eval: Optional[int] = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: Optional[str] = None) -> None:
        if isinstance(lr, Tensor):
            _check(lr.numel() == 1, "lr", lr, "a number or a one-element tensor")
        _check(float(lr) >= 0.0, "lr", lr, ">= 0")
        _check(isinstance(max_iter, int) and max_iter >= 1, "max_iter", max_iter, "an int >= 1")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        _check(isinstance(max_eval, int) and max_eval >= 1, "max_eval", max_eval, "an int >= 1 or None")
        _check(isinstance(history_size, int) and history_size >= 1, "history_size", history_size, "an int >= 1")
        _check(line_search_fn in (None, "strong_wolfe"), "line_search_fn", line_search_fn,
               "None or 'strong_wolfe'")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: List[Tensor] = self.param_groups[0]["params"]

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # -- the flat view of the params -------------------------------------------------------------
    def _flat_grad(self) -> Tensor:
        parts = [p.new_zeros(p.numel()) if p.grad is None else p.grad.reshape(-1) for p in self._params]
        return _core.cat(parts, 0)

    def _move(self, step: Num, direction: Tensor) -> None:
        """params += step * direction, the direction cut back into the params' shapes."""
        alpha = float(step)
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(direction[offset:offset + n].view(p.shape), alpha=alpha)
            offset += n
        if offset != direction.numel():
            raise ValueError(f"LBFGS: the direction has {direction.numel()} elements, the params {offset}")

    def _evaluate_along(self, closure: Callable[[], Any], x: List[Tensor], step: Num,
                        direction: Tensor) -> Tuple[float, Tensor]:
        """Loss and flat gradient at x + step * direction; the params are put back to x."""
        self._move(step, direction)
        with enable_grad():
            loss = float(closure())
        grad = self._flat_grad()
        for p, saved in zip(self._params, x):
            p.copy_(saved)
        return loss, grad

    # -- the step --------------------------------------------------------------------------------
    def step(self, closure: Optional[Callable[[], Any]] = None, **_: Any) -> Any:
        """Runs up to max_iter L-BFGS iterations; closure (required) clears the grads,
        recomputes the loss, calls backward and returns the loss. Returns the first loss."""
        if closure is None:
            raise ValueError("LBFGS.step needs a closure that recomputes the loss and its gradients")
        with no_grad():
            return self._run(closure)

    def _run(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = int(group["max_iter"]), int(group["max_eval"])
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history, search = int(group["history_size"]), group["line_search_fn"]
        if search not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {search!r}")

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            first_loss = closure()
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        grad = self._flat_grad()
        if grad.abs().max() <= tol_grad:
            return first_loss

        d: Optional[Tensor] = state.get("d")
        t: Num = state.get("t")
        dirs: List[Tensor] = state.get("old_dirs", [])
        steps: List[Tensor] = state.get("old_stps", [])
        ro: List[Num] = state.get("ro", [])
        h_diag: Num = state.get("H_diag", 1)
        prev_grad: Optional[Tensor] = state.get("prev_flat_grad")
        prev_loss: Optional[float] = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1 or d is None or prev_grad is None:
                d = grad.neg()
                dirs, steps, ro, h_diag = [], [], [], 1
            else:
                d, h_diag = self._direction(state, grad, prev_grad, d, t, dirs, steps, ro, h_diag, history)
            if prev_grad is None:
                prev_grad = grad.clone()
            else:
                prev_grad.copy_(grad)
            prev_loss = loss

            if state["n_iter"] == 1:  # the first step is capped at lr / |g|_1
                inv: Num = 1.0 / grad.abs().sum()
                t = min(1.0, inv) * lr
            else:
                t = lr
            gtd = grad.dot(d)
            if gtd > -tol_change:  # not a descent direction
                break

            used = 0
            if search == "strong_wolfe":
                x0 = [p.clone() for p in self._params]

                def evaluate(x: List[Tensor], step: Num, direction: Tensor) -> Tuple[float, Tensor]:
                    return self._evaluate_along(closure, x, step, direction)

                loss, grad, t, used = _strong_wolfe(evaluate, x0, t, d, loss, grad, gtd, max_ls=max_eval - evals)
                self._move(t, d)
                done = bool(grad.abs().max() <= tol_grad)
            else:
                self._move(t, d)
                done = False
                if n_iter != max_iter:  # the loss at the new point, unless this was the last iteration
                    with enable_grad():
                        loss = float(closure())
                    grad = self._flat_grad()
                    done = bool(grad.abs().max() <= tol_grad)
                    used = 1
            evals += used
            state["func_evals"] += used

            if n_iter == max_iter or evals >= max_eval or done:
                break
            if d.mul(t).abs().max() <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=dirs, old_stps=steps, ro=ro, H_diag=h_diag, prev_flat_grad=prev_grad,
                     prev_loss=prev_loss)
        return first_loss

    @staticmethod
    def _direction(state: Dict[str, Any], grad: Tensor, prev_grad: Tensor, d: Tensor, t: Num,
                   dirs: List[Tensor], steps: List[Tensor], ro: List[Num], h_diag: Num,
                   history: int) -> Tuple[Tensor, Num]:
        """The two-loop recursion: records the newest curvature pair (when y's > 1e-10, dropping
        the oldest past `history`) and returns (-H g, the new scale H_diag)."""
        y = grad.sub(prev_grad)
        s = d.mul(t)
        ys = y.dot(s)
        if ys > 1e-10:
            if len(dirs) == history:
                dirs.pop(0)
                steps.pop(0)
                ro.pop(0)
            dirs.append(y)
            steps.append(s)
            ro.append(1.0 / ys)
            h_diag = ys / y.dot(y)
        al: List[Num] = state.setdefault("al", [None] * history)
        if len(al) < len(dirs):
            al.extend([None] * (len(dirs) - len(al)))
        q = grad.neg()
        for i in range(len(dirs) - 1, -1, -1):
            al[i] = steps[i].dot(q) * ro[i]
            q.add_(dirs[i], alpha=float(-al[i]))
        r = q * h_diag
        for i in range(len(dirs)):
            beta = dirs[i].dot(r) * ro[i]
            r.add_(steps[i], alpha=float(al[i] - beta))
        return r, h_diag
