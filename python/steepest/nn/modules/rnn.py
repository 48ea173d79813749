"""Recurrent layers: RNN (tanh/relu), LSTM, GRU and their single-step cells, with torch's
arguments, parameter names, shapes and initialisation, so a torch state_dict loads as is.
The work is one native op per layer stack (steepest._core._nn_rnn): the input projection of
all steps is one GEMM, the recurrence a fused C++ kernel with its own backward."""
from __future__ import annotations

import math
import warnings
from typing import Any, Optional

from ... import _core
from ..._typing import DeviceLike, Tensor
from .. import init
from .._rnn_utils import PackedSequence, _long, _order, _packed_rows, pad_packed_sequence
from ..module import Module
from ..parameter import Parameter
from .linear import _factory

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

def _check_size(cls: str, name: str, v: Any, minimum: int) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ValueError(f"{cls}: {name} must be an int >= {minimum}, but got {v!r}")

class RNNBase(Module):
    """The stack shared by RNN, LSTM and GRU: num_layers layers of one or two directions,
    parameters weight_ih_l{k}[_reverse], weight_hh_l{k}[_reverse], bias_ih_l{k}[_reverse],
    bias_hh_l{k}[_reverse], all drawn from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Optional[DeviceLike] = None,
                 dtype: Optional[_core.dtype] = None) -> None:
        super().__init__()
        cls = type(self).__name__
        if mode not in _GATES:
            raise ValueError(f"{cls}: unknown mode {mode!r} (expected one of {sorted(_GATES)})")
        _check_size(cls, "input_size", input_size, 0)
        _check_size(cls, "hidden_size", hidden_size, 1)
        _check_size(cls, "num_layers", num_layers, 1)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             f"element being zeroed, but got {dropout!r}")
        if proj_size != 0:
            if mode != "LSTM":
                raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
            raise NotImplementedError(f"{cls}: proj_size={proj_size}: projected LSTMs are not supported by steepest")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=2)
        dt = _factory(device, dtype)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dirs = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for d in range(dirs):
                layer_in = input_size if layer == 0 else hidden_size * dirs
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes: list[tuple[str, tuple[int, ...]]] = [("weight_ih", (gate_size, layer_in)),
                                                             ("weight_hh", (gate_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(_core.empty(shape, dtype=dt)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Does nothing: the weights are used where they are (torch packs them for cuDNN)."""

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Tensor]]:
        per = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def _run(self, input: Any, h0: Optional[Tensor], c0: Optional[Tensor]) -> tuple[Any, Any, Any]:
        if isinstance(input, PackedSequence):
            # Padded in the caller's batch order; each row runs its own length (the states come
            # back in that order too, as torch's), then the outputs are packed again.
            padded, lengths = pad_packed_sequence(input)
            if padded.shape[-1] != self.input_size:
                raise ValueError(f"{type(self).__name__}: input.size(-1) must be equal to input_size. "
                                 f"Expected {self.input_size}, got {padded.shape[-1]}")
            out, h, c = _core._nn_rnn(self.mode.lower(), padded, h0, c0, self._flat_weights, self.bias,
                                      self.num_layers, self.dropout, self.training, self.bidirectional, False,
                                      lengths=lengths)
            T, B = out.shape[0], out.shape[1]
            bs = [int(v) for v in input.batch_sizes.tolist()]
            rows = _long(_packed_rows(bs, _order(input.sorted_indices, B)), out.device)
            return input._replace(data=out.reshape(T * B, out.shape[2])[rows]), h, c
        if not isinstance(input, _core.Tensor):
            raise TypeError(f"{type(self).__name__}: input must be a Tensor, but got {type(input).__name__}")
        if input.dim() in (2, 3) and input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: input.size(-1) must be equal to input_size. "
                             f"Expected {self.input_size}, got {input.shape[-1]}")
        return _core._nn_rnn(self.mode.lower(), input, h0, c0, self._flat_weights, self.bias, self.num_layers,
                             self.dropout, self.training, self.bidirectional, self.batch_first)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

def _state(cls: str, hx: Any) -> Optional[Tensor]:
    if hx is not None and not isinstance(hx, _core.Tensor):
        raise TypeError(f"{cls}: hx must be a Tensor or None, but got {type(hx).__name__}")
    return hx

class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.
    forward(input, hx=None) -> (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype)

    def forward(self, input: Any, hx: Optional[Tensor] = None) -> tuple[Any, Tensor]:
        out, h, _ = self._run(input, _state("RNN", hx), None)
        return out, h

class LSTM(RNNBase):
    """Long short-term memory, gates (i, f, g, o) stacked in that order in each weight.
    forward(input, hx=None), hx = (h_0, c_0) -> (output, (h_n, c_n))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def forward(self, input: Any,
                hx: Optional[tuple[Tensor, Tensor]] = None) -> tuple[Any, tuple[Tensor, Tensor]]:
        h0: Optional[Tensor] = None
        c0: Optional[Tensor] = None
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of two Tensors")
            h0, c0 = _state("LSTM", hx[0]), _state("LSTM", hx[1])
            if h0 is None or c0 is None:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of two Tensors, not None")
        out, h, c = self._run(input, h0, c0)
        return out, (h, c)

class GRU(RNNBase):
    """Gated recurrent unit, gates (r, z, n) stacked in that order in each weight:
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h.
    forward(input, hx=None) -> (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)

    def forward(self, input: Any, hx: Optional[Tensor] = None) -> tuple[Any, Tensor]:
        out, h, _ = self._run(input, _state("GRU", hx), None)
        return out, h

class RNNCellBase(Module):
    """One step of a recurrent layer: weight_ih (gates * hidden, input), weight_hh
    (gates * hidden, hidden), bias_ih and bias_hh, drawn from U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        super().__init__()
        cls = type(self).__name__
        _check_size(cls, "input_size", input_size, 0)
        _check_size(cls, "hidden_size", hidden_size, 1)
        dt = _factory(device, dtype)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_core.empty((num_chunks * hidden_size, input_size), dtype=dt))
        self.weight_hh = Parameter(_core.empty((num_chunks * hidden_size, hidden_size), dtype=dt))
        if bias:
            self.bias_ih = Parameter(_core.empty((num_chunks * hidden_size,), dtype=dt))
            self.bias_hh = Parameter(_core.empty((num_chunks * hidden_size,), dtype=dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _step(self, mode: str, input: Tensor, h: Optional[Tensor], c: Optional[Tensor]) -> tuple[Any, Any]:
        if not isinstance(input, _core.Tensor):
            raise TypeError(f"{type(self).__name__}: input must be a Tensor, but got {type(input).__name__}")
        if input.dim() in (1, 2) and input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: input has inconsistent input_size: got {input.shape[-1]} "
                             f"expected {self.input_size}")
        return _core._nn_rnn_cell(mode, input, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        return s + (f", nonlinearity={nl}" if nl != "tanh" else "")

class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu; forward(input, hx=None) -> h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        h, _ = self._step("rnn_" + self.nonlinearity, input, _state("RNNCell", hx), None)
        return h

class LSTMCell(RNNCellBase):
    """One LSTM step; forward(input, hx=None), hx = (h, c) -> (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: Optional[tuple[Tensor, Tensor]] = None) -> tuple[Tensor, Tensor]:
        h: Optional[Tensor] = None
        c: Optional[Tensor] = None
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTMCell: hx must be a tuple (h, c) of two Tensors")
            h, c = _state("LSTMCell", hx[0]), _state("LSTMCell", hx[1])
        h1, c1 = self._step("lstm", input, h, c)
        return h1, c1

class GRUCell(RNNCellBase):
    """One GRU step; forward(input, hx=None) -> h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        h, _ = self._step("gru", input, _state("GRUCell", hx), None)
        return h
