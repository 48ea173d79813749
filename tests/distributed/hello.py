"""Worker for the launcher tests: prints its rank, the world size and its arguments; exits
with the status given by --exit on the last rank."""
import sys

import steepest.distributed as dist

dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
args = sys.argv[1:]
sys.stdout.write(f"rank {r} of {n} args {args}\n")
sys.stdout.flush()
if "--exit" in args and r == n - 1:
    dist.destroy_process_group()
    sys.exit(int(args[args.index("--exit") + 1]))
