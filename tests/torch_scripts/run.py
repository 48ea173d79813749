"""Runs scripts of this folder with `torch` bound to real torch or to steepest, one after the
other in this process (one import of the library for all of them):

    python run.py torch|steepest OUT_DIR export|import SCRIPT [SCRIPT ...]

With steepest, `import torch`, `import torch.nn as nn`, `import torch.nn.functional as F`,
`torch.optim...` and `torch.utils.data` resolve to steepest's modules (sys.modules aliases),
so a script's text is the same for both. Scripts talk to the test only through _harness:
OUT_DIR/<lib>/<script>.json gets what they report (and the traceback if one fails), and their
initial weights go through OUT_DIR/<script>.<n>.npz (written by export, read by import)."""
import json
import os
import runpy
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def bind_torch_to_steepest() -> None:
    import steepest

    sys.modules.update({
        "torch": steepest,
        "torch.nn": steepest.nn,
        "torch.nn.functional": steepest.nn.functional,
        "torch.nn.init": steepest.nn.init,
        "torch.nn.utils": steepest.nn.utils,
        "torch.optim": steepest.optim,
        "torch.optim.optimizer": steepest.optim.optimizer,
        "torch.optim.lr_scheduler": steepest.optim.lr_scheduler,
        "torch.optim.swa_utils": steepest.optim.swa_utils,
        "torch.utils": steepest.utils,
        "torch.utils.data": steepest.utils.data,
    })


def main() -> None:
    lib, out_dir, mode, scripts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    if lib not in ("torch", "steepest") or mode not in ("export", "import"):
        raise SystemExit("usage: run.py torch|steepest OUT_DIR export|import SCRIPT [SCRIPT ...]")
    if lib == "steepest":
        bind_torch_to_steepest()
    sys.path.insert(0, HERE)
    import _harness

    os.makedirs(os.path.join(out_dir, lib), exist_ok=True)
    for script in scripts:
        name = os.path.basename(script)
        out = os.path.join(out_dir, lib, name + ".json")
        _harness.start(out, os.path.join(out_dir, name), mode)
        sys.argv = [script]
        try:
            runpy.run_path(os.path.join(HERE, script), run_name="__main__")
        except BaseException:  # reported beside what the script reported before it failed; the others still run
            results = dict(_harness.results())
            results["__error__"] = traceback.format_exc()
            with open(out, "w") as f:
                json.dump(results, f)


if __name__ == "__main__":
    main()
