"""UsageError: a bad command-line value (an unknown optimizer, a negative epoch count) that
the CLI reports as one line on stderr with exit status 2, like argparse's own errors."""


class UsageError(ValueError):
    pass
