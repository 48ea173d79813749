"""Why skip connections matter: a deep plain MLP next to the same depth with residual blocks.

Both networks classify the 8x8 handwritten digits with the same width, depth, initialisation,
optimizer and learning rate. In the plain one, x -> relu(W x) is applied --depth times: each
layer shrinks the signal a little (the default init keeps variance only roughly), so after
dozens of layers the output barely depends on the input and the gradient reaching the first
layers has all but vanished — the loss stalls near log(10) = 2.30, chance level. The residual
one computes x -> x + W2 relu(W1 x): the identity path carries the signal (and the gradient)
through every block unchanged, so the same depth trains. This is the point of ResNets.

    python examples/residual_mlp.py [--depth 32] [--epochs 8] [--quick] [--out residual_mlp.png]
"""
import argparse
import math

import numpy as np

import steepest as st
import steepest.nn as nn
import steepest.nn.functional as F


class PlainMLP(nn.Module):
    def __init__(self, n_in, width, depth, n_out):
        super().__init__()
        self.inp = nn.Linear(n_in, width)
        self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.out = nn.Linear(width, n_out)

    def forward(self, x):
        x = F.relu(self.inp(x))
        for layer in self.layers:
            x = F.relu(layer(x))
        return self.out(x)


class ResidualMLP(nn.Module):
    """The same layers, paired into blocks x + W2 relu(W1 x) (depth/2 blocks, depth Linears)."""

    def __init__(self, n_in, width, depth, n_out):
        super().__init__()
        self.inp = nn.Linear(n_in, width)
        self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.out = nn.Linear(width, n_out)

    def forward(self, x):
        x = F.relu(self.inp(x))
        for w1, w2 in zip(self.layers[0::2], self.layers[1::2]):
            x = x + w2(F.relu(w1(x)))
        return self.out(x)


def train(model, loader, epochs, lr, log_every=5):
    """Plain mini-batch SGD with momentum; returns the loss every log_every steps."""
    opt = st.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = st.train.fit(model, opt, loader, epochs=epochs, log_every=log_every, progress=False,
                           grad_norms=None)
    return [(r["step"], r["loss_avg"]) for r in history.records if r["type"] == "step"]


def first_layer_grad_norm(model, X, y):
    """How much gradient reaches the first layer's weights on one batch."""
    model.zero_grad()
    F.cross_entropy(model(X), y).backward()
    g = model.inp.weight.grad
    return math.sqrt(float((g * g).sum().item()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=32, help="hidden Linear layers (even; default: 32)")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--quick", action="store_true", help="3 epochs (for CI)")
    ap.add_argument("--out", default="residual_mlp.png", help="the PNG to write")
    args = ap.parse_args(argv)
    if args.depth < 2 or args.depth % 2:
        ap.error("--depth must be an even number >= 2")
    epochs = min(args.epochs, 3) if args.quick else args.epochs
    st.set_num_threads(1)  # small matrices: one thread avoids synchronisation costs

    X, y = st.datasets.load_digits()
    loader = st.data.DataLoader(st.data.TensorDataset(st.from_numpy(X), st.from_numpy(y)), batch_size=64,
                                shuffle=True)
    Xb, yb = st.from_numpy(X[:256]), st.from_numpy(y[:256])
    curves = {}
    for name, cls in (("plain", PlainMLP), ("residual", ResidualMLP)):
        st.manual_seed(0)
        model = cls(64, args.width, args.depth, 10)
        g0 = first_layer_grad_norm(model, Xb, yb)
        curves[name] = train(model, loader, epochs, args.lr)
        model.eval()
        acc = float((model(st.from_numpy(X)).argmax(dim=1).numpy() == y).mean())
        print(f"{name:8s} depth {args.depth}: gradient norm at the first layer at init {g0:.2e}; "
              f"final loss {curves[name][-1][1]:.4f}, training accuracy {acc:.3f}")
    print(f"chance level: loss log(10) = {math.log(10):.4f}, accuracy 0.1")

    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("no plot: matplotlib is not installed (pip install 'steepest[plot]')")
        return 0
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    for name, pts in curves.items():
        a = np.asarray(pts)
        ax.plot(a[:, 0], a[:, 1], label=f"{name} ({args.depth} layers)")
    ax.axhline(math.log(10), color="0.5", ls="--", lw=0.8, label="chance (log 10)")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title("Deep MLP on digits: skip connections let the same depth train")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f"plot: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
