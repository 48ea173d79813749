"""st.optim.Lion: the sign-momentum optimizer of google/automl and lucidrains/lion-pytorch
(arguments and defaults as theirs), one fused C++ step per group; defaults and state from the
C++ rule "Lion" (cpp/src/optim/lion.cpp)."""
from .optimizer import Optimizer


class Lion(Optimizer, rule="Lion"):
    """Lion, "Symbolic Discovery of Optimization Algorithms" (Chen et al., 2023).

    With g the grad (negated when maximize)::

        p = p * (1 - lr * weight_decay)
        p = p - lr * sign(beta1 * m + (1 - beta1) * g)
        m = beta2 * m + (1 - beta2) * g

    Args: params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, keyword-only maximize=False
    and the mixed-precision arguments. State: exp_avg.
    """
