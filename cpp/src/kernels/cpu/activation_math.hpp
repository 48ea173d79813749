// Per-element value and derivative of the parameterised activations (leaky_relu, elu, selu,
// celu, hardswish, hardsigmoid, hardtanh, mish, logsigmoid, softsign), computed in double and
// rounded once to the element type, so every instruction set gives the same bits.
#pragma once
#include <cmath>

#include "dispatch/nn.hpp"

namespace steepest::kernels::cpu {

// SELU's fixed constants (Klambauer et al., 2017), to double precision.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// log(1 + e^x) without overflow for large x or cancellation for very negative x.
inline double softplus1(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// act(x); p0, p1 are the activation's parameters (dispatch/nn.hpp says which is which).
inline double act_value(dispatch::Activation act, double x, double p0, double p1) {
  using A = dispatch::Activation;
  switch (act) {
    case A::LeakyRelu: return x > 0 ? x : p0 * x;
    case A::Elu: return x > 0 ? x : p0 * std::expm1(x);
    case A::Selu: return kSeluScale * (x > 0 ? x : kSeluAlpha * std::expm1(x));
    case A::Celu: return x > 0 ? x : p0 * std::expm1(x / p0);
    case A::Hardswish: return x <= -3 ? 0.0 : x >= 3 ? x : x * (x + 3) / 6;
    case A::Hardsigmoid: return x <= -3 ? 0.0 : x >= 3 ? 1.0 : x / 6 + 0.5;
    case A::Hardtanh: return x < p0 ? p0 : x > p1 ? p1 : x;
    case A::Mish: return x * std::tanh(softplus1(x));
    case A::LogSigmoid: return -softplus1(-x);
    case A::Softsign: return x / (1 + std::fabs(x));
    default: return x;  // the others have their own kernels
  }
}

// d act / dx at x (torch's choice of one-sided derivative at the kinks).
inline double act_derivative(dispatch::Activation act, double x, double p0, double p1) {
  using A = dispatch::Activation;
  switch (act) {
    case A::LeakyRelu: return x > 0 ? 1.0 : p0;
    case A::Elu: return x > 0 ? 1.0 : p0 * std::exp(x);
    case A::Selu: return kSeluScale * (x > 0 ? 1.0 : kSeluAlpha * std::exp(x));
    case A::Celu: return x > 0 ? 1.0 : std::exp(x / p0);
    case A::Hardswish: return x <= -3 ? 0.0 : x < 3 ? x / 3 + 0.5 : 1.0;
    case A::Hardsigmoid: return x > -3 && x < 3 ? 1.0 / 6 : 0.0;
    case A::Hardtanh: return x <= p0 || x >= p1 ? 0.0 : 1.0;
    case A::Mish: {
      const double t = std::tanh(softplus1(x)), s = 1 / (1 + std::exp(-x));
      return t + x * s * (1 - t * t);
    }
    case A::LogSigmoid: return 1 / (1 + std::exp(x));  // sigmoid(-x)
    case A::Softsign: {
      const double d = 1 + std::fabs(x);
      return 1 / (d * d);
    }
    default: return 1.0;
  }
}

}  // namespace steepest::kernels::cpu
