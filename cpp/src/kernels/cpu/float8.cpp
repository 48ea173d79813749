// The CPU kernels of the FP8 recipe (dispatch/float8.hpp): the saturating scaled cast fused
// with the absolute maximum, and the delayed-scaling history and scale update.
#include <omp.h>

#include <cmath>
#include <vector>

#include "dispatch/float8.hpp"
#include "kernels/float8_scaling.hpp"

namespace steepest::kernels::cpu {

namespace {

using kernels::fp8_nan_max;

template <class X, class F8>
void cast_typed(F8* out, const X* x, float scale, int64_t n, float* amax) {
  const int nt = n >= (1 << 16) ? omp_get_max_threads() : 1;
  std::vector<float> part(size_t(nt), 0.0f);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    const int64_t b = n * t / nt, e = n * (t + 1) / nt;
    float m = 0.0f;
    if (out) {
      for (int64_t i = b; i < e; ++i) {
        const float v = float(x[i]);
        m = fp8_nan_max(m, std::fabs(v));
        out[i] = saturate_to<F8>(v * scale);
      }
    } else {
      for (int64_t i = b; i < e; ++i) m = fp8_nan_max(m, std::fabs(float(x[i])));
    }
    part[size_t(t)] = m;
  }
  if (amax) {
    float m = 0.0f;
    for (float p : part) m = fp8_nan_max(m, p);
    *amax = m;
  }
}

template <class X>
void cast_from(const Tensor& out, const Tensor& x, float scale, float* amax) {
  const X* xp = static_cast<const X*>(x.data_ptr());
  const int64_t n = x.numel();
  if (!out.defined() || out.dtype() == kFloat8E4M3FN)
    cast_typed<X>(out.defined() ? static_cast<float8_e4m3fn*>(out.data_ptr()) : nullptr, xp, scale, n, amax);
  else
    cast_typed<X>(static_cast<float8_e5m2*>(out.data_ptr()), xp, scale, n, amax);
}

void float8_cast(const Tensor& out, const Tensor& x, const Tensor& scale, const Tensor& amax) {
  const float s = *scale.data<float>();
  float* a = amax.defined() ? amax.data<float>() : nullptr;
  switch (x.dtype()) {
    case kFloat32: return cast_from<float>(out, x, s, a);
    case kBFloat16: return cast_from<bfloat16>(out, x, s, a);
    case kFloat16: return cast_from<float16>(out, x, s, a);
    default: throw TypeError(str("float8 cast: unexpected input dtype ", dtype_name(x.dtype())));
  }
}

void float8_scaling(const Tensor& history, const Tensor& scale, const Tensor& amax, double fp8_max, double margin) {
  kernels::fp8_update_scale(history.data<float>(), history.numel(), *amax.data<float>(), fp8_max, std::exp2(margin),
                            scale.data<float>());
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::float8_cast_stub, CPU, float8_cast);
STEEPEST_REGISTER_KERNEL(dispatch::float8_scaling_stub, CPU, float8_scaling);

}  // namespace steepest::kernels::cpu
