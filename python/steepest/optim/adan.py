"""st.optim.Adan: the adaptive Nesterov momentum rule with sail-sg/Adan's arguments and defaults,
one fused C++ step per group (cpp/src/optim/adan.cpp)."""
from .optimizer import Optimizer


class Adan(Optimizer, rule="Adan"):
    """Adan, "Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep Models" (Xie et al., 2022).

    With d_t = g_t - g_{t-1} (zero at the first step) and u_t = g_t + beta2 * d_t::

        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * d;  n = beta3 * n + (1 - beta3) * u * u
        s = sqrt(n) / sqrt(1 - beta3^t) + eps
        p = p - lr / (1 - beta1^t) * m / s - lr * beta2 / (1 - beta2^t) * v / s, then p = p / (1 + lr * weight_decay)

    (no_prox=True decays first instead: p = p * (1 - lr * weight_decay)). Args: params, lr=1e-3,
    betas=(0.98, 0.92, 0.99), eps=1e-8, weight_decay=0.0, no_prox=False, foreach (ignored).
    State: step, exp_avg, exp_avg_diff, exp_avg_sq, neg_pre_grad.
    """
