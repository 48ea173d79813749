"""The spam demo against a tuned scikit-learn linear model on the same split: TF-IDF of word
1-2-grams and character 2-5-grams within words (sublinear tf, each block L2-normalized, the
vectorizer fitted on the training part only), a LinearSVC with C chosen by 5-fold stratified
cross-validation on the training part, scored on the demo's held-out fifth. Both F1s are
printed (pytest -s). scikit-learn is a test-only reference."""
import json
import os
import subprocess
import sys
import warnings

import pytest

import steepest as st

sklearn = pytest.importorskip("sklearn")
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_union  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402


def child_env():
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    return env


def sklearn_f1():
    full = st.datasets.load_spam()
    tr, te = st.datasets.train_test_split(full.labels, 0.2, seed=0)  # the demo's split
    texts_tr, texts_te = [full.texts[i] for i in tr], [full.texts[i] for i in te]
    vec = make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                     TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True))
    A, B = vec.fit_transform(texts_tr), vec.transform(texts_te)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # liblinear's convergence notes at large C
        search = GridSearchCV(LinearSVC(), {"C": [0.3, 1.0, 3.0, 10.0]}, scoring="f1",
                              cv=StratifiedKFold(5, shuffle=True, random_state=0)).fit(A, full.labels[tr])
    return f1_score(full.labels[te], search.predict(B)), search.best_params_["C"], len(te)


def test_demo_f1_against_tuned_linear_svc(tmp_path):
    """The demo's held-out F1 is at least the tuned LinearSVC's, and predict agrees with it."""
    r = subprocess.run([sys.executable, "-m", "steepest.cli", "demo", "--out", str(tmp_path), "--metrics-out",
                        str(tmp_path / "m.json")], capture_output=True, text=True, env=child_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "m.json").read_text())
    ours = doc["f1"]
    ref, C, n_test = sklearn_f1()
    assert doc["n_test"] == n_test
    # predict's path (the checkpoint's vocabulary, idf and weights) gives the demo's predictions
    from steepest.cli import spam
    model, vec, _ = spam.load_classifier(tmp_path / spam.CHECKPOINT_NAME)
    full = st.datasets.load_spam()
    te = st.datasets.train_test_split(full.labels, 0.2, seed=0)[1]
    pred = (spam.predict_scores(model, vec.transform([full.texts[i] for i in te])) > 0).astype(int)
    assert abs(f1_score(full.labels[te], pred) - ours) < 1e-12
    print(f"\nheld-out F1 on {n_test} messages: steepest demo {ours:.4f}, "
          f"scikit-learn TF-IDF word+char LinearSVC (C={C} by 5-fold CV) {ref:.4f}")
    # Measured at seed 0: both 0.9823 (precision 1.0, 4 of 115 spam missed): the demo solves
    # the same L2-SVM on the same TF-IDF features, by full-batch momentum SGD. No tolerance:
    # its sums are gathers and scatter-adds in a fixed order (no BLAS), so other CPUs round alike.
    assert ours >= ref
