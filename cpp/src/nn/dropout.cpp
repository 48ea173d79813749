// dropout: keeps each element with probability 1 - p (Philox draws from the given or the
// default generator) scaled by 1/(1 - p); backward multiplies by the same saved mask (the
// recorded product with the mask).
#include "nn/common.hpp"

namespace steepest::nn::functional {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  detail::check_float(x, "dropout", "input");
  STEEPEST_CHECK(p >= 0.0 && p <= 1.0, ValueError, "dropout: probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, Scalar(0.0));
  // A 16-bit x gets a float32 mask: the scale 1/(1 - p) is not rounded to 16 bits before the
  // product, which is rounded once (forward, and backward through the cast).
  const bool low = detail::is_16bit(x.dtype());
  Tensor mask = Tensor::empty(x.shape(), low ? kFloat32 : x.dtype(), x.device());  // drawn on x's device
  bernoulli_(mask, 1.0 - p, gen);
  mul_(mask, Scalar(1.0 / (1.0 - p)));
  return low ? to_dtype(mul(x, mask), x.dtype()) : mul(x, mask);
}

}  // namespace steepest::nn::functional
