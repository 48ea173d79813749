"""Walking downhill in the fog: optimizers on 2-D landscapes.

An optimizer only feels the slope under its feet (the gradient) and picks its next step from
it. This script lets SGD, momentum, Nesterov, Adam, Lion, sign descent and an orthogonalized
(normalized) step walk on three classic surfaces and draws their paths over contour lines:

  Rosenbrock  a long curved valley: plain SGD crawls along the floor, momentum builds speed
  saddle      x^2 + y^4/4 - y^2/2 starts almost on a saddle point; the gradient there is tiny,
              so SGD lingers while sign-based and normalized steps leave at full stride
  Beale       flat plateaus and steep walls: adaptive steps (Adam) cope with both

    python examples/optimizer_landscapes.py [--steps N] [--quick] [--out landscapes.png]

The gradients come from steepest's autograd; the five library optimizers are st.optim's.
Sign descent (p -= lr * sign(g)) and the orthogonalized step (p -= lr * g / |g|: for a
1 x 2 parameter, Muon's orthogonalization of the update is exactly this normalization) are
written here in a few lines.
"""
import argparse
import math

import numpy as np

import steepest as st


# ---- the landscapes: f(x, y) on steepest tensors (for gradients) and numpy (for contours) ----
def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def saddle(x, y):
    return x * x + y ** 4 / 4 - y * y / 2


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


# name, function, start, minimum, plot box, learning rate per optimizer. Each rate is the best,
# or one step below the best, of a grid 1e-4, 2e-4, 5e-4, ..., 0.5 over 1000 steps: the
# comparison is between tuned walkers, as it should be, not between lucky guesses.
LANDSCAPES = [
    ("Rosenbrock", rosenbrock, (-1.5, 2.0), (1.0, 1.0), (-2.0, 2.0, -1.0, 3.0),
     {"SGD": 1e-3, "momentum": 1e-3, "Nesterov": 1e-3, "Adam": 0.1, "Lion": 0.01, "sign": 2e-3,
      "orthogonalized": 0.01}),
    ("saddle point", saddle, (1.5, 1e-4), (0.0, 1.0), (-2.0, 2.0, -1.6, 1.6),
     {"SGD": 0.05, "momentum": 0.01, "Nesterov": 0.01, "Adam": 0.05, "Lion": 0.01, "sign": 0.01,
      "orthogonalized": 0.02}),
    ("Beale", beale, (1.0, 1.5), (3.0, 0.5), (-1.0, 4.0, -1.5, 2.0),
     {"SGD": 0.01, "momentum": 2e-3, "Nesterov": 2e-3, "Adam": 0.1, "Lion": 0.01, "sign": 5e-3,
      "orthogonalized": 5e-3}),
]

COLORS = {"SGD": "tab:blue", "momentum": "tab:orange", "Nesterov": "tab:green", "Adam": "tab:red",
          "Lion": "tab:purple", "sign": "tab:brown", "orthogonalized": "tab:pink"}


class ManualStep:
    """A hand-written update on one parameter: sign descent or the normalized step."""

    def __init__(self, param, lr, kind):
        self.p, self.lr, self.kind = param, lr, kind

    def zero_grad(self):
        self.p.grad = None

    def step(self):
        g = self.p.grad
        with st.no_grad():
            if self.kind == "sign":
                self.p -= self.lr * g.sign()
            else:
                self.p -= self.lr * g / ((g * g).sum().sqrt() + 1e-12)


def make_optimizer(name, p, lr):
    if name == "SGD":
        return st.optim.SGD([p], lr=lr)
    if name == "momentum":
        return st.optim.SGD([p], lr=lr, momentum=0.9)
    if name == "Nesterov":
        return st.optim.SGD([p], lr=lr, momentum=0.9, nesterov=True)
    if name == "Adam":
        return st.optim.Adam([p], lr=lr)
    if name == "Lion":
        return st.optim.Lion([p], lr=lr)
    return ManualStep(p, lr, name)


def walk(f, start, name, lr, steps):
    """The path (steps + 1, 2) of one optimizer from start, and the loss at its end."""
    p = st.tensor(list(start), dtype=st.float64, requires_grad=True)
    opt = make_optimizer(name, p, lr)
    path = [list(start)]
    for _ in range(steps):
        opt.zero_grad()
        loss = f(p[0], p[1])
        loss.backward()
        opt.step()
        xy = p.detach().numpy().tolist()
        path.append(xy)
        if not all(math.isfinite(v) and abs(v) < 1e6 for v in xy):  # diverged: stop drawing it
            break
    path = np.asarray(path)
    return path, float(f(*path[-1]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000, help="steps per optimizer (default: 1000)")
    ap.add_argument("--quick", action="store_true", help="200 steps (for CI)")
    ap.add_argument("--out", default="optimizer_landscapes.png", help="the PNG to write")
    args = ap.parse_args(argv)
    steps = min(args.steps, 200) if args.quick else args.steps

    results = []
    for title, f, start, best, box, lrs in LANDSCAPES:
        print(f"{title}: start {start}, minimum at {best}, {steps} steps")
        paths = {}
        for name, lr in lrs.items():
            path, final = walk(f, start, name, lr, steps)
            dist = float(np.hypot(*(path[-1] - np.asarray(best))))
            print(f"  {name:15s} lr {lr:<7g} final f {final:10.4g}   distance to the minimum {dist:.3g}")
            paths[name] = path
        results.append((title, f, start, best, box, paths))

    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("no plot: matplotlib is not installed (pip install 'steepest[plot]')")
        return 0
    fig = Figure(figsize=(6 * len(results), 5.5))
    for i, (title, f, start, best, box, paths) in enumerate(results):
        ax = fig.add_subplot(1, len(results), i + 1)
        x0, x1, y0, y1 = box
        X, Y = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
        Z = f(X, Y)
        # Log-spaced levels show both the valley floor and the walls.
        levels = Z.min() + np.geomspace(1e-3, Z.max() - Z.min(), 25)
        ax.contour(X, Y, Z, levels=levels, colors="0.6", linewidths=0.5, linestyles="solid")
        for name, path in paths.items():
            ax.plot(path[:, 0], path[:, 1], "-", lw=1.4, color=COLORS[name], label=name, alpha=0.9)
        ax.plot(*start, "ko", ms=5)
        ax.plot(*best, "k*", ms=12)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title(f"{title} ({len(next(iter(paths.values()))) - 1} steps)")
        if i == 0:
            ax.legend(fontsize=8, loc="lower left")
    fig.suptitle("Walking downhill in the fog: each optimizer sees only the local gradient")
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f"plot: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
