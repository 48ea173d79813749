// Dispatch stubs of the recurrent layers: one layer and direction over the whole sequence,
// forward and backward. The op (nn/rnn.cpp) has checked shapes and dtypes (float32 or
// float64, all alike), made every input dense and allocated the results on their device.
#pragma once
#include "dispatch/stub.hpp"
#include "steepest/nn/recurrent.hpp"

namespace steepest::dispatch {

using nn::functional::RnnMode;

// Floats the forward saves per step and batch row for the backward, in units of H:
// LSTM: the activated gates i, f, g, o and the cell state c (5); GRU: r, z, n and the hidden
// projection of the n gate, W_hn h + b_hn (4); RNN: none (its output is enough).
inline int64_t rnn_saved_per_row(RnnMode m) { return m == RnnMode::Lstm ? 5 : m == RnnMode::Gru ? 4 : 0; }

// xp (T, B, G*H), h0 (B, H), c0 (B, H) for LSTM (else undefined), w (G*H, H), b (G*H) or
// undefined. Writes out (T, B, H), hn (B, H), cn (B, H) for LSTM, and ws (T, B, saved*H).
// Step t reads the state of step t-1 (t+1 when reverse). lengths: undefined (every row runs
// all T steps) or int64 (B,) on the host, each in [1, T]: row r runs only the steps t <
// lengths[r]; at the others its state passes through unchanged (out[t, r] holds it), so h_n
// is each row's state after its own last step (after t = 0 when reverse).
using RnnLayerKernel = void (*)(RnnMode mode, bool reverse, const Tensor& out, const Tensor& hn, const Tensor& cn,
                                const Tensor& ws, const Tensor& xp, const Tensor& h0, const Tensor& c0,
                                const Tensor& w, const Tensor& b, const Tensor& lengths);
// From the gradients gout (T, B, H), ghn and gcn (B, H) (all dense; zeros where the output had
// none) and the forward's out, ws, h0, c0 and w: writes gxp (T, B, G*H), gh0, gc0 (LSTM),
// gw (G*H, H) and gb (G*H, or undefined when there is no bias). Every result is written whole.
using RnnLayerBackwardKernel = void (*)(RnnMode mode, bool reverse, const Tensor& gxp, const Tensor& gh0,
                                        const Tensor& gc0, const Tensor& gw, const Tensor& gb, const Tensor& gout,
                                        const Tensor& ghn, const Tensor& gcn, const Tensor& out, const Tensor& ws,
                                        const Tensor& h0, const Tensor& c0, const Tensor& w,
                                        const Tensor& lengths);

STEEPEST_DECLARE_STUB(RnnLayerKernel, rnn_layer_stub);
STEEPEST_DECLARE_STUB(RnnLayerBackwardKernel, rnn_layer_backward_stub);

}  // namespace steepest::dispatch
