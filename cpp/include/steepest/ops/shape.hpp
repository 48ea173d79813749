// Views and shape changes. Views share storage with their base; reshape copies only when
// no view is possible.
#pragma once
#include <vector>

#include "../tensor.hpp"

namespace steepest {

Tensor view(const Tensor& t, Shape shape);      // one -1 allowed; RuntimeError-like ValueError if not viewable
Tensor reshape(const Tensor& t, Shape shape);   // view when possible, else a copy
Tensor flatten(const Tensor& t, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& t, const std::vector<int64_t>& dims);
Tensor t(const Tensor& t);                      // 2-D transpose (0-D, 1-D unchanged)
Tensor expand(const Tensor& t, Shape shape);    // -1 keeps a size; new dims on the left
Tensor broadcast_to(const Tensor& t, const Shape& shape);
Tensor squeeze(const Tensor& t);
Tensor squeeze(const Tensor& t, int64_t dim);
Tensor unsqueeze(const Tensor& t, int64_t dim);
// Python's t[start:stop:step] along `dim`; bounds are clipped like Python's, step > 0.
Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step = 1);
Tensor select(const Tensor& t, int64_t dim, int64_t index);  // drops dim; IndexError if out of range
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
Tensor as_strided(const Tensor& t, Shape shape, Strides strides, int64_t offset);

}  // namespace steepest
