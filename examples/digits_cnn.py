"""Handwritten digits with a small ResNet: the Python-API version of
`steepest train digits --model cnn`, and two experiments on images.

1. The ResNet (conv stem, residual blocks of 3x3 convolutions with batch norm, global average
   pooling; steepest.cli.cnn.DigitsResNet) trained by SGD with Nesterov momentum under a
   one-cycle schedule, beside the MLP of `steepest train digits` (AdamW, warmup-cosine):
   test accuracies side by side, and a PNG grid of the test digits the ResNet gets wrong.
2. Depth: a deep plain conv stack and the same depth with residual connections, both trained
   by plain SGD (no momentum) for a few epochs: final training loss and test accuracy.
3. Optimizers on images: plain SGD, SGD + momentum, Nesterov and Adam on the same ResNet from
   the same initialisation, each under a one-cycle schedule at its usual peak rate.

    python examples/digits_cnn.py [--epochs 12] [--compare-epochs 3] [--quick] [--out DIR]
"""
import argparse
import os
import time

import numpy as np

import steepest as st
from steepest.cli.cnn import DigitsResNet, one_cycle, param_groups

F = st.nn.functional


def loaders(X, y, tr, te, batch_size=64):
    train_set = st.data.TensorDataset(st.from_numpy(X[tr]), st.from_numpy(y[tr]))
    test_set = st.data.TensorDataset(st.from_numpy(X[te]), st.from_numpy(y[te]))
    return (st.data.DataLoader(train_set, batch_size=batch_size, shuffle=True),
            st.data.DataLoader(test_set, batch_size=512))


def fit(model, opt, train_loader, test_loader, epochs, schedule):
    """Trains; returns (final epoch's training loss, test accuracy)."""
    steps = epochs * len(train_loader)
    h = st.train.fit(model, opt, train_loader, epochs=epochs, val_data=test_loader,
                     metrics={"accuracy": st.train.accuracy}, scheduler=schedule(opt, steps), progress=False)
    last = h.epochs[-1]
    return last["train_loss"], last["val_accuracy"]


def predict(model, X):
    model.eval()
    with st.no_grad():
        return model(st.from_numpy(X)).argmax(dim=1).numpy()


def draw_mistakes(X, y, pred, path):
    """A grid of the misclassified test digits, each titled with its true and predicted label."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "no plot: matplotlib is not installed (pip install 'steepest[plot]')"
    wrong = np.flatnonzero(pred != y)[:40]
    cols = max(1, min(8, len(wrong)))
    rows = max(1, (len(wrong) + cols - 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(X[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"true {y[i]} / pred {pred[i]}", fontsize=7, color="firebrick")
    fig.suptitle(f"{int((pred != y).sum())} misclassified test digits of {len(y)}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"misclassified digits: {path}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=12, help="epochs of the ResNet and the MLP (default: 12)")
    ap.add_argument("--compare-epochs", type=int, default=3,
                    help="epochs of each run in the depth and optimizer comparisons (default: 3)")
    ap.add_argument("--depth-blocks", type=int, default=4,
                    help="residual blocks per stage in the depth comparison (default: 4: 17 conv layers)")
    ap.add_argument("--skip-comparisons", action="store_true", help="only the ResNet vs the MLP")
    ap.add_argument("--quick", action="store_true", help="3 epochs, 2 in the comparisons (for CI)")
    ap.add_argument("--threads", type=int, default=1,
                    help="CPU threads (default: 1; these images are small, more threads mostly synchronise)")
    ap.add_argument("--out", default="digits_cnn_out", help="output folder (PNG)")
    args = ap.parse_args(argv)
    if args.quick:
        args.epochs, args.compare_epochs, args.depth_blocks = min(args.epochs, 3), min(args.compare_epochs, 2), 3
    t0 = time.perf_counter()
    st.set_num_threads(args.threads)

    X, y = st.datasets.load_digits()  # 1797 images, 64 pixels in [0, 1], labels 0-9
    tr, te = st.datasets.train_test_split(y, test_fraction=0.2, seed=0)
    train_loader, test_loader = loaders(X, y, tr, te)

    # 1. The ResNet (Nesterov + one-cycle) beside the MLP (AdamW + warmup-cosine).
    print(f"1. ResNet vs MLP, {args.epochs} epochs each")
    st.manual_seed(0)
    cnn = DigitsResNet(width=16, blocks=1)
    opt = st.optim.SGD(param_groups(cnn, 5e-4), lr=0.1, momentum=0.9, nesterov=True)
    loss, acc_cnn = fit(cnn, opt, train_loader, test_loader, args.epochs, one_cycle)
    pred = predict(cnn, X[te])
    print(f"   ResNet ({cnn.num_parameters():,} weights)  test accuracy {float((pred == y[te]).mean()):.4f}  "
          f"train loss {loss:.4f}")
    st.manual_seed(0)
    mlp = st.nn.Sequential(st.nn.Linear(64, 128), st.nn.ReLU(), st.nn.Linear(128, 128), st.nn.ReLU(),
                           st.nn.Linear(128, 10))
    opt = st.optim.AdamW(mlp.parameters(), lr=3e-3, weight_decay=0.01)
    loss, acc_mlp = fit(mlp, opt, train_loader, test_loader, args.epochs,
                        lambda o, n: st.optim.lr_scheduler.warmup_cosine(o, n // 10, n, min_lr=3e-5))
    print(f"   MLP    ({mlp.num_parameters():,} weights)  test accuracy {acc_mlp:.4f}  train loss {loss:.4f}")
    os.makedirs(args.out, exist_ok=True)
    print("   " + draw_mistakes(X[te], y[te], pred, os.path.join(args.out, "misclassified.png")))
    if args.skip_comparisons:
        print(f"done in {time.perf_counter() - t0:.1f} s")
        return 0

    # 2. Depth: the same deep stack with and without skip connections, plain SGD.
    e = args.compare_epochs
    layers = 1 + 4 * args.depth_blocks
    print(f"2. {layers} conv layers, plain SGD (lr 0.05, no momentum), {e} epochs")
    for residual in (False, True):
        st.manual_seed(0)
        model = DigitsResNet(width=8, blocks=args.depth_blocks, residual=residual)
        opt = st.optim.SGD(model.parameters(), lr=0.05)
        loss, acc = fit(model, opt, train_loader, test_loader, e,
                        lambda o, n: st.optim.lr_scheduler.ConstantLR(o, factor=1.0))
        name = "residual" if residual else "plain   "
        print(f"   {name}  final train loss {loss:.4f}  test accuracy {acc:.4f}")

    # 3. Optimizers on images: the same ResNet and batches, one-cycle at each one's usual peak.
    print(f"3. optimizers on the ResNet, one-cycle, {e} epochs")
    recipes = {
        "sgd (plain)": lambda p: st.optim.SGD(p, lr=0.1),
        "sgd + momentum 0.9": lambda p: st.optim.SGD(p, lr=0.1, momentum=0.9),
        "nesterov 0.9": lambda p: st.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        "adam": lambda p: st.optim.Adam(p, lr=3e-3),
    }
    for name, make in recipes.items():
        st.manual_seed(0)
        model = DigitsResNet(width=16, blocks=1)
        loss, acc = fit(model, make(model.parameters()), train_loader, test_loader, e, one_cycle)
        print(f"   {name:19s} test accuracy {acc:.4f}  train loss {loss:.4f}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
