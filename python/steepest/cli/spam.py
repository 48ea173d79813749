"""`steepest demo`, `steepest train spam` and `steepest predict`: an SMS spam classifier on
hashed word, bigram and character n-gram features (logistic regression or a small MLP), trained by
mini-batch
AdamW (or --optimizer) on cross-entropy with warmup-cosine; test metrics with spam as the
positive class, a checkpoint that predict can load, and a loss-curve PNG."""
import json
import os

import numpy as np

from .. import _core, data, datasets, load, save, train
from ..autograd import no_grad
from ..nn import functional as F
from . import common, optimizers, report
from .errors import UsageError
from .models import text_classifier

# Learning rates per optimizer family. Rows are L2-normalised, so a linear model's logits move
# by ~lr per Adam step: 0.05 crosses the useful range in tens of steps; the MLP's hidden layer
# wants the usual Adam scale.
RATES = {"linear": {"adam": 0.05, "sgd": 8.0, "sign": 0.02, "adagrad": 0.5},
         "mlp": {"adam": 3e-3, "sgd": 0.3, "sign": 3e-4, "adagrad": 0.05}}

CHECKPOINT_NAME = "spam_classifier.safetensors"
# Character 2- to 5-grams of each word beside the words and word pairs: on the held-out fifth
# they lift the logistic regression's F1 from 0.946 to 0.969 (misspelt and run-together
# spam words, the shapes of prices, numbers and links).
CHAR_NGRAMS = (2, 5)


def _split(args):
    """(train, test) TextLabels: --test-data as the test set, else a seeded stratified split."""
    full = datasets.load_spam(args.data)
    if args.test_data:
        return full, datasets.load_spam(args.test_data), "the --test-data file"
    tr, te = datasets.train_test_split(full.labels, args.test_fraction, seed=args.seed)
    if len(te) == 0 or len(tr) == 0:
        raise datasets.DataError(f"spam data: {len(full)} messages are too few to split into train and test")
    return full.subset(tr), full.subset(te), f"a held-out {args.test_fraction:.0%} (stratified, seed {args.seed})"


def _loader(X, y, batch_size, shuffle):
    ds = data.TensorDataset(_core.from_numpy(X), _core.from_numpy(y))
    return data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle)


def predict_proba(model, X, batch_size=1024):
    model.eval()
    out = []
    with no_grad():
        for i in range(0, len(X), batch_size):
            out.append(F.softmax(model(_core.from_numpy(X[i:i + batch_size])), dim=1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 2), np.float32)


def run(args, title):
    t0 = common.setup(args)
    out = common.out_dir(args.out)
    train_set, test_set, test_what = _split(args)
    vec = datasets.HashingVectorizer(n_features=args.features, ngrams=2, weighting="log", normalize=True,
                                     char_ngrams=CHAR_NGRAMS)
    kind = "mlp" if args.hidden > 0 else "linear"
    lr = args.lr if args.lr is not None else optimizers.default_lr(args.optimizer, RATES[kind])
    model_desc = ("logistic regression" if kind == "linear" else f"MLP (hidden {args.hidden})")
    print(f"{title}: {model_desc} on {args.features} hashed word, bigram and character 2-5-gram features, "
          f"{args.optimizer} lr {lr:g} with warmup-cosine, {args.epochs} epochs of batches of {args.batch_size}")
    c_tr, c_te = train_set.counts(), test_set.counts()
    print(f"data: {train_set.source}: train {len(train_set)} messages ({c_tr['spam']} spam), "
          f"test {len(test_set)} ({c_te['spam']} spam) = {test_what}")
    Xtr, Xte = vec.transform(train_set.texts), vec.transform(test_set.texts)
    model = text_classifier(args.features, 2, hidden=args.hidden, dropout=0.1)
    opt = optimizers.make_optimizer(args.optimizer, model.parameters(), lr)
    train_loader = _loader(Xtr, train_set.labels, args.batch_size, shuffle=True)
    test_loader = _loader(Xte, test_set.labels, 1024, shuffle=False)
    history = common.run_fit(args, model, opt, train_loader, test_loader, args.epochs, F.cross_entropy,
                             metrics={"accuracy": train.accuracy}, max_steps=args.steps, val_name="test")

    proba = predict_proba(model, Xte)
    pred = proba.argmax(axis=1)
    m = report.binary_metrics(test_set.labels, pred, positive=1)
    cm = report.confusion_matrix(test_set.labels, pred, 2)
    print(f"test accuracy {m['accuracy']:.4f}  precision {m['precision']:.4f}  recall {m['recall']:.4f}  "
          f"F1 {m['f1']:.4f}  (spam is the positive class; {len(test_set)} held-out messages)")
    print(report.format_confusion(cm, list(train_set.label_names)))

    ckpt = common.out_file(out, CHECKPOINT_NAME)
    save({"task": "spam", "model": model.state_dict(),
          "model_config": {"kind": kind, "n_features": args.features, "hidden": args.hidden, "n_classes": 2},
          "features": vec.config(), "label_names": list(train_set.label_names)}, ckpt)
    print(f"checkpoint: {ckpt}  (try: steepest predict --checkpoint {ckpt} \"WINNER! claim your prize\")")
    print(report.save_plot(history.plot, common.out_file(out, "loss_curve.png"), "loss curve"))
    if args.metrics_out:
        doc = {k: m[k] for k in ("accuracy", "precision", "recall", "f1")}
        doc.update({"confusion_matrix": cm.tolist(), "labels": list(train_set.label_names),
                    "positive_label": train_set.label_names[1], "n_train": len(train_set), "n_test": len(test_set),
                    "optimizer": args.optimizer, "lr": lr, "epochs": args.epochs, "steps": history.epochs[-1]["steps"],
                    "final_train_loss": history.epochs[-1]["train_loss"]})
        with open(args.metrics_out, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(f"metrics: {args.metrics_out}")
    print(f"done in {common.elapsed(t0):.1f} s")
    return 0


def demo(args):
    if args.quick:
        args.epochs = min(args.epochs, 4)
    return run(args, "steepest demo: SMS spam classifier")


def train_spam(args):
    return run(args, "steepest train spam")


def load_classifier(path):
    """(model, vectorizer, label_names) from a checkpoint written by demo / train spam."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint: no such file: {path}")
    ckpt = load(path)
    if not isinstance(ckpt, dict) or ckpt.get("task") != "spam":
        raise UsageError(f"checkpoint {path} is not a spam classifier saved by `steepest demo` or "
                         "`steepest train spam`")
    cfg = ckpt["model_config"]
    model = text_classifier(int(cfg["n_features"]), int(cfg["n_classes"]), hidden=int(cfg["hidden"]))
    model.load_state_dict(ckpt["model"])
    vec = datasets.HashingVectorizer.from_config(ckpt["features"])
    return model, vec, list(ckpt["label_names"])


def predict(args):
    common.setup(args)
    model, vec, names = load_classifier(args.checkpoint)
    texts = list(args.texts)
    if not texts:
        raise UsageError("give at least one text to classify")
    proba = predict_proba(model, vec.transform(texts))
    for text, p in zip(texts, proba):
        k = int(p.argmax())
        shown = text if len(text) <= 70 else text[:67] + "..."
        print(f"{names[k]}\t{p[k]:.4f}\t{shown}")
    return 0


