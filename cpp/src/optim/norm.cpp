// Multi-tensor reductions and scaling over many tensors at once: the global grad norm that
// clipping needs, in-place scaling, GradScaler's check-and-unscale (each one pass through the
// multi-tensor stubs of dispatch/optim.hpp on the tensors' device), and the benchmark's
// memory-traffic limit kernel.
#include <cmath>

#include "dispatch/optim.hpp"
#include "optim/driver.hpp"
#include "optim/updates/touch.hpp"
#include "steepest/ops.hpp"

namespace steepest {
namespace dispatch {
STEEPEST_DEFINE_STUB(MultiNormKernel, multi_norm_stub);
STEEPEST_DEFINE_STUB(MultiScaleKernel, multi_scale_stub);
STEEPEST_DEFINE_STUB(MultiCheckScaleKernel, multi_check_scale_stub);
}  // namespace dispatch

namespace optim {

namespace {
// The tensors' one device, after checking each is a contiguous float tensor.
Device checked_device(const std::vector<Tensor>& tensors, const char* what) {
  std::vector<const Tensor*> operands;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (!t.defined()) continue;
    const DType d = t.dtype();
    STEEPEST_CHECK(d == kFloat32 || d == kFloat64 || d == kBFloat16 || d == kFloat16, TypeError, what, ": tensor ", i,
                   " is ", dtype_name(d), "; expected float32, float64, bfloat16 or float16");
    STEEPEST_CHECK(t.is_contiguous(), ValueError, what, ": tensor ", i, " must be contiguous");
    operands.push_back(&t);
  }
  return dispatch::common_device(operands);
}

void bump_versions(const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors)
    if (t.defined()) t.bump_version();
}
}  // namespace

double total_norm(const std::vector<Tensor>& tensors, double norm_type) {
  STEEPEST_CHECK(norm_type > 0, ValueError, "total_norm: norm_type must be > 0, got ", norm_type);
  const bool inf = std::isinf(norm_type);
  if (!inf && norm_type != 1 && norm_type != 2) {
    // General p: sum |x|^p through the elementwise ops, then the p-th root.
    double s = 0;
    for (const Tensor& t : tensors) {
      if (!t.defined()) continue;
      s += sum(pow(abs(to_dtype(t, kFloat64)), Scalar(norm_type))).item<double>();
    }
    return std::pow(s, 1.0 / norm_type);
  }
  const Device d = checked_device(tensors, "total_norm");
  return dispatch::multi_norm_stub().get(d, "total_norm")(tensors, norm_type);
}

void scale_(const std::vector<Tensor>& tensors, double factor) {
  const Device d = checked_device(tensors, "scale_");
  dispatch::multi_scale_stub().get(d, "scale_")(tensors, factor);
  bump_versions(tensors);
}

bool any_nonfinite(const std::vector<Tensor>& tensors) {
  const Device d = checked_device(tensors, "any_nonfinite");
  return dispatch::multi_check_scale_stub().get(d, "any_nonfinite")(tensors, false, 1.0);
}

bool unscale_(const std::vector<Tensor>& tensors, double inv_scale) {
  const Device d = checked_device(tensors, "unscale_");
  const bool scale = inv_scale != 1.0;
  const bool bad = dispatch::multi_check_scale_stub().get(d, "unscale_")(tensors, scale, inv_scale);
  if (scale) bump_versions(tensors);
  return bad;
}

namespace detail {

namespace {
// The limit kernels: the same memory streams as an update (one add per element), over rows
// built like the driver's. `rule` says whether the last list is stored back.
template <class Kernel>
void touch_rows(const TensorLists& lists, const char* name, int min_lists) {
  const int k = int(lists.size());
  STEEPEST_CHECK(k >= min_lists && k <= kMaxSlots, ValueError, name, ": expected ", min_lists, " to ", kMaxSlots,
                 " lists, got ", k);
  std::vector<Row> rows;
  for (size_t i = 0; i < lists[0].size(); ++i) {
    Row r;
    const Tensor& p = lists[0][i];
    STEEPEST_CHECK(p.dtype() == kFloat32 || p.dtype() == kFloat64, TypeError, name, ": float tensors only");
    r.numel = p.numel();
    r.f64 = p.dtype() == kFloat64;
    r.device = p.device();
    for (int j = 0; j < k; ++j) {
      const Tensor& t = lists[size_t(j)].at(i);
      STEEPEST_CHECK(t.defined() && t.is_contiguous() && t.dtype() == p.dtype() && t.numel() == p.numel(), ValueError,
                     name, ": list ", j, " entry ", i, " must be a contiguous tensor like the first list's");
      r.arrays[j] = t.data_ptr();
    }
    rows.push_back(r);
  }
  run_rows<Kernel>(rows, {{k}});
}
}  // namespace

void touch_step(const TensorLists& lists) { touch_rows<updates::TouchKernel>(lists, "touch_step", 2); }

void touch_step_last_read_only(const TensorLists& lists) {
  touch_rows<updates::TouchLastReadOnlyKernel>(lists, "touch_step_last_read_only", 3);
}

}  // namespace detail
}  // namespace optim
}  // namespace steepest
