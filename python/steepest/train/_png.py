"""A small line-chart writer for when matplotlib is not installed: panels of curves with
axes, tick labels and a legend, drawn into an RGB array and encoded as PNG with zlib. It
keeps `steepest demo`'s loss curve on a bare install without a plotting dependency."""
from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

# 5x7 bitmap glyphs, rows top to bottom separated by '/', '#' = ink. Capitals are drawn as
# lower case.
_GLYPHS = {
    "0": ".###./#...#/#..##/#.#.#/##..#/#...#/.###.", "1": "..#../.##../..#../..#../..#../..#../.###.",
    "2": ".###./#...#/....#/...#./..#../.#.../#####", "3": "#####/...#./..#../...#./....#/#...#/.###.",
    "4": "...#./..##./.#.#./#..#./#####/...#./...#.", "5": "#####/#..../####./....#/....#/#...#/.###.",
    "6": "..##./.#.../#..../####./#...#/#...#/.###.", "7": "#####/....#/...#./..#../.#.../.#.../.#...",
    "8": ".###./#...#/#...#/.###./#...#/#...#/.###.", "9": ".###./#...#/#...#/.####/....#/...#./.##..",
    ".": "...../...../...../...../...../.##../.##..", "-": "...../...../...../#####/...../...../.....",
    "+": "...../..#../..#../#####/..#../..#../.....", "(": "...#./..#../.#.../.#.../.#.../..#../...#.",
    ")": ".#.../..#../...#./...#./...#./..#../.#...", ":": "...../.##../.##../...../.##../.##../.....",
    "_": "...../...../...../...../...../...../#####", "a": "...../...../.###./....#/.####/#...#/.####",
    "b": "#..../#..../#.##./##..#/#...#/#...#/####.", "c": "...../...../.###./#..../#..../#...#/.###.",
    "d": "....#/....#/.##.#/#..##/#...#/#...#/.####", "e": "...../...../.###./#...#/#####/#..../.###.",
    "f": "..##./.#..#/.#.../###../.#.../.#.../.#...", "g": "...../.####/#...#/#...#/.####/....#/.###.",
    "h": "#..../#..../#.##./##..#/#...#/#...#/#...#", "i": "..#../...../.##../..#../..#../..#../.###.",
    "j": "...#./...../..##./...#./...#./#..#./.##..", "k": "#..../#..../#..#./#.#../##.../#.#../#..#.",
    "l": ".##../..#../..#../..#../..#../..#../.###.", "m": "...../...../##.#./#.#.#/#.#.#/#...#/#...#",
    "n": "...../...../#.##./##..#/#...#/#...#/#...#", "o": "...../...../.###./#...#/#...#/#...#/.###.",
    "p": "...../...../####./#...#/####./#..../#....", "q": "...../...../.##.#/#..##/.####/....#/....#",
    "r": "...../...../#.##./##..#/#..../#..../#....", "s": "...../...../.###./#..../.###./....#/####.",
    "t": ".#.../.#.../###../.#.../.#.../.#..#/..##.", "u": "...../...../#...#/#...#/#...#/#..##/.##.#",
    "v": "...../...../#...#/#...#/#...#/.#.#./..#..", "w": "...../...../#...#/#...#/#.#.#/#.#.#/.#.#.",
    "x": "...../...../#...#/.#.#./..#../.#.#./#...#", "y": "...../...../#...#/#...#/.####/....#/.###.",
    "z": "...../...../#####/...#./..#../.#.../#####",
    " ": "/".join(["....."] * 7),
}
_W, _H = 5, 7

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _glyph(ch: str) -> np.ndarray[Any, Any]:
    rows = _GLYPHS.get(ch, _GLYPHS.get(ch.lower(), _GLYPHS[" "])).split("/")
    return np.array([[c == "#" for c in r] for r in rows], dtype=bool)


@dataclass
class Series:
    x: Sequence[float]
    y: Sequence[Optional[float]]
    label: str = ""
    markers: bool = False


@dataclass
class Panel:
    series: list[Series]
    xlabel: str = ""
    ylabel: str = ""
    logx: bool = False
    logy: bool = False
    vlines: list[float] = field(default_factory=list)


class Canvas:
    """An RGB image with the few drawing operations a chart needs."""

    def __init__(self, width: int, height: int) -> None:
        self.px = np.full((height, width, 3), 255, dtype=np.uint8)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: tuple[int, int, int]) -> None:
        h, w = self.px.shape[:2]
        self.px[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)] = color

    def blend(self, x: int, y: int, color: tuple[int, int, int], a: float) -> None:
        h, w = self.px.shape[:2]
        if 0 <= x < w and 0 <= y < h and a > 0:
            p = self.px[y, x].astype(np.float64)
            self.px[y, x] = np.round(p + (np.array(color) - p) * min(a, 1.0)).astype(np.uint8)

    def line(self, x0: float, y0: float, x1: float, y1: float, color: tuple[int, int, int], width: float = 1.5) -> None:
        """An anti-aliased segment: every pixel near it is inked by its distance to it."""
        lo_x, hi_x = int(math.floor(min(x0, x1) - width)), int(math.ceil(max(x0, x1) + width))
        lo_y, hi_y = int(math.floor(min(y0, y1) - width)), int(math.ceil(max(y0, y1) + width))
        dx, dy = x1 - x0, y1 - y0
        L2 = dx * dx + dy * dy
        for y in range(lo_y, hi_y + 1):
            for x in range(lo_x, hi_x + 1):
                t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((x - x0) * dx + (y - y0) * dy) / L2))
                d = math.hypot(x - (x0 + t * dx), y - (y0 + t * dy))
                self.blend(x, y, color, width / 2 + 0.5 - d)

    def text(self, x: int, y: int, s: str, color: tuple[int, int, int] = (0, 0, 0), vertical: bool = False) -> None:
        for i, ch in enumerate(s):
            g = _glyph(ch)
            if vertical:  # rotated a quarter turn counter-clockwise, read bottom to top
                g = np.rot90(g)
                oy, ox = y - (i + 1) * (_W + 1), x
            else:
                oy, ox = y, x + i * (_W + 1)
            for gy, gx in zip(*np.nonzero(g)):
                self.blend(ox + int(gx), oy + int(gy), color, 1.0)

    def png(self) -> bytes:
        h, w = self.px.shape[:2]
        raw = b"".join(b"\x00" + self.px[r].tobytes() for r in range(h))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e+")
    return f"{v:.4g}"


def _ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        return [10.0 ** k for k in range(math.floor(lo), math.ceil(hi) + 1) if lo <= k <= hi]
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / 4)) if span > 0 else 1.0
    for m in (1, 2, 5, 10):
        if span / (step * m) <= 6:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _draw_panel(c: Canvas, p: Panel, left: int, top: int, w: int, h: int) -> None:
    tx = (lambda v: math.log10(v)) if p.logx else (lambda v: v)
    ty = (lambda v: math.log10(v)) if p.logy else (lambda v: v)
    pts = [(tx(x), ty(y)) for s in p.series for x, y in zip(s.x, s.y)
           if y is not None and math.isfinite(y) and (not p.logx or x > 0) and (not p.logy or y > 0)]
    if not pts:
        pts = [(0.0, 0.0), (1.0, 1.0)]
    xs, ys = [q[0] for q in pts], [q[1] for q in pts]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
    xpad = (x_hi - x_lo) * 0.02
    x_lo, x_hi = x_lo - xpad, x_hi + xpad
    pad = (y_hi - y_lo) * 0.05 or 0.5
    y_lo, y_hi = y_lo - pad, y_hi + pad

    def X(v: float) -> float:
        return left + (v - x_lo) / (x_hi - x_lo) * (w - 1)

    def Y(v: float) -> float:
        return top + h - 1 - (v - y_lo) / (y_hi - y_lo) * (h - 1)

    grid, axis = (230, 230, 230), (60, 60, 60)
    for t in _ticks(x_lo, x_hi, p.logx):
        xx = int(round(X(t)))
        c.rect(xx, top, xx + 1, top + h, grid)
        label = _fmt(10 ** t if p.logx else t)
        c.text(xx - len(label) * 3, top + h + 5, label, axis)
    for t in _ticks(y_lo, y_hi, p.logy):
        yy = int(round(Y(t)))
        c.rect(left, yy, left + w, yy + 1, grid)
        label = _fmt(10 ** t if p.logy else t)
        c.text(left - 6 - len(label) * 6, yy - 3, label, axis)
    for v in p.vlines:
        if not p.logx or v > 0:
            xx = int(round(X(tx(v))))
            c.rect(xx, top, xx + 1, top + h, (230, 150, 150))
    c.rect(left, top + h, left + w, top + h + 1, axis)
    c.rect(left - 1, top, left, top + h + 1, axis)
    for k, s in enumerate(p.series):
        color = PALETTE[k % len(PALETTE)]
        prev = None
        for x, y in zip(s.x, s.y):
            ok = y is not None and math.isfinite(y) and (not p.logx or x > 0) and (not p.logy or y > 0)
            if not ok:
                prev = None
                continue
            assert y is not None
            cur = (X(tx(x)), Y(ty(y)))
            if prev is not None:
                c.line(prev[0], prev[1], cur[0], cur[1], color)
            if s.markers:
                c.rect(int(cur[0]) - 2, int(cur[1]) - 2, int(cur[0]) + 3, int(cur[1]) + 3, color)
            prev = cur
    c.text(left + w // 2 - len(p.xlabel) * 3, top + h + 17, p.xlabel, (0, 0, 0))
    c.text(12, top + h // 2 + len(p.ylabel) * 3, p.ylabel, (0, 0, 0), vertical=True)
    labelled = [(k, s.label) for k, s in enumerate(p.series) if s.label]
    if labelled:  # a boxed legend in the upper right corner, over the curves
        bw = max(len(label) for _, label in labelled) * 6 + 28
        bx, by = left + w - bw - 6, top + 4
        c.rect(bx - 1, by - 1, bx + bw + 1, by + len(labelled) * 11 + 5, (200, 200, 200))
        c.rect(bx, by, bx + bw, by + len(labelled) * 11 + 4, (255, 255, 255))
    for i, (k, label) in enumerate(labelled):
        ly = top + 7 + i * 11
        lx = left + w - 6 - bw + 6
        c.rect(lx, ly + 3, lx + 12, ly + 5, PALETTE[k % len(PALETTE)])
        c.text(lx + 16, ly, label, (0, 0, 0))


def line_chart(path: Any, panels: Sequence[Panel], width: int = 700, panel_height: int = 230) -> Any:
    """Draws the panels one above the other and writes the PNG to path; returns path."""
    left, right, top_pad, bottom = 80, 20, 14, 36
    h = len(panels) * (panel_height + top_pad + bottom)
    c = Canvas(width, h)
    for i, p in enumerate(panels):
        y0 = i * (panel_height + top_pad + bottom) + top_pad
        _draw_panel(c, p, left, y0, width - left - right, panel_height)
    with open(path, "wb") as f:
        f.write(c.png())
    return path
