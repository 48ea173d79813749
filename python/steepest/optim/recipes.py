"""Param-group recipes: weight decay only on >= 2-D weights (not biases, norm gains or
embeddings), and the Muon / AdamW split of a model (Muon for hidden matrices). Both walk a
st.nn.Module's named modules so that a param is classified by the module that owns it."""
from typing import Any, Collection, Dict, Iterable, Iterator, List, Literal, Tuple, Union

from .. import nn
from .._core import Tensor

# muon_param_groups' head: "auto", None, a module or modules.
HeadT = Union[Literal["auto"], None, nn.Module, Iterable[nn.Module]]

_NORMS = tuple(getattr(nn, n) for n in ("LayerNorm", "RMSNorm", "GroupNorm", "BatchNorm1d", "BatchNorm2d",
                                        "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d") if hasattr(nn, n))
_EMBEDDINGS = tuple(getattr(nn, n) for n in ("Embedding", "EmbeddingBag") if hasattr(nn, n))


def _owned(model: nn.Module) -> Iterator[Tuple[str, Tensor, nn.Module]]:
    """(qualified name, param, owning module) for every distinct param of the model."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a st.nn.Module, got {type(model).__name__}")
    seen: set[int] = set()
    for mname, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            yield (f"{mname}.{pname}" if mname else pname), p, module


def param_groups_weight_decay(model: nn.Module, weight_decay: float = 1e-2,
                              no_decay: Union[str, Collection[str]] = ()) -> List[Dict[str, Any]]:
    """[{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]:
    decay holds the >= 2-D weights; no decay: biases and other 0-D/1-D params, norm layers'
    params, embeddings, and any param whose qualified name contains a string of `no_decay`.
    Params with requires_grad False are left out (as timm)."""
    if isinstance(no_decay, str):
        no_decay = (no_decay,)
    decay: List[Tensor] = []
    rest: List[Tensor] = []
    for name, p, module in _owned(model):
        if not p.requires_grad:
            continue
        skip = (p.dim() < 2 or isinstance(module, _NORMS) or isinstance(module, _EMBEDDINGS)
                or any(s in name for s in no_decay))
        (rest if skip else decay).append(p)
    return [{"params": decay, "weight_decay": float(weight_decay)}, {"params": rest, "weight_decay": 0.0}]


def muon_param_groups(model: nn.Module, head: HeadT = "auto") -> List[Dict[str, Any]]:
    """[{"params": hidden matrices, "use_muon": True}, {"params": the rest, "use_muon": False}]
    for MuonWithAuxAdamW: Muon takes the 2-D weights of hidden layers; AdamW takes embeddings,
    the output head, and everything not 2-D. head: "auto" (modules named like *head*,
    "classifier", "fc_out", "output", else the last registered Linear), a module, a list of
    modules, or None (no head)."""
    owned = [(n, p, m) for n, p, m in _owned(model) if p.requires_grad]
    heads: List[nn.Module]
    if head == "auto":
        names = dict((id(m), n) for n, m in model.named_modules())
        heads = [m for m in model.modules() if isinstance(m, nn.Linear)
                 and any(k in names.get(id(m), "").split(".")[-1] for k in ("head", "classifier", "fc_out", "output"))]
        if not heads:
            linears: List[nn.Module] = [m for m in model.modules() if isinstance(m, nn.Linear)]
            heads = linears[-1:]
    elif head is None:
        heads = []
    elif isinstance(head, nn.Module):
        heads = [head]
    else:
        heads = list(head)
    head_params = {id(p) for h in heads for p in h.parameters()}
    muon: List[Tensor] = []
    rest: List[Tensor] = []
    for _, p, module in owned:
        hidden = p.dim() == 2 and not isinstance(module, _EMBEDDINGS) and id(p) not in head_params
        (muon if hidden else rest).append(p)
    groups: List[Dict[str, Any]] = []
    if muon:
        groups.append({"params": muon, "use_muon": True})
    if rest:
        groups.append({"params": rest, "use_muon": False})
    return groups
