"""st.optim.SophiaG (Liuhong99/Sophia sophia.py: arguments, defaults, step(bs=...) and
update_hessian()) and sophia_gnb_step, the Gauss–Newton–Bartlett Hessian estimate for a
classifier (train_sophiag.py): labels sampled from the model's own softmax, cross-entropy,
backward, update_hessian. docs/optimizers.md has the math. Arguments, defaults and state come
from the C++ rule "SophiaG" (cpp/src/optim/sophia.cpp)."""
from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Union

from .. import _core
from .clip import clip_coefficient, get_total_norm
from .optimizer import RULES, Optimizer, _grad_context, check_nonneg

if TYPE_CHECKING:
    from ..autograd.grad_mode import no_grad

_BS_DEFAULT = next(h["default"] for h in RULES["SophiaG"]["hypers"] if h["name"] == "bs")


class SophiaG(Optimizer, rule="SophiaG"):
    """SophiaG, "Sophia: A Scalable Stochastic Second-order Optimizer" (Liu et al., 2023)::

        p = p * (1 - lr * weight_decay)
        m = beta1 * m + (1 - beta1) * g
        p = p - lr * sign(m) * min(|m| / (rho * bs * h + 1e-15), 1)

    with h the Hessian EMA that update_hessian() keeps (h = beta2 * h + (1 - beta2) * g * g, from
    the grads of a sampled-label loss: sophia_gnb_step). Args: params, lr=1e-4,
    betas=(0.965, 0.99), rho=0.04, weight_decay=1e-1, keyword-only maximize=False; step(bs=5120).
    State: step, exp_avg, hessian.
    """

    def _after_init(self) -> None:
        self._bs = _BS_DEFAULT

    def _step_hypers(self, group: Dict[str, Any]) -> Dict[str, Any]:
        return {**group, "bs": self._bs}

    def step(self, closure: Optional[Callable[[], Any]] = None, bs: float = _BS_DEFAULT, *, grad_factor: float = 1.0,
             found_inf: Union[_core.Tensor, float, None] = None) -> Any:
        """One step; bs is the batch's size in tokens or examples (the reference's argument)."""
        check_nonneg("bs", bs)
        self._bs = bs
        return super().step(closure, grad_factor=grad_factor, found_inf=found_inf)

    def update_hessian(self, *, grad_factor: float = 1.0, found_inf: Union[_core.Tensor, float, None] = None) -> None:
        """hessian = beta2*hessian + (1-beta2)*g*g for every param with a grad, g being p.grad
        times grad_factor (e.g. a clipping coefficient). Creates missing state."""
        if found_inf is not None and not isinstance(found_inf, _core.Tensor):
            found_inf = _core.full([], float(found_inf), dtype=_core.float32)
        for group in self.param_groups:
            lists = self._lists(group)
            if _core._sophia_update_hessian(lists, float(group["betas"][1]), float(grad_factor), found_inf):
                self._sync_state(group, lists)


GNBResult = namedtuple("GNBResult", ["loss", "labels"])


def sophia_gnb_step(model: Callable[[Any], _core.Tensor], optimizer: SophiaG, inputs: Any,
                    loss_fn: Optional[Callable[[_core.Tensor, _core.Tensor], _core.Tensor]] = None, *,
                    generator: Optional[_core.Generator] = None, grad_clip: Optional[float] = None,
                    ignore_index: int = -1) -> GNBResult:
    """The Gauss–Newton–Bartlett estimate of train_sophiag.py for a classifier, then
    optimizer.update_hessian(). Clears the grads, runs logits = model(inputs) (class scores in
    the last dim), samples labels y ~ Categorical(softmax(logits)) with `generator` (a
    st.Generator: reproducible), computes loss_fn(logits.reshape(-1, C), y.reshape(-1))
    (default: mean cross-entropy, ignore_index=-1 as the reference), backward, optionally
    clips the grads' global norm to grad_clip (folded into the update, grads untouched),
    updates the Hessian EMA and clears the grads. Returns (loss, labels)."""
    from ..nn import functional as F

    optimizer.zero_grad(set_to_none=True)
    with _grad_context():
        logits = model(inputs)
        C = logits.shape[-1]
        flat = logits.reshape(-1, C)
        with _core_no_grad():
            # Gumbel-max: argmax(logits + G), G = -log(-log(U)), is an exact draw from softmax
            u = _core.rand(list(flat.shape), dtype=flat.dtype, generator=generator)
            labels = _core.argmax(flat.detach() - _core.log(-_core.log(u)), 1)
        if loss_fn is None:
            loss = F.cross_entropy(flat, labels, ignore_index=ignore_index)
        else:
            loss = loss_fn(flat, labels)
        loss.backward()
    factor = 1.0
    if grad_clip is not None:
        grads = [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
        factor = clip_coefficient(grad_clip, get_total_norm(grads))
    optimizer.update_hessian(grad_factor=factor)
    optimizer.zero_grad(set_to_none=True)
    return GNBResult(loss.detach(), labels.reshape(list(logits.shape[:-1])))


def _core_no_grad() -> no_grad:
    from .. import no_grad
    return no_grad()
