"""An SMS spam classifier in a page of steepest: the Python-API version of `steepest demo`.

Words and word bigrams are hashed into 4096 columns (st.datasets.HashingVectorizer), a
logistic regression (one st.nn.Linear) is trained on cross-entropy by mini-batch AdamW with a
warmup-cosine learning rate (st.train.fit), and the held-out messages are scored with spam as
the positive class.

    python examples/spam_classifier.py [--epochs 10] [--quick] [--out spam_loss.png]
"""
import argparse

import numpy as np

import steepest as st


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="3 epochs (for CI)")
    ap.add_argument("--out", default="spam_loss.png", help="loss-curve PNG")
    args = ap.parse_args(argv)
    epochs = min(args.epochs, 3) if args.quick else args.epochs
    st.manual_seed(0)
    st.set_num_threads(1)  # a small model: one thread is fastest

    # Data: the bundled SMS Spam Collection subset (CC BY 4.0), 80/20 stratified split.
    data = st.datasets.load_spam()
    train_idx, test_idx = st.datasets.train_test_split(data.labels, test_fraction=0.2, seed=0)
    # Words, word pairs and the character 2- to 5-grams of each word, hashed into 4096 columns.
    vec = st.datasets.HashingVectorizer(n_features=4096, ngrams=2, char_ngrams=(2, 5))
    X = vec.transform(data.texts)  # float32 (4262, 4096): log(1 + count), rows of unit length
    y = data.labels  # 0 = ham, 1 = spam

    def loader(idx, shuffle):
        ds = st.data.TensorDataset(st.from_numpy(X[idx]), st.from_numpy(y[idx]))
        return st.data.DataLoader(ds, batch_size=64, shuffle=shuffle)

    train_loader, test_loader = loader(train_idx, True), loader(test_idx, False)

    # Model, optimizer, schedule: logistic regression = one linear layer + softmax cross-entropy.
    model = st.nn.Linear(4096, 2)
    opt = st.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.01)
    steps = epochs * len(train_loader)
    sched = st.optim.lr_scheduler.warmup_cosine(opt, warmup_steps=steps // 10, total_steps=steps, min_lr=5e-4)
    history = st.train.fit(model, opt, train_loader, loss_fn=st.nn.functional.cross_entropy, epochs=epochs,
                           val_data=test_loader, metrics={"accuracy": st.train.accuracy}, scheduler=sched)

    # Test metrics with spam as the positive class.
    model.eval()
    with st.no_grad():
        pred = model(st.from_numpy(X[test_idx])).argmax(dim=1).numpy()
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
            p = st.nn.functional.softmax(model(st.from_numpy(vec.transform([text]))), dim=1)[0].numpy()
        print(f"  {data.label_names[int(p.argmax())]:4s} {p.max():.3f}  {text}")
    history.plot(args.out)  # matplotlib when installed, else the built-in PNG writer
    print(f"plot: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
