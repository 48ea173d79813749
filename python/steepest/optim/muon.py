"""st.optim.Muon (torch.optim.Muon's arguments, defaults and update: momentum EMA with Nesterov
blend, Newton–Schulz with torch's coefficients and steps, adjust_lr_fn "original" /
"match_rms_adamw", decoupled weight decay with the un-adjusted lr) and MuonWithAuxAdamW, one
optimizer holding Muon groups for hidden matrices and AdamW groups for the rest.
docs/optimizers.md has the math; arguments and defaults come from the C++ rule "Muon"
(cpp/src/optim/muon.cpp).

Newton–Schulz runs in C++. By default (ns_dtype="bfloat16") it iterates in bfloat16 as torch
does, so `st.optim.Muon(params)` follows `torch.optim.Muon(params)`: every iterate (normalized
input, Gram matrix, polynomial, new X) is a bfloat16 tensor and every product a bfloat16 GEMM
with float32 accumulation (the CPU's bf16 dot-product instructions where it has them).
ns_dtype="float32" iterates in float32 (float64 for float64 params) through steepest's matmul:
about 2x slower, and closer to the exact orthogonalization."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Dict, Mapping, Optional, Sequence, Tuple, Union, cast

from .. import _core
from .optimizer import RULES, Optimizer, ParamsT, _check, check_betas, check_lr, check_nonneg

if TYPE_CHECKING:
    from .. import nn
    from .recipes import HeadT

_MUON = {h["name"]: h["default"] for h in RULES["Muon"]["hypers"]}
_NS_DEFAULT = _MUON["ns_coefficients"]


def _ns_bf16(ns_dtype: object) -> bool:
    name = str(ns_dtype).replace("st.", "").replace("torch.", "")
    _check(name in ("float32", "bfloat16"), "ns_dtype", ns_dtype, '"float32" or "bfloat16"')
    return name == "bfloat16"


def _check_muon_group(g: Mapping[str, Any]) -> None:
    check_lr(g["lr"])
    check_nonneg("momentum", g["momentum"])
    check_nonneg("weight_decay", g["weight_decay"])
    check_nonneg("eps", g["eps"])
    fn = g["adjust_lr_fn"]
    _check(fn in (None, "original", "match_rms_adamw"), "adjust_lr_fn", fn, 'None, "original" or "match_rms_adamw"')
    n = g["ns_steps"]
    _check(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 100, "ns_steps", n, "an int in [0, 100)")
    c = g["ns_coefficients"]
    _check(isinstance(c, (tuple, list)) and len(c) == 3, "ns_coefficients", c, "three numbers (a, b, c)")
    _ns_bf16(g["ns_dtype"])
    for i, p in enumerate(g["params"]):
        if p.dim() != 2:
            raise ValueError(f"Muon only supports 2-D parameters, but param {i} of the group has shape "
                             f"{list(p.shape)}; optimize it with AdamW (e.g. st.optim.MuonWithAuxAdamW)")


def _muon_hypers(g: Mapping[str, Any]) -> Dict[str, Any]:
    """The group with ns_dtype as the rule's name for it (a dtype object is accepted too)."""
    return {**g, "ns_dtype": "bfloat16" if _ns_bf16(g["ns_dtype"]) else "float32"}


class Muon(Optimizer, rule="Muon"):
    """Muon, "MomentUm Orthogonalized by Newton-Schulz" (Jordan et al., 2024), torch.optim.Muon::

        b = lerp(b, g, 1 - momentum); u = lerp(g, b, momentum) if nesterov else b
        O = NS(u)        # ns_steps of X = a X + (b A + c A A) X, A = X X^T, from u / max(||u||_F, eps)
        p = p * (1 - lr * weight_decay) - lr * s * O   # s = sqrt(max(1, rows / cols)) ("original")
                                                       # or 0.2 * sqrt(max(rows, cols)) ("match_rms_adamw")

    Args: params (2-D only), lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
    ns_coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None,
    keyword-only ns_dtype="bfloat16" (torch's iteration; "float32" iterates in the param's dtype).
    State: momentum_buffer.
    """

    def _check_group(self, g: Dict[str, Any]) -> None:
        super()._check_group(g)
        _check_muon_group(g)

    def _step_hypers(self, group: Dict[str, Any]) -> Dict[str, Any]:
        return _muon_hypers(group)


def newton_schulz(grad: _core.Tensor, ns_coefficients: Sequence[float] = _NS_DEFAULT, eps: float = _MUON["eps"],
                  ns_steps: int = _MUON["ns_steps"], ns_dtype: Union[str, _core.dtype] = _MUON["ns_dtype"]
                  ) -> _core.Tensor:
    """Muon's orthogonalization NS(G) of a 2-D tensor, as Muon.step computes it."""
    # Three coefficients (a, b, c); the binding rejects any other count with a TypeError.
    coefficients = cast(Tuple[float, float, float], tuple(float(x) for x in ns_coefficients))
    return _core._newton_schulz(grad, coefficients, float(eps), int(ns_steps), _ns_bf16(ns_dtype))


class MuonWithAuxAdamW(Optimizer):
    """Muon for hidden 2-D weight matrices, AdamW (torch's rule) for everything else
    (embeddings, the output head, biases, norm gains, >2-D tensors), in one optimizer: one
    step(), zero_grad(), state_dict(). Takes a st.nn.Module (split by st.optim.muon_param_groups)
    or param groups each marked "use_muon": True/False. Defaults follow KellerJordan/Muon's
    MuonWithAuxAdam: Muon lr 0.02, momentum 0.95, Nesterov, wd 0; AdamW lr 3e-4, betas
    (0.9, 0.95), eps 1e-10, wd 0. Each group keeps its own hyperparameters (a scheduler scales
    both kinds)."""

    _MUON_STATE: ClassVar[Tuple[str, ...]] = RULES["Muon"]["state"]
    _ADAM_STATE: ClassVar[Tuple[str, ...]] = RULES["Adam"]["state"]

    def __init__(self, params: Union[nn.Module, ParamsT], lr: float = 0.02, momentum: float = 0.95,
                 nesterov: bool = True, weight_decay: float = 0.0, ns_steps: int = 5,
                 adjust_lr_fn: Optional[str] = None, *, ns_dtype: Union[str, _core.dtype] = "bfloat16",
                 ns_coefficients: Sequence[float] = _NS_DEFAULT, eps: float = 1e-7, adamw_lr: float = 3e-4,
                 adamw_betas: Tuple[float, float] = (0.9, 0.95), adamw_eps: float = 1e-10,
                 adamw_weight_decay: float = 0.0, head: HeadT = "auto") -> None:
        from .. import nn
        if isinstance(params, nn.Module):
            from .recipes import muon_param_groups
            params = muon_param_groups(params, head=head)
        self._muon_defaults = dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay,
                                   ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn, ns_dtype=ns_dtype,
                                   ns_coefficients=ns_coefficients, eps=eps)
        self._adam_defaults = dict(lr=adamw_lr, betas=adamw_betas, eps=adamw_eps, weight_decay=adamw_weight_decay,
                                   amsgrad=False, maximize=False)
        super().__init__(params, dict(use_muon=None))

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        if not isinstance(param_group, dict) or "use_muon" not in param_group:
            raise ValueError('MuonWithAuxAdamW: every param group needs "use_muon": True or False '
                             "(or pass a st.nn.Module to split automatically)")
        defaults = self._muon_defaults if param_group["use_muon"] else self._adam_defaults
        for k, v in defaults.items():
            param_group.setdefault(k, v)
        super().add_param_group(param_group)

    def _check_group(self, g: Dict[str, Any]) -> None:
        if g["use_muon"]:
            _check_muon_group(g)
        else:
            check_lr(g["lr"])
            check_nonneg("eps", g["eps"])
            check_betas(g["betas"])
            check_nonneg("weight_decay", g["weight_decay"])

    def _group_state_names(self, group: Dict[str, Any]) -> Sequence[str]:
        return self._MUON_STATE if group["use_muon"] else self._ADAM_STATE

    def _fused_step(self, g: Dict[str, Any], lists: _core._TensorLists, grad_scale: float,
                    found_inf: Optional[_core.Tensor]) -> int:
        if g["use_muon"]:
            return _core._optim_step("Muon", lists, _muon_hypers(g), grad_scale, found_inf)
        return _core._optim_step("Adam", lists, {**g, "decoupled_weight_decay": True}, grad_scale, found_inf)
