// Dispatch stubs of the fused nn ops: activations, softmax, layer_norm, cross-entropy and
// nll_loss, embedding, and the index check they share. The functional op has checked its
// arguments, made its inputs contiguous float32/float64 (16-bit ones compute in float32),
// and allocated the results on the inputs' device; a backward's undefined result is one
// that is not needed.
#pragma once
#include "dispatch/index.hpp"  // find_bad_index_stub checks targets and embedding indices
#include "dispatch/stub.hpp"
#include "steepest/nn/functional.hpp"

namespace steepest::dispatch {

using nn::functional::Reduction;

enum class Activation : uint8_t { Erf, Gelu, GeluTanh, Silu, Softplus, LeakyRelu, Elu, Selu, Celu, Hardswish,
                                  Hardsigmoid, Hardtanh, Mish, LogSigmoid, Softsign };

// y = act(x) and gx = g act'(x), elementwise over dense same-shaped tensors of one dtype
// (float32, float64, or bfloat16/float16 computed in float32 and rounded once). beta and
// threshold are the activation's two parameters: softplus's beta and threshold, leaky_relu's
// slope (beta), elu's and celu's alpha (beta), hardtanh's min (beta) and max (threshold);
// the others ignore them.
using ActivationKernel = void (*)(Activation act, const Tensor& y, const Tensor& x, double beta, double threshold);
using ActivationBackwardKernel = void (*)(Activation act, const Tensor& gx, const Tensor& x, const Tensor& g,
                                          double beta, double threshold);

// Softmax (log_softmax when `log`) of each row along the last dim of a dense x; its backward
// from the output y and the gradient g.
using SoftmaxKernel = void (*)(const Tensor& y, const Tensor& x, bool log);
using SoftmaxBackwardKernel = void (*)(const Tensor& gx, const Tensor& y, const Tensor& g, bool log);

// Layer norm over rows of N = x.numel() / mean.numel() trailing values; w and b (shape of the
// normalized dims) may be undefined. Writes y, and mean and 1/std (M,) per row for the backward.
using LayerNormKernel = void (*)(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                                 const Tensor& w, const Tensor& b, double eps);
// gx (x's shape), gw and gb (w's shape) as needed (each may be undefined).
using LayerNormBackwardKernel = void (*)(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x,
                                         const Tensor& g, const Tensor& w, const Tensor& mean, const Tensor& rstd);

// RMS norm over rows of N = x.numel() / rstd.numel() trailing values; w (shape of the
// normalized dims) may be undefined. Writes y and 1/rms (M,) per row for the backward.
using RmsNormKernel = void (*)(const Tensor& y, const Tensor& rstd, const Tensor& x, const Tensor& w, double eps);
// gx (x's shape) and gw (w's shape) as needed (either may be undefined).
using RmsNormBackwardKernel = void (*)(const Tensor& gx, const Tensor& gw, const Tensor& x, const Tensor& g,
                                       const Tensor& w, const Tensor& rstd);

// Constants of one cross-entropy call: logits are (M, C) rows; targets int64 class indices
// (M,) or probabilities (M, C) when `prob`. The forward fills in d1 and d2, the denominators
// of the nll and the smoothing parts, which the backward reads.
struct CrossEntropyArgs {
  int64_t C = 0, M = 0, ignore = -100;
  double ls = 0, d1 = 1, d2 = 1;
  Reduction red = Reduction::Mean;
  bool prob = false;
};
// out: the loss (shape (M,) for Reduction::None, else 0-d); lse (M, 2): per row the max and
// log sum exp(x - max), saved for the backward. w: the class weights (C,) or undefined.
using CrossEntropyKernel = void (*)(const Tensor& out, const Tensor& lse, const Tensor& x, const Tensor& target,
                                    const Tensor& w, CrossEntropyArgs& k);
// gx and gt (M, C), either undefined when not needed; g the loss's gradient (out's shape).
using CrossEntropyBackwardKernel = void (*)(const Tensor& gx, const Tensor& gt, const Tensor& g, const Tensor& x,
                                            const Tensor& target, const Tensor& lse, const Tensor& w,
                                            const CrossEntropyArgs& k);
// nll of (M, C) log-probabilities at int64 targets (M,); *d receives the mean's denominator.
using NllKernel = void (*)(const Tensor& out, const Tensor& x, const Tensor& target, const Tensor& w,
                           int64_t ignore, Reduction red, double* d);
// gx: zeros (M, C), written at the targets.
using NllBackwardKernel = void (*)(const Tensor& gx, const Tensor& g, const Tensor& target, const Tensor& w,
                                   int64_t ignore, double d);

// out (idx.shape + (dim,)) = rows of the dense (num, dim) weight at the int64 indices idx.
using EmbeddingKernel = void (*)(const Tensor& out, const Tensor& weight, const Tensor& idx);
// gw (num, dim) zeros, float32/float64: adds the rows of g (n, dim; gw's dtype) at idx, skipping `pad`.
using EmbeddingBackwardKernel = void (*)(const Tensor& gw, const Tensor& g, const Tensor& idx, int64_t pad);

STEEPEST_DECLARE_STUB(ActivationKernel, activation_stub);
STEEPEST_DECLARE_STUB(ActivationBackwardKernel, activation_backward_stub);
STEEPEST_DECLARE_STUB(SoftmaxKernel, softmax_stub);
STEEPEST_DECLARE_STUB(SoftmaxBackwardKernel, softmax_backward_stub);
STEEPEST_DECLARE_STUB(LayerNormKernel, layer_norm_stub);
STEEPEST_DECLARE_STUB(LayerNormBackwardKernel, layer_norm_backward_stub);
STEEPEST_DECLARE_STUB(RmsNormKernel, rms_norm_stub);
STEEPEST_DECLARE_STUB(RmsNormBackwardKernel, rms_norm_backward_stub);
STEEPEST_DECLARE_STUB(CrossEntropyKernel, cross_entropy_stub);
STEEPEST_DECLARE_STUB(CrossEntropyBackwardKernel, cross_entropy_backward_stub);
STEEPEST_DECLARE_STUB(NllKernel, nll_stub);
STEEPEST_DECLARE_STUB(NllBackwardKernel, nll_backward_stub);
STEEPEST_DECLARE_STUB(EmbeddingKernel, embedding_stub);
STEEPEST_DECLARE_STUB(EmbeddingBackwardKernel, embedding_backward_stub);

}  // namespace steepest::dispatch
