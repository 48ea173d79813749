"""HashingVectorizer's character n-grams: the grams of each padded word, the two blocks
weighted and normalized apart (checked against a float64 numpy formula written here), the
checkpoint config round trip (old configs without char_ngrams still load), and bad arguments."""
import zlib

import numpy as np
import pytest

from steepest import datasets as D
from steepest.datasets.text import char_ngrams, tokenize


def test_char_ngrams_of_padded_words():
    assert char_ngrams("Hi!", 2, 3) == [" h", "hi", "i!", "! ", " hi", "hi!", "i! "]
    assert char_ngrams("a  B", 1, 2) == [" ", "a", " ", " a", "a ", " ", "b", " ", " b", "b "]
    assert char_ngrams("", 2, 5) == []
    with pytest.raises(ValueError, match="lo <= hi"):
        char_ngrams("x", 3, 2)


def reference(texts, n, lo, hi):
    """log(1 + count) per block, each row-normalized, summed, normalized again (float64)."""
    def block(tokens_of):
        X = np.zeros((len(texts), n))
        for r, t in enumerate(texts):
            for tok in tokens_of(t):
                X[r, (zlib.crc32(tok.encode("utf-8")) & 0xFFFFFFFF) % n] += 1
        X = np.log1p(X)
        norm = np.linalg.norm(X, axis=1, keepdims=True)
        return np.divide(X, norm, out=np.zeros_like(X), where=norm > 0)
    X = block(lambda t: tokenize(t, 2)) + block(lambda t: ["\x01" + g for g in char_ngrams(t, lo, hi)])
    norm = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, norm, out=np.zeros_like(X), where=norm > 0)


@pytest.mark.parametrize("n", [7, 64, 4096])
def test_transform_matches_formula(n):
    texts = ["WINNER!! Claim your £1000 prize: call 09061701461", "ok see u at 5", "", "Hi hi hi", "www.x.com"]
    got = D.HashingVectorizer(n, ngrams=2, char_ngrams=(2, 4)).transform(texts)
    assert got.dtype == np.float32 and got.shape == (5, n)
    np.testing.assert_allclose(got, reference(texts, n, 2, 4), rtol=1e-5, atol=1e-6)


def test_config_round_trip_and_old_configs():
    v = D.HashingVectorizer(256, ngrams=2, char_ngrams=(2, 5))
    w = D.HashingVectorizer.from_config(v.config())
    assert w.char_ngrams == (2, 5)
    texts = ["free entry in 2 a wkly comp", "see you"]
    np.testing.assert_array_equal(v.transform(texts), w.transform(texts))
    old = D.HashingVectorizer(256).config()
    del old["char_ngrams"]  # a checkpoint written before character n-grams existed
    u = D.HashingVectorizer.from_config(old)
    assert u.char_ngrams is None
    np.testing.assert_array_equal(u.transform(texts), D.HashingVectorizer(256).transform(texts))


@pytest.mark.parametrize("bad", [(0, 3), (3, 2), (2,), (2.0, 3), "25", (True, 3)])
def test_bad_char_ngrams(bad):
    with pytest.raises((ValueError, TypeError), match="char_ngrams"):
        D.HashingVectorizer(16, char_ngrams=bad)
