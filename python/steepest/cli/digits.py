"""`steepest train digits`: an MLP on the 8x8 handwritten digits (64 pixels -> 10 classes),
trained with the optimizer of your choice so update rules can be compared on a real task."""

from .. import _core, data, datasets, save, train
from ..nn import functional as F
from . import common, optimizers, report
from .models import digits_mlp

RATES = {"adam": 3e-3, "sgd": 0.5, "sign": 1e-3, "adagrad": 0.05}


def prepare(args, batch_size):
    """(train_loader, test_loader, n_train, n_test, y_test, X_test)."""
    X, y = datasets.load_digits(args.data)
    tr, te = datasets.train_test_split(y, 0.2, seed=args.seed)
    if len(tr) == 0 or len(te) == 0:
        raise datasets.DataError(f"digits data: {len(y)} rows are too few to split into train and test")
    mk = lambda idx, shuffle, bs: data.DataLoader(  # noqa: E731
        data.TensorDataset(_core.from_numpy(X[idx]), _core.from_numpy(y[idx])), batch_size=bs, shuffle=shuffle)
    return mk(tr, True, batch_size), mk(te, False, 1024), len(tr), len(te), y[te], X[te]


def run(args):
    t0 = common.setup(args)
    out = common.out_dir(args.out)
    lr = args.lr if args.lr is not None else optimizers.default_lr(args.optimizer, RATES)
    train_loader, test_loader, n_tr, n_te, y_te, X_te = prepare(args, args.batch_size)
    print(f"steepest train digits: MLP 64-{args.hidden}-{args.hidden}-10, {args.optimizer} lr {lr:g} with "
          f"warmup-cosine, {args.epochs} epochs; train {n_tr} images, test {n_te}")
    model = digits_mlp(64, args.hidden, 10)
    opt = optimizers.make_optimizer(args.optimizer, model.parameters(), lr)
    history = common.run_fit(args, model, opt, train_loader, test_loader, args.epochs, F.cross_entropy,
                             metrics={"accuracy": train.accuracy}, max_steps=args.steps, val_name="test")
    if common.rank() != 0:  # data-parallel: rank 0 reports and writes the results
        return 0
    model.eval()
    pred = model(_core.from_numpy(X_te)).argmax(dim=1).numpy()
    acc = float((pred == y_te).mean())
    print(f"test accuracy {acc:.4f} ({int((pred == y_te).sum())}/{n_te})")
    print(report.format_confusion(report.confusion_matrix(y_te, pred, 10), [str(d) for d in range(10)]))
    ckpt = common.out_file(out, "digits_mlp.safetensors")
    save({"task": "digits", "model": model.state_dict(), "hidden": args.hidden}, ckpt)
    print(f"checkpoint: {ckpt}")
    print(report.save_plot(history.plot, common.out_file(out, "loss_curve.png"), "loss curve"))
    print(f"done in {common.elapsed(t0):.1f} s")
    return 0
