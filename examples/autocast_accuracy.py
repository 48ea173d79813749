"""Does autocast bfloat16 train as well as float32? Two tasks, each trained twice from the same
initialisation on the same batches: once in float32, once with the forward pass and the loss
under st.autocast("cpu", dtype=st.bfloat16) (weights, gradients and AdamW state stay float32).

  charlm: the tiny character transformer of char_transformer.py on the King James Bible
  digits: an MLP (64-128-128-10) on the bundled 8x8 digits

It prints the final validation loss (and digits' test accuracy) of both runs and draws both
training curves into one PNG (matplotlib is not needed: the built-in PNG writer draws it).

Tolerance: charlm's final validation loss within 2 % of float32's, digits' test accuracy within
1 point (--quick, a few dozen steps: 5 % and 3 points, as short runs are noisier). digits'
validation loss is printed but not held to a relative bound: near 0.1 nats, it moves by more
than 2 % between any two runs that differ in rounding.

    python examples/autocast_accuracy.py [--steps 600] [--quick] [--out autocast_accuracy.png]
"""
import argparse
import copy

import numpy as np

import steepest as st
import steepest.nn as nn
import steepest.nn.functional as F
from steepest.train import _png

from char_transformer import TinyGPT, lm_loss  # the model of the sibling example


def train(model, batches, loss_fn, lr, autocast):
    """AdamW over the batches; the loss of every step."""
    opt = st.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    losses = []
    for x, y in batches:
        opt.zero_grad()
        with st.autocast("cpu", dtype=st.bfloat16, enabled=autocast):
            loss = loss_fn(model(x), y)
        loss.backward()
        st.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return losses


def evaluate(model, batches, loss_fn, autocast):
    model.eval()
    with st.no_grad(), st.autocast("cpu", dtype=st.bfloat16, enabled=autocast):
        out = [(loss_fn(model(x), y).item(), model(x), y) for x, y in batches]
    model.train()
    return out


def charlm(steps):
    corpus = st.datasets.CharCorpus(st.datasets.load_text(max_chars=300_000))
    rng = np.random.default_rng(0)
    train_b = [tuple(st.from_numpy(a) for a in corpus.batch("train", 32, 64, rng)) for _ in range(steps)]
    val_b = [tuple(st.from_numpy(a) for a in corpus.batch("val", 32, 64, np.random.default_rng(1 + i)))
             for i in range(8)]
    st.manual_seed(0)
    init = TinyGPT(corpus.vocab_size)
    runs = {}
    for name, ac in (("float32", False), ("autocast bf16", True)):
        model = copy.deepcopy(init)
        curve = train(model, train_b, lm_loss, 3e-3, ac)
        val = float(np.mean([v for v, _, _ in evaluate(model, val_b, lm_loss, ac)]))
        runs[name] = (curve, val, None)
        print(f"charlm {name:14s} final validation loss {val:.4f}")
    return runs


def digits(steps):
    X, y = st.datasets.load_digits()
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(X))
    test, tr = idx[:360], idx[360:]
    Xf = X.astype(np.float32)  # already scaled to [0, 1]
    train_b = []
    for _ in range(steps):
        b = rng.choice(tr, 64, replace=False)
        train_b.append((st.tensor(Xf[b]), st.tensor(y[b].astype(np.int64))))
    test_b = [(st.tensor(Xf[test]), st.tensor(y[test].astype(np.int64)))]
    st.manual_seed(0)
    init = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    runs = {}
    for name, ac in (("float32", False), ("autocast bf16", True)):
        model = copy.deepcopy(init)
        curve = train(model, train_b, F.cross_entropy, 1e-2, ac)
        (val, logits, t), = evaluate(model, test_b, F.cross_entropy, ac)
        acc = float((logits.argmax(1) == t).float().mean().item())
        runs[name] = (curve, val, acc)
        print(f"digits {name:14s} final validation loss {val:.4f}, test accuracy {acc:.4f}")
    return runs


def smooth(v, k=10):
    return [float(np.mean(v[max(0, i - k + 1):i + 1])) for i in range(len(v))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--quick", action="store_true", help="40 steps (for CI)")
    ap.add_argument("--out", default="autocast_accuracy.png")
    a = ap.parse_args(argv)
    steps = min(a.steps, 40) if a.quick else a.steps
    st.set_num_threads(1)
    results = {"charlm": charlm(steps), "digits": digits(steps)}
    panels = []
    for task, runs in results.items():
        series = [_png.Series(list(range(1, steps + 1)), smooth(curve), label=name)
                  for name, (curve, _, _) in runs.items()]
        panels.append(_png.Panel(series, xlabel="step", ylabel=f"{task} train loss"))
    _png.line_chart(a.out, panels)
    tol_loss, tol_acc = (0.05, 0.03) if a.quick else (0.02, 0.01)
    ok = True
    for task, runs in results.items():
        f, b = runs["float32"], runs["autocast bf16"]
        rel = abs(b[1] - f[1]) / f[1]
        line = f"{task}: validation loss differs by {100 * rel:.2f} %"
        if f[2] is None:
            line += f" (tolerance {100 * tol_loss:.0f} %)"
            ok &= rel <= tol_loss
        else:
            d = abs(b[2] - f[2])
            line += f", accuracy by {100 * d:.2f} points (tolerance {100 * tol_acc:.0f})"
            ok &= d <= tol_acc
        print(line)
    print("autocast bf16 tracks float32: " + ("yes" if ok else "NO"))
    print(f"plot: {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
