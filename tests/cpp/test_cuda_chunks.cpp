// The CUDA optimizer's chunk-table planner (kernels/cuda/optim_plan.hpp), checked on every
// build: every element of every row covered exactly once, in order, empty rows skipped, launches
// split when a table is full, and every table within the kernel-parameter limit.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cuda/optim_plan.hpp"

namespace plan = steepest::cuda::optim_plan;

namespace {

// Walks the launches and checks coverage, order, slot bounds and capacities.
void check_plan(const std::vector<plan::PlanRow>& rows, const plan::Capacity& cap, int64_t chunk) {
  const auto launches = plan::plan_launches(rows, cap, chunk);
  std::vector<int64_t> next(rows.size(), 0);  // the next element of each row not yet covered
  int64_t last_row = -1;
  for (const auto& l : launches) {
    REQUIRE(!l.rows.empty());
    CHECK(int(l.rows.size()) <= cap.tensors);
    CHECK(int(l.steps.size()) <= cap.steps);
    REQUIRE(l.step_slot.size() == l.rows.size());
    REQUIRE(l.first_chunk.size() == l.rows.size());
    REQUIRE(l.chunk_count.size() == l.rows.size());
    const auto blocks = l.blocks();
    CHECK(blocks.back() <= cap.chunks);
    for (size_t t = 0; t < l.rows.size(); ++t) {
      REQUIRE(l.step_slot[t] < l.steps.size());
      const int64_t r = l.rows[t];
      CHECK(l.steps[l.step_slot[t]] == rows[size_t(r)].step);  // the row's own step scalars
      CHECK(r >= last_row);  // rows in order
      last_row = r;
      CHECK(l.chunk_count[t] >= 1);
      CHECK(blocks[t + 1] - blocks[t] == l.chunk_count[t]);
      for (int64_t c = l.first_chunk[t]; c < l.first_chunk[t] + l.chunk_count[t]; ++c) {
        const int64_t begin = c * chunk;
        CHECK(begin == next[size_t(r)]);  // contiguous, no gap or overlap, starts on a chunk boundary
        const int64_t end = begin + chunk < rows[size_t(r)].numel ? begin + chunk : rows[size_t(r)].numel;
        CHECK(end > begin);
        next[size_t(r)] = end;
      }
    }
  }
  for (size_t r = 0; r < rows.size(); ++r) CHECK(next[r] == (rows[r].numel > 0 ? rows[r].numel : 0));
}

}  // namespace

TEST_CASE("cuda optim plan: every element covered once, empty rows skipped") {
  const plan::Capacity cap{4, 6, 2};
  check_plan({}, cap, 8);
  check_plan({{0, 0}}, cap, 8);
  check_plan({{1, 0}}, cap, 8);
  check_plan({{0, 0}, {7, 0}, {0, 0}, {8, 0}, {9, 0}, {0, 0}}, cap, 8);
  check_plan({{100, 0}}, cap, 8);  // one row over several launches
  CHECK(plan::plan_launches({}, cap, 8).empty());
  CHECK(plan::plan_launches({{0, 0}, {0, 1}}, cap, 8).empty());
  const auto l = plan::plan_launches({{0, 0}, {3, 0}, {0, 0}}, cap, 8);
  REQUIRE(l.size() == 1);
  CHECK(l[0].rows == std::vector<int32_t>{1});
}

TEST_CASE("cuda optim plan: tables split when tensors, chunks or step slots are full") {
  // 10 one-chunk rows, 4 tensor slots: 3 launches.
  std::vector<plan::PlanRow> rows(10, plan::PlanRow{5, 0});
  CHECK(plan::plan_launches(rows, {4, 100, 1}, 8).size() == 3);
  check_plan(rows, {4, 100, 1}, 8);
  // A 100-element row in chunks of 8 is 13 chunks: 3 launches of at most 6 chunks.
  const auto split = plan::plan_launches({{100, 0}}, {4, 6, 1}, 8);
  REQUIRE(split.size() == 3);
  CHECK(split[1].first_chunk[0] == 6);
  CHECK(split[2].chunk_count[0] == 1);
  // Every row its own step scalars, 2 step slots: 2 rows per launch.
  std::vector<plan::PlanRow> distinct;
  for (int i = 0; i < 7; ++i) distinct.push_back({3, i});
  CHECK(plan::plan_launches(distinct, {8, 100, 2}, 8).size() == 4);
  check_plan(distinct, {8, 100, 2}, 8);
  // Rows sharing a step share its slot.
  const auto shared = plan::plan_launches({{3, 0}, {3, 0}, {3, 1}, {3, 0}}, {8, 100, 2}, 8);
  REQUIRE(shared.size() == 1);
  CHECK(shared[0].steps.size() == 2);
  CHECK(shared[0].step_slot == std::vector<uint8_t>{0, 0, 1, 0});
}

TEST_CASE("cuda optim plan: random row lists") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<plan::PlanRow> rows(rng() % 40);
    for (auto& r : rows) r = {int64_t(rng() % 4 == 0 ? 0 : rng() % 200), int32_t(rng() % 3)};
    const plan::Capacity cap{int(1 + rng() % 6), int64_t(1 + rng() % 10), int(1 + rng() % 3)};
    check_plan(rows, cap, int64_t(1 + rng() % 32));
  }
}

TEST_CASE("cuda optim plan: tables fit the kernel-parameter limit") {
  CHECK(plan::kParamBytes <= 4096);
  for (int depth = 2; depth <= 7; ++depth)
    for (size_t fn : {size_t(8), size_t(48), size_t(96), size_t(160)}) {
      const plan::Capacity c = plan::capacity_for(depth, fn);
      CHECK(plan::table_bytes(c.tensors, c.steps, depth, fn) <= plan::kParamBytes);
      CHECK(c.tensors >= 30);
      CHECK(c.tensors <= plan::kMaxTensorsPerLaunch);
      CHECK(c.steps >= 1);
    }
  // Adam's four float32 arrays: about seventy tensors per launch, any sizes.
  CHECK(plan::capacity_for(4, 48).tensors >= 60);
  CHECK(plan::kChunk % 8 == 0);  // chunk starts keep 16-byte alignment for every element size
}
