"""st.optim.NAdam, RAdam and Adamax: torch.optim's arguments, defaults and updates, one fused
C++ step per group; defaults and state from the C++ rules (cpp/src/optim/adam_variants.cpp)."""
from .optimizer import Optimizer


class NAdam(Optimizer, rule="NAdam"):
    """NAdam (Dozat, 2016), torch's rule with the momentum-decay schedule::

        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)); prod_t = prod_{i<=t} mu_i
        m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - prod_t) * g / d - lr * mu_{t+1} / (1 - prod_t * mu_{t+1}) * m / d

    Args: params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
    decoupled_weight_decay=False, keyword-only maximize=False. State: step, mu_product, exp_avg,
    exp_avg_sq.
    """


class RAdam(Optimizer, rule="RAdam"):
    """RAdam (Liu et al., 2020), torch's rule: Adam's moments, and while the variance's
    approximate SMA length rho_t <= 5 an un-adapted step p -= lr * m / (1 - beta1^t); after it
    the step is multiplied by the rectification term r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps).

    Args: params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, keyword-only maximize=False. State: step, exp_avg, exp_avg_sq.
    """


class Adamax(Optimizer, rule="Adamax"):
    """Adamax (Kingma and Ba, 2015), Adam with the infinity norm, torch's rule::

        m = lerp(m, g, 1 - beta1); u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u

    Args: params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None,
    keyword-only maximize=False. State: step, exp_avg, exp_inf.
    """
