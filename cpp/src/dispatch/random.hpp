// Dispatch stubs of the random fills. Each kernel reserves its Philox blocks from the
// generator and writes element i of the draw at flat position i of a dense tensor (the op
// hands a dense buffer and copies it into a strided target), so a draw's values depend only
// on the seed, the generator's offset and the element count: the stream documented in
// steepest/ops/random.hpp, the same on every device.
#pragma once
#include "dispatch/stub.hpp"
#include "steepest/ops/random.hpp"

namespace steepest::dispatch {

enum class RandomDist : uint8_t {
  Uniform,    // [a, b)
  Normal,     // mean a, standard deviation b
  Bernoulli,  // 1 with probability a, else 0
  Exponential,  // rate a
  Geometric,    // trials to the first success, success probability a (values 1, 2, ...)
  Cauchy,       // median a, scale b
  LogNormal,    // exp of a normal with mean a, standard deviation b
};

// Fills a dense tensor (floating for Uniform and Normal, any dtype for Bernoulli).
using RandomKernel = void (*)(RandomDist dist, const Tensor& t, double a, double b, Generator& g);
// Integers in [low, high) into a dense tensor of any dtype that holds them.
using RandintKernel = void (*)(const Tensor& t, int64_t low, int64_t high, Generator& g);
// out = 1 with probability probs[i] (a dense float64 tensor of out's size), else 0;
// ValueError naming the first probability outside [0, 1].
using BernoulliTensorKernel = void (*)(const Tensor& out, const Tensor& probs, Generator& g);
// Samples category indices from each row of probs (dense float64, `rows` x k, rows checked:
// finite, non-negative, positive sum; without replacement at least n non-zero entries) into
// the dense int64 out (rows x n).
using MultinomialKernel = void (*)(const Tensor& out, const Tensor& probs, int64_t rows, bool replacement,
                                   Generator& g);
// A uniform permutation of 0..n-1 into a dense 1-D out of n elements.
using RandpermKernel = void (*)(const Tensor& out, Generator& g);

STEEPEST_DECLARE_STUB(RandomKernel, random_stub);
STEEPEST_DECLARE_STUB(RandintKernel, randint_stub);
STEEPEST_DECLARE_STUB(BernoulliTensorKernel, bernoulli_tensor_stub);
STEEPEST_DECLARE_STUB(RandpermKernel, randperm_stub);
STEEPEST_DECLARE_STUB(MultinomialKernel, multinomial_stub);

}  // namespace steepest::dispatch
