// The host emulation of the CUDA optimizer update (run.sh builds it): rows over random arrays
// stepped by the CUDA backend's run_rows (kernel emulated on the host) and by the CPU backend's
// stub, every array compared byte for byte.
#include "kernels/cuda/optim_run.cuh"
#include "optim_run_plain.cu"
#include "optim_run_mixed.cu"
#include "optim_run_entry.inc"
#include "dispatch/optim.hpp"
#include <random>
#include <cstdio>
using namespace steepest;
namespace up = optim::updates;
using optim::detail::Row;
using optim::MixedPrecision;

int fails = 0;
// Builds rows over random arrays; runs emulated vs CPU stub; compares bytes.
void trial(up::KernelId id, const void* steps, size_t step_size, int nsteps, std::vector<int64_t> sizes, int mixed, int nslots,
           bool master, const MixedPrecision* mp, bool elementwise, bool adjacent_layout) {
  std::mt19937 rng(42);
  auto slot_bytes = [&](int k) -> size_t {
    if (mixed < 0) return 4;
    const auto& m = up::kMixedModes[mixed];
    auto ks = [](up::StoreKind s) { return s == up::StoreKind::F32 ? 4 : 2; };
    if (k == 0) return master ? 4 : ks(m.param);
    return ks(k == 1 ? m.param : m.state);
  };
  int64_t total = 0; for (auto s : sizes) total += s;
  std::vector<std::vector<uint8_t>> A(nslots + 1), B(nslots + 1);
  for (int k = 0; k <= nslots; ++k) {
    size_t eb = k == nslots ? 2 : slot_bytes(k);
    A[k].resize(size_t(total) * eb + 16);
    for (size_t i = 0; i < A[k].size() / eb; ++i) {
      float v = std::normal_distribution<float>(0.f, 1.f)(rng);
      if (k >= 3) v = std::fabs(v);  // second moments stay positive
      uint32_t u; std::memcpy(&u, &v, 4);
      if (eb == 4) std::memcpy(&A[k][i * 4], &u, 4);
      else {
        // half arrays: bfloat16 bits of v, or finite float16 values for float16 arrays
        const bool param_kind = (k == 0 && !master) || k == 1 || k == nslots;
        const up::StoreKind kind = param_kind ? up::kMixedModes[mixed].param : up::kMixedModes[mixed].state;
        uint16_t h = uint16_t(u >> 16);
        if (kind == up::StoreKind::F16) h = uint16_t(0x3c00 ^ (i & 0x3ff));
        std::memcpy(&A[k][i * 2], &h, 2);
      }
    }
    B[k] = A[k];
  }
  auto rows_for = [&](std::vector<std::vector<uint8_t>>& M) {
    std::vector<Row> rows; int64_t off = 0; int p = 0;
    for (size_t r = 0; r < sizes.size(); ++r) {
      Row row; row.numel = sizes[r]; row.step = int32_t(r % nsteps); row.mixed = mixed; row.mp = mp; row.param = p++;
      int64_t o = adjacent_layout ? off : off + int64_t(r % 2);  // a gap breaks adjacency
      if (!adjacent_layout && o + sizes[r] > total) o = off;
      for (int k = 0; k < nslots; ++k) row.arrays[k] = M[k].data() + o * int64_t(slot_bytes(k));
      if (master) row.out = M[nslots].data() + o * 2;
      off += sizes[r];
      rows.push_back(row);
    }
    return rows;
  };
  auto ra = rows_for(A), rb = rows_for(B);
  kernels::cuda_optim::run_rows(id, ra, steps, step_size, elementwise);
  dispatch::optim_run_stub()(Device(DeviceType::CPU), id, rb, steps, step_size, elementwise);
  for (int k = 0; k <= nslots; ++k)
    if (A[k] != B[k]) { ++fails; std::printf("MISMATCH kernel %s mixed %d slot %d\n", up::kernel_name(id), mixed, k); }
}

int main() {
  up::AdamStep s[2];
  for (int i = 0; i < 2; ++i) s[i] = up::AdamStep{1.0, 0.01, 0.999, 0.1, 0.999, 0.001, -0.01 * (i + 1), 0.5, 1e-8, 2, i};
  std::vector<int64_t> sizes = {1, 3, 70001, 0, 257, 32768, 32769, 5};
  for (bool ew : {false, true}) for (bool adj : {false, true})
    trial(up::KernelId::Adam, s, sizeof(up::AdamStep), 2, sizes, -1, 5, false, nullptr, ew, adj);
  std::vector<int64_t> many(300); for (size_t i = 0; i < many.size(); ++i) many[i] = int64_t(1 + (i * 37) % 1500);
  trial(up::KernelId::Adam, s, sizeof(up::AdamStep), 1, many, -1, 5, false, nullptr, false, false);
  trial(up::KernelId::Adam, s, sizeof(up::AdamStep), 2, many, -1, 5, false, nullptr, true, true);
  MixedPrecision mp; mp.stochastic_rounding = true; mp.seed = 0x1234567890ull; mp.sr_step = 3;
  MixedPrecision nearest; nearest.stochastic_rounding = false;
  for (int m = 0; m < up::kNumMixedModes; ++m) {
    const bool master = up::kMixedModes[m].master;
    trial(up::KernelId::Adam, s, sizeof(up::AdamStep), 2, sizes, m, 5, master, &nearest, false, false);
    if (up::kMixedModes[m].param == up::StoreKind::BF16)
      trial(up::KernelId::Adam, s, sizeof(up::AdamStep), 2, sizes, m, 5, master, &mp, false, false);
  }
  up::SGDStep g{}; g.grad_scale = 1; g.neg_lr = -0.1; g.momentum = 0.9; g.mode = 1; g.one_minus_dampening = 0.9;
  trial(up::KernelId::SGD, &g, sizeof(g), 1, sizes, -1, 3, false, nullptr, false, false);
  // Every kernel with an all-zero Step (flags off; the values may be inf/NaN: still compared
  // byte for byte, both sides running on this host) and every array slot filled.
  alignas(16) static const unsigned char zeros[512] = {};
  for (int k = 0; k < up::kNumKernels; ++k)
    trial(up::KernelId(k), zeros, sizeof(zeros), 1, sizes, -1, up::kMaxSlots, false, nullptr, false, false);
  std::printf("fails=%d\n", fails);
  return fails != 0;
}
