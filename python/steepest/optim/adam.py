"""st.optim.Adam and AdamW: torch.optim's arguments, defaults and update (AMSGrad, L2 or
decoupled weight decay, maximize), one fused C++ step per group; bfloat16/float16 params with
float32 master weights, bfloat16 moments, stochastic rounding (see optimizer.mixed_defaults).
Signatures, defaults and state names come from the C++ rule "Adam" (cpp/src/optim/adam.cpp)."""
from .optimizer import Optimizer


class Adam(Optimizer, rule="Adam"):
    """Adam (Kingma and Ba, 2015), torch.optim.Adam's rule and arguments.

    With g the grad (negated when maximize), per element and t counted from 1::

        g = g + weight_decay * p                     # L2 (decoupled_weight_decay=False)
        p = p * (1 - lr * weight_decay)              # decoupled (AdamW)
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) if amsgrad else v
        p = p - lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)

    Args: params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, and
    keyword-only maximize=False, decoupled_weight_decay=False; foreach, capturable,
    differentiable and fused are accepted and ignored (the step is always fused);
    master_weights, state_dtype, stochastic_rounding, sr_seed for low-precision params.
    State: step, exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad). docs/optimizers.md has more.
    """


class AdamW(Adam, rule="Adam", defaults={"weight_decay": 1e-2}, fixed={"decoupled_weight_decay": True}):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), torch.optim.AdamW:
    p = p * (1 - lr * weight_decay) before the moments; default weight_decay=1e-2."""
