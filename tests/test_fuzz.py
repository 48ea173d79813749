"""Bounded fuzzing of the core from Python, each batch in a subprocess so that a crash (a
segfault, an abort) fails the test instead of the run:
- random ops on random shapes (zero sizes, broadcasting, views with steps, transposes),
  dtypes and scalars, compared with torch 2.13: the same result to float tolerance, or both
  raising (steepest with a clear Python exception);
- sizes that overflow int64 element or byte counts: a Python exception, never a tensor;
- a seeded corrupt-file fuzzer for st.load: truncations and byte flips of a saved checkpoint
  give a ValueError naming the file or load equal data; never a crash or another exception.
STEEPEST_FUZZ_CASES=N raises the number of cases for a long local run (default: CI-sized)."""
import os
import subprocess
import sys
import textwrap

CASES = int(os.environ.get("STEEPEST_FUZZ_CASES", "400"))


def run_child(code: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def check_child(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 0, (f"child exited with {r.returncode} (a crash if negative)\n"
                               f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout


OPS_CHILD = r'''
import random, sys, traceback
import numpy as np, torch
import steepest as st

random.seed(SEED)
DTYPES = ["float32", "float64", "int64", "int32", "bool"]
UNARY = ["neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "eq", "lt", "ge"]
REDUCE = ["sum", "mean", "amax", "amin", "argmax"]
stats = {"cases": 0, "both_ok": 0, "both_raised": 0, "mismatch": 0, "bad_exception": 0}

def shape():
    return tuple(random.choice([0, 1, 1, 2, 3, 5, 7]) for _ in range(random.randint(0, 3)))

def make(shp, dt):
    a = np.random.RandomState(random.randint(0, 2**31)).randn(*shp) * 3
    if dt == "bool": a = a > 0
    elif dt.startswith("int"): a = np.round(a)
    a = np.asarray(a, dtype=dt)
    return st.tensor(a) if a.ndim else st.tensor(a.item()), torch.tensor(a)

def view(pair):
    s, t = pair
    choice = random.random()
    if s.dim() >= 2 and choice < 0.3:
        return s.transpose(0, 1), t.transpose(0, 1)
    if s.dim() >= 1 and s.shape[0] > 1 and choice < 0.5:
        return s[::2], t[::2]
    return s, t

def compare(a, b):
    a = a.numpy() if hasattr(a, "numpy") else np.asarray(a)
    b = b.numpy() if hasattr(b, "numpy") else np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-4, atol=1e-5, equal_nan=True)
    return np.array_equal(a, b)

ALLOWED = (ValueError, TypeError, IndexError, RuntimeError, NotImplementedError, OverflowError)
for case in range(CASES):
    stats["cases"] += 1
    kind = random.choice(["unary", "binary", "reduce", "reshape"])
    dt = random.choice(DTYPES)
    x = view(make(shape(), dt))
    try:
        if kind == "unary":
            op = random.choice(UNARY)
            f = lambda m, v: getattr(m, op)(v)
            args = [x]
        elif kind == "binary":
            op = random.choice(BINARY)
            y = view(make(shape() if random.random() < 0.3 else tuple(x[0].shape), random.choice(DTYPES)))
            f = lambda m, v, w: getattr(m, op)(v, w)
            args = [x, y]
        elif kind == "reduce":
            op = random.choice(REDUCE)
            dim = random.randint(-1, max(x[0].dim() - 1, -1)) if x[0].dim() else None
            f = lambda m, v: getattr(m, op)(v, dim) if dim is not None else getattr(m, op)(v)
            args = [x]
        else:
            n = x[0].numel()
            new = random.choice([(n,), (-1,), (1, n), (n, 1, -1), (2, -1), (3, 5)])
            f = lambda m, v: v.reshape(new)
            args = [x]
    except Exception:
        continue
    s_err = t_err = None
    try:
        sr = f(st, *[a[0] for a in args])
    except Exception as e:
        s_err = e
    try:
        tr = f(torch, *[a[1] for a in args])
    except Exception as e:
        t_err = e
    if s_err is not None and not isinstance(s_err, ALLOWED):
        stats["bad_exception"] += 1
        print("BAD EXCEPTION", kind, dt, repr(s_err)[:200])
    elif s_err is None and t_err is None:
        if compare(sr, tr): stats["both_ok"] += 1
        else:
            stats["mismatch"] += 1
            print("MISMATCH", kind, dt, [tuple(a[0].shape) for a in args])
    elif s_err is not None and t_err is not None:
        stats["both_raised"] += 1
    else:
        stats["mismatch"] += 1
        print("ONE RAISED", kind, dt, [tuple(a[0].shape) for a in args], repr(s_err)[:120], repr(t_err)[:120])
print("STATS", stats)
'''


def test_random_ops_against_torch():
    out = check_child(run_child(OPS_CHILD.replace("SEED", "1234").replace("CASES", str(CASES))))
    stats = eval(out.strip().splitlines()[-1][len("STATS "):])
    assert stats["bad_exception"] == 0, out
    assert stats["cases"] == CASES


OVERFLOW_CHILD = r'''
import steepest as st
calls = [
    lambda: st.empty(2**62), lambda: st.zeros(2**62), lambda: st.ones(2**31, 2**31, 4),
    lambda: st.full((2**40, 2**40), 1.0), lambda: st.eye(2**32), lambda: st.arange(0, 2**62),
    lambda: st.zeros(1).expand(2**62).contiguous(), lambda: st.zeros(4).expand(2**62, 4).sum(),
    lambda: st.zeros(4).as_strided((2**40,), (2**30,)), lambda: st.zeros(2, 3).reshape(2**62, -1),
]
ok = 0
for i, c in enumerate(calls):
    try:
        r = c()
    except (ValueError, RuntimeError, IndexError, OverflowError, MemoryError) as e:
        ok += 1
        continue
    print("NO ERROR", i, tuple(r.shape) if hasattr(r, "shape") else r)
print("OK", ok, "of", len(calls))
'''


def test_overflowing_sizes_raise():
    out = check_child(run_child(OVERFLOW_CHILD))
    assert "NO ERROR" not in out, out


LOAD_CHILD = r'''
import os, random, tempfile
import numpy as np
import steepest as st
random.seed(7)
d = tempfile.mkdtemp()
path = os.path.join(d, "ck.safetensors")
obj = {"w": st.tensor(np.arange(64, dtype=np.float32).reshape(8, 8)), "step": 3, "nested": {"b": st.zeros(5)}}
st.save(obj, path)
blob = open(path, "rb").read()
stats = {"cases": 0, "value_error": 0, "loaded": 0}
for case in range(CASES):
    stats["cases"] += 1
    b = bytearray(blob)
    if random.random() < 0.5:
        b = b[:random.randint(0, len(b) - 1)]
    else:
        for _ in range(random.randint(1, 4)):
            b[random.randrange(len(b))] = random.randrange(256)
    p = os.path.join(d, f"c{case}.safetensors")
    open(p, "wb").write(bytes(b))
    try:
        st.load(p)
        stats["loaded"] += 1
    except ValueError as e:
        assert p in str(e) or os.path.basename(p) in str(e), str(e)
        stats["value_error"] += 1
    os.remove(p)
print("STATS", stats)
'''


def test_corrupt_checkpoints_raise_value_error():
    out = check_child(run_child(LOAD_CHILD.replace("CASES", str(CASES))))
    stats = eval(out.strip().splitlines()[-1][len("STATS "):])
    assert stats["value_error"] + stats["loaded"] == CASES
