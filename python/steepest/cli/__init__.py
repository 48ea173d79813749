"""steepest.cli: the `steepest` console script (demo, train, predict, lr-find). main(argv)
runs one command line and returns its exit status."""
from .main import build_parser, main  # noqa: F401

