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
  Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());  // drawn on x's device by its random kernel
  bernoulli_(mask, 1.0 - p, gen);
  mul_(mask, Scalar(1.0 / (1.0 - p)));
  return mul(x, mask);
}

}  // namespace steepest::nn::functional
