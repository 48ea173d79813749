"""st.optim.Adafactor: torch.optim.Adafactor's arguments, defaults and update (factored second
moments for >= 2-D params, beta2_decay, the (eps1, eps2) pair, d, weight_decay, maximize), one
C++ step per group (docs/optimizers.md); arguments and defaults from the C++ rule "Adafactor"
(cpp/src/optim/adafactor.cpp). foreach is accepted and ignored."""
from typing import Any, Dict, Optional, Tuple

from .. import _core
from .optimizer import Optimizer, _check, check_nonneg


class Adafactor(Optimizer, rule="Adafactor"):
    """Adafactor (Shazeer and Stern, 2018), torch.optim.Adafactor's rule. For a param of >= 2
    dims with grad g of shape (..., n, m) and beta2_t = 1 - t^beta2_decay::

        R = lerp(R, mean_j(g^2), 1 - beta2_t)    (..., n, 1)
        C = lerp(C, mean_i(g^2), 1 - beta2_t)    (..., 1, m)
        U = g / sqrt(max(R C / mean(R), eps1^2))
        p = p * (1 - lr * weight_decay) - max(eps2, RMS(p)) * min(lr, 1 / sqrt(t)) / max(1, RMS(U) / d) * U

    0-D/1-D params keep a full variance instead of R and C. Args: params, lr=1e-2,
    beta2_decay=-0.8, eps=(None, 1e-3) (None: the dtype's machine epsilon), d=1.0,
    weight_decay=0.0, keyword-only foreach=None, maximize=False. State: step, row_var, col_var,
    variance.
    """

    def _check_group(self, g: Dict[str, Any]) -> None:
        super()._check_group(g)
        b = g["beta2_decay"]
        _check(isinstance(b, (int, float)) and b <= 0.0, "beta2_decay", b, "<= 0")
        eps = g["eps"]
        _check(isinstance(eps, (tuple, list)) and len(eps) == 2, "eps", eps, "a pair (eps1 or None, eps2)")
        if eps[0] is not None:
            check_nonneg("eps[0]", eps[0])
        check_nonneg("eps[1]", eps[1])
        _check(isinstance(g["d"], (int, float)) and g["d"] >= 1.0, "d", g["d"], ">= 1")
        check_nonneg("weight_decay", g["weight_decay"])

    def _kept_state(self, group: Dict[str, Any], param: _core.Tensor) -> Dict[str, Optional[Tuple[int, ...]]]:
        """step, then the factored moments of a >= 2-D param (row_var (..., n, 1), col_var
        (..., 1, m)) or the full variance of a 0-D/1-D one."""
        kept = super()._kept_state(group, param)
        shape = tuple(param.shape)
        if len(shape) > 1:
            kept["row_var"] = shape[:-1] + (1,)
            kept["col_var"] = shape[:-2] + (1,) + shape[-1:]
        else:
            kept["variance"] = shape
        return kept
