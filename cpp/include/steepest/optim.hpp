// Fused optimizer steps over a parameter group's tensor lists, the multi-tensor grad norm and
// in-place grad scaling. Each step is one call that walks every (param, grad, state...) of the
// group in chunks, in parallel, with the update rule's SIMD kernel; the semantics are torch's
// (docs/optimizers.md has every rule's math) and the Python st.optim classes are thin shells
// over these. optim/registry.hpp reaches the same steps by rule name.
#pragma once
#include <vector>

#include "optim/registry.hpp"
#include "tensor.hpp"

namespace steepest::optim {

// A parameter group's tensors: lists[0] holds the params, each further list one state tensor
// per param, in the order each step function documents. A state entry may be undefined until
// the param's first step with a grad: the step creates it (zeros unless said otherwise), as
// torch creates state lazily. Lists a configuration doesn't use may be empty.
// Params whose grad() is undefined are skipped: no state change, step count unchanged.
// Params, grads and state must be contiguous float32 or float64 tensors of the param's dtype
// (a non-contiguous grad is read through a contiguous copy). A non-contiguous param is a
// ValueError here, so the typed calls never hide a copy; stepping by rule name (registry.hpp)
// and the Python optimizers accept any strides, through a contiguous copy written back. Step counters are one-element
// float32 tensors counted here, before the update (t = 1 at the first step), like torch's
// state["step"].
using TensorLists = std::vector<std::vector<Tensor>>;

// Mixed precision (steps that support it: SGD, Adam/AdamW, Lion). The update always runs in
// float32; arrays stored in bfloat16/float16 are widened on load and rounded on store.
struct MixedPrecision {
  // Index of the list holding float32 master weights (-1: none). For a bfloat16/float16 param
  // the entry is created from the param at its first step; the update then reads and writes
  // the master and rounds it into the param in the same pass. Float32 params keep no master.
  int master_list = -1;
  // Dtype of newly created moment state (float32 or bfloat16); float64 params keep float64.
  DType state_dtype = kFloat32;
  // Round the bfloat16 param stochastically (float16 params round to nearest): element e of
  // the param at position `param` in lists[0] adds the Philox bits documented in
  // kernels/cpu/optim_table.hpp (key seed, counter (e/8, sr_step, param)), so the result
  // depends on (seed, sr_step, param, e) only, not on threads or chunking.
  bool stochastic_rounding = false;
  uint64_t seed = 0;
  uint32_t sr_step = 0;
};

// Besides its hyperparameters every step takes:
struct StepControl {
  // Every grad is multiplied by this before anything else (loss-scale unscaling, clipping by
  // a global norm), in the kernel: the grads themselves are left unchanged.
  double grad_scale = 1.0;
  // Optional one-element tensor; nonzero skips the whole step (nothing changes, nothing is
  // counted), as a GradScaler step after an inf/NaN grad.
  Tensor found_inf;
  // Low-precision params and state (steps without mixed-precision support ignore this and
  // take float32/float64 params only).
  MixedPrecision mixed;
};

// Each step function returns how many state tensors it created (0 once state exists).

// Lists: params, momentum_buffer (used when momentum != 0; a new buffer starts as the grad).
struct SGDOptions {
  double lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
};
int sgd_step(TensorLists& lists, const SGDOptions& o, const StepControl& c = {});

// Adam, and AdamW with decoupled_weight_decay (AdamW's defaults differ only in weight_decay).
// Lists: params, step, exp_avg, exp_avg_sq, max_exp_avg_sq (used when amsgrad).
struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool amsgrad = false, maximize = false, decoupled_weight_decay = false;
};
int adam_step(TensorLists& lists, const AdamOptions& o, const StepControl& c = {});

// Lists: params, step, sum (a new sum starts at initial_accumulator_value).
struct AdagradOptions {
  double lr = 1e-2, lr_decay = 0, weight_decay = 0, initial_accumulator_value = 0, eps = 1e-10;
  bool maximize = false;
};
int adagrad_step(TensorLists& lists, const AdagradOptions& o, const StepControl& c = {});

// Lists: params, step, square_avg, momentum_buffer (used when momentum > 0),
// grad_avg (used when centered).
struct RMSpropOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};
int rmsprop_step(TensorLists& lists, const RMSpropOptions& o, const StepControl& c = {});

// Lists: params, step, mu_product (one-element float32, starts at 1), exp_avg, exp_avg_sq.
struct NAdamOptions {
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0, momentum_decay = 4e-3;
  bool decoupled_weight_decay = false, maximize = false;
};
int nadam_step(TensorLists& lists, const NAdamOptions& o, const StepControl& c = {});

// Lists: params, step, exp_avg, exp_avg_sq.
struct RAdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled_weight_decay = false, maximize = false;
};
int radam_step(TensorLists& lists, const RAdamOptions& o, const StepControl& c = {});

// Lists: params, step, exp_avg, exp_inf.
struct AdamaxOptions {
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool maximize = false;
};
int adamax_step(TensorLists& lists, const AdamaxOptions& o, const StepControl& c = {});

// Lion (google/automl, lucidrains): lists: params, exp_avg. No step counter.
struct LionOptions {
  double lr = 1e-4, beta1 = 0.9, beta2 = 0.99, weight_decay = 0;
  bool maximize = false;
};
int lion_step(TensorLists& lists, const LionOptions& o, const StepControl& c = {});

// ---- Adafactor, Muon, SophiaG, Schedule-Free AdamW, LAMB, LARS (docs/optimizers.md §3-§7) ----

// torch.optim.Adafactor (§7): no first moment; params of >= 2 dims keep factored second
// moments over their last two dims. Lists: params, step, row_var (shape [..., n, 1]),
// col_var ([..., 1, m]) for >= 2-D params, variance (the param's shape) for 0-D/1-D ones.
// eps1 < 0 means torch's None: the dtype's machine epsilon. Reductions (row/column means,
// norms) are plain C++ loops accumulating in double, the same bits on every ISA.
struct AdafactorOptions {
  double lr = 1e-2, beta2_decay = -0.8, eps1 = -1, eps2 = 1e-3, d = 1.0, weight_decay = 0;
  bool maximize = false;
};
int adafactor_step(TensorLists& lists, const AdafactorOptions& o, const StepControl& c = {});

// torch.optim.Muon (§4.3): momentum EMA (+ Nesterov blend), Newton–Schulz orthogonalization,
// decoupled weight decay with the un-adjusted lr, the update scaled by the adjusted lr.
// Lists: params (2-D only; ValueError naming the shape otherwise), momentum_buffer.
// Newton–Schulz iterates in bfloat16 by default, as torch does: every iterate (the normalized
// input, each Gram matrix, each polynomial and each new X) is a bfloat16 tensor and each
// product a bfloat16 GEMM with float32 accumulation. ns_bf16 = false iterates in the param's
// dtype instead (float32, or float64 for float64 params) through steepest::matmul: slower,
// closer to the exact orthogonalization.
enum class MuonAdjustLr : int { Original = 0, MatchRmsAdamW = 1 };
struct MuonOptions {
  double lr = 1e-3, weight_decay = 0.1, momentum = 0.95;
  bool nesterov = true;
  double ns_a = 3.4445, ns_b = -4.7750, ns_c = 2.0315, eps = 1e-7;
  int ns_steps = 5;
  MuonAdjustLr adjust_lr = MuonAdjustLr::Original;
  bool ns_bf16 = true;
};
int muon_step(TensorLists& lists, const MuonOptions& o, const StepControl& c = {});
// The orthogonalized update NS(G) of a 2-D tensor (float32/float64), as muon_step computes it.
Tensor newton_schulz(const Tensor& g, const MuonOptions& o);

// SophiaG (Liuhong99/Sophia, §3). Lists: params, step, exp_avg, hessian. `bs` is step()'s
// tokens-per-batch argument. update_hessian: hessian = b2*hessian + (1-b2)*g*g for every param
// with a grad (grad_scale applies, e.g. clipping of the estimator's grads), creating state.
struct SophiaOptions {
  double lr = 1e-4, beta1 = 0.965, beta2 = 0.99, rho = 0.04, weight_decay = 1e-1, bs = 5120;
  bool maximize = false;
};
int sophia_step(TensorLists& lists, const SophiaOptions& o, const StepControl& c = {});
int sophia_update_hessian(TensorLists& lists, const SophiaOptions& o, const StepControl& c = {});

// Schedule-Free AdamW (facebookresearch/schedule_free, §5). Lists: params (y in train mode),
// z (starts as a copy of the param), exp_avg_sq. The group's scalars are updated in place on
// every step (also when no param has a grad), not when found_inf skips it.
struct ScheduleFreeAdamWOptions {
  double lr = 0.0025, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0, warmup_steps = 0, r = 0,
         weight_lr_power = 2.0;
};
struct ScheduleFreeGroupState {
  double k = 0, weight_sum = 0, lr_max = -1, scheduled_lr = 0;
};
int schedule_free_adamw_step(TensorLists& lists, const ScheduleFreeAdamWOptions& o, ScheduleFreeGroupState& g,
                             const StepControl& c = {});
// train(): p.lerp_(z, 1-beta1) (x -> y); eval(): p.lerp_(z, 1-1/beta1) (y -> x); params
// without z are left alone. Lists as schedule_free_adamw_step.
void schedule_free_set_mode(TensorLists& lists, double beta1, bool train);

// LAMB (timm lamb.py, §6.1). Lists: params, exp_avg, exp_avg_sq. `step` is the group's
// step count, incremented here. Callers fold timm's global grad pre-clip into grad_scale.
struct LambOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-6, weight_decay = 0.01;
  bool bias_correction = true, grad_averaging = true, trust_clip = false, always_adapt = false,
       decoupled_decay = false;
};
int lamb_step(TensorLists& lists, const LambOptions& o, int64_t& step, const StepControl& c = {});
// The 2-norm of all tensors together for LAMB's pre-clip, summed in a fixed order by code
// compiled once (the same bits on every ISA, unlike total_norm's SIMD leaves). Undefined entries skipped.
double lamb_grad_norm(const std::vector<Tensor>& grads);

// LARS (timm lars.py, §6.2). Lists: params, momentum_buffer (used when momentum != 0).
struct LarsOptions {
  double lr = 1.0, momentum = 0, dampening = 0, weight_decay = 0, trust_coeff = 0.001, eps = 1e-8;
  bool nesterov = false, trust_clip = false, always_adapt = false;
  // Params of at most one dim (biases, norm gains) get plain SGD: no trust ratio, no decay.
  bool exclude_1d = false;
};
int lars_step(TensorLists& lists, const LarsOptions& o, const StepControl& c = {});

// The norm of all tensors taken together as one vector (undefined entries skipped):
// norm_type 1, 2 or +inf in one fused multi-tensor pass; any other p > 0 through the
// elementwise ops. Float32 values are summed in float32 leaves of at most 128 terms per
// accumulator, leaves added in float64 (relative error below 1e-5 worst case, about 1e-7
// typically); float64 values in float64. inf norm: max |x|, NaN if any x is NaN.
// An empty list gives 0.
double total_norm(const std::vector<Tensor>& tensors, double norm_type = 2.0);

// x *= factor for every tensor (contiguous float32/float64/bfloat16/float16; half types are
// scaled in float32 and rounded to nearest even), in one multi-tensor pass.
void scale_(const std::vector<Tensor>& tensors, double factor);

// True if any element of the tensors is inf or NaN: one read-only multi-tensor pass.
bool any_nonfinite(const std::vector<Tensor>& tensors);

// GradScaler's unscale: checks every element for inf/NaN, then multiplies by inv_scale
// (skipped when it is 1), chunk by chunk in one pass over memory; returns whether a
// non-finite value was seen (grads are scaled even then, as torch).
bool unscale_(const std::vector<Tensor>& tensors, double inv_scale);

// The flat arena: moves the tensors (params) into one contiguous buffer per dtype, in order,
// without padding, each becoming a contiguous view of it (the same TensorImpl: handles and
// Python objects keep their identity; other tensors that shared the old storage no longer
// alias it). Grads move the same way into one flat grad buffer per dtype (a param without a
// grad gets a zero one), so backward accumulates into the buffer in place and zeroing all
// grads is one fill. Returns the param buffers then the grad buffers (one per dtype each,
// dtypes in first-appearance order).
std::vector<Tensor> flatten_(const std::vector<Tensor>& params);

namespace detail {
// Benchmark support: the memory-traffic limit of a step. Every list must be fully defined
// (2 to 6 lists); reads all of them and writes all but lists[1] (the grads' place), with one
// add per element, through the same chunked multi-tensor driver the steps use.
void touch_step(const TensorLists& lists);
// touch_step, but the last list is only read (SophiaG's limit: its Hessian EMA isn't written).
void touch_step_last_read_only(const TensorLists& lists);
}  // namespace detail

}  // namespace steepest::optim
