#!/usr/bin/env bash
# Developer build: compiles the library, the extension and the C++ tests into BUILD_DIR
# (default build-dev) and drops _core*.so into python/steepest, so `PYTHONPATH=python pytest`
# tests the working tree without a pip install. Usage: tools/dev_build.sh [build-dir]
# STEEPEST_CUDA=1 adds the CUDA backend (nvcc needed; default build dir build-cuda).
set -euo pipefail
cd "$(dirname "$0")/.."
CUDA_FLAG=()
if [ "${STEEPEST_CUDA:-0}" = "1" ]; then
  CUDA_FLAG=(-DSTEEPEST_CUDA=ON)
  B=${1:-build-cuda}
else
  B=${1:-build-dev}
fi
PY=${PYTHON:-$(command -v python)}
if [ ! -f "$B/build.ninja" ]; then
  cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTEEPEST_PYTHON=ON -DSTEEPEST_BUILD_TESTS=ON \
    -DPython_EXECUTABLE="$PY" "${CUDA_FLAG[@]}" >/dev/null
fi
cmake --build "$B"
cp -f "$B"/python/bindings/_core*.so python/steepest/
