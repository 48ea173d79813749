// Reductions over all elements or over chosen dims, with keepdim. Float sums use blocked
// pairwise accumulation (error grows like O(eps * log n), not O(eps * n)); results do not
// depend on the thread count. 16-bit floats accumulate in float32.
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "../tensor.hpp"

namespace steepest {

using Dims = std::vector<int64_t>;  // empty: all dims

// Integer and bool inputs sum to int64 unless `dtype` says otherwise (torch).
Tensor sum(const Tensor& t, const Dims& dims = {}, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& t, const Dims& dims = {}, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);  // floating input or dtype required
Tensor amax(const Tensor& t, const Dims& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& t, const Dims& dims = {}, bool keepdim = false);
// torch.max(t) / torch.min(t): the largest (smallest) element as a 0-d tensor; NaN if any.
Tensor max(const Tensor& t);
Tensor min(const Tensor& t);
// torch.max(t, dim): the values and the index of the first maximum (a NaN counts as the max).
std::pair<Tensor, Tensor> max(const Tensor& t, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& t, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& t, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
// correction = 1 is Bessel's (unbiased) estimate, as torch's default.
Tensor var(const Tensor& t, const Dims& dims = {}, double correction = 1, bool keepdim = false);
Tensor std(const Tensor& t, const Dims& dims = {}, double correction = 1, bool keepdim = false);

}  // namespace steepest
