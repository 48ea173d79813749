"""st.datasets.TfidfVectorizer against scikit-learn's TfidfVectorizer (a test-only reference):
word 1-2-grams beside character 2-5-grams within words, sublinear tf, smooth idf, each block
L2-normalised: the same vocabulary and the same values to float32 rounding, on the bundled
SMS data and on generated texts; and the config round trip that checkpoints rely on."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st

sklearn = pytest.importorskip("sklearn")
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.pipeline import make_union  # noqa: E402


def reference(train, test, ngrams=(1, 2), char_ngrams=(2, 5)):
    ref = make_union(TfidfVectorizer(ngram_range=ngrams, sublinear_tf=True),
                     TfidfVectorizer(analyzer="char_wb", ngram_range=char_ngrams, sublinear_tf=True))
    a, b = ref.fit_transform(train), ref.transform(test)
    return [n.split("__", 1)[1] for n in ref.get_feature_names_out()], a.tocsr(), b.tocsr()


def ours(train, test, **kw):
    vec = st.datasets.TfidfVectorizer(**kw)
    a = vec.fit_transform(train)
    vocab = [t for blk in vec.config()["blocks"] for t in blk["vocabulary"]]
    return vec, vocab, a, vec.transform(test)


def assert_close(rows, ref, atol):
    """SparseRows against a scipy CSR matrix, without densifying 100k columns."""
    import scipy.sparse as sp
    mine = sp.csr_matrix((rows.values.astype(np.float64), rows.indices, rows.indptr), shape=rows.shape)
    assert mine.shape == ref.shape
    diff = abs(mine - ref)
    assert diff.nnz == 0 or diff.max() <= atol


def test_bundled_spam_matches_sklearn():
    d = st.datasets.load_spam()
    tr, te = st.datasets.train_test_split(d.labels, 0.2, seed=0)
    train, test = [d.texts[i] for i in tr], [d.texts[i] for i in te]
    names, ra, rb = reference(train, test)
    _, vocab, a, b = ours(train, test)
    assert vocab == names
    assert len(vocab) > 90_000
    assert_close(a, ra, 2e-7)
    assert_close(b, rb, 2e-7)


words = hs.sampled_from(["free", "Free", "prize", "call", "me", "a", "£100", "u", "win!!", "lunch", "café", "x1",
                         "don't", "www.win.com", "2", "OK", "ok"])
text = hs.lists(words, min_size=1, max_size=12).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(train=hs.lists(text, min_size=1, max_size=8), test=hs.lists(text, min_size=1, max_size=4),
       lo=hs.integers(1, 3), span=hs.integers(0, 3), whi=hs.integers(1, 3))
def test_generated_texts_match_sklearn(train, test, lo, span, whi):
    try:
        names, ra, rb = reference(train, test, ngrams=(1, whi), char_ngrams=(lo, lo + span))
    except ValueError:  # sklearn: no word of 2+ characters in any text (empty vocabulary)
        return
    _, vocab, a, b = ours(train, test, ngrams=(1, whi), char_ngrams=(lo, lo + span))
    assert vocab == names
    assert_close(a, ra, 3e-7)
    assert_close(b, rb, 3e-7)


def test_rows_hold_two_unit_blocks_and_unknown_terms_are_ignored():
    vec = st.datasets.TfidfVectorizer().fit(["free prize now", "lunch at noon"])
    x = vec.transform(["free lunch", "zzz qqq", ""]).to_dense()
    n_words = len(vec.config()["blocks"][0]["vocabulary"])
    assert np.allclose(np.linalg.norm(x[0, :n_words]), 1) and np.allclose(np.linalg.norm(x[0, n_words:]), 1)
    assert not x[1, :n_words].any() and not x[2].any()  # no known word; an empty text is all zeros


def test_config_round_trips_through_json():
    train = ["WIN a free prize now", "see you at lunch", "call me later"]
    vec = st.datasets.TfidfVectorizer().fit(train)
    again = st.datasets.TfidfVectorizer.from_config(json.loads(json.dumps(vec.config())))
    new = ["free lunch prize", "unseen words only"]
    a, b = vec.transform(new), again.transform(new)
    assert np.array_equal(a.indices, b.indices) and np.array_equal(a.values, b.values)


def test_max_features_keeps_the_terms_in_most_texts():
    train = ["aa bb", "aa cc", "bb dd aa"]
    vec = st.datasets.TfidfVectorizer(char_ngrams=None, max_features=2).fit(train)
    assert vec.config()["blocks"][0]["vocabulary"] == ["aa", "bb"]  # df 3 and 2; "cc", "dd" and bigrams df 1
    assert vec.n_features == 2


@pytest.mark.parametrize("kw, match", [
    ({"ngrams": (2, 1)}, "ngrams"), ({"char_ngrams": (0, 3)}, "char_ngrams"), ({"max_features": 0}, "max_features"),
])
def test_bad_settings_name_the_argument(kw, match):
    with pytest.raises(ValueError, match=match):
        st.datasets.TfidfVectorizer(**kw)


def test_misuse_is_a_clear_error():
    vec = st.datasets.TfidfVectorizer()
    with pytest.raises(RuntimeError, match="fit"):
        vec.transform(["hello"])
    with pytest.raises(ValueError, match="no texts"):
        vec.fit([])
    with pytest.raises(TypeError, match="item 1 is int"):
        vec.fit(["hello", 3])
    with pytest.raises(ValueError, match="not a TF-IDF"):
        st.datasets.TfidfVectorizer.from_config({"kind": "hashing"})
