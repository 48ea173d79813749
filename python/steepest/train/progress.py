"""The per-epoch progress bar of fit: tqdm when installed and enabled (tqdm itself turns the
bar off when stderr is not a terminal), else a no-op with the same methods."""


class _NoBar:
    disable = True

    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def progress_bar(enabled, total, desc):
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    # disable=None: tqdm shows the bar only on a TTY, so logs and tests stay quiet.
    return tqdm(total=total, desc=desc, unit="batch", disable=None, leave=True, dynamic_ncols=True)


def shown(bar):
    """Whether the bar is on screen (tqdm keeps disable=None for a live bar on a TTY)."""
    return not getattr(bar, "disable", True)


def write(text):
    """A line printed above any live bar (call only where a bar was shown: closing one hides it)."""
    from tqdm.auto import tqdm
    tqdm.write(text)
