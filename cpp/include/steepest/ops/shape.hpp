// Views and shape changes. Views share storage with their base; reshape copies only when
// no view is possible. Semantics (results, strides, errors) follow torch's.
#pragma once
#include <vector>

#include "../tensor.hpp"

namespace steepest {

// One -1 is inferred. ValueError with torch's message when the sizes don't match or the
// strides can't express the new shape ("... Use .reshape(...) instead.").
Tensor view(const Tensor& t, Shape shape);
// The same bytes read as `dtype` (no history, as torch). Equal element sizes keep the
// geometry; otherwise the last dim must have stride 1 and is rescaled (torch's rules).
Tensor view(const Tensor& t, DType dtype);
Tensor reshape(const Tensor& t, Shape shape);   // view when torch could view, else a copy
Tensor flatten(const Tensor& t, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& t, int64_t dim, Shape sizes);  // one -1 allowed in sizes
Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1);
inline Tensor swapaxes(const Tensor& x, int64_t a, int64_t b) { return transpose(x, a, b); }
inline Tensor swapdims(const Tensor& x, int64_t a, int64_t b) { return transpose(x, a, b); }
Tensor permute(const Tensor& t, const std::vector<int64_t>& dims);
Tensor t(const Tensor& t);                      // 2-D transpose (0-D, 1-D unchanged)
Tensor reverse_dims(const Tensor& t);           // Python's t.T: all dims reversed
Tensor mT(const Tensor& t);                     // Python's t.mT: last two dims swapped
Tensor movedim(const Tensor& t, const std::vector<int64_t>& source,
               const std::vector<int64_t>& destination);
Tensor movedim(const Tensor& t, int64_t source, int64_t destination);
Tensor expand(const Tensor& t, Shape shape);    // -1 keeps a size; new dims on the left; stride 0
Tensor expand_as(const Tensor& t, const Tensor& other);
Tensor broadcast_to(const Tensor& t, const Shape& shape);
Tensor squeeze(const Tensor& t);
Tensor squeeze(const Tensor& t, int64_t dim);    // no-op when that dim's size isn't 1
Tensor squeeze(const Tensor& t, const std::vector<int64_t>& dims);
Tensor unsqueeze(const Tensor& t, int64_t dim);
// Python's t[start:stop:step] along `dim`; bounds are clipped like Python's, step > 0.
Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step = 1);
Tensor select(const Tensor& t, int64_t dim, int64_t index);  // drops dim; IndexError if out of range
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
// A view with arbitrary (non-negative) strides onto t's storage; offset in elements from
// the storage start (pass t.offset() to keep t's).
Tensor as_strided(const Tensor& t, Shape shape, Strides strides, int64_t offset);
// The slices along `dim`, each a view with that dim removed.
std::vector<Tensor> unbind(const Tensor& t, int64_t dim = 0);

}  // namespace steepest
