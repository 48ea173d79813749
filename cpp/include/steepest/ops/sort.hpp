// Sorting and order statistics along one dim: sort/argsort/msort, topk, kthvalue, median,
// nanmedian and mode. NaN orders after every number (first when descending), as in torch.
// Every (values, indices) pair is differentiable in `values`: the gradient goes back to the
// input positions named by `indices`.
#pragma once
#include <utility>

#include "creation.hpp"

namespace steepest {

// Ascending (or descending) along dim; equal elements keep their input order (the sort is
// always stable, so `stable` only documents intent).
std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim = -1, bool descending = false, bool stable = false);
Tensor argsort(const Tensor& t, int64_t dim = -1, bool descending = false, bool stable = false);
Tensor msort(const Tensor& t);  // sort(t, 0).values
// The k largest (smallest) along dim, in order (sorted=false gives them in order too).
std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim = -1, bool largest = true,
                               bool sorted = true);
// The k-th smallest (k from 1) along dim.
std::pair<Tensor, Tensor> kthvalue(const Tensor& t, int64_t k, int64_t dim = -1, bool keepdim = false);
// The lower median along dim: NaN (at the first NaN's index) if the slice holds one.
std::pair<Tensor, Tensor> median(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor median(const Tensor& t);  // over all elements
// The lower median of the non-NaN elements (NaN only when all are NaN).
std::pair<Tensor, Tensor> nanmedian(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor nanmedian(const Tensor& t);
// The most frequent value along dim (the smallest among equally frequent ones) and the
// index of its last occurrence.
std::pair<Tensor, Tensor> mode(const Tensor& t, int64_t dim = -1, bool keepdim = false);

}  // namespace steepest
