"""Data files that start with a UTF-8 byte-order mark (as Windows editors write them) read
like the same files without one: the mark is not part of the first label, pixel or character,
for plain and gzip files alike."""
import gzip

import numpy as np
import pytest

import steepest as st

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("gz", [False, True])
def test_spam_file_with_a_bom(tmp_path, gz):
    body = "ham\thello there\nspam\tWIN a prize now\n".encode("utf-8")
    p = tmp_path / ("s.tsv.gz" if gz else "s.tsv")
    p.write_bytes(gzip.compress(BOM + body) if gz else BOM + body)
    data = st.datasets.load_spam(p)
    assert list(data.labels) == [0, 1]
    assert data.texts[0] == "hello there"


def test_digits_file_with_a_bom(tmp_path):
    row = ",".join(["0"] * 64 + ["7"])
    p = tmp_path / "d.csv"
    p.write_bytes(BOM + (row + "\n").encode())
    X, y = st.datasets.load_digits(p)
    assert y.tolist() == [7] and X.shape == (1, 64) and np.all(X == 0)


def test_text_file_with_a_bom(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes(BOM + "In the beginning".encode())
    assert st.datasets.load_text(p) == "In the beginning"
