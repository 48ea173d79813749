"""Freeing a very long autograd graph releases its nodes one at a time instead of recursing
through them (which overflowed the stack near 200 000 nodes). Run in a subprocess: the old
failure was a crash."""
from isolated import run_isolated


def test_dropping_a_million_node_chain_does_not_overflow_the_stack():
    out = run_isolated("""
        import steepest as st
        x = st.ones(1, requires_grad=True)
        y = x
        for _ in range(1_000_000):
            y = y * 1.0001
        del y
        print("freed")
    """, timeout=300)
    assert out.returncode == 0, f"rc {out.returncode}: {out.stderr[-2000:]}"
    assert out.stdout.strip() == "freed"
