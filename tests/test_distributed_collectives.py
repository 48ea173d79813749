"""st.distributed's collectives on real ranks (mpiexec -n 2 and 3) against numpy, and the
single-process paths that need no MPI."""
import subprocess
import sys
import textwrap

import pytest
from distributed.launch import check_ok, env, run_ranks


@pytest.mark.parametrize("n", [2, 3])
def test_collectives_match_numpy(n):
    check_ok(run_ranks(n, "collectives_worker.py"), n)


def run_local(code, **extra):
    """Runs code in a fresh interpreter (not under mpiexec), steepest importable."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env(**extra), capture_output=True,
                          text=True, timeout=60)


BLOCK_MPI4PY = "import sys; sys.modules['mpi4py'] = None\n"


def test_world_size_one_needs_no_mpi():
    out = run_local(BLOCK_MPI4PY + textwrap.dedent("""
        import numpy as np
        import steepest as st
        import steepest.distributed as dist
        assert not dist.is_mpi_available()
        dist.init_process_group()  # no launcher, no mpi4py: the one-rank local group
        assert dist.get_backend() == "local" and dist.get_rank() == 0 and dist.get_world_size() == 1
        t = st.tensor(np.array([1.0, 2.0]))
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        dist.broadcast(t, src=0)
        dist.all_reduce(t, async_op=True).wait()
        out = st.zeros([2], dtype=st.float64)
        dist.all_gather_into_tensor(out, t)
        dist.reduce_scatter_tensor(out, t)
        dist.barrier()
        assert t.numpy().tolist() == [1.0, 2.0] and out.numpy().tolist() == [1.0, 2.0]
        print("fine")
    """))
    assert out.returncode == 0 and "fine" in out.stdout, out.stderr


def test_mpi_backend_without_mpi4py_says_how_to_install():
    code = BLOCK_MPI4PY + textwrap.dedent("""
        import steepest.distributed as dist
        try:
            dist.init_process_group(BACKEND)
        except ImportError as e:
            print("ImportError:", e)
    """)
    for backend, extra in (('"mpi"', {}), ("None", {"PMI_SIZE": "2"})):
        out = run_local(code.replace("BACKEND", backend), **extra)
        assert out.returncode == 0, out.stderr
        assert "ImportError:" in out.stdout and "pip install steepest[mpi]" in out.stdout, out.stdout


def test_unknown_backend_and_collective_before_init_are_clear_errors():
    out = run_local("""
        import steepest as st
        import steepest.distributed as dist
        for call, words in ((lambda: dist.init_process_group("gloo"), "unknown backend 'gloo'"),
                            (lambda: dist.init_process_group("nccl"), "CUDA backend"),
                            (lambda: dist.all_reduce(st.zeros([2])), "init_process_group() first"),
                            (lambda: dist.get_rank(), "not initialized")):
            try:
                call()
                print("no error for", words)
            except (ValueError, RuntimeError) as e:
                assert words in str(e), str(e)
        print("fine")
    """)
    assert out.returncode == 0 and "fine" in out.stdout and "no error" not in out.stdout, out.stdout + out.stderr


def test_a_raising_rank_ends_every_rank_and_prints_once():
    import time
    t0 = time.monotonic()
    out = run_ranks(3, "faults_worker.py", "raise", timeout=60)
    assert out.returncode != 0
    assert time.monotonic() - t0 < 30
    assert (out.stdout + out.stderr).count("ValueError: injected failure on rank 1") == 1, out.stderr
    assert "rank 1 raised an uncaught exception" in out.stderr
    assert "OK rank" not in out.stdout


def test_a_collective_some_ranks_skip_aborts_after_the_timeout():
    import time
    t0 = time.monotonic()
    out = run_ranks(2, "faults_worker.py", "partial", timeout=60, extra_env={"STEEPEST_DIST_TIMEOUT": "3"})
    took = time.monotonic() - t0
    assert out.returncode != 0
    assert "rank 0: all_reduce did not complete within 3 s" in out.stderr, out.stderr
    assert took < 30, took


def test_ddp_and_zero_on_one_rank_need_no_mpi():
    out = run_local(BLOCK_MPI4PY + textwrap.dedent("""
        import numpy as np
        import steepest as st
        import steepest.distributed as dist
        from steepest.nn.parallel import DistributedDataParallel as DDP
        from steepest.distributed.optim import ZeroRedundancyOptimizer as ZeRO
        dist.init_process_group("local")

        def build():
            st.manual_seed(0)
            return st.nn.Sequential(st.nn.Linear(4, 8), st.nn.Tanh(), st.nn.Linear(8, 2))
        x, t = st.randn([6, 4]), st.randn([6, 2])
        runs = []
        for kind in ("plain", "ddp", "zero1", "zero2"):
            m = build() if kind in ("plain", "zero2") else DDP(build())
            if kind == "zero1":
                opt = ZeRO(m.parameters(), st.optim.Adam, lr=0.1)
            elif kind == "zero2":
                opt = ZeRO(m.parameters(), st.optim.Adam, stage=2, lr=0.1)
            else:
                opt = st.optim.Adam(m.parameters(), lr=0.1)
            for _ in range(3):
                opt.zero_grad()
                (m(x) - t).pow(2).mean().backward()
                opt.step()
            runs.append(np.concatenate([p.detach().numpy().ravel() for p in m.parameters()]))
        assert all(np.array_equal(runs[0], r) for r in runs[1:])
        print("fine")
    """))
    assert out.returncode == 0 and "fine" in out.stdout, out.stderr
