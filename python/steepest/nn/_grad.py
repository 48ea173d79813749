"""The no-grad context nn uses for in-place initialisation and state_dict loading: st.no_grad
when the autograd engine provides it, otherwise a do-nothing context (nothing records a graph)."""
import contextlib


def no_grad():
    import steepest  # looked up at call time: the engine may add st.no_grad after nn is imported
    ng = getattr(steepest, "no_grad", None)
    return ng() if ng is not None else contextlib.nullcontext()
