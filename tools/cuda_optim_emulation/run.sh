#!/usr/bin/env bash
# Runs the CUDA optimizer's update path on the host: the device kernel (optim_run.cuh, its
# launch replaced by a sequential emulation of blocks and threads), the table packing and the
# stub entry of optim_run.cu, compared byte for byte with the CPU backend's stub on the same
# rows (Adam and SGD; float32 rows split over several tables, merged and unmerged; two step
# slots; every mixed-precision mode; stochastic rounding). It checks the indexing, packing and
# rounding logic without a GPU (not the device's arithmetic). Needs the CPU build (build-dev).
#   bash tools/cuda_optim_emulation/run.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tools/cuda_optim_emulation
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/kernels/cuda"
SRC=$ROOT/cpp/src/kernels/cuda
sed -e 's|update_kernel<F, S, D><<<unsigned(blocks.back()), kThreads, 0, cuda::current_stream()>>>(tab);|emulate(unsigned(blocks.back()), kThreads, [\&] { update_kernel<F, S, D>(tab); });|' \
  "$SRC/optim_run.cuh" > "$OUT/kernels/cuda/optim_run.cuh"
grep -q 'emulate(' "$OUT/kernels/cuda/optim_run.cuh" || { echo "the kernel launch in optim_run.cuh changed: update this script" >&2; exit 1; }
sed -e 's|STEEPEST_REGISTER_KERNEL.*||' "$SRC/optim_run.cu" > "$OUT/optim_run_entry.inc"
g++ -std=c++17 -O1 -Wno-unknown-pragmas -I"$OUT" -I"$HERE/shim" -I"$SRC" -I"$ROOT/cpp/src" -I"$ROOT/cpp/include" \
  "$HERE/harness.cpp" -o "$OUT/harness" -L"$ROOT/build-dev/cpp" -lsteepest -Wl,-rpath,"$ROOT/build-dev/cpp"
"$OUT/harness"
