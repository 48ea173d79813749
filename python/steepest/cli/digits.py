"""`steepest train digits`: an MLP (--model mlp) or a small ResNet (--model cnn) on the 8x8
handwritten digits, trained with the optimizer of your choice so update rules can be compared
on a real task."""

from .. import _core, data, datasets, nn, save, train
from ..autograd import no_grad
from ..nn import functional as F
from . import cnn, common, optimizers, report
from .models import digits_mlp

RATES = {"adam": 3e-3, "sgd": 0.5, "sign": 1e-3, "adagrad": 0.05}
# Peak rates of the CNN's one-cycle schedule (batch norm keeps these stable).
CNN_RATES = {"adam": 3e-3, "sgd": 0.1, "sign": 3e-4, "adagrad": 0.02}
DEFAULT_OPTIMIZER = {"mlp": "adamw", "cnn": "nesterov"}
DEFAULT_EPOCHS = {"mlp": 20, "cnn": 12}
CNN_WEIGHT_DECAY = 5e-4  # SGD family, on conv and linear weights


def prepare(args, batch_size):
    """(train_loader, test_loader, n_train, n_test, y_test, X_test)."""
    X, y = datasets.load_digits(args.data)
    tr, te = datasets.train_test_split(y, 0.2, seed=args.seed)
    if len(tr) == 0 or len(te) == 0:
        raise datasets.DataError(f"digits data: {len(y)} rows are too few to split into train and test")
    mk = lambda idx, shuffle, bs: data.DataLoader(  # noqa: E731
        data.TensorDataset(_core.from_numpy(X[idx]), _core.from_numpy(y[idx])), batch_size=bs, shuffle=shuffle)
    return mk(tr, True, batch_size), mk(te, False, 1024), len(tr), len(te), y[te], X[te]


def build(args, lr):
    """(model, optimizer, make_schedule, description) for --model."""
    name = args.optimizer
    if args.model == "cnn":
        model: nn.Module = cnn.DigitsResNet(width=args.width, blocks=args.blocks)
        sgd_family = optimizers.FAMILY.get(name) == "sgd"
        params = cnn.param_groups(model, CNN_WEIGHT_DECAY) if sgd_family else model.parameters()
        opt = optimizers.make_optimizer(name, params, lr)
        desc = (f"ResNet (width {args.width}, {2 * args.blocks} residual blocks, batch norm), {name} "
                f"peak lr {lr:g} with one-cycle")
        return model, opt, cnn.one_cycle, desc
    model = digits_mlp(64, args.hidden, 10)
    opt = optimizers.make_optimizer(name, model.parameters(), lr)
    return model, opt, None, f"MLP 64-{args.hidden}-{args.hidden}-10, {name} lr {lr:g} with warmup-cosine"


def run(args):
    t0 = common.setup(args)
    out = common.out_dir(args.out)
    if args.optimizer is None:
        args.optimizer = DEFAULT_OPTIMIZER[args.model]
    epochs = args.epochs if args.epochs is not None else DEFAULT_EPOCHS[args.model]
    rates = CNN_RATES if args.model == "cnn" else RATES
    lr = args.lr if args.lr is not None else optimizers.default_lr(args.optimizer, rates)
    train_loader, test_loader, n_tr, n_te, y_te, X_te = prepare(args, args.batch_size)
    model, opt, make_schedule, desc = build(args, lr)
    print(f"steepest train digits: {desc}, {epochs} epochs; train {n_tr} images, test {n_te}")
    history = common.run_fit(args, model, opt, train_loader, test_loader, epochs, F.cross_entropy,
                             metrics={"accuracy": train.accuracy}, max_steps=args.steps, val_name="test",
                             make_schedule=make_schedule)
    if common.rank() != 0:  # data-parallel: rank 0 reports and writes the results
        return 0
    model.eval()
    with no_grad():
        pred = model(_core.from_numpy(X_te)).argmax(dim=1).numpy()
    acc = float((pred == y_te).mean())
    print(f"test accuracy {acc:.4f} ({int((pred == y_te).sum())}/{n_te})")
    print(report.format_confusion(report.confusion_matrix(y_te, pred, 10), [str(d) for d in range(10)]))
    ckpt = common.out_file(out, f"digits_{args.model}.safetensors")
    extra = {"hidden": args.hidden} if args.model == "mlp" else {"width": args.width, "blocks": args.blocks}
    save({"task": "digits", "model_kind": args.model, "model": model.state_dict(), **extra}, ckpt)
    print(f"checkpoint: {ckpt}")
    print(report.save_plot(history.plot, common.out_file(out, "loss_curve.png"), "loss curve"))
    print(f"done in {common.elapsed(t0):.1f} s")
    return 0
