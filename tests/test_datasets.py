"""Tests of st.datasets: the bundled files and their loaders (counts from the data notes,
errors that name the line), the tokenizer, the CRC-32 feature hash against a bitwise CRC
written here and across processes with different hash seeds, the hashing vectorizer against a
numpy formula, the seeded stratified split, and character-LM windows."""
import gzip
import json
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as hs

import steepest as st
from steepest import datasets as D


def crc32_reference(data: bytes) -> int:
    """CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bit by bit."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


# ---------------------------------------------------------------------- hashing and tokens
def test_stable_hash_known_value():
    # The textbook check value of CRC-32 and a classic pangram's published CRC.
    assert D.stable_hash("123456789") == 0xCBF43926
    assert D.stable_hash("The quick brown fox jumps over the lazy dog") == 0x414FA339


@settings(max_examples=200, deadline=None)
@given(hs.text(max_size=40))
def test_stable_hash_matches_bitwise_crc32(s):
    assert D.stable_hash(s) == crc32_reference(s.encode("utf-8"))


def test_features_identical_across_processes():
    # Python's hash() of a str changes with PYTHONHASHSEED; the feature columns must not.
    texts = ["Free entry: call 08002888812 now!", "see you at lunch, don't be late", "£1000 WINNER"]
    code = ("import sys, json; from steepest.datasets import HashingVectorizer as H; "
            "print(json.dumps([H(1 << 20).indices(t) for t in json.loads(sys.argv[1])]))")
    outs = []
    for seed in ("1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        if env.get("PYTHONPATH"):  # absolute, so the child imports the same steepest from any cwd
            env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(q) for q in env["PYTHONPATH"].split(os.pathsep))
        r = subprocess.run([sys.executable, "-c", code, json.dumps(texts)], capture_output=True, text=True,
                           env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        outs.append(json.loads(r.stdout))
    expected = [[crc32_reference(t.encode("utf-8")) % (1 << 20) for t in D.tokenize(text)] for text in texts]
    assert outs[0] == outs[1] == expected


def test_tokenize_words_bigrams_and_numbers():
    assert D.tokenize("Call NOW, free!") == ["call", "now", "free", "call now", "now free"]
    assert D.tokenize("don't  STOP") == ["don't", "stop", "don't stop"]
    # currency signs are tokens; 5+ digit runs also give <num>
    assert D.tokenize("win £100 call 09061701461") == [
        "win", "£", "100", "call", "09061701461", "<num>", "win £", "£ 100", "100 call", "call 09061701461"]
    assert D.tokenize("one two", ngrams=1) == ["one", "two"]
    assert D.tokenize("") == []
    with pytest.raises(ValueError, match="ngrams"):
        D.tokenize("x", ngrams=0)


@pytest.mark.parametrize("weighting", ["log", "tf", "count"])
@pytest.mark.parametrize("normalize", [True, False])
def test_vectorizer_against_numpy_formula(weighting, normalize):
    texts = ["spam spam eggs", "", "Eggs and SPAM and spam", "x"]
    n = 7  # small on purpose: collisions must add up
    got = D.HashingVectorizer(n, ngrams=2, weighting=weighting, normalize=normalize).transform(texts)
    want = np.zeros((len(texts), n))
    for i, t in enumerate(texts):
        toks = D.tokenize(t, 2)
        for tok in toks:
            want[i, zlib.crc32(tok.encode()) % n] += 1
        if weighting == "log":
            want[i] = np.log1p(want[i])
        elif weighting == "tf" and toks:
            want[i] /= len(toks)
        if normalize and want[i].any():
            want[i] /= np.linalg.norm(want[i])
    assert got.dtype == np.float32 and got.shape == (4, n)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_vectorizer_config_roundtrip_and_errors():
    v = D.HashingVectorizer(123, ngrams=1, weighting="tf", normalize=False)
    w = D.HashingVectorizer.from_config(v.config())
    assert (w.n_features, w.ngrams, w.weighting, w.normalize) == (123, 1, "tf", False)
    with pytest.raises(ValueError, match="n_features"):
        D.HashingVectorizer(0)
    with pytest.raises(ValueError, match="weighting"):
        D.HashingVectorizer(8, weighting="tfidf")
    with pytest.raises(ValueError, match="unsupported"):
        D.HashingVectorizer.from_config({"kind": "vocab"})


# ------------------------------------------------------------------------------ spam files
def test_bundled_spam_matches_data_notes():
    d = D.load_spam()
    assert len(d) == 4262 and d.counts() == {"ham": 3689, "spam": 573}
    assert d.label_names == ("ham", "spam")
    readme = open(os.path.join(os.path.dirname(D.bundled("sms_spam.tsv.gz")), "README.md")).read()
    assert "CC BY 4.0" in readme and "Almeida" in readme


def test_load_spam_plain_and_gzip(tmp_path):
    body = "ham\thello there\n\nSPAM\tWin a prize\tnow\nham\tok\n"
    (tmp_path / "a.tsv").write_text(body, encoding="utf-8")
    with gzip.open(tmp_path / "a.tsv.gz", "wt", encoding="utf-8") as f:
        f.write(body)
    for name in ("a.tsv", "a.tsv.gz"):
        d = D.load_spam(tmp_path / name)
        assert d.texts == ["hello there", "Win a prize\tnow", "ok"]  # only the first tab splits
        assert d.labels.tolist() == [0, 1, 0]


@pytest.mark.parametrize("body, match", [
    ("ham\tfine\nspam no tab here\n", r"line 2: expected 'label<TAB>text'"),
    ("ham\tfine\nham\tok\neggs\tbad label\n", r"line 3: unknown label 'eggs'; expected one of ham, spam"),
    ("ham\t   \n", r"line 1: the text after the label is empty"),
    ("", r"is empty"),
    ("\n  \n", r"is empty"),
])
def test_load_spam_errors_name_the_line(tmp_path, body, match):
    p = tmp_path / "d.tsv"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(D.DataError, match=match):
        D.load_spam(p)


def test_load_spam_missing_and_not_utf8(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        D.load_spam(tmp_path / "nope.tsv")
    p = tmp_path / "latin1.tsv"
    p.write_bytes(b"ham\tok\nspam\tcaf\xe9\n")
    with pytest.raises(D.DataError, match="line 2: not UTF-8"):
        D.load_spam(p)
    with pytest.raises(D.DataError, match="directory"):
        D.load_spam(tmp_path)


# ---------------------------------------------------------------------------------- digits
def test_bundled_digits():
    X, y = D.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    # the first image, read straight from the file
    with gzip.open(D.bundled("digits.csv.gz"), "rt") as f:
        first = [float(v) for v in f.readline().split(",")]
    np.testing.assert_array_equal(X[0], np.float32(np.asarray(first[:64]) / 16))
    assert y[0] == first[64]


@pytest.mark.parametrize("line, match", [
    (",".join(["0"] * 64), "line 2: expected 65 comma-separated values"),
    (",".join(["0"] * 63 + ["x", "1"]), "line 2: 'x' is not a number"),
    (",".join(["0"] * 64 + ["10"]), "line 2: label '10' is not an integer 0-9"),
])
def test_load_digits_errors(tmp_path, line, match):
    p = tmp_path / "d.csv"
    p.write_text(",".join(["1"] * 64 + ["3"]) + "\n" + line + "\n")
    with pytest.raises(D.DataError, match=match):
        D.load_digits(p)


# ----------------------------------------------------------------------------------- split
@settings(max_examples=30, deadline=None)
@given(hs.lists(hs.integers(0, 3), min_size=2, max_size=300), hs.integers(0, 2**31), hs.floats(0.05, 0.95))
def test_split_partitions_and_stratifies(labels, seed, frac):
    y = np.asarray(labels)
    tr, te = D.train_test_split(y, frac, seed=seed)
    assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(len(y)))  # a partition
    for c in np.unique(y):
        n = int((y == c).sum())
        k = int((y[te] == c).sum())
        if n >= 2:  # every class with two samples sits on both sides, in proportion
            assert 1 <= k <= n - 1 and abs(k - frac * n) <= 1.0
        else:
            assert k == 0
    tr2, te2 = D.train_test_split(y, frac, seed=seed)
    assert np.array_equal(te, te2) and np.array_equal(tr, tr2)


def test_split_seed_changes_split():
    y = np.repeat([0, 1], 100)
    assert not np.array_equal(D.train_test_split(y, 0.2, 0)[1], D.train_test_split(y, 0.2, 1)[1])
    with pytest.raises(ValueError, match="test_fraction"):
        D.train_test_split(y, 1.0)


# ------------------------------------------------------------------------------------ text
def test_char_corpus_windows():
    text = D.load_text(max_chars=5000)
    assert text.startswith("In the beginning God created the heaven and the earth.")
    c = D.CharCorpus(text, val_fraction=0.1)
    assert c.decode(c.encode(text)) == text and c.chars == sorted(set(text))
    assert len(c.train) == 4500 and len(c.val) == 500
    x, y = c.batch("train", 8, 16, np.random.default_rng(0))
    assert x.shape == y.shape == (8, 16)
    for row_x, row_y in zip(x, y):
        s = c.decode(row_x)
        start = text.find(s)
        assert start >= 0 and c.decode(row_y) == text[start + 1:start + 17]
    with pytest.raises(D.DataError, match="not in the vocabulary"):
        c.encode("\u2603")
    with pytest.raises(D.DataError, match="fewer than block_size"):
        c.batch("val", 1, 600, np.random.default_rng(0))


def test_load_text_errors(tmp_path):
    (tmp_path / "e.txt").write_text("")
    with pytest.raises(D.DataError, match="empty"):
        D.load_text(tmp_path / "e.txt")
    with pytest.raises(FileNotFoundError):
        D.load_text(tmp_path / "none.txt")


def test_datasets_is_reachable_from_st():
    assert st.datasets is D
