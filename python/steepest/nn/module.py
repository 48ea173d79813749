"""Module: the base class of every layer. It registers parameters, buffers and submodules
by attribute assignment and walks them (parameters(), state_dict(), train(), repr) with
torch's names and order, so checkpoints and printed models read the same as torch's."""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Optional, TypeVar

from .. import _core
from .._tensor import as_tensor
from ..autograd import no_grad
from ._module_casts import ModuleCasts
from .parameter import Parameter

_M = TypeVar("_M", bound="Module")

# torch's repr name, under a private module attribute
_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])  # type: ignore[name-match]


def _indent_tail(text, spaces):
    """`text` with every line after the first indented by `spaces` (nested reprs)."""
    first, *rest = text.split("\n")
    pad = " " * spaces
    return "\n".join([first] + [pad + line for line in rest])


def _shape_str(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")"


class RemovableHandle:
    """Returned by register_forward_hook / register_forward_pre_hook; .remove() unhooks."""

    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Module(ModuleCasts):
    """Base class for layers and models. Subclasses call super().__init__() first, assign
    Parameters, tensors registered with register_buffer, and Modules as attributes, and
    define forward(); calling the module runs forward (with any forward hooks)."""

    training: bool

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()

    # ---- registration -------------------------------------------------------------------
    def _check_registered_name(self, kind, name):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Adds `param` (a Parameter, or None for an absent one) under `name`."""
        self._check_registered_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(steepest.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Optional[_core.Tensor], persistent: bool = True) -> None:
        """Adds a tensor that is state but not a parameter (running stats, masks). Persistent
        buffers go into state_dict(); non-persistent ones don't."""
        self._check_registered_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, _core.Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(steepest.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Optional[Module]) -> None:
        """Adds a child module (or None as a placeholder) under `name`."""
        self._check_registered_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def _forget(self, name, *, keep):
        """Removes `name` from every registry but `keep` (an attribute changes its kind)."""
        d = self.__dict__
        d.pop(name, None)
        for reg in ("_parameters", "_buffers", "_modules"):
            if reg != keep:
                d[reg].pop(name, None)
        if keep != "_buffers":
            d["_non_persistent_buffers_set"].discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(steepest.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            d["_modules"][name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(steepest.nn.Module or None expected)")
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, _core.Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(steepest.Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: parameters, buffers and modules live here.
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            r = d.get(reg)
            if r is not None and name in r:
                return r[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            r = d.get(reg)
            if r is not None and name in r:
                del r[name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        extra = [k for reg in ("_parameters", "_buffers", "_modules") for k in self.__dict__[reg]]
        return sorted(set(super().__dir__()) | set(extra))

    # ---- traversal ----------------------------------------------------------------------
    def named_modules(self, memo: Optional[set[Module]] = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(qualified name, module) for this module and every descendant, pre-order; a module
        reachable twice is listed once unless remove_duplicate=False."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        seen = set()
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, registry).items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(qualified name, Parameter) pairs, e.g. ("0.weight", ...); a shared parameter is
        listed once, under its first name."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, _core.Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[_core.Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The descendant named by a dotted path such as "layers.1"."""
        mod = self
        if target == "":
            return mod
        for part in target.split("."):
            if part not in mod._modules or mod._modules[part] is None:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{part}`")
            mod = mod._modules[part]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]

    # ---- modes and bulk changes ---------------------------------------------------------
    def train(self: _M, mode: bool = True) -> _M:
        """Sets training mode on this module and every descendant (Dropout reads it)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self: _M) -> _M:
        return self.train(False)

    def requires_grad_(self: _M, requires_grad: bool = True) -> _M:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drops every parameter's .grad (set_to_none=True) or fills it with zeros."""
        for p in self.parameters():
            g = p.grad
            if g is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g.zero_()

    def apply(self: _M, fn: Callable[[Module], None]) -> _M:
        """Calls fn(module) on every descendant (children first) and then on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def num_parameters(self, only_trainable: bool = False) -> int:
        """The number of parameter elements (each shared parameter counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not only_trainable)

    # ---- state_dict ---------------------------------------------------------------------
    def _local_state(self):
        """(name, tensor) of this module's own entries in a state_dict, in torch's order:
        parameters, then persistent buffers."""
        for name, p in self._parameters.items():
            if p is not None:
                yield name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                yield name, b

    def state_dict(self, *, destination: Optional[dict[str, Any]] = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Any]:
        """An OrderedDict from qualified names ("0.weight", "layers.1.bias") to tensors that
        share the module's storage (keep_vars=True returns the Parameters themselves)."""
        if destination is None:
            destination = OrderedDict()
        for name, t in self._local_state():
            destination[prefix + name] = t if keep_vars else _core.Tensor(t)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        """Copies the values of `state_dict` into this module's parameters and buffers, in
        place and without recording gradients. Returns (missing_keys, unexpected_keys);
        strict=True raises RuntimeError when either is non-empty. A shape mismatch always
        raises. assign=True is not supported (values are always copied)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        if assign:
            raise NotImplementedError("load_state_dict(assign=True) is not supported; values are copied")
        expected: OrderedDict[str, _core.Tensor] = OrderedDict()
        for mod_prefix, mod in self.named_modules(remove_duplicate=False):
            base = f"{mod_prefix}." if mod_prefix else ""
            for name, t in mod._local_state():
                expected.setdefault(base + name, t)
        missing = [k for k in expected if k not in state_dict]
        unexpected = [k for k in state_dict if k not in expected]
        errors = []
        pairs = []
        for key, dst in expected.items():
            if key not in state_dict:
                continue
            src = state_dict[key]
            if not isinstance(src, _core.Tensor):
                try:
                    src = _core.Tensor(as_tensor(src))
                except (TypeError, ValueError):
                    errors.append(f'While copying the parameter named "{key}", expected a tensor '
                                  f"from checkpoint but received {type(src).__name__}")
                    continue
            if tuple(src.shape) != tuple(dst.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{_shape_str(src.shape)} from checkpoint, the shape in current model "
                              f"is {_shape_str(dst.shape)}.")
                continue
            pairs.append((dst, src))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():  # nothing is copied unless every entry checked out above
            for dst, src in pairs:
                dst.copy_(src)
        return _IncompatibleKeys(missing, unexpected)

    # ---- calling ------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """hook(module, args) runs before forward; a non-None result replaces args."""
        h = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[h.id] = hook
        return h

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """hook(module, args, output) runs after forward; a non-None result replaces output."""
        h = RemovableHandle(self._forward_hooks)
        self._forward_hooks[h.id] = hook
        return h

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._forward_pre_hooks and not self._forward_hooks:
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            r = hook(self, args)
            if r is not None:
                args = r if isinstance(r, tuple) else (r,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            r = hook(self, args, out)
            if r is not None:
                out = r
        return out

    # ---- printing -----------------------------------------------------------------------
    def extra_repr(self) -> str:
        """This module's own settings for repr (e.g. "in_features=3, out_features=4")."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def _child_repr_lines(self):
        return [f"({name}): {_indent_tail(repr(m), 2)}" for name, m in self._modules.items()
                if m is not None]

    def __repr__(self):
        extra = self.extra_repr()
        own = extra.split("\n") if extra else []
        kids = self._child_repr_lines()
        if not kids and len(own) <= 1:
            return f"{self._get_name()}({own[0] if own else ''})"
        body = "".join(f"\n  {line}" for line in own + kids)
        return f"{self._get_name()}({body}\n)"
