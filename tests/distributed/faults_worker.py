"""Worker for the fault tests; argv[1] picks the fault:
raise    rank 1 raises after a first collective while the others wait in the next one;
partial  rank 0 calls an all_reduce that the others never call (they sleep, then finish)."""
import sys
import time

import steepest as st
import steepest.distributed as dist

dist.init_process_group("mpi")
r = dist.get_rank()
t = st.ones([8])
dist.all_reduce(t)
mode = sys.argv[1]
if mode == "raise":
    if r == 1:
        raise ValueError("injected failure on rank 1")
    dist.barrier()
elif mode == "partial":
    if r == 0:
        dist.all_reduce(t)
    else:
        time.sleep(60)
print(f"OK rank {r}", flush=True)
