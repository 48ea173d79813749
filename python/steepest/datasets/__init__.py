"""st.datasets: the small real data sets bundled with steepest (SMS spam, handwritten digits,
a King James Bible excerpt; credits in data/README.md), their loaders, hashed and TF-IDF
text features (TF-IDF as sparse rows), a seeded stratified split and character-LM batches.
Used by the CLI and examples."""
from ._files import DataError, bundled  # noqa: F401
from .charlm import CharCorpus, load_text  # noqa: F401
from .digits import load_digits  # noqa: F401
from .spam import SPAM_LABELS, TextLabels, load_spam  # noqa: F401
from .sparse import SparseBatches, SparseRows  # noqa: F401
from .split import train_test_split  # noqa: F401
from .text import HashingVectorizer, stable_hash, tokenize  # noqa: F401
from .tfidf import TfidfVectorizer  # noqa: F401

__all__ = ["DataError", "bundled", "HashingVectorizer", "stable_hash", "tokenize", "SPAM_LABELS", "TextLabels",
           "load_spam", "train_test_split", "TfidfVectorizer", "SparseRows", "SparseBatches", "load_digits",
           "CharCorpus", "load_text"]
