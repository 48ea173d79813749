// Host-side parts of the CUDA backend, checked on every build (no GPU or CUDA header needed):
// launch geometry.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>

#include "kernels/cuda/launch_geometry.hpp"

using steepest::cuda::blocks_for;
using steepest::cuda::kMaxBlocks;

TEST_CASE("cuda launch geometry: enough blocks, at least one, capped") {
  CHECK(blocks_for(0) == 1);
  CHECK(blocks_for(-5) == 1);
  CHECK(blocks_for(1) == 1);
  CHECK(blocks_for(256) == 1);
  CHECK(blocks_for(257) == 2);
  CHECK(blocks_for(1000, 128, 4) == 2);
  CHECK(blocks_for(int64_t(1) << 40) == kMaxBlocks);
  for (int64_t n : {1, 255, 256, 257, 65535 * 256, 65535 * 256 + 1}) {
    const int64_t b = blocks_for(n);
    CHECK(b >= 1);
    CHECK(b <= kMaxBlocks);
    if (b < kMaxBlocks) CHECK(b * 256 >= n);
  }
}

TEST_CASE("cuda row kernels: one block per row, at least one, capped") {
  using steepest::cuda::kMaxRowBlocks;
  using steepest::cuda::row_blocks;
  CHECK(row_blocks(0) == 1u);
  CHECK(row_blocks(1) == 1u);
  CHECK(row_blocks(1000) == 1000u);
  CHECK(row_blocks(kMaxRowBlocks) == unsigned(kMaxRowBlocks));
  CHECK(row_blocks(kMaxRowBlocks + 1) == unsigned(kMaxRowBlocks));
}
