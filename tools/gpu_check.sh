#!/usr/bin/env bash
# GPU check: on a fresh machine with a CUDA GPU (no network needed), build steepest's CUDA
# backend for sm_90 only, run every GPU test (tests/test_cuda_*.py and the tests marked
# needs_gpu, i.e. `pytest -k "cuda or gpu"`) and the GPU benchmarks (bench/cuda/*.py, each
# under a time limit), and write logs plus summary.txt to the output folder.
#   Usage: tools/gpu_check.sh [OUT]        (OUT defaults to ./gpu_check_out)
# Needs: python3 with numpy, pytest, hypothesis, pybind11, scikit-build-core (torch/CuPy
# optional, for the interop tests), nvcc, cmake, ninja. steepest links OpenBLAS from the
# scipy-openblas32 wheel: if python3 lacks it, the wheel is installed from .whl/ in the repo
# (fill it beforehand, where there is network:
#   pip download scipy-openblas32 --no-deps --only-binary=:all: --python-version 3.12 \
#     --platform manylinux2014_x86_64 -d .whl   ).
# Exit status: 0 all passed; 1 a test or benchmark failed; 2 the build failed or a tool is
# missing; 3 no GPU on this machine (nothing was built).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$(mkdir -p "${1:-gpu_check_out}" && cd "${1:-gpu_check_out}" && pwd)
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
START=$(date +%s)
elapsed() { echo $(( $(date +%s) - START ))s; }

say "steepest GPU check: $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(hostname), $(date -u)"
PY=${PYTHON:-python3}

# 1. Tools.
missing=()
for tool in "$PY" cmake ninja; do command -v "$tool" >/dev/null || missing+=("$tool"); done
NVCC=${NVCC:-$(command -v nvcc || true)}
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
[ -z "$NVCC" ] && missing+=(nvcc)
for mod in numpy pytest hypothesis pybind11; do
  "$PY" -c "import $mod" 2>/dev/null || missing+=("python module $mod")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "FAIL: missing: ${missing[*]}"
  exit 2
fi

# 2. A GPU? (Asked of the driver, before spending minutes on a build.) GPU_CHECK_DRY_RUN=1
# goes on without one: it builds and runs everything, and the GPU tests skip.
if ! nvidia-smi -L > "$OUT/nvidia-smi.txt" 2>&1 || ! grep -q "^GPU" "$OUT/nvidia-smi.txt"; then
  say "no GPU: nvidia-smi lists no CUDA device on this machine ($(head -c 200 "$OUT/nvidia-smi.txt" | tr '\n' ' '))"
  if [ "${GPU_CHECK_DRY_RUN:-0}" != "1" ]; then
    say "nothing built or run; run this script on a machine with a GPU"
    exit 3
  fi
  say "dry run: building and testing anyway (GPU tests will skip)"
else
  say "GPU: $(grep '^GPU' "$OUT/nvidia-smi.txt" | head -1)"
fi

# 3. OpenBLAS for the build and at run time: the installed wheel, or the one in .whl/.
if ! "$PY" -c "import scipy_openblas32" 2>/dev/null; then
  if ! ls "$ROOT"/.whl/scipy_openblas32-*.whl >/dev/null 2>&1; then
    say "FAIL: python3 has no scipy_openblas32 and .whl/ holds no scipy_openblas32 wheel (see this script's header)"
    exit 2
  fi
  "$PY" -m pip install --no-index --find-links "$ROOT/.whl" --user scipy-openblas32 > "$OUT/pip.log" 2>&1 \
    || "$PY" -m pip install --no-index --find-links "$ROOT/.whl" --break-system-packages scipy-openblas32 >> "$OUT/pip.log" 2>&1 \
    || { say "FAIL: could not install scipy-openblas32 from .whl/ (see pip.log)"; exit 2; }
fi

# 4. Build (sm_90 only, all cores).
B=$ROOT/build-gpu-check
say "build: $(elapsed) configuring $B"
if ! cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTEEPEST_CUDA=ON -DSTEEPEST_PYTHON=ON \
     -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_CUDA_COMPILER="$NVCC" -DPython_EXECUTABLE="$(command -v "$PY")" \
     > "$OUT/build.log" 2>&1 ||
   ! cmake --build "$B" -j "$(nproc)" >> "$OUT/build.log" 2>&1; then
  say "FAIL: build (last lines of build.log):"
  tail -n 30 "$OUT/build.log" | tee -a "$SUMMARY"
  exit 2
fi
rm -rf "$B/pkg" && mkdir -p "$B/pkg" && cp -r python/steepest "$B/pkg/" && cp -f "$B"/python/bindings/_core*.so "$B/pkg/steepest/"
export PYTHONPATH=$B/pkg
say "build: $(elapsed) done; $("$PY" -c 'import steepest as st; print("cuda build:", st._core.build_info()["cuda"], "| device:", st.cuda.get_device_name() if st.cuda.is_available() else "NONE")' 2>&1)"

# 5. GPU tests: the CUDA test files and everything named cuda/gpu, with a hard time limit.
rc=0
(cd "$ROOT" && timeout 240 "$PY" -m pytest tests -q -p no:cacheprovider -rs -k "cuda or gpu" \
   --junitxml="$OUT/pytest.xml" > "$OUT/pytest.log" 2>&1)
trc=$?
say "tests: $(elapsed) pytest exit $trc: $(tail -n 1 "$OUT/pytest.log")"
if [ $trc -ne 0 ]; then
  rc=1
  grep -E "^(FAILED|ERROR)" "$OUT/pytest.log" | head -n 40 | tee -a "$SUMMARY"
fi

# 6. GPU benchmarks, each under 60 s.
shopt -s nullglob
for b in bench/cuda/*.py; do
  name=$(basename "$b" .py)
  timeout 60 "$PY" "$b" > "$OUT/bench_$name.log" 2>&1
  brc=$?
  say "bench $name: $(elapsed) exit $brc"
  tail -n 15 "$OUT/bench_$name.log" >> "$SUMMARY"
  [ $brc -ne 0 ] && rc=1
done

say "total $(elapsed); result: $([ $rc -eq 0 ] && echo PASS || echo FAIL)"
exit $rc
