// The per-element math of the FP8 recipe that both backends run (host-device): the NaN-winning
// maximum behind amax, and the delayed-scaling update of the amax history and the scale. The
// cast itself is steepest/float8.hpp's saturate_to, also host-device.
#pragma once
#include <cmath>
#include <cstdint>

#include "steepest/half.hpp"  // STEEPEST_HD

namespace steepest::kernels {

// max that lets a NaN win, so a NaN anywhere reaches the amax (and the scale update skips it).
STEEPEST_HD inline float fp8_nan_max(float a, float b) { return (a != a || a > b) ? a : b; }

// history (len >= 1) shifts by one, history[0] = amax; then scale = fp8_max / max(history) /
// pow2_margin when that maximum is finite and positive (else the scale stays). One thread:
// the history is short and each shift reads the previous slot. pow2_margin = 2^margin comes
// from the host, so both backends divide by the same double.
STEEPEST_HD inline void fp8_update_scale(float* h, int64_t len, float amax, double fp8_max, double pow2_margin,
                                         float* scale) {
  for (int64_t i = len - 1; i > 0; --i) h[i] = h[i - 1];
  h[0] = amax;
  float m = 0.0f;
  for (int64_t i = 0; i < len; ++i) m = fp8_nan_max(m, h[i]);
  if (m == m && m < INFINITY && m > 0.0f) *scale = float(fp8_max / double(m) / pow2_margin);
}

}  // namespace steepest::kernels
