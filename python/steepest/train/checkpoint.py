"""fit's checkpoints: everything a run needs to continue exactly where it stopped — model,
optimizer and scheduler state, the default RNG and the DataLoader generator's state (so the
next epoch shuffles and drops out identically), the epoch and step counters, the history and
the callbacks' state — in one st.save file, replaced atomically."""
import os

from .. import _core
from ..serialization import load, save

FORMAT = "steepest.train.checkpoint/1"


def loader_generator(data):
    """The st.Generator a DataLoader shuffles with (None: the default generator, or not a loader)."""
    gen = getattr(data, "generator", None)
    return gen if isinstance(gen, _core.Generator) else None


def save_checkpoint(path, *, model, optimizer, scheduler, train_data, epoch, step, history, callbacks):
    """Writes the training state after `epoch` completed epochs and `step` optimizer steps."""
    gen = loader_generator(train_data)
    obj = {
        "format": FORMAT,
        "epoch": epoch,
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": _core.get_rng_state(),
        "loader_rng": gen.get_state() if gen is not None else None,
        "history": history.state_dict(),
        "callbacks": {key: cb.state_dict() for key, cb in callbacks.items()},
    }
    try:
        save(obj, path)
    except TypeError as e:
        raise TypeError(f"fit: can't write checkpoint {os.fspath(path)!r}: {e} (a scheduler or callback state "
                        "must hold only tensors, numbers, strings, lists and dicts)") from None


# Each entry save_checkpoint writes, with the types it may hold (None: may be absent).
_ENTRIES = {"epoch": (int,), "step": (int,), "model": (dict,), "optimizer": (dict,), "scheduler": (dict, type(None)),
            "rng": (_core.Tensor,), "loader_rng": (_core.Tensor, type(None)), "history": (dict,),
            "callbacks": (dict,)}


def _check_entries(path, ck):
    """ValueError naming the file and the entry when a tagged checkpoint lacks an entry or holds
    the wrong kind of value there (a damaged or hand-edited file)."""
    for key, types in _ENTRIES.items():
        if key not in ck:
            raise ValueError(f"fit: checkpoint {os.fspath(path)!r} is damaged: it has no '{key}' entry")
        if not isinstance(ck[key], types) or isinstance(ck[key], bool):
            raise ValueError(f"fit: checkpoint {os.fspath(path)!r} is damaged: its '{key}' entry is a "
                             f"{type(ck[key]).__name__}, expected {' or '.join(t.__name__ for t in types)}")


def load_checkpoint(path, *, model, optimizer, scheduler, train_data, history, callbacks):
    """Restores what save_checkpoint wrote into the given objects; returns (epoch, step)."""
    ck = load(path)
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise ValueError(f"fit: {os.fspath(path)!r} is not a st.train checkpoint (no '{FORMAT}' format tag)")
    _check_entries(path, ck)
    try:
        return _restore(path, ck, model=model, optimizer=optimizer, scheduler=scheduler, train_data=train_data,
                        history=history, callbacks=callbacks)
    except (KeyError, IndexError, TypeError) as e:
        # A state inside (history, optimizer, a callback) lacks what its load_state_dict reads.
        raise ValueError(f"fit: checkpoint {os.fspath(path)!r} is damaged: a saved state does not fit "
                         f"({type(e).__name__}: {e})") from None


def _restore(path, ck, *, model, optimizer, scheduler, train_data, history, callbacks):
    if (ck["scheduler"] is None) != (scheduler is None):
        raise ValueError(f"fit: checkpoint {os.fspath(path)!r} was saved "
                         f"{'without' if ck['scheduler'] is None else 'with'} a scheduler, but this run has "
                         f"{'one' if scheduler is not None else 'none'}")
    gen = loader_generator(train_data)
    if (ck["loader_rng"] is None) != (gen is None):
        raise ValueError(f"fit: checkpoint {os.fspath(path)!r} was saved with a DataLoader "
                         f"{'without' if ck['loader_rng'] is None else 'with'} its own generator, but this "
                         f"train_data has {'one' if gen is not None else 'none'}")
    missing = sorted(set(callbacks) - set(ck["callbacks"]))
    if missing:
        raise ValueError(f"fit: checkpoint {os.fspath(path)!r} has no state for {', '.join(missing)}; resume "
                         "with the same early_stopping, grad_norms and callbacks as the saved run")
    model.load_state_dict(ck["model"])
    optimizer.load_state_dict(ck["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(ck["scheduler"])
    _core.set_rng_state(ck["rng"])
    if gen is not None:
        gen.set_state(ck["loader_rng"])
    history.load_state_dict(ck["history"])
    for key, cb in callbacks.items():
        cb.load_state_dict(ck["callbacks"][key])
    return int(ck["epoch"]), int(ck["step"])
