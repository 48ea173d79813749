// Joining and splitting tensors along a dim.
#pragma once
#include <vector>

#include "../tensor.hpp"

namespace steepest {

// dtypes promote; 1-D empty tensors are skipped in the shape checks (torch's legacy rule).
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);  // equal shapes, new dim
// Pieces of `split_size` (the last may be smaller); views.
std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim = 0);
// Pieces of ceil(size / chunks) (so possibly fewer than `chunks`), as torch; views.
std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim = 0);

}  // namespace steepest
