"""`steepest lr-find TASK`: the learning-rate range test on one of the CLI's tasks — rates
grow exponentially from --start-lr to --end-lr, one batch each, until the loss diverges;
prints the suggested rate and writes the curve as a PNG."""
from typing import Any, Callable

from .. import train
from ..nn import functional as F
from . import charlm, common, digits, optimizers, report, spam
from .errors import UsageError
from .models import digits_mlp, lm_loss, squared_hinge, text_classifier

TASKS = ("spam", "digits", "charlm")


def run(args):
    common.setup(args)
    out = common.out_dir(args.out)
    task = args.task
    loss: Callable[..., Any]
    if task == "spam":
        args.test_data, args.test_fraction = None, 0.2
        tr, _, _ = spam._split(args)
        vec = spam.vectorizer(args)
        data = spam._batches(vec.fit_transform(tr.texts), tr.labels, 64, shuffle=True, seed=args.seed)
        model, loss = text_classifier(vec.n_features), squared_hinge
    elif task == "digits":
        data = digits.prepare(args, 64)[0]
        model, loss = digits_mlp(64, 128, 10), F.cross_entropy
    elif task == "charlm":
        args.max_chars, args.block_size, args.d_model, args.heads, args.layers = 200_000, 64, 64, 4, 2
        corpus, model = charlm.build(args)
        data = charlm.RandomWindows(corpus, "train", 32, 64, args.num_iter, args.seed)
        loss = lm_loss
    else:
        raise UsageError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    opt = optimizers.make_optimizer(args.optimizer, model.parameters(), args.start_lr)
    print(f"steepest lr-find {task}: {args.optimizer}, rates {args.start_lr:g} .. {args.end_lr:g} over at most "
          f"{args.num_iter} batches")
    res = train.lr_find(model, opt, data, loss_fn=loss, start_lr=args.start_lr, end_lr=args.end_lr,
                        num_iter=args.num_iter)
    if not res.lrs:
        raise UsageError(f"the loss was not finite even at --start-lr {args.start_lr:g}; try a smaller one")
    stop = "the loss diverged" if res.diverged else "reached end_lr"
    print(f"tried {len(res.lrs)} rates ({stop}); lowest smoothed loss {min(res.smoothed):.4f} at lr "
          f"{res.lrs[min(range(len(res.smoothed)), key=res.smoothed.__getitem__)]:.3g}")
    if res.suggestion is None:
        print("suggested lr: none (the curve is too short to judge; widen --start-lr .. --end-lr)")
    else:
        print(f"suggested lr: {res.suggestion:.3g}  (steepest descent of the loss; a safe choice is this or a few "
              "times lower)")
    print(report.save_plot(res.plot, common.out_file(out, f"lr_find_{task}.png"), "lr-find curve"))
    return 0
