"""The Optimizer base class of st.optim: torch.optim.Optimizer's surface (param groups,
per-param state, state_dict, zero_grad, step(closure)) over fused C++ steps. Python keeps the
groups and state dicts; each step is one C++ call per group (steepest/optim.hpp), which walks
all of the group's tensors in chunks, creates missing state, and counts steps.

A class for a rule the C++ registry knows is declared with ``class Adam(Optimizer,
rule="Adam")``: its constructor signature, defaults, argument checks and state names are read
from the rule's description (steepest/optim/registry.hpp), never retyped here."""
from __future__ import annotations

import copy
import inspect
import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from .. import _core
from ..autograd.grad_mode import enable_grad
from . import _step_hooks

if TYPE_CHECKING:
    from .arena import Arena

class _RequiredParameter:
    """The default of a hyperparameter every param group must give (torch's `required`)."""

    def __repr__(self) -> str:
        return "<required parameter>"


_required = _RequiredParameter()
required = _required  # torch's name: `from torch.optim.optimizer import Optimizer, required`

# What an optimizer takes as params (torch's ParamsT): tensors, or param groups (dicts with "params").
ParamsT = Union[Iterable[_core.Tensor], Iterable[Dict[str, Any]]]


def _check(cond: object, arg: str, value: object, rule: str) -> None:
    """ValueError naming the argument unless cond holds."""
    if not cond:
        raise ValueError(f"Invalid {arg}: {value!r} ({arg} must be {rule})")


def check_lr(lr: float) -> None:
    _check(isinstance(lr, (int, float)) and not isinstance(lr, bool), "lr", lr, "a number")
    _check(lr >= 0.0, "lr", lr, ">= 0")


def check_nonneg(name: str, value: float) -> None:
    _check(isinstance(value, (int, float)) and not isinstance(value, bool), name, value, "a number")
    _check(value >= 0.0, name, value, ">= 0")


def check_betas(betas: Sequence[float], name: str = "betas") -> None:
    _check(isinstance(betas, (tuple, list)) and len(betas) == 2, name, betas, "a pair (beta1, beta2)")
    for i, b in enumerate(betas):
        _check(isinstance(b, (int, float)) and 0.0 <= b < 1.0, f"{name}[{i}]", b, "in [0, 1)")


def check_adam_group(g: Mapping[str, Any]) -> None:
    """The hyperparameters every Adam-like rule shares: lr, eps, betas, weight_decay."""
    check_lr(g["lr"])
    check_nonneg("eps", g["eps"])
    check_betas(g["betas"])
    check_nonneg("weight_decay", g["weight_decay"])


_STATE_DTYPES = {"float32": "float32", "bfloat16": "bfloat16"}


def mixed_defaults(master_weights: Optional[bool], state_dtype: Union[_core.dtype, str, None],
                   stochastic_rounding: bool, sr_seed: int) -> Dict[str, Any]:
    """The mixed-precision group keys (SGD, Adam/AdamW, Lion): master_weights (None: float32
    master copies for bfloat16/float16 params; False: none), state_dtype (None/float32 or
    bfloat16, the dtype of new moment state, stored as a name), stochastic_rounding of
    bfloat16 params and its seed."""
    if state_dtype is not None:
        name = str(state_dtype).replace("steepest.", "")
        _check(name in _STATE_DTYPES, "state_dtype", state_dtype, "None, st.float32 or st.bfloat16")
        state_dtype = _STATE_DTYPES[name]
    _check(master_weights in (None, True, False), "master_weights", master_weights, "None, True or False")
    _check(isinstance(sr_seed, int) and 0 <= sr_seed < 2**64, "sr_seed", sr_seed, "an int in [0, 2**64)")
    return dict(master_weights=master_weights, state_dtype=state_dtype,
                stochastic_rounding=bool(stochastic_rounding), sr_seed=sr_seed)


def _grad_context() -> enable_grad:
    return enable_grad()


# Every rule the C++ registry describes: {name: {"hypers": [...], "state": (...), "low_precision": bool}}.
RULES: Dict[str, Dict[str, Any]] = dict(_core._optim_rules())

_CHECKS: Dict[str, Callable[[str, Any], None]] = {
    "lr": lambda name, v: check_lr(v),
    "nonneg": check_nonneg,
    "betas": lambda name, v: check_betas(v, name),
}
_MIXED_ARGS = {"master_weights": None, "state_dtype": None, "stochastic_rounding": False, "sr_seed": 0}


@dataclass
class _GroupPlan:
    """A group's C++ tensor lists and what they were built from (rebuilt when any changes).
    `params` is a snapshot of the group's params, holding them so that no identity it was
    built from can be reused by another tensor while the plan lives."""

    params: Tuple[_core.Tensor, ...]
    version: int
    lists: _core._TensorLists
    group: Dict[str, Any]
    names: Tuple[str, ...]


def _same_tensors(built: Tuple[_core.Tensor, ...], params: Sequence[_core.Tensor]) -> bool:
    """Whether params holds exactly the tensors a plan was built from, by identity (a C-speed
    loop: the check runs every step; == on tensors would compare elements)."""
    return len(built) == len(params) and all(map(operator.is_, built, params))


def _rule_signature(info: Mapping[str, Any], overrides: Mapping[str, Any], fixed: Iterable[str]) -> inspect.Signature:
    """The constructor signature a rule describes: params, its arguments in order (keyword-only
    after the first that says so), then the mixed-precision arguments for low-precision rules."""
    P = inspect.Parameter
    out = [P("self", P.POSITIONAL_OR_KEYWORD), P("params", P.POSITIONAL_OR_KEYWORD)]
    for h in info["hypers"]:
        if h["group_state"] or h["step_argument"] or h["name"] in fixed:
            continue
        kind = P.KEYWORD_ONLY if h["keyword_only"] else P.POSITIONAL_OR_KEYWORD
        out.append(P(h["name"], kind, default=overrides.get(h["name"], h["default"])))
    if info["low_precision"]:
        out += [P(k, P.KEYWORD_ONLY, default=v) for k, v in _MIXED_ARGS.items()]
    return inspect.Signature(out)


class Optimizer:
    """Base of every st.optim optimizer. A subclass declared with ``rule="Name"`` gets its
    constructor, defaults, checks, state names and step from the registered C++ rule;
    ``defaults={...}`` overrides some defaults and ``fixed={...}`` pins arguments out of the
    signature (AdamW is Adam with weight_decay=1e-2 and decoupled_weight_decay fixed True).
    Other subclasses set `_state_names` and implement `_fused_step`."""

    _state_names: ClassVar[Tuple[str, ...]] = ()
    _rule: ClassVar[Optional[str]] = None
    # Set by st.optim.flatten_(optimizer); absent until then (zero_grad reads it with getattr).
    _arena: Arena
    # GradScaler may hand the scale and the inf flag to the step instead of unscaling first.
    _step_supports_amp_scaling = True

    if TYPE_CHECKING:
        # A rule class's constructor is built from the C++ description at import (its exact
        # signature is in inspect.signature and help()); static checkers see this permissive form.
        def __init__(self, params: Any, *args: Any, **kwargs: Any) -> None: ...

    def __init_subclass__(cls, rule: Optional[str] = None, defaults: Optional[Mapping[str, Any]] = None,
                          fixed: Optional[Mapping[str, Any]] = None, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if rule is None:
            return
        if rule not in RULES:
            raise ImportError(f"steepest.optim: no registered C++ rule {rule!r} for {cls.__name__} "
                              f"(registered: {', '.join(sorted(RULES))})")
        info = RULES[rule]
        cls._rule = rule
        cls._state_names = tuple(info["state"])
        overrides, pinned = dict(defaults or {}), dict(fixed or {})
        sig = _rule_signature(info, overrides, pinned)

        def __init__(self: Optimizer, *args: Any, **kwargs: Any) -> None:
            bound = sig.bind(self, *args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            values.pop("self")
            params = values.pop("params")
            group_defaults: Dict[str, Any] = {}
            for h in info["hypers"]:
                name = h["name"]
                if name in pinned:
                    group_defaults[name] = pinned[name]
                elif h["group_state"]:
                    group_defaults[name] = h["default"]
                elif not h["step_argument"]:
                    group_defaults[name] = values.pop(name)
            if info["low_precision"]:
                group_defaults.update(mixed_defaults(**{k: values.pop(k) for k in _MIXED_ARGS}))
            Optimizer.__init__(self, params, group_defaults)
            self._after_init()

        __init__.__signature__ = sig  # type: ignore[attr-defined]
        __init__.__qualname__ = f"{cls.__name__}.__init__"
        if "__init__" not in cls.__dict__:
            cls.__init__ = __init__  # type: ignore[method-assign]

    # The real constructor (base classes call it with their group defaults); the permissive
    # declaration above is the one static checkers keep for the rule classes, hence the ignore.
    def __init__(self, params: ParamsT, defaults: Dict[str, Any]) -> None:  # type: ignore[no-redef]
        self.defaults = defaults
        self.state: defaultdict[_core.Tensor, Dict[str, Any]] = defaultdict(dict)
        self.param_groups: List[Dict[str, Any]] = []
        self._plans: Dict[int, _GroupPlan] = {}
        self._version = 0
        if isinstance(params, _core.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got a Tensor")
        param_groups: List[Any] = list(params)  # tensors or dicts; add_param_group checks each
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)
        _step_hooks.patch_step(type(self))

    def register_step_pre_hook(self, hook: Callable[..., Any]) -> _step_hooks.StepHookHandle:
        """hook(optimizer, args, kwargs) runs before each step(); it may return (args, kwargs)."""
        return _step_hooks.register(_step_hooks.hook_dicts(self)[0], hook)

    def register_step_post_hook(self, hook: Callable[..., Any]) -> _step_hooks.StepHookHandle:
        """hook(optimizer, args, kwargs) runs after each step()."""
        return _step_hooks.register(_step_hooks.hook_dicts(self)[1], hook)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def __getstate__(self) -> Dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._plans = {}
        self._version = 0

    # -- groups -----------------------------------------------------------------------------
    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Adds a group (a dict with "params" and optional per-group hyperparameters); missing
        keys take the constructor's values, as torch's setdefault."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, _core.Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        _split_named(param_group)
        for p in param_group["params"]:
            if not isinstance(p, _core.Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
        for name, default in self.defaults.items():
            if default is _required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        self._check_group(param_group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in param_group["params"]}) != len(param_group["params"]):
            raise ValueError("a parameter group contains the same parameter more than once")
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
        self._version += 1

    def _after_init(self) -> None:
        """Called at the end of a rule class's constructor (Adagrad creates its state here)."""

    def _check_group(self, group: Dict[str, Any]) -> None:
        """Validates a group's hyperparameters: the checks the rule names (lr, nonneg, betas),
        ValueError naming the argument. Subclasses add their own after calling this."""
        if self._rule is None:
            return
        for h in RULES[self._rule]["hypers"]:
            if h["check"] and h["name"] in group:
                _CHECKS[h["check"]](h["name"], group[h["name"]])

    # -- stepping -----------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Sets every param's grad to None (default) or to zeros, in one C++ call per group.
        Params in a flat arena (st.optim.flatten_(optimizer)) keep their grads: the arena's
        grad buffer is zeroed in one fill whatever set_to_none says, so backward keeps
        accumulating into it."""
        arena = getattr(self, "_arena", None)
        if arena is not None:
            arena.zero_grad()
        for group in self.param_groups:
            params = group["params"] if arena is None else [p for p in group["params"] if id(p) not in arena._ids]
            _core._zero_grads(params, set_to_none)

    def _state_names_of(self, group: Dict[str, Any]) -> Sequence[str]:
        """State names of a group: the rule's, then "master_param" when master weights may be kept."""
        names = self._group_state_names(group)
        if "master_weights" in group and group["master_weights"] is not False:
            return tuple(names) + ("master_param",)
        return names

    def _lists(self, group: Dict[str, Any]) -> _core._TensorLists:
        """The group's C++ tensor lists (params, then each state name), kept between steps and
        rebuilt when the group's params (the list, or any tensor in it) or the optimizer's state
        were replaced."""
        params = group["params"]
        names = self._state_names_of(group)
        plan = self._plans.get(id(group))
        if (plan is not None and plan.version == self._version and plan.names == names
                and _same_tensors(plan.params, params)):
            return plan.lists
        rows: List[Sequence[Optional[_core.Tensor]]] = [params]
        for name in names:
            rows.append([self.state[p].get(name) if p in self.state else None for p in params])
        lists = _core._TensorLists(rows)
        self._plans[id(group)] = _GroupPlan(tuple(params), self._version, lists, group, tuple(names))
        return lists

    def _set_mixed(self, group: Dict[str, Any], lists: _core._TensorLists) -> None:
        """Hands the group's mixed-precision settings to its lists before a step."""
        if "master_weights" not in group:
            return
        names = self._state_names_of(group)
        master = names.index("master_param") + 1 if "master_param" in names else -1
        sdt = getattr(_core, group["state_dtype"] or "float32")
        lists.set_mixed(master, sdt, bool(group["stochastic_rounding"]), int(group["sr_seed"]),
                        int(group.get("sr_step", 0)) & 0xFFFFFFFF)

    def _sync_state(self, group: Dict[str, Any], lists: _core._TensorLists) -> None:
        """Records state tensors the C++ step created in self.state (first steps only)."""
        for i, p in enumerate(group["params"]):
            for k, name in enumerate(self._state_names_of(group), start=1):
                t = lists.get(k, i)
                if t is not None:
                    st = self.state[p]
                    if st.get(name) is not t:
                        st[name] = t

    def step(self, closure: Optional[Callable[[], Any]] = None, *, grad_factor: float = 1.0,
             found_inf: Union[_core.Tensor, float, None] = None) -> Any:
        """One optimization step over every group. `closure` re-evaluates the model and returns
        the loss (run with grad enabled). `grad_factor` multiplies every grad inside the fused
        kernel (unscaling, clipping by a global norm) without touching the grads; `found_inf`
        (a one-element tensor) skips the step if nonzero. A GradScaler may instead set the
        attributes `grad_scale` (grads are divided by it) and `found_inf`."""
        loss = None
        if closure is not None:
            with _grad_context():
                loss = closure()
        scale = getattr(self, "grad_scale", None)
        if scale is not None:
            s = float(scale.item() if isinstance(scale, _core.Tensor) else scale)
            grad_factor = grad_factor * (1.0 / s)
        if found_inf is None:
            found_inf = getattr(self, "found_inf", None)
        if found_inf is not None and not isinstance(found_inf, _core.Tensor):
            found_inf = _core.full([], float(found_inf), dtype=_core.float32)
        skipped = found_inf is not None and float(found_inf.item()) != 0.0
        for group in self.param_groups:
            lists = self._lists(group)
            self._set_mixed(group, lists)
            created = self._fused_step(group, lists, float(grad_factor), found_inf)
            if created:
                self._sync_state(group, lists)
            if not skipped and group.get("stochastic_rounding"):
                group["sr_step"] = int(group.get("sr_step", 0)) + 1  # fresh rounding bits each step
        return loss

    def _fused_step(self, group: Dict[str, Any], lists: _core._TensorLists, grad_scale: float,
                    found_inf: Optional[_core.Tensor]) -> int:
        """One C++ step of the group's rule; returns how many state tensors it created."""
        if self._rule is None:
            raise NotImplementedError(f"{type(self).__name__} has no rule: implement _fused_step")
        return _core._optim_step(self._rule, lists, self._step_hypers(group), grad_scale, found_inf)

    def _step_hypers(self, group: Dict[str, Any]) -> Dict[str, Any]:
        """The mapping the C++ step reads its hyperparameters from (the group itself, so the
        group's running scalars are written back into it); step arguments are added here."""
        return group

    def _group_state_names(self, group: Dict[str, Any]) -> Sequence[str]:
        """The state names of a group's C++ lists (an optimizer mixing rules per group overrides)."""
        return self._state_names

    # -- checkpoints ----------------------------------------------------------------------------
    def state_dict(self) -> Dict[str, Any]:
        """torch's layout: {"state": {index: {name: tensor}}, "param_groups": [{hyperparameters...,
        "params": [indices]}]}, params numbered in group order. Tensors are the live state (as
        torch): copy them to keep a snapshot while training goes on."""
        index: Dict[int, int] = {}
        groups: List[Dict[str, Any]] = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = len(index)
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state: Dict[int, Dict[str, Any]] = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = dict(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restores hyperparameters and state saved by state_dict() (copies of its tensors, so
        the dict stays independent); the groups must hold the same number of params."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(self.param_groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
        id_map: Dict[int, _core.Tensor] = {}
        for g, s in zip(self.param_groups, saved_groups):
            for p, i in zip(g["params"], s["params"]):
                id_map[i] = p
        new_groups: List[Dict[str, Any]] = []
        group_of: Dict[int, Dict[str, Any]] = {}
        for g, s in zip(self.param_groups, saved_groups):
            ng = {k: copy.deepcopy(v) for k, v in s.items() if k != "params"}
            ng["params"] = g["params"]
            new_groups.append(ng)
            group_of.update((i, ng) for i in s["params"])
        state: defaultdict[_core.Tensor, Dict[str, Any]] = defaultdict(dict)
        for i, entries in state_dict["state"].items():
            i = int(i)
            if i not in id_map:
                continue
            p = id_map[i]
            if entries:
                self._check_loaded_state(i, p, entries, group_of[i])
            state[p] = {k: _copy_state(v, p, k, self._rule is not None) for k, v in entries.items()}
        self.state = state
        self.param_groups = new_groups
        self._plans = {}
        self._version += 1


    def _kept_state(self, group: Dict[str, Any], param: _core.Tensor) -> Dict[str, Optional[Tuple[int, ...]]]:
        """The state this group's step keeps for a param it has stepped, by name: the tensor's
        shape, or None for a 0-d scalar (a step counter). From the rule's description; a rule
        whose state takes shapes of its own (Adafactor) adds them."""
        if self._rule is None:
            return {}
        shape = tuple(param.shape)
        kept = _core._optim_kept_state(self._rule, self._step_hypers(group))
        return {name: None if scalar else shape for name, scalar in kept}

    def _check_loaded_state(self, index: int, param: _core.Tensor, entries: Mapping[str, Any],
                            group: Dict[str, Any]) -> None:
        """ValueError naming the param's index and the key unless a checkpoint's state for a
        param is one this optimizer's step can continue from: every state the step keeps is
        there, a step count is >= 0, tensors have the shape the step expects."""
        where = f"loaded state dict: state of param {index}"
        kept = self._kept_state(group, param)
        missing = [name for name in kept if name not in entries]
        if missing:
            raise ValueError(f"{where} has no {missing[0]!r} ({type(self).__name__} keeps "
                             f"{', '.join(repr(k) for k in kept)} for every param it has stepped)")
        arrays = set(self._state_names_of(group)) - set(kept)  # kept or not by this configuration
        for name, value in entries.items():
            if name == "step" or kept.get(name, ()) is None:
                if isinstance(value, _core.Tensor) and value.numel() != 1:
                    raise ValueError(f"{where}: {name!r} must be a one-element tensor or a number, got shape "
                                     f"{list(value.shape)}")
                count = float(value.item() if isinstance(value, _core.Tensor) else value)
                if name == "step" and not count >= 0:
                    raise ValueError(f"{where}: 'step' is {count:g}, a step count must be >= 0")
                continue
            expected = kept.get(name)
            if expected is None and name in arrays and isinstance(value, _core.Tensor) and value.dim() > 0:
                expected = tuple(param.shape)  # a tensor the rule keeps in the param's shape when it keeps it
            if expected is None:
                continue  # not a tensor of the rule's: kept as given
            if not isinstance(value, _core.Tensor):
                raise ValueError(f"{where}: {name!r} must be a tensor, got {type(value).__name__}")
            if tuple(value.shape) != expected:
                raise ValueError(f"{where}: {name!r} has shape {list(value.shape)}, expected {list(expected)} "
                                 f"for a param of shape {list(param.shape)}")


def _split_named(group: Dict[str, Any]) -> None:
    """Named params, as torch accepts them (`model.named_parameters()`): a group whose params
    are (name, tensor) pairs keeps the tensors in "params" and the names in "param_names"."""
    params = group["params"]
    named = [isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params]
    if not any(named):
        return
    if not all(named):
        raise ValueError("all optimizer params should be given with their names, or none of them")
    group["param_names"] = [name for name, _ in params]
    group["params"] = [p for _, p in params]


def _copy_state(value: Any, param: _core.Tensor, key: str, rule: bool = True) -> Any:
    """A fresh copy of a saved state value: tensors keep their dtype for step counters and
    products (float32 scalars), others take the param's dtype, as torch casts on load. A
    number stays a number for optimizers written in Python (torch leaves non-tensors as they
    are); the C++ rules read "step" as a tensor."""
    if isinstance(value, _core.Tensor):
        if value.dim() == 0 or key in ("step", "mu_product", "master_param"):
            return value.clone()
        if param.dtype in (_core.bfloat16, _core.float16) or value.dtype == _core.bfloat16:
            return value.clone()  # mixed precision: state keeps the dtype it was saved in
        out = value.to(param.dtype) if value.dtype != param.dtype else value.clone()
        return out.contiguous()
    if isinstance(value, (int, float)) and key == "step" and rule:
        return _core.full([], float(value), dtype=_core.float32)
    return copy.deepcopy(value)
