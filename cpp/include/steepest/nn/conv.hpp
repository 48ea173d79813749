// Convolution and pooling (torch.nn.functional's semantics), each differentiable. Size
// arguments are vectors of one value (used for every spatial dim) or one value per spatial
// dim. Inputs are batched (N, C, *spatial) or unbatched (C, *spatial); float32 and float64
// compute natively, bfloat16/float16 in float32.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../tensor.hpp"

namespace steepest::nn::functional {

using SizeArg = std::vector<int64_t>;

// ---- convolution ----
// weight (out_channels, in_channels / groups, *kernel); bias (out_channels) or undefined.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), const SizeArg& stride = {1},
              const SizeArg& padding = {0}, const SizeArg& dilation = {1}, int64_t groups = 1);
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), const SizeArg& stride = {1},
              const SizeArg& padding = {0}, const SizeArg& dilation = {1}, int64_t groups = 1);
// padding "valid" (none) or "same" (output as large as the input; stride 1 only; an odd
// total padding puts the extra row/column at the bottom/right).
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const SizeArg& stride,
              const std::string& padding, const SizeArg& dilation = {1}, int64_t groups = 1);
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const SizeArg& stride,
              const std::string& padding, const SizeArg& dilation = {1}, int64_t groups = 1);
// The transposed convolution (the gradient of conv with respect to its input): weight
// (in_channels, out_channels / groups, *kernel); bias (out_channels) or undefined.
Tensor conv_transpose1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        const SizeArg& stride = {1}, const SizeArg& padding = {0},
                        const SizeArg& output_padding = {0}, int64_t groups = 1, const SizeArg& dilation = {1});
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        const SizeArg& stride = {1}, const SizeArg& padding = {0},
                        const SizeArg& output_padding = {0}, int64_t groups = 1, const SizeArg& dilation = {1});

// ---- patches ----
// (N, C, H, W) -> (N, C * kh * kw, L): every sliding block as a column (im2col).
Tensor unfold(const Tensor& x, const SizeArg& kernel_size, const SizeArg& dilation = {1},
              const SizeArg& padding = {0}, const SizeArg& stride = {1});
// (N, C * kh * kw, L) -> (N, C, *output_size): the blocks summed back into place (col2im).
Tensor fold(const Tensor& x, const SizeArg& output_size, const SizeArg& kernel_size, const SizeArg& dilation = {1},
            const SizeArg& padding = {0}, const SizeArg& stride = {1});

// ---- pooling ----
// stride empty = kernel_size. The indices (int64, flat positions within each input plane)
// come second; pooling with return_indices=false simply drops them.
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const SizeArg& kernel_size,
                                                  const SizeArg& stride = {}, const SizeArg& padding = {0},
                                                  const SizeArg& dilation = {1}, bool ceil_mode = false);
std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, const SizeArg& kernel_size,
                                                  const SizeArg& stride = {}, const SizeArg& padding = {0},
                                                  const SizeArg& dilation = {1}, bool ceil_mode = false);
// divisor_override replaces the window size as the divisor (it must not be 0).
Tensor avg_pool2d(const Tensor& x, const SizeArg& kernel_size, const SizeArg& stride = {},
                  const SizeArg& padding = {0}, bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor avg_pool1d(const Tensor& x, const SizeArg& kernel_size, const SizeArg& stride = {},
                  const SizeArg& padding = {0}, bool ceil_mode = false, bool count_include_pad = true);
// output_size entries of -1 keep the input's size along that dim.
Tensor adaptive_avg_pool2d(const Tensor& x, const SizeArg& output_size);
Tensor adaptive_avg_pool1d(const Tensor& x, const SizeArg& output_size);
std::pair<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& x, const SizeArg& output_size);
std::pair<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& x, const SizeArg& output_size);

}  // namespace steepest::nn::functional
