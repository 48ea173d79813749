#!/usr/bin/env bash
# Developer build: compiles the library, the extension and the C++ tests into BUILD_DIR
# (default build-dev) and drops _core*.so into python/steepest, so `PYTHONPATH=python pytest`
# tests the working tree without a pip install. Usage: tools/dev_build.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-dev}
PY=${PYTHON:-$(command -v python)}
if [ ! -f "$B/build.ninja" ]; then
  cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTEEPEST_PYTHON=ON -DSTEEPEST_BUILD_TESTS=ON \
    -DPython_EXECUTABLE="$PY" >/dev/null
fi
cmake --build "$B"
cp -f "$B"/python/bindings/_core*.so python/steepest/
