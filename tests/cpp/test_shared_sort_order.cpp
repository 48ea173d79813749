// kernels/sort_order.hpp, which the CPU and CUDA sort and selection kernels share, checked on
// the host: the radix key orders exactly as the CPU's comparator (ties included); the CUDA
// sort's pipeline (keys, then a stable sort by key) replayed on the host gives the CPU kernel's
// indices; sort_pick on a small row against hand-worked answers.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "dispatch/sort.hpp"
#include "kernels/sort_order.hpp"
#include "steepest/ops.hpp"

using namespace steepest;

namespace {

template <class K>
void check_key_order(const std::vector<K>& v) {
  for (K a : v) {
    for (K b : v) {
      INFO(double(a), " vs ", double(b));
      CHECK((kernels::sort_key(a) < kernels::sort_key(b)) == kernels::sort_before_asc(a, b));
      CHECK((kernels::sort_key(a) == kernels::sort_key(b)) == kernels::sort_same(a, b));
    }
  }
}

template <class K>
std::vector<K> awkward_floats() {
  const K inf = std::numeric_limits<K>::infinity(), nan = std::numeric_limits<K>::quiet_NaN();
  const K tiny = std::numeric_limits<K>::denorm_min(), big = std::numeric_limits<K>::max();
  return {K(0), -K(0), K(1), K(-1), K(2.5), K(-2.5), tiny, -tiny, big, -big, inf, -inf, nan, -nan,
          std::nextafter(K(1), K(2)), std::nextafter(K(-1), K(-2))};
}

// The CUDA sort of one row replayed on the host: keys (complemented when descending), then a
// stable sort of the indices by key, as CUB's radix sort orders pairs.
template <class T>
std::vector<int64_t> radix_order(const std::vector<T>& row, bool descending) {
  std::vector<int64_t> idx(row.size());
  std::iota(idx.begin(), idx.end(), int64_t(0));
  auto key = [&](int64_t i) {
    const uint64_t k = kernels::sort_key(kernels::SortKey<T>(row[size_t(i)]));
    const int bits = kernels::sort_key_bits<kernels::SortKey<T>>();
    const uint64_t mask = bits == 64 ? ~uint64_t(0) : ((uint64_t(1) << bits) - 1);
    return (descending ? ~k : k) & mask;  // the radix sort reads the low `bits` bits only
  };
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return key(a) < key(b); });
  return idx;
}

template <class T>
void check_replay(const std::vector<T>& row, DType dt) {
  const auto n = int64_t(row.size());
  Tensor x = Tensor::empty(Shape{n}, dt);
  std::copy(row.begin(), row.end(), static_cast<T*>(x.data_ptr()));
  for (bool desc : {false, true}) {
    Tensor values = Tensor::empty(Shape{n}, dt), indices = Tensor::empty(Shape{n}, kInt64);
    dispatch::sort_stub().get(kCPU)(values, indices, x, 1, desc);
    const std::vector<int64_t> idx = radix_order(row, desc);
    INFO(dtype_name(dt), desc ? " descending" : " ascending");
    for (int64_t j = 0; j < n; ++j) CHECK(indices.data<int64_t>()[j] == idx[size_t(j)]);
  }
}

}  // namespace

TEST_CASE("sort_order: the radix key orders as the CPU comparator, ties included") {
  check_key_order(awkward_floats<float>());
  check_key_order(awkward_floats<double>());
  check_key_order(std::vector<int32_t>{0, 1, -1, INT32_MAX, INT32_MIN, 7, -7});
  check_key_order(std::vector<int64_t>{0, 1, -1, INT64_MAX, INT64_MIN, int64_t(1) << 40, -(int64_t(1) << 40)});
  check_key_order(std::vector<bool>{false, true});
  CHECK(kernels::sort_key(-0.0f) == kernels::sort_key(0.0f));
  CHECK(kernels::sort_key(-std::numeric_limits<double>::quiet_NaN()) ==
        kernels::sort_key(std::numeric_limits<double>::quiet_NaN()));
}

TEST_CASE("sort_order: the CUDA pipeline replayed on the host equals the CPU stable sort") {
  std::vector<float> f;
  for (int i = 0; i < 61; ++i) f.push_back(float((i * 37) % 11) * 0.5f - 2.0f);
  f[3] = std::numeric_limits<float>::quiet_NaN();
  f[10] = -0.0f;
  f[20] = -std::numeric_limits<float>::infinity();
  f[33] = -std::numeric_limits<float>::quiet_NaN();
  check_replay(f, kFloat32);
  std::vector<double> d(f.begin(), f.end());
  check_replay(d, kFloat64);
  std::vector<bfloat16> h(f.begin(), f.end());
  check_replay(h, kBFloat16);
  std::vector<int32_t> i32;
  for (int i = 0; i < 40; ++i) i32.push_back((i * 7919) % 13 - 6);
  check_replay(i32, kInt32);
  std::vector<int64_t> i64(i32.begin(), i32.end());
  i64[5] = INT64_MIN;
  i64[6] = INT64_MAX;
  check_replay(i64, kInt64);
}

TEST_CASE("sort_order: sort_pick's median, nanmedian and mode on a small sorted row") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> row{3, nan, 1, 3, 2, nan, 1};  // ascending: 1(2) 1(6) 2(4) 3(0) 3(3) nan(1) nan(5)
  const std::vector<int64_t> idx{2, 6, 4, 0, 3, 1, 5};
  using dispatch::SelectKind;
  CHECK(kernels::sort_pick(row.data(), idx.data(), 7, SelectKind::Median, 0) == 1);     // the first NaN
  CHECK(kernels::sort_pick(row.data(), idx.data(), 7, SelectKind::NanMedian, 0) == 4);  // lower median of 5
  CHECK(kernels::sort_pick(row.data(), idx.data(), 7, SelectKind::Kth, 4) == 0);
  CHECK(kernels::sort_pick(row.data(), idx.data(), 5, SelectKind::Mode, 0) == 6);  // 1 and 3 tie: 1, last index
}
