// Dispatch stubs of the optimizer driver: everything an optimizer step does to tensor memory.
// The rule files (src/optim) build rows of arrays and per-step scalars on the host and call
// these; a backend runs them where the tensors live. Besides the update launch, the host-side
// reads and writes a step used to make itself (GradScaler's found_inf, step counters, NAdam's
// mu_product, the per-tensor norms of the layer-wise rules) go through here, so a device
// backend can keep them on the device (CPU: plain loads and stores, the same bits as before).
#pragma once
#include <vector>

#include "dispatch/stub.hpp"
#include "optim/driver.hpp"
#include "optim/row_norms.hpp"

namespace steepest::dispatch {

// Runs update kernel `id` over every row in chunks (optim/driver.hpp's run_rows documents it).
using OptimRunKernel = void (*)(optim::updates::KernelId id, const std::vector<optim::detail::Row>& rows,
                                const void* steps, size_t step_size, bool elementwise);
// Whether a one-element flag (GradScaler's found_inf) is nonzero.
using OptimFlagKernel = bool (*)(const Tensor& flag);
// Adds 1 to every one-element float32/float64 step counter; writes the new counts.
using OptimCountKernel = void (*)(const std::vector<Tensor>& counters, std::vector<double>& counts);
// scalars[i] *= factors[i] in float32 (one-element float32 tensors, NAdam's mu_product); writes the new values.
using OptimScalarMulKernel = void (*)(const std::vector<Tensor>& scalars, const std::vector<double>& factors,
                                      std::vector<double>& values);
// sum(x*x) of each input in a fixed order (optim/row_norms.hpp).
using OptimRowSumSqKernel = void (*)(const std::vector<optim::detail::NormInput>& inputs, std::vector<double>& out);
// sum(x*x) of a float32/float64 tensor, accumulated in double in index order (Muon's Frobenius norm).
using OptimFrobeniusSqKernel = double (*)(const Tensor& x);
// Adafactor's factored second moments of >= 2-D params: per row r the lerp of the row/column
// means of (g*gs)^2 into row_var/col_var (weight w), then the update U into `update`.
struct AdafactorFactoredRow {
  Tensor param, row_var, col_var, update;
  const void* grad;
  double weight, eps1;
};
using OptimAdafactorKernel = void (*)(const std::vector<AdafactorFactoredRow>& rows, double grad_scale);

// The multi-tensor passes of clipping and loss scaling over contiguous float tensors (float32,
// float64, bfloat16, float16; undefined entries skipped): the norm of all tensors as one vector
// for norm_type 1, 2 or inf; x *= factor; the inf/NaN check with an optional scaling in the
// same pass (returns whether a non-finite value was seen).
using MultiNormKernel = double (*)(const std::vector<Tensor>& tensors, double norm_type);
using MultiScaleKernel = void (*)(const std::vector<Tensor>& tensors, double factor);
using MultiCheckScaleKernel = bool (*)(const std::vector<Tensor>& tensors, bool scale, double factor);

STEEPEST_DECLARE_STUB(OptimRunKernel, optim_run_stub);
STEEPEST_DECLARE_STUB(OptimFlagKernel, optim_flag_stub);
STEEPEST_DECLARE_STUB(OptimCountKernel, optim_count_stub);
STEEPEST_DECLARE_STUB(OptimScalarMulKernel, optim_scalar_mul_stub);
STEEPEST_DECLARE_STUB(OptimRowSumSqKernel, optim_row_sum_sq_stub);
STEEPEST_DECLARE_STUB(OptimFrobeniusSqKernel, optim_frobenius_sq_stub);
STEEPEST_DECLARE_STUB(OptimAdafactorKernel, optim_adafactor_stub);
STEEPEST_DECLARE_STUB(MultiNormKernel, multi_norm_stub);
STEEPEST_DECLARE_STUB(MultiScaleKernel, multi_scale_stub);
STEEPEST_DECLARE_STUB(MultiCheckScaleKernel, multi_check_scale_stub);

}  // namespace steepest::dispatch
