// The host half of the CUDA optimizer's multi-tensor launches, as plain C++ (no CUDA header, so
// the CPU test binary checks it): rows (tensors) cut into fixed-size chunks, and the chunk
// tables packed into launches whose kernel-argument struct stays within the classic 4 KB
// parameter limit (as many launches as the tables need; one block per chunk).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace steepest::cuda::optim_plan {

// Elements per chunk (one block's work): a multiple of every vector width, large enough that a
// block's fixed cost is noise, small enough that a few large tensors still make many blocks.
constexpr int64_t kChunk = 32768;
// The bytes a launch's argument struct may take (the classic limit is 4096; room is left for
// the kernel's other arguments).
constexpr size_t kParamBytes = 4000;
constexpr int kMaxTensorsPerLaunch = 110;
// Blocks (chunks) per launch at most: the grid's x limit is far above; this keeps block
// numbers in 32 bits with room (a row longer than this continues in the next launch).
constexpr int64_t kMaxChunksPerLaunch = int64_t(1) << 30;

// What one launch can hold.
struct Capacity {
  int tensors = 0;     // tensor slots
  int64_t chunks = 0;  // chunks (blocks)
  int steps = 0;       // distinct per-step scalar blocks (functors)
};

// Bytes of a launch's table with `cap` at `depth` pointers per tensor and functors of fn_bytes,
// as the device struct lays it out: functors; per tensor its pointers, numel, param index
// (the stochastic-rounding key), first chunk (of a row continued from the previous launch),
// first block (the chunk -> tensor map as a prefix sum, plus one end entry) and step slot; a
// small header.
constexpr size_t table_bytes(int tensors, int steps, int depth, size_t fn_bytes) {
  auto up = [](size_t x, size_t a) { return (x + a - 1) / a * a; };
  size_t b = up(fn_bytes, 16) * size_t(steps);
  b += size_t(tensors) * size_t(depth) * 8;  // pointers
  b += size_t(tensors) * 8;                  // numel
  b += size_t(tensors) * 4 * 2;              // param index, first chunk
  b += size_t(tensors + 1) * 4;              // first block
  b += size_t(tensors);                      // step slot
  b = up(b, 8) + 24;                         // header: seed, sr_step, tensor count, rounding flag
  return up(b, 16);
}

// The capacity for `depth` pointers per tensor and functors of fn_bytes: 2 step slots and as
// many tensors as fit (at most kMaxTensorsPerLaunch).
constexpr Capacity capacity_for(int depth, size_t fn_bytes) {
  Capacity c{kMaxTensorsPerLaunch, kMaxChunksPerLaunch, 2};
  while (c.tensors > 1 && table_bytes(c.tensors, c.steps, depth, fn_bytes) > kParamBytes) --c.tensors;
  return c;
}

// One row as the planner sees it: its element count and the index of its step scalars.
struct PlanRow {
  int64_t numel = 0;
  int32_t step = 0;
};

// One launch: per tensor slot its row, step slot, first chunk (in the row) and chunk count;
// the step ids its step slots hold. Block b of the launch runs chunk
// first_chunk[t] + (b - first_block[t]) of tensor t, where first_block is the prefix sum of
// the chunk counts (blocks()).
struct PlanLaunch {
  std::vector<int32_t> rows;
  std::vector<uint8_t> step_slot;
  std::vector<int64_t> first_chunk, chunk_count;
  std::vector<int32_t> steps;
  // first_block of every tensor, and the launch's block count at the end.
  std::vector<int64_t> blocks() const {
    std::vector<int64_t> b(1, 0);
    for (int64_t c : chunk_count) b.push_back(b.back() + c);
    return b;
  }
};

// The launches that cover every element of every non-empty row exactly once, rows in order,
// each row's chunks in order (a row too long for one launch continues in the next). A launch
// is closed when its tensor, chunk or step slots are full. chunk_elems is kChunk in the
// backend (tests use smaller ones).
inline std::vector<PlanLaunch> plan_launches(const std::vector<PlanRow>& rows, const Capacity& cap,
                                             int64_t chunk_elems = kChunk) {
  std::vector<PlanLaunch> out;
  PlanLaunch cur;
  int64_t used = 0;  // chunks in cur
  auto flush = [&] {
    if (!cur.rows.empty()) out.push_back(std::move(cur));
    cur = PlanLaunch{};
    used = 0;
  };
  for (size_t r = 0; r < rows.size(); ++r) {
    const int64_t n = rows[r].numel;
    if (n <= 0) continue;
    const int64_t nchunks = (n + chunk_elems - 1) / chunk_elems;
    int64_t c = 0;
    while (c < nchunks) {
      int slot = -1;
      for (size_t s = 0; s < cur.steps.size(); ++s)
        if (cur.steps[s] == rows[r].step) slot = int(s);
      if (int(cur.rows.size()) >= cap.tensors || used >= cap.chunks ||
          (slot < 0 && int(cur.steps.size()) >= cap.steps)) {
        flush();
        continue;
      }
      if (slot < 0) {
        slot = int(cur.steps.size());
        cur.steps.push_back(rows[r].step);
      }
      const int64_t take = nchunks - c < cap.chunks - used ? nchunks - c : cap.chunks - used;
      cur.rows.push_back(int32_t(r));
      cur.step_slot.push_back(uint8_t(slot));
      cur.first_chunk.push_back(c);
      cur.chunk_count.push_back(take);
      used += take;
      c += take;
    }
  }
  flush();
  return out;
}

}  // namespace steepest::cuda::optim_plan
