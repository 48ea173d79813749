"""Independent float64 numpy references of Adafactor, Muon, SophiaG, Schedule-Free AdamW, LAMB
and LARS (docs/optimizers.md §3-§7), written from the formulas for test_optim_rules2.py. Each runs
a whole training sequence over a list of params (LAMB's pre-clip and the Schedule-Free group
scalars span tensors), so the runner mirrors what the test does with st.optim."""
import math

import numpy as np

NS_ABC = (3.4445, -4.7750, 2.0315)


def newton_schulz(G, abc=NS_ABC, steps=5, eps=1e-7):
    a, b, c = abc
    X = np.array(G, dtype=np.float64)
    tr = X.shape[0] > X.shape[1]
    if tr:
        X = X.T
    X = X / max(np.linalg.norm(X), eps)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tr else X


def _adafactor(kw, ps, grads_seq):
    lr, b2d, d, wd = kw.get("lr", 1e-2), kw.get("beta2_decay", -0.8), kw.get("d", 1.0), kw.get("weight_decay", 0.0)
    eps1, eps2 = kw.get("eps", (None, 1e-3))
    eps1 = np.finfo(ps[0].dtype).eps if eps1 is None else eps1
    sign = -1.0 if kw.get("maximize") else 1.0
    state = [{} for _ in ps]
    for t, grads in enumerate(grads_seq, start=1):
        w = t ** b2d
        rho = min(lr, 1 / math.sqrt(t))
        for p, g, s in zip(ps, grads, state):
            g = sign * g
            alpha = max(eps2, np.sqrt(np.sum(p * p) / p.size)) * rho
            p *= 1 - lr * wd
            if p.ndim >= 2:
                r = s.setdefault("r", np.zeros(p.shape[:-1] + (1,)))
                c = s.setdefault("c", np.zeros(p.shape[:-2] + (1, p.shape[-1])))
                r += w * ((g * g).mean(axis=-1, keepdims=True) - r)
                c += w * ((g * g).mean(axis=-2, keepdims=True) - c)
                V = (r * c) / np.maximum(r.mean(axis=-2, keepdims=True), eps1)
            else:
                v = s.setdefault("v", np.zeros(p.shape))
                v += w * (g * g - v)
                V = v
            U = g / np.sqrt(np.maximum(V, eps1 * eps1))
            denom = max(1.0, np.sqrt(np.sum(U * U) / U.size) / d)
            p -= alpha / denom * U


def _muon(kw, ps, grads_seq):
    lr, wd, mu = kw.get("lr", 1e-3), kw.get("weight_decay", 0.1), kw.get("momentum", 0.95)
    nesterov = kw.get("nesterov", True)
    bufs = [np.zeros_like(p) for p in ps]
    for grads in grads_seq:
        for p, g, buf in zip(ps, grads, bufs):
            buf += (1 - mu) * (g - buf)
            u = (1 - mu) * g + mu * buf if nesterov else buf
            O = newton_schulz(u, kw.get("ns_coefficients", NS_ABC), kw.get("ns_steps", 5), kw.get("eps", 1e-7))
            A, B = p.shape
            ratio = 0.2 * math.sqrt(max(A, B)) if kw.get("adjust_lr_fn") == "match_rms_adamw" else \
                math.sqrt(max(1, A / B))
            p *= 1 - lr * wd
            p -= lr * ratio * O


def _sophia(kw, ps, grads_seq, hess, bs):
    lr, (b1, b2) = kw.get("lr", 1e-4), kw.get("betas", (0.965, 0.99))
    rho, wd = kw.get("rho", 0.04), kw.get("weight_decay", 0.1)
    sign = -1.0 if kw.get("maximize") else 1.0
    m = [np.zeros_like(p) for p in ps]
    h = [np.zeros_like(p) for p in ps]
    for t, grads in enumerate(grads_seq, start=1):
        for p, g, mm, hh in zip(ps, grads, m, h):
            g = sign * g
            p *= 1 - lr * wd
            mm[...] = b1 * mm + (1 - b1) * g
            ratio = np.minimum(np.abs(mm) / (rho * bs * hh + 1e-15), 1.0)
            p -= lr * np.sign(mm) * ratio
        if t in hess:
            for hh, hg in zip(h, hess[t]):
                hh[...] = b2 * hh + (1 - b2) * hg * hg


def _schedule_free(kw, ps, grads_seq):
    lr0, (b1, b2) = kw.get("lr", 0.0025), kw.get("betas", (0.9, 0.999))
    eps, wd, warm = kw.get("eps", 1e-8), kw.get("weight_decay", 0.0), kw.get("warmup_steps", 0)
    r, power = kw.get("r", 0.0), kw.get("weight_lr_power", 2.0)
    # three-sequence form (docs/optimizers.md §5): x, z, and y = (1-b1) z + b1 x
    x = [p.copy() for p in ps]
    z = [p.copy() for p in ps]
    v = [np.zeros_like(p) for p in ps]
    lr_max, wsum = -1.0, 0.0
    for k, grads in enumerate(grads_seq):
        sched = (k + 1) / warm if k < warm else 1.0
        lr = lr0 * sched
        lr_max = max(lr, lr_max)
        weight = (k + 1) ** r * lr_max ** power
        wsum += weight
        c = weight / wsum if wsum else 0.0
        for i, g in enumerate(grads):
            y = (1 - b1) * z[i] + b1 * x[i]
            v[i][...] = b2 * v[i] + (1 - b2) * g * g
            u = g / (np.sqrt(v[i] / (1 - b2 ** (k + 1))) + eps) + wd * y
            z[i] -= lr * u
            x[i][...] = (1 - c) * x[i] + c * z[i]
    for i, p in enumerate(ps):
        p[...] = (1 - b1) * z[i] + b1 * x[i]  # train mode: the params hold y
    return x


def _lamb(kw, ps, grads_seq):
    lr, (b1, b2) = kw.get("lr", 1e-3), kw.get("betas", (0.9, 0.999))
    eps, wd = kw.get("eps", 1e-6), kw.get("weight_decay", 0.01)
    max_norm = kw.get("max_grad_norm", 1.0)
    bc, avg = kw.get("bias_correction", True), kw.get("grad_averaging", True)
    m = [np.zeros_like(p) for p in ps]
    v = [np.zeros_like(p) for p in ps]
    for t, grads in enumerate(grads_seq, start=1):
        clip = 1.0
        if max_norm is not None:
            clip = max(math.sqrt(sum(np.sum(g * g) for g in grads)) / max_norm, 1.0)
        bc1, bc2 = (1 - b1 ** t, 1 - b2 ** t) if bc else (1.0, 1.0)
        for p, g, mm, vv in zip(ps, grads, m, v):
            g = g / clip
            mm[...] = b1 * mm + ((1 - b1) if avg else 1.0) * g
            vv[...] = b2 * vv + (1 - b2) * g * g
            u = (mm / bc1) / (np.sqrt(vv) / math.sqrt(bc2) + eps)
            if wd:
                if kw.get("decoupled_decay"):
                    p -= lr * wd * p
                else:
                    u = u + wd * p
            if wd or kw.get("always_adapt"):
                wn, un = np.linalg.norm(p), np.linalg.norm(u)
                ratio = wn / un if wn > 0 and un > 0 else 1.0
                if kw.get("trust_clip"):
                    ratio = min(ratio, 1.0)
                u = u * ratio
            p -= lr * u


def _lars(kw, ps, grads_seq):
    lr, mom, damp = kw.get("lr", 1.0), kw.get("momentum", 0), kw.get("dampening", 0)
    wd, coef, eps = kw.get("weight_decay", 0), kw.get("trust_coeff", 0.001), kw.get("eps", 1e-8)
    bufs = [None for _ in ps]
    for grads in grads_seq:
        for i, (p, g) in enumerate(zip(ps, grads)):
            if (wd or kw.get("always_adapt")) and not (kw.get("exclude_1d") and p.ndim <= 1):
                wn, gn = np.linalg.norm(p), np.linalg.norm(g)
                ratio = coef * wn / (gn + wn * wd + eps) if wn > 0 and gn > 0 else 1.0
                if kw.get("trust_clip"):
                    ratio = min(ratio / lr, 1.0)
                g = (g + wd * p) * ratio
            if mom:
                bufs[i] = g.copy() if bufs[i] is None else mom * bufs[i] + (1 - damp) * g
                g = g + mom * bufs[i] if kw.get("nesterov") else bufs[i]
            p -= lr * g


def reference(name, kw, ps, grads_seq, hess=None, bs=5120):
    """Runs the rule over all steps, updating the float64 arrays ps in place. Returns the
    Schedule-Free x sequence for ScheduleFreeAdamW, else None."""
    if name == "Adafactor":
        return _adafactor(kw, ps, grads_seq)
    if name == "Muon":
        return _muon(kw, ps, grads_seq)
    if name == "SophiaG":
        return _sophia(kw, ps, grads_seq, hess or {}, bs)
    if name == "ScheduleFreeAdamW":
        return _schedule_free(kw, ps, grads_seq)
    if name == "Lamb":
        return _lamb(kw, ps, grads_seq)
    if name == "Lars":
        return _lars(kw, ps, grads_seq)
    raise KeyError(name)


SHAPES = {
    "default": [(), (1,), (7,), (1003,), (4097,), (3, 5, 7)],
    "Adafactor": [(), (1,), (7,), (1003,), (4097,), (3, 5, 7), (7, 3), (1, 1), (2, 1, 9)],
    "Muon": [(1, 1), (1, 7), (7, 1), (7, 3), (3, 7), (33, 65), (130, 40)],
}

# (name, hyperparameters) covering every branch of each rule
CONFIGS2 = [
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, weight_decay=0.1, maximize=True, beta2_decay=-0.5)),
    ("Adafactor", dict(lr=0.5, eps=(1e-4, 1e-2), d=2.0)),
    # the float64 reference is the exact iteration: Muon's float32/float64 one, not torch's bfloat16 default
    ("Muon", dict(lr=0.02, ns_dtype="float32")),
    ("Muon", dict(lr=0.02, nesterov=False, weight_decay=0.0, momentum=0.9, adjust_lr_fn="match_rms_adamw",
                  ns_dtype="float32")),
    ("SophiaG", dict(lr=0.01)),
    ("SophiaG", dict(lr=0.01, betas=(0.9, 0.95), rho=0.1, weight_decay=0.0, maximize=True)),
    ("ScheduleFreeAdamW", dict(lr=0.01)),
    ("ScheduleFreeAdamW", dict(lr=0.01, warmup_steps=5, weight_decay=0.1, r=0.5, weight_lr_power=1.5)),
    ("Lamb", dict(lr=0.01)),
    ("Lamb", dict(lr=0.01, weight_decay=0.0, always_adapt=True, trust_clip=True, max_grad_norm=None)),
    ("Lamb", dict(lr=0.01, decoupled_decay=True, weight_decay=0.1, bias_correction=False, grad_averaging=False)),
    ("Lamb", dict(lr=0.01, weight_decay=0.0, max_grad_norm=2.0)),
    ("Lars", dict(lr=0.1)),
    ("Lars", dict(lr=0.1, momentum=0.9, weight_decay=1e-3, nesterov=True)),
    ("Lars", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-3, trust_clip=True)),
    ("Lars", dict(lr=0.1, momentum=0.5, always_adapt=True, trust_coeff=0.02)),
    ("Lars", dict(lr=0.1, momentum=0.9, weight_decay=1e-2, exclude_1d=True)),
]
