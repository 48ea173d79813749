// C++ API tests for views and indexing: storage sharing, torch's strides, when reshape
// copies, errors, and advanced indexing / index_put_ with accumulation.
#include <doctest/doctest.h>

#include <steepest/steepest.hpp>

using namespace steepest;

namespace {
Tensor iota(const Shape& shape) {  // 0, 1, 2, ... as float32 in the given shape
  return reshape(to_dtype(arange(Scalar(0), Scalar(numel_of(shape))), kFloat32), shape);
}
float at(const Tensor& t, std::initializer_list<int64_t> idx) {
  int64_t off = 0, d = 0;
  for (int64_t i : idx) off += i * t.strides()[size_t(d++)];
  return static_cast<const float*>(t.data_ptr())[off];
}
}  // namespace

TEST_CASE("view shares storage and has contiguous strides") {
  Tensor a = iota({2, 6});
  Tensor v = view(a, {3, -1});
  CHECK(v.shape() == Shape{3, 4});
  CHECK(v.strides() == Strides{4, 1});
  CHECK(v.storage() == a.storage());
  CHECK(!v.is_same(a));
  fill_(v, Scalar(7));
  CHECK(a.data<float>()[11] == 7.0f);
}

TEST_CASE("view of a transposed tensor is refused; reshape copies instead") {
  Tensor a = iota({3, 4});
  Tensor t = transpose(a, 0, 1);
  CHECK(t.strides() == Strides{1, 4});
  CHECK_THROWS_AS(view(t, {12}), ValueError);
  Tensor r = reshape(t, {12});
  CHECK(r.storage() != a.storage());
  CHECK(r.is_contiguous());
  CHECK(r.data<float>()[1] == 4.0f);  // t[0][1] = a[1][0]
  // Splitting a dim of the transposed tensor is still a view.
  Tensor s = reshape(t, {2, 2, 3});
  CHECK(s.storage() == a.storage());
  CHECK(s.strides() == Strides{2, 1, 4});
  CHECK_THROWS_WITH_AS(view(a, {5, 2}), "shape '[5, 2]' is invalid for input of size 12", ValueError);
}

TEST_CASE("permute, expand, squeeze and unsqueeze geometry") {
  Tensor a = iota({2, 3, 4});
  Tensor p = permute(a, {2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.strides() == Strides{1, 12, 4});
  CHECK(at(p, {3, 1, 2}) == at(a, {1, 2, 3}));
  CHECK_THROWS_AS(permute(a, {0, 0, 1}), ValueError);

  Tensor col = view(iota({3}), {3, 1});
  Tensor e = expand(col, {2, 3, 5});
  CHECK(e.strides() == Strides{0, 1, 0});
  CHECK(at(e, {1, 2, 4}) == 2.0f);
  CHECK_THROWS_AS(expand(col, {3, 4, 2}), ValueError);

  Tensor u = unsqueeze(a, 1);
  CHECK(u.shape() == Shape{2, 1, 3, 4});
  CHECK(u.strides() == Strides{12, 12, 4, 1});
  CHECK(squeeze(u).shape() == Shape{2, 3, 4});
  CHECK(squeeze(u, 0).shape() == Shape{2, 1, 3, 4});
  CHECK(movedim(a, 0, -1).shape() == Shape{3, 4, 2});
}

TEST_CASE("slice clips like Python and select/narrow check their bounds") {
  Tensor a = iota({10});
  Tensor s = slice(a, 0, -3, 100, 2);
  CHECK(s.shape() == Shape{2});
  CHECK(s.strides() == Strides{2});
  CHECK(at(s, {1}) == 9.0f);
  CHECK(slice(a, 0, 8, 2).numel() == 0);
  CHECK_THROWS_WITH_AS(slice(a, 0, 0, 5, -1), "step must be greater than zero", ValueError);
  CHECK(at(select(view(a, {2, 5}), 1, -1), {1}) == 9.0f);
  CHECK_THROWS_AS(select(a, 0, 10), IndexError);
  CHECK(narrow(a, 0, 7, 3).offset() == 7);
  CHECK_THROWS_AS(narrow(a, 0, 8, 3), ValueError);
  std::vector<Tensor> rows = unbind(view(a, {5, 2}), 0);
  CHECK(rows.size() == 5);
  CHECK(at(rows[4], {1}) == 9.0f);
}

TEST_CASE("index: basic items give a view, tensor items a copy") {
  Tensor a = iota({3, 4});
  Tensor v = index(a, {TensorIndex::from_int(-1), TensorIndex::from_slice({1, std::nullopt, 2})});
  CHECK(v.shape() == Shape{2});
  CHECK(v.storage() == a.storage());
  CHECK(at(v, {1}) == 11.0f);
  Tensor n = index(a, {TensorIndex::none(), TensorIndex::ellipsis(), TensorIndex::from_int(0)});
  CHECK(n.shape() == Shape{1, 3});

  Tensor rows = arange(Scalar(2), Scalar(-1), Scalar(-2));  // [2, 0]
  Tensor g = index(a, {TensorIndex::from_slice({}), TensorIndex::from_tensor(rows)});
  CHECK(g.shape() == Shape{3, 2});
  CHECK(g.storage() != a.storage());
  CHECK(at(g, {1, 0}) == 6.0f);
  CHECK(at(g, {2, 1}) == 8.0f);
  CHECK_THROWS_WITH_AS(index(a, {TensorIndex::from_int(3)}), "index 3 is out of bounds for dimension 0 with size 3",
                       IndexError);
}

TEST_CASE("index_put_ writes through advanced indices and accumulates duplicates") {
  Tensor a = zeros({4});
  Tensor idx = to_dtype(arange(Scalar(0), Scalar(3)), kInt64);
  fill_(idx, Scalar(1));  // [1, 1, 1]
  uint64_t v0 = a.version();
  index_put_(a, {TensorIndex::from_tensor(idx)}, full({3}, Scalar(2.5)), /*accumulate=*/true);
  CHECK(a.data<float>()[1] == 7.5f);
  CHECK(a.data<float>()[0] == 0.0f);
  CHECK(a.version() > v0);
  index_put_(a, {TensorIndex::from_slice({2, std::nullopt, std::nullopt})}, Scalar(-1));
  CHECK(a.data<float>()[3] == -1.0f);
}

TEST_CASE("gather, scatter_add_ and nonzero") {
  Tensor a = iota({2, 3});
  Tensor idx = zeros({2, 2}, TensorOptions(kInt64));
  idx.data<int64_t>()[1] = 2;  // [[0, 2], [0, 0]]
  Tensor g = gather(a, 1, idx);
  CHECK(g.data<float>()[0] == 0.0f);
  CHECK(g.data<float>()[1] == 2.0f);
  CHECK(g.data<float>()[2] == 3.0f);
  Tensor acc = zeros({2, 3});
  scatter_add_(acc, 1, idx, ones({2, 2}));
  CHECK(acc.data<float>()[0] == 1.0f);
  CHECK(acc.data<float>()[2] == 1.0f);
  CHECK(acc.data<float>()[3] == 2.0f);
  Tensor nz = nonzero(acc);
  CHECK(nz.shape() == Shape{3, 2});
  CHECK(nz.data<int64_t>()[2] == 0);  // second hit: (0, 2)
  CHECK(nz.data<int64_t>()[3] == 2);
}
