"""The `steepest` command: argparse sub-commands (demo, train spam|digits|charlm, predict,
lr-find) and the top level that turns expected failures (a missing file, a malformed line,
a bad number) into one line on stderr and a non-zero exit; --debug shows the traceback."""
from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Callable, NoReturn, Optional

from . import charlm, digits, launch, lrfind, optimizers, spam
from .errors import UsageError

EPILOG = """examples:
  steepest demo                          train the spam classifier on the bundled data (seconds of CPU)
  steepest train spam --data my.tsv --metrics-out m.json
  steepest predict --checkpoint steepest-demo/spam_classifier.safetensors "Free entry! Text WIN now"
  steepest train digits --optimizer lion
  steepest train digits --model cnn      a small ResNet: conv, batch norm, residual blocks
  steepest train charlm --steps 2000
  steepest lr-find digits
  steepest train digits --nproc 2        data-parallel on 2 ranks (pip install steepest[mpi])
  steepest launch -n 4 train.py          any script on 4 ranks (mpiexec)
Every command takes --help. Data bundled with steepest: SMS Spam Collection (CC BY 4.0),
UCI handwritten digits (CC BY 4.0), King James Bible (public domain)."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the command, the problem, where to look)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---- argument types: each rejects a bad value with a message argparse puts in one line ----
# (argparse prefixes it with "argument --name:", so every message names its option.)
def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An integer in [low, high]. The upper bounds keep a typo (an extra digit, 1e20) from
    turning into an allocation the machine can't make or a run that never ends."""
    def parse(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{s!r} is not an integer") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"{s!r} must be at least {low}")
        if v > high:
            raise argparse.ArgumentTypeError(f"{s!r} is above the limit of {high:,}")
        return v
    parse.__name__ = "integer"
    return parse


positive_int = bounded_int(1, 10**9)
seed_int = bounded_int(0, 2**63 - 1)
# Per-option limits (each far above what these small models need).
EPOCHS = bounded_int(1, 10**6)
BATCH = bounded_int(1, 2**20)
FEATURES = bounded_int(1, 2**24)
HIDDEN = bounded_int(0, 2**16)
HIDDEN_POSITIVE = bounded_int(1, 2**16)
# A model the CLI builds may hold at most this many weights (8 GiB of float32).
MAX_WEIGHTS = 2**31


def nonempty_text(s: str) -> str:
    if not s:
        raise argparse.ArgumentTypeError("must not be empty")
    return s


def positive_float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a number") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"{s!r} must be a positive finite number")
    return v


def fraction(s: str) -> float:
    v = positive_float(s)
    if v >= 1:
        raise argparse.ArgumentTypeError(f"{s!r} must be between 0 and 1")
    return v


def optimizer_name(s: str) -> str:
    try:
        return optimizers.check_name(s)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _common(p, out_default):
    g = p.add_argument_group("common options")
    g.add_argument("--out", default=out_default, metavar="DIR", help=f"output folder (default: {out_default})")
    g.add_argument("--seed", type=seed_int, default=0, help="random seed for initialisation, shuffling and the split "
                   "(default: 0)")
    g.add_argument("--threads", type=positive_int, default=1, metavar="N",
                   help="CPU threads (default: 1; these models are small, so more threads mostly add "
                   "synchronisation cost)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar (it only shows on a terminal)")
    g.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the full traceback on errors")


def _optimizer(p, default, rates_note):
    p.add_argument("--optimizer", type=optimizer_name, default=default, metavar="NAME",
                   help=f"one of {', '.join(optimizers.OPTIMIZERS)} (default: {default})")
    p.add_argument("--lr", type=positive_float, default=None, help=f"peak learning rate (default: {rates_note})")


def _spam_args(p, epochs):
    p.add_argument("--epochs", type=EPOCHS, default=epochs, metavar="N",
                   help=f"passes over the training set (default: {epochs})")
    p.add_argument("--steps", type=positive_int, default=None, metavar="N",
                   help="stop after N optimizer steps in all (default: all epochs)")
    p.add_argument("--batch-size", type=BATCH, default=None, metavar="N",
                   help="default: the whole training set (full-batch steps)")
    p.add_argument("--features", type=FEATURES, default=None, metavar="N",
                   help="keep at most N TF-IDF terms, those found in the most training texts (default: all)")
    p.add_argument("--hidden", type=HIDDEN, default=0, metavar="N",
                   help="hidden units of an MLP; 0 = linear SVM (default: 0)")
    p.add_argument("--test-fraction", type=fraction, default=0.2, metavar="F",
                   help="share held out for testing when no --test-data is given (default: 0.2)")
    p.add_argument("--clip", type=positive_float, default=None, metavar="NORM",
                   help="clip the global gradient norm to NORM (default: off)")
    p.add_argument("--metrics-out", metavar="FILE.json", default=None,
                   help="write the test metrics (accuracy, precision, recall, f1, confusion matrix) as JSON")
    p.add_argument("--optimizer", type=optimizer_name, default=None, metavar="NAME",
                   help=f"one of {', '.join(optimizers.OPTIMIZERS)} (default: momentum for the linear SVM, adamw "
                   "for the MLP)")
    p.add_argument("--lr", type=positive_float, default=None,
                   help="peak learning rate (default: chosen for the optimizer, e.g. 1.0 for momentum SGD on the "
                   "linear SVM)")


def _nproc(p):
    p.add_argument("--nproc", type=bounded_int(1, 4096), default=1, metavar="N",
                   help="train data-parallel on N ranks (mpiexec; pip install steepest[mpi]); --batch-size is "
                   "per rank (default: 1)")


def build_parser() -> argparse.ArgumentParser:
    top = Parser(prog="steepest", description="Train small models by gradient descent with steepest.",
                 epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--debug", action="store_true", default=False, help="show the full traceback on errors")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    p = sub.add_parser("demo", help="train an SMS spam classifier on the bundled data, report test metrics",
                       description="Trains an SMS spam classifier on the bundled SMS Spam Collection subset "
                       "(4262 messages; CC BY 4.0): TF-IDF of words, word bigrams and character 2-5-grams, a "
                       "linear SVM (squared hinge, L2 penalty), full-batch momentum SGD with warmup-cosine. Prints "
                       "test accuracy, precision, recall, F1 (spam = positive) and the confusion matrix on a held-out "
                       "split, and saves a checkpoint and a loss-curve PNG into --out.")
    _spam_args(p, epochs=300)
    p.add_argument("--quick", action="store_true", help=f"at most {spam.QUICK_EPOCHS} epochs (for CI)")
    p.set_defaults(func=spam.demo, data=None, test_data=None)
    _common(p, "steepest-demo")

    ptrain = sub.add_parser("train", help="train on a task: spam (your own files), digits, charlm",
                            description="Train a model on one of the tasks.")
    tsub = ptrain.add_subparsers(dest="task", metavar="TASK", parser_class=Parser)
    tsub.required = True
    p = tsub.add_parser("spam", help="spam classifier on label<TAB>text files",
                        description="The demo's classifier on your own data: UTF-8 lines 'label<TAB>text' with "
                        "label ham or spam (gzip or plain). Without --data: the bundled data.")
    p.add_argument("--data", metavar="FILE", default=None, help="training data (default: the bundled SMS data)")
    p.add_argument("--test-data", metavar="FILE", default=None,
                   help="test data (default: a held-out --test-fraction of --data)")
    _spam_args(p, epochs=300)
    p.set_defaults(func=spam.train_spam)
    _common(p, "steepest-spam")

    p = tsub.add_parser("digits", help="MLP or small ResNet on the 8x8 handwritten digits",
                        description="An MLP (64-H-H-10, ReLU; --model mlp) or a small ResNet (conv + batch norm "
                        "+ residual blocks, SGD with Nesterov momentum under a one-cycle schedule; --model cnn) on "
                        "the bundled UCI digits (1797 images, CC BY 4.0), an 80/20 stratified split; prints test "
                        "accuracy and the confusion matrix.")
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp", help="default: mlp")
    p.add_argument("--data", metavar="FILE", default=None,
                   help="CSV: 64 pixel values 0-16 then the label per line (default: bundled)")
    p.add_argument("--epochs", type=EPOCHS, default=None, metavar="N", help="default: 20 (mlp), 12 (cnn)")
    p.add_argument("--steps", type=positive_int, default=None, metavar="N", help="stop after N optimizer steps")
    p.add_argument("--batch-size", type=BATCH, default=64, metavar="N", help="default: 64")
    p.add_argument("--hidden", type=HIDDEN_POSITIVE, default=128, metavar="N", help="mlp: default 128")
    p.add_argument("--width", type=bounded_int(1, 1024), default=16, metavar="N",
                   help="cnn: channels of the first stage, doubled in the second (default: 16)")
    p.add_argument("--blocks", type=bounded_int(1, 64), default=1, metavar="N",
                   help="cnn: residual blocks per stage (default: 1)")
    p.add_argument("--clip", type=positive_float, default=None, metavar="NORM", help="clip the gradient norm")
    p.add_argument("--optimizer", type=optimizer_name, default=None, metavar="NAME",
                   help=f"one of {', '.join(optimizers.OPTIMIZERS)} (default: adamw for mlp, nesterov for cnn)")
    p.add_argument("--lr", type=positive_float, default=None,
                   help="peak learning rate (default: mlp 3e-3 for Adam-like, 0.5 for SGD, 1e-3 for Lion; "
                   "cnn 0.1 for SGD, 3e-3 for Adam-like)")
    _nproc(p)
    p.set_defaults(func=digits.run)
    _common(p, "steepest-digits")

    p = tsub.add_parser("charlm", help="small causal transformer on the King James Bible, by character",
                        description="A character-level causal transformer (token + position embeddings, "
                        "pre-LN blocks of causal self-attention and an MLP) on the bundled King James Bible "
                        "excerpt (public domain). AdamW + warmup-cosine + gradient clipping; prints samples "
                        "as it learns.")
    p.add_argument("--data", metavar="FILE", default=None, help="UTF-8 text (default: bundled)")
    p.add_argument("--steps", type=positive_int, default=1000, metavar="N", help="optimizer steps (default: 1000)")
    p.add_argument("--quick", action="store_true", help="60 steps on 200k characters (for CI)")
    p.add_argument("--batch-size", type=positive_int, default=32, metavar="N", help="default: 32")
    p.add_argument("--block-size", type=positive_int, default=64, metavar="N", help="context length (default: 64)")
    p.add_argument("--d-model", type=positive_int, default=64, metavar="N", help="default: 64")
    p.add_argument("--heads", type=positive_int, default=4, metavar="N", help="default: 4")
    p.add_argument("--layers", type=positive_int, default=2, metavar="N", help="default: 2")
    p.add_argument("--clip", type=positive_float, default=1.0, metavar="NORM", help="default: 1.0")
    p.add_argument("--max-chars", type=positive_int, default=None, metavar="N", help="use only the first N characters")
    p.add_argument("--sample-every", type=positive_int, default=250, metavar="N", help="default: 250 steps")
    p.add_argument("--sample-chars", type=positive_int, default=160, metavar="N", help="default: 160")
    p.add_argument("--prompt", type=nonempty_text, default="And God said",
                   help="start of each sample (default: 'And God said')")
    _optimizer(p, "adamw", "3e-3 for Adam-like, 0.3 for SGD, 1e-3 for Lion")
    _nproc(p)
    p.set_defaults(func=charlm.run)
    _common(p, "steepest-charlm")

    p = sub.add_parser("predict", help="classify texts with a saved spam classifier",
                       description="Prints the predicted label, its probability and the text, one line per text.")
    p.add_argument("--checkpoint", required=True, metavar="PATH", help="written by `steepest demo` or `train spam`")
    p.add_argument("texts", nargs="+", metavar="TEXT", help="messages to classify")
    p.set_defaults(func=spam.predict, seed=0, threads=1)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")

    p = sub.add_parser("lr-find", help="learning-rate range test on a task (spam, digits, charlm)",
                       description="Sweeps the learning rate exponentially, one batch per rate, stops when the "
                       "loss diverges, prints the suggested rate and writes the curve (PNG).")
    p.add_argument("task", metavar="TASK", choices=lrfind.TASKS, help="spam, digits or charlm")
    p.add_argument("--optimizer", type=optimizer_name, default="adamw", metavar="NAME", help="default: adamw")
    p.add_argument("--start-lr", type=positive_float, default=1e-6, help="default: 1e-6")
    p.add_argument("--end-lr", type=positive_float, default=10.0, help="default: 10")
    p.add_argument("--num-iter", type=positive_int, default=100, metavar="N", help="default: 100")
    p.add_argument("--features", type=FEATURES, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=lrfind.run, data=None, max_chars=None)
    _common(p, "steepest-lr-find")

    launch.add_parser(sub, positive_int)
    return top


def _one_line(e):
    text = str(e).strip() or type(e).__name__
    first = text.splitlines()[0]
    return first + (" ..." if "\n" in text else "")


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"steepest: warning: {_one_line(message)}", file=sys.stderr if file is None else file)


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Checks that span options, before anything is created: a failing run leaves no --out
    folder, checkpoint or metrics file behind."""
    features, hidden = getattr(args, "features", None), getattr(args, "hidden", None)
    if features is not None and hidden is not None:
        weights = features * max(hidden, 2) + (hidden * hidden if hidden else 0)
        if weights > MAX_WEIGHTS:
            parser.error(f"argument --features/--hidden: {features:,} features x {hidden:,} hidden units need "
                         f"{weights:,} weights, above the limit of {MAX_WEIGHTS:,}")
    metrics_out = getattr(args, "metrics_out", None)
    if metrics_out:
        folder = os.path.dirname(os.path.abspath(metrics_out))
        if not os.path.isdir(folder):
            parser.error(f"argument --metrics-out: folder {folder} does not exist")
        if os.path.isdir(metrics_out):
            parser.error(f"argument --metrics-out: {metrics_out} is a directory")
    out = getattr(args, "out", None)
    if out and os.path.exists(out) and not os.path.isdir(out):
        parser.error(f"argument --out: {out} exists and is not a directory")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line `argv` (default sys.argv[1:]); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    if getattr(args, "nproc", 1) > 1 and args.command == "train":
        status = launch.relaunch(args.nproc, list(sys.argv[1:] if argv is None else argv))
        if status is not None:
            return status
        if launch.rank_from_env() != 0:  # one rank speaks: the others' output would repeat it
            sys.stdout = open(os.devnull, "w")
    where = "steepest " + " ".join(x for x in (args.command, getattr(args, "task", None)) if x)
    if args.command == "lr-find":
        where = "steepest lr-find"
    if not args.debug:
        warnings.showwarning = _show_warning
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return 130
    except UsageError as e:
        if args.debug:
            raise
        print(f"{where}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except (OSError, ValueError, TypeError, RuntimeError, ImportError, KeyError, IndexError) as e:
        # Expected failures: files, data, numbers, the training itself (a non-finite loss).
        if args.debug:
            raise
        print(f"{where}: error: {_one_line(e)}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug: still one line, with the way to see more
        if args.debug:
            raise
        print(f"{where}: internal error: {type(e).__name__}: {_one_line(e)} (run with --debug for the traceback)",
              file=sys.stderr)
        return 1
