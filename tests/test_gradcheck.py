"""st.autograd.gradcheck: passes for correct gradients (composite functions, several inputs
and outputs, users' own Functions), and on a wrong gradient raises GradcheckError naming the
input, the element and both values; argument errors are clear."""
import numpy as np
import pytest

import steepest as st
from steepest.autograd import GradcheckError, gradcheck


def leaf(values):
    return st.tensor(values, dtype=st.float64, requires_grad=True)


def test_composite_functions_pass():
    x, w = leaf([[0.3, -0.7, 1.1], [0.2, 0.5, -0.4]]), leaf([[0.5], [-1.0], [0.25]])
    assert gradcheck(lambda a, b: ((a @ b).tanh() * a.sum(1, keepdim=True)).sigmoid(), (x, w))
    assert gradcheck(lambda a: (a.exp() / a.exp().sum(1, keepdim=True)), (x,))
    assert gradcheck(lambda a: a.var(1) + a.std(0).sum(), [x])


def test_several_outputs_and_non_tensor_arguments():
    x, y = leaf([0.3, -0.7]), leaf([1.5, 2.0])
    assert gradcheck(lambda a, k, b: (a * k, (a * b).sum(), (a > 0)), (x, 3.0, y))


def test_input_without_grad_is_held_constant():
    x, c = leaf([0.3, -0.7]), st.tensor([1.0, 2.0], dtype=st.float64)
    assert gradcheck(lambda a, b: a * b * b, (x, c))


class WrongSquare(st.autograd.Function):
    """x ** 2 with a deliberately wrong backward (3x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x


class RightSquare(WrongSquare):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x


def test_wrong_custom_function_reports_input_element_and_values():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    assert gradcheck(RightSquare.apply, (x,))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a + WrongSquare.apply(b), (leaf([0.5]), x))
    msg = str(info.value)
    assert "input 1" in msg  # the second argument is the wrong one
    assert "element (0, 0)" in msg
    assert "numerical: 2.0" in msg and "analytical: 3.0" in msg
    assert isinstance(info.value, RuntimeError)  # as torch's GradcheckError


def test_wrong_gradient_in_a_later_element():
    class WrongAtOne(st.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            bad = np.ones(3)
            bad[1] = 0.0
            return g * st.tensor(bad)

    with pytest.raises(GradcheckError, match=r"element \(1,\)[\s\S]*numerical: 1\.0[\s\S]*analytical: 0\.0"):
        gradcheck(WrongAtOne.apply, (leaf([1.0, 2.0, 3.0]),))


def test_raise_exception_false_returns_false():
    assert gradcheck(WrongSquare.apply, (leaf([1.0]),), raise_exception=False) is False


def test_tolerances_are_used():
    class SlightlyOff(st.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g * 2.01

    x = leaf([1.0, -1.0])
    with pytest.raises(GradcheckError):
        gradcheck(SlightlyOff.apply, (x,))
    assert gradcheck(SlightlyOff.apply, (x,), atol=1e-2)


def test_argument_errors():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a * 2, (st.tensor([1.0], requires_grad=True),))
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda a: a * 2, (st.tensor([1.0], dtype=st.float64),))
    with pytest.raises(ValueError, match="leaf"):
        gradcheck(lambda a: a * 2, (leaf([1.0]) * 1,))
    with pytest.raises(ValueError, match="no floating-point"):
        gradcheck(lambda a: a > 0, (leaf([1.0]),))


def test_single_tensor_input_and_empty_tensor():
    assert gradcheck(lambda a: a.sin(), leaf([0.1, 0.2]))
    assert gradcheck(lambda a: a * 2, leaf(np.zeros((0, 3))))
    x = leaf([0.4])
    gradcheck(lambda a: a.exp(), (x,))
    assert x.grad is None and x.tolist() == [0.4]  # inputs are left as they were
