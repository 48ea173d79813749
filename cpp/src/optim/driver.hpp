// The multi-tensor driver every optimizer step shares: turns a parameter group's lists into
// rows of raw arrays (creating missing state), then runs one update rule's kernel over all
// rows in fixed-size chunks, OpenMP-parallel over the whole chunk list, so thousands of small
// tensors parallelise as well as one large (arena) tensor.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/cpu/optim_table.hpp"
#include "optim/updates/all.hpp"
#include "steepest/optim.hpp"

namespace steepest::optim::detail {

using updates::kMaxSlots;

// One param's arrays as the kernel sees them, by slot (param, grad, state...; null = unused),
// and which step scalars it uses (an index into the caller's vector of Step structs).
struct Row {
  void* arrays[kMaxSlots] = {};
  int64_t numel = 0;
  int32_t step = 0;
  bool f64 = false;  // float64 arrays (else float32, or the mixed mode's kinds)
  // Mixed precision (float rows only): the index of the row's kernels::kMixedModes entry, or -1
  // when every array is float32. With a master, slot kParam holds the float32 master and
  // `out` the low-precision param it is rounded into.
  int mixed = -1;
  void* out = nullptr;
  const MixedPrecision* mp = nullptr;  // stochastic rounding settings
  int32_t param = 0;                   // position of the param in lists[0]
  Device device;                       // where the arrays live (the driver's stubs dispatch on it)
};

// A state list whose tensors are kernel arrays, and the slot they fill.
struct ListSlot {
  int list, slot;
};

// What a step does with the lists before the kernel runs.
struct GroupPlan {
  const char* name;                // the optimizer, for messages
  std::vector<ListSlot> arrays;    // lists whose tensors are kernel arrays, and their slots
  std::vector<int> used_lists;     // every list the configuration needs (sizes are checked)
  // Creates list k's missing entry for a param (given its grad).
  std::function<Tensor(int k, const Tensor& param, const Tensor& grad)> make_state;
};

// The params of a group that take part in this step, with their rows and indices.
struct Gathered {
  std::vector<Row> rows;
  std::vector<int64_t> index;  // index of each row's param in lists[0]
  std::vector<uint8_t> fresh;  // 1 if the row's state was created by this step
  std::vector<Tensor> keep;    // contiguous copies of non-contiguous grads, alive for the run
  int created = 0;
  Device device;               // the params' one device
  Gathered() = default;
};

// True if control.found_inf says to skip the step.
bool skip_step(const StepControl& c);

// Checks the lists, creates missing state for params with grads, fills rows (row.step = 0).
// State created in one call for several params is laid out back to back in one buffer per
// list (each entry a view), so params in a flat arena step as one streaming row.
// With `control` (kernels with kLowPrecision) bfloat16/float16 params and state are accepted
// and control->mixed says where master weights live and which dtype new state gets; without
// it params must be float32/float64.
Gathered gather(TensorLists& lists, const GroupPlan& plan, const StepControl* control = nullptr);

// Non-contiguous params (torch steps params of any strides) step through contiguous copies:
// the constructor puts, in lists[0], a contiguous copy sharing the grad in place of every such
// param that has a grad (every such param when !grads_only: a mode switch writes params that
// have none); write_back() copies the stepped values into the params and puts them back. If the
// step throws first, or nothing is written, the destructor puts the params back unchanged.
class ContiguousParams {
 public:
  explicit ContiguousParams(TensorLists& lists, bool grads_only = true);
  ContiguousParams(const ContiguousParams&) = delete;
  ContiguousParams& operator=(const ContiguousParams&) = delete;
  void write_back();
  ~ContiguousParams();

 private:
  TensorLists& lists_;
  std::vector<std::pair<size_t, Tensor>> swapped_;  // index in lists[0], the param itself
};

// Increments the step counter (in lists[1]) of every gathered row; returns the new counts.
std::vector<double> increment_steps(const TensorLists& lists, const Gathered& g);
// scalars[i] *= factors[i] (one-element float32 tensors, e.g. NAdam's mu_product); the new values.
std::vector<double> multiply_scalars(Device d, const std::vector<Tensor>& scalars, const std::vector<double>& factors);

// State makers for GroupPlan::make_state.
Tensor zeros_state(const Tensor& param);
Tensor filled_state(const Tensor& param, double value);
Tensor empty_state(const Tensor& param);       // for state the kernel writes before reading
Tensor scalar_state(const Tensor& param, double value);  // a 0-d float32 tensor on the param's device (step counters, products)

// grad_scale with the sign of maximize folded in (negation is exact, so this is torch's -g).
inline double signed_scale(const StepControl& c, bool maximize) { return maximize ? -c.grad_scale : c.grad_scale; }

// Runs kernel `id` on every row in chunks, on the rows' device (dispatch/optim.hpp); steps[row.step] (each step_size bytes) is passed to
// the kernel for that row's chunks. `elementwise`: the kernel treats every element alike (no
// per-row reduction or position dependence), so consecutive rows whose arrays are adjacent in
// memory and share a Step are merged into one (a flat arena then runs as a few long streams);
// the result is the same bits either way.
void run_rows(kernels::KernelId id, const std::vector<Row>& rows, const void* steps, size_t step_size,
              bool elementwise = false);

constexpr bool kElementwise = true;

// The typed form: run_rows<updates::AdamKernel>(rows, steps).
template <class Kernel>
void run_rows(const std::vector<Row>& rows, const std::vector<typename Kernel::Step>& steps,
              bool elementwise = false) {
  run_rows(updates::kernel_id<Kernel>::value, rows, steps.data(), sizeof(typename Kernel::Step), elementwise);
}

// Fills row.step for every row from a per-row key (e.g. the step count t): consecutive rows
// with the same key share one Step, computed once by make(key).
template <class Step, class Key, class KeyFn, class MakeFn>
std::vector<Step> steps_by_key(std::vector<Row>& rows, KeyFn key_of, MakeFn make) {
  std::vector<Step> steps;
  Key last{};
  for (size_t r = 0; r < rows.size(); ++r) {
    Key k = key_of(r);
    if (steps.empty() || !(k == last)) {
      steps.push_back(make(k));
      last = k;
    }
    rows[r].step = int32_t(steps.size() - 1);
  }
  return steps;
}

}  // namespace steepest::optim::detail
