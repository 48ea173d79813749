// Joining and splitting tensors along a dim.
#pragma once
#include <vector>

#include "../tensor.hpp"

namespace steepest {

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);   // dtypes promote
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
// Pieces of `split_size` (the last may be smaller); views.
std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim = 0);

}  // namespace steepest
