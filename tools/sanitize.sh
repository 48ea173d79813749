#!/usr/bin/env bash
# Sanitizer run (ASan + UBSan): builds the core, the C++ tests and the Python extension with
# -fsanitize=address,undefined into BUILD_DIR (default build-asan), runs every C++ test, then
# the Python tests that drive the core's edges (sizes, strides, scalars, hooks, files, fuzz)
# against that extension. Any sanitizer report fails the run (halt_on_error, no recovery).
# Usage: tools/sanitize.sh [build-dir]      (PYTHON selects the interpreter; .ci/run calls it)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${1:-build-asan}
PY=${PYTHON:-$(command -v python)}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

# Only the instruction sets this CPU runs: code that cannot execute here cannot be checked here.
skip=""
"$PY" - <<'EOF' || skip="avx512"
import sys
flags = open("/proc/cpuinfo").read()
sys.exit(0 if all(f in flags for f in ("avx512f", "avx512bw", "avx512dq", "avx512vl")) else 1)
EOF

# The extension's build needs pybind11's CMake files (a pip install builds in an isolated
# environment, so the interpreter's own environment may lack it).
"$PY" -c "import pybind11" 2>/dev/null || "$PY" -m pip install -q "pybind11>=3.0"

if [ ! -f "$B/build.ninja" ]; then
  # -O1: ASan's own guidance for speed with readable reports; no debug info (the build time is
  # what CI pays), symbolized frames still name the functions.
  cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS="-O1 $SAN" \
    -DCMAKE_EXE_LINKER_FLAGS="$SAN" -DCMAKE_SHARED_LINKER_FLAGS="$SAN" -DCMAKE_MODULE_LINKER_FLAGS="$SAN" \
    -DSTEEPEST_KERNEL_OPT=-O1 -DSTEEPEST_SKIP_ISAS="$skip" \
    -DSTEEPEST_PYTHON=ON -DSTEEPEST_BUILD_TESTS=ON -DPython_EXECUTABLE="$PY" >/dev/null
fi
cmake --build "$B"

export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "--- C++ tests under ASan+UBSan"
ctest --test-dir "$B" --output-on-failure

echo "--- Python tests of the core's edges under ASan+UBSan"
# The interpreter is not instrumented, so the runtimes are preloaded; leak checking stays off
# (CPython keeps interned objects alive until exit by design).
PKG="$B/pkg"
rm -rf "$PKG" && mkdir -p "$PKG"
cp -r python/steepest "$PKG/"
rm -f "$PKG"/steepest/_core*.so
cp "$B"/python/bindings/_core*.so "$PKG/steepest/"
CXX=$(cmake -L -N "$B" 2>/dev/null | sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p')
CXX=${CXX:-c++}
PRELOAD="$($CXX -print-file-name=libasan.so):$($CXX -print-file-name=libubsan.so)"
# The files named here run whole; together they cover creation sizes, views and strides,
# scalar ranges, hook and fused-backward shape checks, deep graphs, parameter mutation,
# optimizer state loading and mixed precision, the flat arena, every ISA's elementwise
# kernels, the deterministic and bf16 GEMMs, checkpoint files, the op and file fuzzers, and
# the geometry and index checks of conv/pool (and both direct conv kernels), batch norm, the
# recurrent layers, sort/select, the counting ops, divmod and the samplers, the float8 conversions and _scaled_mm, autocast's
# casts and cache, the 16-bit conv/attention/nn kernels and erfc/erfinv. The rest of the
# suite repeats these kernels on ordinary inputs.
TESTS=(
  tests/test_size_overflow.py tests/test_shape.py tests/test_scalar_range.py tests/test_grad_checks.py
  tests/test_nn_fused.py tests/test_autograd_release.py tests/test_index.py tests/test_join.py
  tests/test_optim_param_mutation.py tests/test_optim_load_state_checks.py tests/test_optim_strided_params.py
  tests/test_serialization.py tests/test_serialization_files.py tests/test_fuzz.py
  tests/test_tensor.py tests/test_autograd_views.py tests/test_optim_mixed.py tests/test_optim_arena.py
  tests/test_elementwise.py tests/test_determinism.py
  tests/test_conv.py tests/test_conv_direct.py tests/test_pool.py tests/test_batch_norm.py
  tests/test_nn_rnn.py tests/test_nn_rnn_packed.py
  tests/test_ops_sort.py tests/test_ops_count.py tests/test_ops_divmod.py tests/test_ops_sampling.py
  tests/test_bf16_gemm.py tests/test_nn_activations_extra.py tests/test_torch_checkpoint.py
  tests/test_fp8_dtype.py tests/test_scaled_mm.py tests/test_float8_linear.py tests/test_autocast.py
  tests/test_lowp_conv.py tests/test_lowp_attention.py tests/test_lowp_nn.py tests/test_ops_special_erf.py
  tests/test_torch_surface_gaps.py tests/test_ctc_loss.py
)
(cd "$ROOT" && LD_PRELOAD="$PRELOAD" PYTHONPATH="$PKG" STEEPEST_SANITIZED=1 \
  "$PY" -m pytest "${TESTS[@]}" -q -p no:cacheprovider -x)
echo "sanitizers: clean"
