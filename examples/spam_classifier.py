"""An SMS spam classifier in a page of steepest: the Python-API version of `steepest demo`.

TF-IDF of words, word pairs and character 2-5-grams (st.datasets.TfidfVectorizer, fitted on
the training part) gives each message a sparse row; a linear SVM (one st.nn.SparseLinear, a
squared hinge loss, an L2 penalty as weight decay) is trained full-batch by momentum SGD
(st.train.fit), and the held-out messages are scored with spam as the positive class.

    python examples/spam_classifier.py [--epochs 300] [--quick] [--out spam_loss.png]
"""
import argparse

import numpy as np

import steepest as st


def squared_hinge(scores, labels):
    """mean(max(0, 1 - t * score)^2), t = +1 for spam and -1 for ham: the L2-SVM loss."""
    t = labels.to(scores.dtype) * 2 - 1
    return (1 - t * scores.reshape(-1)).clamp(min=0).pow(2).mean()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--quick", action="store_true", help="60 epochs (for CI)")
    ap.add_argument("--out", default="spam_loss.png", help="loss-curve PNG")
    args = ap.parse_args(argv)
    epochs = min(args.epochs, 60) if args.quick else args.epochs
    st.manual_seed(0)
    st.set_num_threads(1)  # a small model: one thread is fastest

    # Data: the bundled SMS Spam Collection subset (CC BY 4.0), 80/20 stratified split.
    data = st.datasets.load_spam()
    train_idx, test_idx = st.datasets.train_test_split(data.labels, test_fraction=0.2, seed=0)
    texts = lambda idx: [data.texts[i] for i in idx]  # noqa: E731
    vec = st.datasets.TfidfVectorizer(ngrams=(1, 2), char_ngrams=(2, 5))
    X_train = vec.fit_transform(texts(train_idx))  # SparseRows (3409, ~96k): two unit-length blocks per row
    X_test = vec.transform(texts(test_idx))
    y = data.labels  # 0 = ham, 1 = spam

    # Every step sees the whole training set: one batch each.
    train_data = st.datasets.SparseBatches(X_train, y[train_idx], batch_size=len(X_train))
    test_data = st.datasets.SparseBatches(X_test, y[test_idx], batch_size=len(X_test))

    # A linear SVM: ||w||^2 / 2 + C * sum of squared hinges, i.e. the mean hinge plus weight decay 1 / (C n), C = 1.
    model = st.nn.SparseLinear(vec.n_features, 1)
    opt = st.optim.SGD(model.parameters(), lr=1.0, momentum=0.9, weight_decay=1.0 / len(X_train))
    history = st.train.fit(model, opt, train_data, loss_fn=squared_hinge, epochs=epochs, val_data=test_data,
                           metrics={"accuracy": st.train.accuracy})

    # Test metrics with spam as the positive class: a positive score means spam.
    model.eval()
    with st.no_grad():
        pred = (model(X_test).numpy().reshape(-1) > 0).astype(np.int64)
    true = y[test_idx]
    tp = int(((pred == 1) & (true == 1)).sum())
    fp = int(((pred == 1) & (true == 0)).sum())
    fn = int(((pred == 0) & (true == 1)).sum())
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    print(f"test accuracy {np.mean(pred == true):.4f}  precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")

    for text in ["WINNER! You have been selected for a £900 prize. Call 09061701461 now",
                 "Sorry, I'll be late for dinner tonight"]:
        with st.no_grad():
            score = float(model(vec.transform([text])).numpy()[0, 0])
        print(f"  {data.label_names[int(score > 0)]:4s} {score:+.3f}  {text}")
    history.plot(args.out)  # matplotlib when installed, else the built-in PNG writer
    print(f"plot: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
