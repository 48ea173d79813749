"""The built-in PNG writer: `steepest demo` leaves a valid, drawn loss-curve PNG in a Python
where matplotlib cannot be imported (blocked in a subprocess), and the lr_find and
gradient-norm plots fall back to it too. Each PNG is parsed here: signature, chunk CRCs,
IHDR, and the decompressed scanlines."""
import os
import struct
import subprocess
import sys
import zlib

import numpy as np

import steepest as st

PNG = b"\x89PNG\r\n\x1a\n"
# Makes `import matplotlib` fail in the child, as on a machine without it.
BLOCK = "import sys; sys.modules['matplotlib'] = None; sys.modules['matplotlib.figure'] = None\n"


def read_png(path):
    """(h, w, 3) uint8 pixels of an 8-bit RGB PNG with filter-0 scanlines; asserts it is well formed."""
    data = open(path, "rb").read()
    assert data[:8] == PNG
    pos, chunks = 8, []
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks.append((kind, body))
        pos += 12 + n
    assert pos == len(data)
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    w, h, depth, color, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color, comp, filt, interlace) == (8, 2, 0, 0, 0)
    raw = np.frombuffer(zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT")), np.uint8)
    rows = raw.reshape(h, 1 + 3 * w)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(h, w, 3)


def child_env():
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    return env


def test_demo_draws_png_without_matplotlib(tmp_path):
    code = BLOCK + ("from steepest.cli import main\n"
                    f"sys.exit(main(['demo', '--quick', '--out', {str(tmp_path)!r}]))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    path = tmp_path / "loss_curve.png"
    assert f"loss curve: {path}" in r.stdout
    px = read_png(path)
    h, w, _ = px.shape
    assert w == 700 and h > 500  # loss, learning-rate and accuracy panels
    ink = (px != 255).any(axis=2)
    assert 0.02 < ink.mean() < 0.5  # axes, grid, labels and curves, on a mostly white page
    # the curves' palette colours (blue train loss, orange per-epoch, green validation) are there
    for rgb in ((31, 119, 180), (255, 127, 14), (44, 160, 44)):
        assert (np.abs(px.astype(int) - rgb).sum(axis=2) < 30).sum() > 50, rgb


def test_lr_find_and_grad_norms_fall_back(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    hist = st.train.History()
    for s in range(1, 31):
        hist.records.append({"type": "step", "step": s, "loss": 1.0 / s, "lr": 0.01,
                             "grad_norms": {"w": 10.0 ** (-s / 10), "b": 0.5}})
    px = read_png(st.train.plot_grad_norms(hist, tmp_path / "g.png"))
    assert (px != 255).any(axis=2).mean() > 0.01
    res = st.train.lr_finder.LRFinderResult([1e-4 * 1.3 ** i for i in range(30)], [2.0 - 0.01 * i for i in range(30)],
                                            [2.0 - 0.01 * i for i in range(30)], 1e-3, False)
    px = read_png(res.plot(tmp_path / "lr.png"))
    assert (px != 255).any(axis=2).mean() > 0.01
