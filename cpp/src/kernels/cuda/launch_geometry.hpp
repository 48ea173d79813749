// Launch geometry of the CUDA backend's grid-stride kernels, as plain host functions (no CUDA
// header), so the CPU-only test binary checks them on every build.
#pragma once
#include <cstdint>

namespace steepest::cuda {

constexpr int kThreadsPerBlock = 256;
// A grid-stride loop needs no more blocks than this to fill every SM of current GPUs several
// times over; more would only add scheduling overhead.
constexpr int64_t kMaxBlocks = 65535;

// Blocks for n elements, `per_thread` each, at `threads` per block: at least 1 (a launch with
// 0 blocks is an error), at most kMaxBlocks (the kernels loop over the rest).
constexpr int64_t blocks_for(int64_t n, int threads = kThreadsPerBlock, int per_thread = 1) {
  const int64_t per_block = int64_t(threads) * per_thread;
  const int64_t b = n <= 0 ? 1 : (n + per_block - 1) / per_block;
  return b < kMaxBlocks ? b : kMaxBlocks;
}

// Blocks for a row kernel (one block per row): at least 1, at most kMaxRowBlocks; the kernels
// loop over the rest of the rows (grid-stride over rows).
constexpr int64_t kMaxRowBlocks = int64_t(1) << 16;
constexpr unsigned row_blocks(int64_t rows) {
  return unsigned(rows < kMaxRowBlocks ? (rows > 0 ? rows : 1) : kMaxRowBlocks);
}

}  // namespace steepest::cuda
