"""What the torch-idiom scripts share with their test, and nothing torch-specific: the data
(numpy, from steepest's bundled files, read without importing steepest), the initial weights
(saved by the torch run as .npz, loaded by the steepest run) and the results (a JSON file).
run.py calls start() before each script."""
import gzip
import json
import os

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python", "steepest", "datasets", "data")
_run = {"out": None, "weights": None, "mode": "none", "synced": 0, "results": {}}


def start(out, weights, mode):
    _run.update(out=out, weights=weights, mode=mode, synced=0, results={})


def results():
    """What the current script has reported so far."""
    return _run["results"]


def digits(n=None):
    """The 8x8 digits: float32 pixels in [0, 1] (n, 64) and int64 labels (n,)."""
    with gzip.open(os.path.join(DATA, "digits.csv.gz"), "rt") as f:
        a = np.loadtxt(f, delimiter=",", dtype=np.float64, max_rows=n)
    return (a[:, :64] / 16.0).astype(np.float32), a[:, 64].astype(np.int64)


def text(n_chars):
    with gzip.open(os.path.join(DATA, "kjv_1mb.txt.gz"), "rt", encoding="utf-8") as f:
        return f.read(n_chars)


def sync_weights(model):
    """The torch run saves model's initial weights; the steepest run loads them (by name).
    Models are numbered in the order the script syncs them."""
    _run["synced"] += 1
    path = f"{_run['weights']}.{_run['synced']}.npz"
    if _run["mode"] == "export":
        np.savez(path, **{k: v.detach().cpu().numpy() for k, v in model.state_dict().items()})
    elif _run["mode"] == "import":
        import torch  # whichever library the runner bound

        with np.load(path) as z:
            model.load_state_dict({k: torch.from_numpy(z[k].copy()) for k in z.files})


def report(name, value):
    """Records a result (a number, a list of numbers or a string) for the test."""
    _run["results"][name] = value
    if _run["out"]:
        with open(_run["out"], "w") as f:
            json.dump(_run["results"], f)
