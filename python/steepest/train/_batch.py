"""How fit, evaluate and lr_find read a batch: (inputs, targets) pairs, where inputs may be
a tuple of model arguments; and how many samples a batch holds (for means and samples/s)."""
from .. import _core


def split_batch(batch, who):
    """(inputs, targets) from one batch, with a clear error for anything else."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    kind = f"a {type(batch).__name__} of length {len(batch)}" if isinstance(batch, (tuple, list)) else \
        type(batch).__name__
    raise TypeError(f"{who}: each batch must be an (inputs, targets) pair, got {kind}")


def forward(model, inputs):
    """model(inputs), or model(*inputs) when inputs is a tuple or list of arguments."""
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def batch_size(inputs):
    """Samples in a batch: the first dimension of the (first) input tensor, else 1."""
    if isinstance(inputs, (tuple, list)) and inputs:
        inputs = inputs[0]
    if isinstance(inputs, _core.Tensor):
        return int(inputs.shape[0]) if inputs.dim() > 0 else 1
    try:
        return len(inputs)
    except TypeError:
        return 1


def loss_value(loss, who):
    """The Python float of a scalar loss tensor (TypeError/ValueError naming the problem)."""
    if not isinstance(loss, _core.Tensor):
        raise TypeError(f"{who}: loss_fn must return a scalar tensor, got {type(loss).__name__}")
    if loss.numel() != 1:
        raise ValueError(f"{who}: loss_fn must return a scalar (a mean or sum), got a tensor of shape "
                         f"{list(loss.shape)}")
    return float(loss.item())


def check_iterable(data, name, who):
    try:
        it = iter(data)  # (a generator's body, such as DataLoader.__iter__'s shuffle, doesn't run yet)
    except TypeError:
        raise TypeError(f"{who}: {name} must be a DataLoader or an iterable of (inputs, targets) batches, "
                        f"got {type(data).__name__}") from None
    if it is data:
        raise TypeError(f"{who}: {name} is an iterator, which one pass exhausts; pass a re-iterable "
                        "(a DataLoader or a list of batches)")
