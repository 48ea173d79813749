// Dispatch stubs of the CTC loss (nn/ctc_loss.cpp): the per-sequence negative log-likelihood
// by the alpha recursion, and its gradient by the beta recursion. The op has checked shapes,
// dtypes, every length and every label the kernels read (on the host), made log_probs dense
// float32/float64 and allocated the results on its device.
#pragma once
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

// The columns of the host-side geometry tensor `geom` (int64 (N, 3), on the CPU whatever the
// device: lengths are bookkeeping, read on the host as the recurrent layers' are). The op has
// checked 0 <= input length <= T, target length >= 0, and offset + target length <=
// targets.numel() for every sequence.
enum CtcGeom : int64_t { kCtcInputLength = 0, kCtcTargetLength = 1, kCtcTargetOffset = 2, kCtcGeomCols = 3 };

// log_probs (T, N, C) dense; targets int64 1-D dense on log_probs' device, sequence b's labels
// at [offset_b, offset_b + target_length_b), each of them in [0, C) and not the blank (the op
// has checked); 0 <= blank < C. Writes nll (N,): -log p(target_b | x_b) (inf
// when no alignment exists), and log_alpha (N, T, 2 * S + 1) for the backward, S the longest
// target (entries past a sequence's own lengths are left unspecified).
using CtcLossKernel = void (*)(const Tensor& nll, const Tensor& log_alpha, const Tensor& log_probs,
                               const Tensor& targets, const Tensor& geom, int64_t blank);
// grad (T, N, C), written whole: for t < input length, (exp(lp) - exp(log sum over the
// states s labelled c of alpha_t(s) beta_t(s) + nll - lp)) * g[b] (torch's formula: the
// gradient with respect to the logits of a log_softmax feeding the loss), zero for t past it;
// the whole sequence zero when zero_infinity and nll[b] is inf. g (N,) dense: the loss's
// gradient per sequence. The other arguments are the forward's.
using CtcLossBackwardKernel = void (*)(const Tensor& grad, const Tensor& g, const Tensor& log_probs,
                                       const Tensor& targets, const Tensor& geom, const Tensor& nll,
                                       const Tensor& log_alpha, int64_t blank, bool zero_infinity);

STEEPEST_DECLARE_STUB(CtcLossKernel, ctc_loss_stub);
STEEPEST_DECLARE_STUB(CtcLossBackwardKernel, ctc_loss_backward_stub);

}  // namespace steepest::dispatch
