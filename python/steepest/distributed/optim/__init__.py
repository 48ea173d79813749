"""st.distributed.optim: ZeroRedundancyOptimizer (optimizer state sharded across ranks)."""
