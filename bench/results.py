"""Shared by the bench programs: the machine's description and updating one section of
bench/RESULTS.md in place (other sections are kept)."""
import datetime
import os
import platform
import subprocess

import numpy as np


def machine():
    import steepest as st
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        name = next(l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name"))
    except Exception:  # noqa: BLE001  (no lscpu: fall back to what Python knows)
        name = platform.processor() or platform.machine()
    return f"{name}, {os.cpu_count()} logical CPUs, steepest ISA {st.current_isa()}"


def write_section(title, cmd, table, notes=""):
    """Replaces (or appends) the section "## title" of bench/RESULTS.md."""
    try:
        import torch
        peer = f", torch {torch.__version__}"
    except ImportError:
        peer = ""
    section = (f"## {title}\n\n`{cmd}` on {machine()}, {datetime.date.today()}{peer}, numpy {np.__version__}.\n\n"
               f"{table}\n" + (f"\n{notes}\n" if notes else ""))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
    old = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    start = old.find(f"## {title}\n")
    if start < 0:
        new = old.rstrip() + "\n\n" + section
    else:
        end = old.find("\n## ", start + 1)
        new = old[:start] + section + (old[end + 1:] if end >= 0 else "")
    with open(path, "w") as f:
        f.write(new)
    print(f"wrote {path}")
