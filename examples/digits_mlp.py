"""Handwritten digits with an MLP, and a side-by-side of optimizers on the same task: the
Python-API version of `steepest train digits --optimizer NAME`.

Each optimizer trains the same 64-128-128-10 ReLU network from the same initialisation with
its own usual learning rate, warmup-cosine schedule and the same batches; the script prints
each one's test accuracy (the seeds' optimizers compared on a real task).

    python examples/digits_mlp.py [--epochs 20] [--optimizers sgd,momentum,adam,lion] [--quick]
"""
import argparse

import steepest as st

# Usual learning rates: plain SGD needs big steps, sign-based Lion small ones (its every
# coordinate moves by lr), Adam-like ones sit in between.
OPTIMIZERS = {
    "sgd": lambda p: st.optim.SGD(p, lr=0.5),
    "momentum": lambda p: st.optim.SGD(p, lr=0.05, momentum=0.9),
    "nesterov": lambda p: st.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: st.optim.Adam(p, lr=3e-3),
    "adamw": lambda p: st.optim.AdamW(p, lr=3e-3, weight_decay=0.01),
    "lion": lambda p: st.optim.Lion(p, lr=1e-3, weight_decay=0.01),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--optimizers", default="sgd,momentum,nesterov,adam,adamw,lion")
    ap.add_argument("--quick", action="store_true", help="3 epochs, sgd and adamw only (for CI)")
    ap.add_argument("--out", default="digits_loss.png", help="loss curves of the last optimizer (PNG)")
    args = ap.parse_args(argv)
    names = args.optimizers.split(",")
    for n in names:
        if n not in OPTIMIZERS:
            ap.error(f"unknown optimizer {n!r}; choose from {', '.join(OPTIMIZERS)}")
    epochs = args.epochs
    if args.quick:
        epochs, names = min(epochs, 3), ["sgd", "adamw"]
    st.set_num_threads(1)

    X, y = st.datasets.load_digits()  # 1797 images, 64 pixels in [0, 1], labels 0-9
    tr, te = st.datasets.train_test_split(y, test_fraction=0.2, seed=0)
    train_set = st.data.TensorDataset(st.from_numpy(X[tr]), st.from_numpy(y[tr]))
    test_set = st.data.TensorDataset(st.from_numpy(X[te]), st.from_numpy(y[te]))
    test_loader = st.data.DataLoader(test_set, batch_size=512)

    history = None
    for name in names:
        st.manual_seed(0)  # the same initialisation and batch order for every optimizer
        model = st.nn.Sequential(st.nn.Linear(64, 128), st.nn.ReLU(), st.nn.Linear(128, 128), st.nn.ReLU(),
                                 st.nn.Linear(128, 10))
        opt = OPTIMIZERS[name](model.parameters())
        train_loader = st.data.DataLoader(train_set, batch_size=64, shuffle=True)
        steps = epochs * len(train_loader)
        sched = st.optim.lr_scheduler.warmup_cosine(opt, steps // 10, steps)
        history = st.train.fit(model, opt, train_loader, epochs=epochs, val_data=test_loader,
                               metrics={"accuracy": st.train.accuracy}, scheduler=sched, progress=False)
        last = history.epochs[-1]
        print(f"{name:9s} test accuracy {last['val_accuracy']:.4f}  test loss {last['val_loss']:.4f}  "
              f"train loss {last['train_loss']:.4f}")
    history.plot(args.out)  # matplotlib when installed, else the built-in PNG writer
    print(f"plot ({names[-1]}): {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
