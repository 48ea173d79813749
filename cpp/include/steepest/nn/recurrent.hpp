// Recurrent layers (torch.nn.RNN / LSTM / GRU and their cells), each differentiable. One layer
// and direction is one op: its input projection for all time steps is one GEMM (linear), and
// the recurrence runs in the device's kernel, a GEMM per step for the hidden projection and
// one fused pass for the gate nonlinearities and the state update; its backward walks the
// sequence once in reverse and finishes with one GEMM for the hidden weights' gradient.
#pragma once
#include <vector>

#include "../ops/random.hpp"
#include "../tensor.hpp"

namespace steepest::nn::functional {

// Gate layouts follow torch: LSTM (i, f, g, o), GRU (r, z, n); RNN has one gate.
enum class RnnMode : uint8_t { Tanh, Relu, Lstm, Gru };
// Number of gate blocks of H rows in the weights of each mode (1, 1, 4, 3).
int64_t rnn_gates(RnnMode mode);

// One layer, one direction. xp (T, B, G*H): the input projection x W_ih^T + b_ih for every
// step; h0 (B, H); c0 (B, H) for LSTM (undefined otherwise); w_hh (G*H, H); b_hh (G*H) or
// undefined. reverse walks t from T-1 down to 0. Returns {out (T, B, H), h_T, c_T} (c_T
// undefined unless LSTM). lengths (optional, int64 (B,), each in [1, T], read on the host): row b is
// a sequence of lengths[b] steps; past its end its state passes through unchanged (out keeps
// repeating it there), so h_T and c_T hold each row's state after its own last step.
std::vector<Tensor> rnn_layer(RnnMode mode, const Tensor& xp, const Tensor& h0, const Tensor& c0,
                              const Tensor& w_hh, const Tensor& b_hh, bool reverse,
                              const Tensor& lengths = Tensor());

// The whole stack, torch's nn.RNN/LSTM/GRU forward. input (T, B, I), (B, T, I) when
// batch_first, or unbatched (T, I); h0 and c0 (layers * dirs, B, H) ((layers * dirs, H)
// unbatched) or undefined for zeros. params: per layer and direction w_ih, w_hh then, when
// has_biases, b_ih, b_hh. Dropout applies to the outputs of every layer but the last when
// training. lengths: as rnn_layer's, for batches of padded sequences of different lengths
// (what a PackedSequence holds); output past a row's length is not meaningful there.
// Returns {output, h_n, c_n} (c_n undefined unless LSTM).
std::vector<Tensor> rnn(RnnMode mode, const Tensor& input, const Tensor& h0, const Tensor& c0,
                        const std::vector<Tensor>& params, bool has_biases, int64_t num_layers, double dropout,
                        bool training, bool bidirectional, bool batch_first, Generator* gen = nullptr,
                        const Tensor& lengths = Tensor());

// One step, torch's RNNCell/LSTMCell/GRUCell: input (B, I) or (I,); h and c (B, H) or (H,),
// undefined for zeros. Returns {h', c'} (c' undefined unless LSTM).
std::vector<Tensor> rnn_cell(RnnMode mode, const Tensor& input, const Tensor& h, const Tensor& c,
                             const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh);

}  // namespace steepest::nn::functional
