# The Python package's hygiene: _core.pyi describes the native module as built (every bound
# name, every Tensor member, nothing stale), and the learning-rate schedules live under
# steepest.optim.lr_scheduler.schedule, not in the top-level namespace.
import ast
import re
from pathlib import Path

import pytest

import steepest as st
from steepest import _core
from steepest.optim import lr_scheduler

ROOT = Path(__file__).resolve().parents[1]
STUB = ROOT / "python" / "steepest" / "_core.pyi"
# The stub leaves the optimizer bindings out on purpose (they are being replaced).
OPTIM_SOURCE = ROOT / "python" / "bindings" / "bind_optim.cpp"


def _optim_names():
    src = OPTIM_SOURCE.read_text()
    return set(re.findall(r'm\.def\(\s*"(\w+)"', src)) | set(re.findall(r'py::class_<[^>]*>\(m, "(\w+)"', src))


def _stub_tree():
    return ast.parse(STUB.read_text())


def _names_defined(body):
    """Names a stub body defines: defs, classes, annotated and plain assignments."""
    out = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
        elif isinstance(node, ast.Assign):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return out


def _stub_class(name):
    for node in _stub_tree().body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return _names_defined(node.body)
    raise AssertionError(f"the stub has no class {name}")


def _module_names():
    return {n for n in vars(_core) if not n.startswith("__")}


def test_stub_covers_every_bound_name():
    stub = _names_defined(_stub_tree().body)
    # schedule_<name>: aliases kept for old callers, left out of the stub (it types _core.schedule).
    bound = {n for n in _module_names() if not n.startswith("schedule_")} - _optim_names()
    assert sorted(bound - stub) == []


def test_stub_names_nothing_the_module_lacks():
    runtime = _module_names()
    for node in _stub_tree().body:
        if isinstance(node, ast.FunctionDef) or (isinstance(node, ast.ClassDef) and not node.name.startswith("_")):
            assert node.name in runtime, node.name
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and not node.target.id.startswith("_"):
            assert node.target.id in runtime, node.target.id


@pytest.mark.parametrize("cls", ["Tensor", "Generator", "device", "dtype", "Node"])
def test_stub_class_members_match_the_runtime_class(cls):
    # _pybind11_conduit_v1_: pybind11's cross-module hook on every bound class, not an API.
    runtime = {n for n in dir(getattr(_core, cls)) if not n.startswith(("__", "_pybind11"))}
    stub = _stub_class(cls)
    assert sorted(runtime - stub) == []
    assert sorted(n for n in stub - runtime if not n.startswith("__")) == []


def test_stub_schedule_matches_the_submodule():
    runtime = {n for n in vars(_core.schedule) if not n.startswith("__")}
    assert runtime == _stub_class("_Schedule")


def test_schedules_live_under_lr_scheduler_not_at_top_level():
    assert lr_scheduler.schedule is _core.schedule
    assert lr_scheduler.schedule.cosine(1.0, 0, 10) == 1.0
    assert lr_scheduler.schedule.step(0.1, 5, 5, 0.5) == pytest.approx(0.05)
    for name in vars(_core.schedule):
        if not name.startswith("__"):
            assert not hasattr(st, "schedule_" + name), name
            # the old spelling stays on _core for existing callers, as the same function
            assert getattr(_core, "schedule_" + name) is getattr(_core.schedule, name)
    assert not hasattr(st, "schedule")
    assert "schedule" not in _core.__all__


def test_core_all_is_what_import_star_exports():
    assert all(not n.startswith("_") for n in _core.__all__)
    assert {"Tensor", "dtype", "zeros", "return_types", "float32"} <= set(_core.__all__)
    for name in _core.__all__:
        assert getattr(st, name) is getattr(_core, name), name
