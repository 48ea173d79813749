// The one stable radix sort of the CUDA backend (CUB's, instantiated once, in sort.cu): rows of
// (uint64 key, int64 value) pairs, each row ordered by its keys' low end_bit bits, equal keys in
// their input order. sort, the order statistics and bincount's ordered sums build on it.
#pragma once
#include <cstdint>

#include "steepest/device.hpp"

namespace steepest::cuda {

// keys_out/vals_out = each of the `rows` rows of n pairs of keys/vals (device memory, on the
// current stream) sorted stably by key.
void sort_pairs_rows(const uint64_t* keys, const int64_t* vals, uint64_t* keys_out, int64_t* vals_out, int64_t rows,
                     int64_t n, int end_bit, Device dev);

}  // namespace steepest::cuda
