// Neural-network functions (torch.nn.functional's semantics), each differentiable: the
// backward of each sits beside its forward in cpp/src/nn/<family>.cpp. Softmax, log_softmax,
// cross_entropy and layer_norm are single fused, numerically stable kernels.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "../ops/random.hpp"
#include "../tensor.hpp"

namespace steepest::nn::functional {

// How a loss folds its per-element values: none (keep them), mean, or sum.
enum class Reduction { None, Mean, Sum };
// "none" / "mean" / "sum" (ValueError naming `op` otherwise).
Reduction parse_reduction(const std::string& s, const char* op = "loss");

// ---- linear ----
// x (..., in) @ weight(out, in)^T + bias(out): one GEMM with weight read transposed in place.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- activations ----
// The Gauss error function, elementwise (float: <= 2 ulp; double: libm).
Tensor erf(const Tensor& x);
// approximate: "none" (exact, x Phi(x) via erf) or "tanh".
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
Tensor silu(const Tensor& x);
// log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (torch).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
// torch's pointwise activations; each computes in double per element and rounds once.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);
Tensor celu(const Tensor& x, double alpha = 1.0);
Tensor hardswish(const Tensor& x);
Tensor hardsigmoid(const Tensor& x);
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
Tensor mish(const Tensor& x);
Tensor logsigmoid(const Tensor& x);
Tensor softsign(const Tensor& x);
// Along `dim`; `dtype` casts the input first (torch's argument). 16-bit floats compute in float32.
Tensor softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);

// ---- losses ----
// logits (N, C), (N, C, d1, ...) or (C,); target: class indices (int64/int32, shape without
// C) or probabilities (floating, logits' shape). weight (C,) rescales classes.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight = Tensor(),
                     int64_t ignore_index = -100, Reduction reduction = Reduction::Mean,
                     double label_smoothing = 0.0);
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight = Tensor(),
                int64_t ignore_index = -100, Reduction reduction = Reduction::Mean);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// Stable form: (1 - y) x + (1 + (pw - 1) y) log(1 + e^-x), times weight.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                                        const Tensor& pos_weight = Tensor(), Reduction reduction = Reduction::Mean);

// Connectionist temporal classification (torch's ctc_loss). log_probs (T, N, C) or unbatched
// (T, C), float32/float64; targets int64/int32 labels in [0, C) other than blank, padded (N, S)
// or concatenated (sum(target_lengths),); one input and one target length per sequence. mean
// divides each loss by its target length (at least 1) before averaging; zero_infinity zeroes
// the losses of impossible alignments and their gradients.
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const std::vector<int64_t>& input_lengths,
                const std::vector<int64_t>& target_lengths, int64_t blank = 0, Reduction reduction = Reduction::Mean,
                bool zero_infinity = false);
// The lengths as integer tensors of any shape, read on the host.
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank = 0, Reduction reduction = Reduction::Mean,
                bool zero_infinity = false);

// ---- normalization ----
// Normalizes over the trailing dims `normalized_shape`; weight and bias have that shape.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
// x / sqrt(mean(x^2) + eps) * weight over the trailing dims `normalized_shape`; eps defaults
// to the machine epsilon of x's dtype (torch).
Tensor rms_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                std::optional<double> eps = std::nullopt);
// Batch norm of x (N, C, *): per channel, over dim 0 and the trailing dims. training: the
// batch's mean and biased variance normalize, and defined running_mean/var (C,) are updated in
// place, r = (1 - momentum) r + momentum stat (the unbiased variance); else the running
// statistics normalize. weight, bias: (C,) or undefined. float32/float64.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                  double momentum = 0.1, double eps = 1e-5);

// ---- embedding ----
// Rows of weight (num, dim) picked by integer `indices` (any shape): (*indices.shape, dim).
// The padding_idx row receives no gradient.
Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx = std::nullopt);

// ---- dropout ----
// Zeroes each element with probability p (Philox, from `gen` or the default generator) and
// scales the rest by 1/(1-p); the identity when !training or p == 0.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* gen = nullptr);

// ---- attention ----
// softmax(q k^T * scale + mask) v over the last two dims (batch dims broadcast). attn_mask:
// bool (true = attend) or floating (added). scale defaults to 1/sqrt(q.size(-1)).
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask = Tensor(), double dropout_p = 0.0,
                                    bool is_causal = false, std::optional<double> scale = std::nullopt,
                                    Generator* gen = nullptr);

}  // namespace steepest::nn::functional
