"""Gradients that don't fit what they stand for are refused before any kernel reads them:
a tensor hook's replacement must keep the size, dtype and device of the gradient it
replaces, and an autograd.Function's backward must return gradients that broadcast back to
each input (torch's messages). A wrong-shaped hook gradient after linear used to corrupt the
heap, so that case runs in a subprocess."""
import pytest
import torch
from isolated import run_isolated

import steepest as st


def hook_error(lib, build, make_hook):
    """The error backward raises when make_hook(lib) is registered on the tensor build(lib) returns."""
    x, y = build(lib)
    y.register_hook(make_hook(lib))
    try:
        y.sum().backward()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def linear_case(lib):
    w = lib.ones(4, 3, requires_grad=True)
    y = lib.nn.functional.linear(lib.ones(2, 3), w)
    return w, y


def layer_norm_case(lib):
    x = lib.ones(2, 8, requires_grad=True)
    return x, lib.nn.functional.layer_norm(x, (8,))


def leaf_case(lib):
    x = lib.ones(3, requires_grad=True)
    return x, x


def test_hook_changing_the_size_after_linear_is_refused():
    # Before the check, the linear backward read the 9-element gradient as 2 x 4 and wrote
    # the weight gradient out of bounds: run it where a crash can't take the run down.
    out = run_isolated("""
        import steepest as st
        w = st.ones(4, 3, requires_grad=True)
        y = st.nn.functional.linear(st.ones(2, 3), w)
        def bad(g):
            return st.zeros(3, 3)
        y.register_hook(bad)
        try:
            y.sum().backward()
            print("NO ERROR")
        except RuntimeError as e:
            print(e)
    """)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "hook 'bad' has changed the size of value"


@pytest.mark.parametrize("case", [linear_case, layer_norm_case, leaf_case])
def test_hook_changing_the_size_is_refused_like_torch(case):
    def make_hook(lib):
        def bad(g):
            return lib.zeros(5) if g.dim() == 1 else lib.zeros(3, 3)
        return bad

    want = hook_error(torch, case, make_hook)
    assert want == ("RuntimeError", "hook 'bad' has changed the size of value")
    assert hook_error(st, case, make_hook) == want


@pytest.mark.parametrize("case", [linear_case, layer_norm_case, leaf_case])
def test_hook_changing_the_dtype_is_refused_like_torch(case):
    def make_hook(lib):
        def widen(g):
            return g.double()
        return widen

    want = hook_error(torch, case, make_hook)
    assert want == ("RuntimeError", "hook 'widen' has changed the type of value (was torch.FloatTensor got "
                                    "torch.DoubleTensor)")
    assert hook_error(st, case, make_hook) == want


def test_hook_returning_a_well_shaped_gradient_still_replaces_it():
    x = st.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0, 20.0]


def function_error(lib, returned):
    """The error of backward through a Function whose backward returns `returned(lib)`."""
    class Fn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return returned(lib)

    x = lib.ones(3, requires_grad=True)
    try:
        Fn.apply(x).sum().backward()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return x.grad.tolist()


@pytest.mark.parametrize("returned", [
    lambda lib: lib.zeros(5),
    lambda lib: lib.zeros(1),
    lambda lib: lib.zeros(3, 2),
    lambda lib: lib.ones(2, 3),  # broadcasts back to (3,): summed
    lambda lib: lib.ones(3, dtype=lib.float64),  # cast back to float32
])
def test_function_backward_gradients_are_checked_like_torch(returned):
    assert function_error(st, returned) == function_error(torch, returned)


def test_function_backward_wrong_shape_message():
    got = function_error(st, lambda lib: lib.zeros(5))
    assert got == ("RuntimeError", "Function FnBackward returned an invalid gradient at index 0 - got [5] but "
                                   "expected shape compatible with [3]")


def test_grad_assigned_in_a_post_accumulate_hook_is_checked():
    x = st.ones(3, requires_grad=True)

    def assign(p):
        p.grad = st.zeros(4)

    x.register_post_accumulate_grad_hook(assign)
    with pytest.raises(ValueError, match=r"assigned grad has shape \(4,\) but the tensor has shape \(3,\)"):
        (x * 2).sum().backward()
