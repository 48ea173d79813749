// The CUDA backend's cuBLAS argument mapping (kernels/cuda/gemm_plan.hpp), checked on every
// build: each row-major strided operand, the swapped column-major call, and the batch split
// are checked by recomputing element addresses from the arguments as cuBLAS would read them.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "kernels/cuda/gemm_plan.hpp"

using steepest::cuda::BatchPlan;
using steepest::cuda::column_major_call;
using steepest::cuda::gemm_operand;
using steepest::cuda::GemmOperand;
using steepest::cuda::plan_batches;

namespace {
// Where cuBLAS reads element (r, c) of the column-major matrix op(X) stored with leading
// dim ld: op = N reads X[r + c * ld], op = T reads X[c + r * ld].
int64_t col_major_addr(bool trans, int64_t ld, int64_t r, int64_t c) { return trans ? c + r * ld : r + c * ld; }
}  // namespace

TEST_CASE("cuda gemm operand: row-major, transposed views and unsupported strides") {
  GemmOperand o = gemm_operand(3, 5, 5, 1);  // contiguous
  CHECK(o.ok);
  CHECK_FALSE(o.trans);
  CHECK(o.ld == 5);
  o = gemm_operand(3, 5, 8, 1);  // a column slice of a wider matrix
  CHECK(o.ok);
  CHECK(o.ld == 8);
  o = gemm_operand(3, 5, 1, 3);  // .mT of a contiguous (5, 3)
  CHECK(o.ok);
  CHECK(o.trans);
  CHECK(o.ld == 3);
  CHECK_FALSE(gemm_operand(3, 5, 10, 2).ok);  // every other column: needs a copy
  CHECK_FALSE(gemm_operand(3, 5, 2, 1).ok);   // overlapping rows
  o = gemm_operand(1, 7, 0, 1);               // a 1-D left operand as a row
  CHECK(o.ok);
  CHECK(o.ld == 7);
  o = gemm_operand(1, 7, 0, 3);               // a strided 1-D row: column-major with ld 3
  CHECK(o.ok);
  CHECK(o.trans);
  CHECK(o.ld == 3);
  o = gemm_operand(7, 1, 2, 0);               // a strided 1-D right operand as a column
  CHECK(o.ok);
  CHECK(o.ld == 2);
}

TEST_CASE("cuda gemm call: the swapped column-major call reads A and B where row-major C = A B needs them") {
  struct Case { int64_t M, N, K, ars, acs, brs, bcs; };
  for (Case cs : {Case{3, 4, 5, 5, 1, 4, 1}, Case{3, 4, 5, 1, 3, 4, 1}, Case{3, 4, 5, 5, 1, 1, 5},
                  Case{3, 4, 5, 1, 3, 1, 5}, Case{1, 4, 5, 0, 1, 4, 1}, Case{3, 1, 5, 5, 1, 1, 0},
                  Case{2, 6, 3, 7, 1, 9, 1}}) {
    const GemmOperand a = gemm_operand(cs.M, cs.K, cs.ars, cs.acs), b = gemm_operand(cs.K, cs.N, cs.brs, cs.bcs);
    REQUIRE(a.ok);
    REQUIRE(b.ok);
    const auto c = column_major_call(cs.M, cs.N, cs.K, a, b, cs.N);
    CHECK(c.m == cs.N);
    CHECK(c.n == cs.M);
    CHECK(c.k == cs.K);
    CHECK(c.ldc == cs.N);
    // cuBLAS's first operand op(A') is (m, k) = (N, K): element (j, l) must be B[l, j].
    for (int64_t j = 0; j < cs.N; ++j)
      for (int64_t l = 0; l < cs.K; ++l) CHECK(col_major_addr(c.transa, c.lda, j, l) == l * cs.brs + j * cs.bcs);
    // Its second op(B') is (k, n) = (K, M): element (l, i) must be A[i, l].
    for (int64_t l = 0; l < cs.K; ++l)
      for (int64_t i = 0; i < cs.M; ++i) CHECK(col_major_addr(c.transb, c.ldb, l, i) == i * cs.ars + l * cs.acs);
    // Leading dims satisfy cuBLAS's lower bounds (rows of the stored column-major matrix).
    CHECK(c.lda >= (c.transa ? c.k : c.m));
    CHECK(c.ldb >= (c.transb ? c.n : c.k));
  }
}

TEST_CASE("cuda gemm batches: evenly stepping suffixes become one strided call") {
  // (4, 3) batches, both contiguous (M*K = 10 and K*N = 6 per matrix): one call of 12.
  BatchPlan p = plan_batches({4, 3}, {30, 10}, {18, 6});
  CHECK(p.inner == 12);
  CHECK(p.step_a == 10);
  CHECK(p.step_b == 6);
  CHECK(p.outer_count() == 1);
  // b broadcast over everything: step 0.
  p = plan_batches({4, 3}, {30, 10}, {0, 0});
  CHECK(p.inner == 12);
  CHECK(p.step_b == 0);
  // b broadcast over the inner dim only ((4, 1, K, N) against (4, 3, M, K)): 4 host steps of 3.
  p = plan_batches({4, 3}, {30, 10}, {6, 0});
  CHECK(p.inner == 3);
  CHECK(p.step_b == 0);
  REQUIRE(p.outer_count() == 4);
  int64_t oa = 0, ob = 0;
  p.outer_offsets(2, oa, ob);
  CHECK(oa == 60);
  CHECK(ob == 12);
  // Size-1 dims are skipped whatever their stride; no batch dims at all is one matrix.
  p = plan_batches({1, 5, 1}, {999, 7, 123}, {0, 3, 77});
  CHECK(p.inner == 5);
  CHECK(p.step_a == 7);
  CHECK(p.step_b == 3);
  CHECK(p.outer_count() == 1);
  p = plan_batches({}, {}, {});
  CHECK(p.inner == 1);
  CHECK(p.outer_count() == 1);
  // Every (outer, inner) pair lands on the offsets a row-major walk of the batch gives.
  const std::vector<int64_t> shape{2, 3, 4}, sa{100, 0, 5}, sb{0, 40, 10};
  p = plan_batches(shape, sa, sb);
  int64_t flat = 0;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k, ++flat) {
        const int64_t o = flat / p.inner, in = flat % p.inner;
        p.outer_offsets(o, oa, ob);
        CHECK(oa + in * p.step_a == i * 100 + j * 0 + k * 5);
        CHECK(ob + in * p.step_b == i * 0 + j * 40 + k * 10);
      }
}
