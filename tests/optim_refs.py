"""Independent float64 numpy references of the optimizer updates (docs/optimizers.md §1, §2),
written from the formulas, for the st.optim tests. ref_step(name, kw, p, g, state, t) updates
p and state (a dict) in place for one step t = 1, 2, ..."""
import math

import numpy as np


def _decay(kw, p, g, decoupled):
    wd = kw.get("weight_decay", 0)
    if wd:
        if decoupled:
            p *= 1 - kw["lr"] * wd
        else:
            g = g + wd * p
    return g


def ref_step(name, kw, p, g, s, t):
    g = -g if kw.get("maximize", False) else g.copy()
    lr = kw["lr"]
    if name == "SGD":
        g = _decay(kw, p, g, False)
        mom, damp = kw.get("momentum", 0), kw.get("dampening", 0)
        if mom:
            if "buf" not in s:
                s["buf"] = g.copy()
            else:
                s["buf"] = mom * s["buf"] + (1 - damp) * g
            g = g + mom * s["buf"] if kw.get("nesterov") else s["buf"]
        p -= lr * g
    elif name in ("Adam", "AdamW"):
        b1, b2 = kw.get("betas", (0.9, 0.999))
        eps = kw.get("eps", 1e-8)
        if name == "AdamW":
            kw = dict(kw, weight_decay=kw.get("weight_decay", 1e-2))  # AdamW's default
        g = _decay(kw, p, g, name == "AdamW")
        m = s.setdefault("m", np.zeros_like(p))
        v = s.setdefault("v", np.zeros_like(p))
        m += (1 - b1) * (g - m)
        v[...] = b2 * v + (1 - b2) * g * g
        vv = v
        if kw.get("amsgrad"):
            s["vmax"] = np.maximum(s.get("vmax", np.zeros_like(p)), v)
            vv = s["vmax"]
        denom = np.sqrt(vv) / math.sqrt(1 - b2**t) + eps
        p -= lr / (1 - b1**t) * m / denom
    elif name == "Adagrad":
        g = _decay(kw, p, g, False)
        ssum = s.setdefault("sum", np.full_like(p, kw.get("initial_accumulator_value", 0.0)))
        clr = lr / (1 + (t - 1) * kw.get("lr_decay", 0))
        ssum += g * g
        p -= clr * g / (np.sqrt(ssum) + kw.get("eps", 1e-10))
    elif name == "RMSprop":
        g = _decay(kw, p, g, False)
        a, eps, mom = kw.get("alpha", 0.99), kw.get("eps", 1e-8), kw.get("momentum", 0)
        sq = s.setdefault("sq", np.zeros_like(p))
        sq[...] = a * sq + (1 - a) * g * g
        if kw.get("centered"):
            ga = s.setdefault("ga", np.zeros_like(p))
            ga += (1 - a) * (g - ga)
            avg = np.sqrt(sq - ga * ga) + eps
        else:
            avg = np.sqrt(sq) + eps
        if mom > 0:
            buf = s.setdefault("buf", np.zeros_like(p))
            buf[...] = mom * buf + g / avg
            p -= lr * buf
        else:
            p -= lr * g / avg
    elif name == "NAdam":
        b1, b2 = kw.get("betas", (0.9, 0.999))
        eps, psi = kw.get("eps", 1e-8), kw.get("momentum_decay", 4e-3)
        g = _decay(kw, p, g, kw.get("decoupled_weight_decay", False))
        m = s.setdefault("m", np.zeros_like(p))
        v = s.setdefault("v", np.zeros_like(p))
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        # torch keeps the product in a float32 tensor: f32(prod * f32(mu)) each step
        s["prod"] = float(np.float32(s.get("prod", 1.0)) * np.float32(mu))
        m += (1 - b1) * (g - m)
        v[...] = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2**t)) + eps
        p -= lr * (1 - mu) / (1 - s["prod"]) * g / denom
        p -= lr * mu_next / (1 - s["prod"] * mu_next) * m / denom
    elif name == "RAdam":
        b1, b2 = kw.get("betas", (0.9, 0.999))
        eps = kw.get("eps", 1e-8)
        g = _decay(kw, p, g, kw.get("decoupled_weight_decay", False))
        m = s.setdefault("m", np.zeros_like(p))
        v = s.setdefault("v", np.zeros_like(p))
        m += (1 - b1) * (g - m)
        v[...] = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho > 5:
            rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            p -= lr * m_hat * rect * math.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        else:
            p -= lr * m_hat
    elif name == "Adamax":
        b1, b2 = kw.get("betas", (0.9, 0.999))
        eps = kw.get("eps", 1e-8)
        g = _decay(kw, p, g, False)
        m = s.setdefault("m", np.zeros_like(p))
        u = s.setdefault("u", np.zeros_like(p))
        m += (1 - b1) * (g - m)
        u[...] = np.maximum(b2 * u, np.abs(g) + eps)
        p -= lr / (1 - b1**t) * m / u
    elif name == "Lion":
        b1, b2 = kw.get("betas", (0.9, 0.99))
        m = s.setdefault("m", np.zeros_like(p))
        p *= 1 - lr * kw.get("weight_decay", 0.0)
        p -= lr * np.sign(b1 * m + (1 - b1) * g)
        m[...] = b2 * m + (1 - b2) * g
    else:
        raise KeyError(name)


# (name, hyperparameters) covering every branch of every rule
CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), eps=1e-6)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, alpha=0.3)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("Lion", dict(lr=0.01)),
    ("Lion", dict(lr=0.01, weight_decay=0.1, betas=(0.95, 0.98), maximize=True)),
]
