// The shared multi-tensor driver (driver.hpp): list checks, lazy state, the rows of a step,
// and the calls into the driver's dispatch stubs (dispatch/optim.hpp), which run the chunked
// update loop and the step's other touches of tensor memory on the tensors' device.
#include "optim/driver.hpp"

#include <algorithm>

#include "dispatch/optim.hpp"
#include "optim/updates/precision.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest {
namespace dispatch {
STEEPEST_DEFINE_STUB(OptimRunKernel, optim_run_stub);
STEEPEST_DEFINE_STUB(OptimFlagKernel, optim_flag_stub);
STEEPEST_DEFINE_STUB(OptimCountKernel, optim_count_stub);
STEEPEST_DEFINE_STUB(OptimScalarMulKernel, optim_scalar_mul_stub);
STEEPEST_DEFINE_STUB(OptimRowSumSqKernel, optim_row_sum_sq_stub);
STEEPEST_DEFINE_STUB(OptimFrobeniusSqKernel, optim_frobenius_sq_stub);
STEEPEST_DEFINE_STUB(OptimAdafactorKernel, optim_adafactor_stub);
}  // namespace dispatch

namespace optim::detail {

namespace {

void check_tensor(const Tensor& t, const Tensor& param, const char* opt, const char* what, size_t i,
                  bool any_float = false) {
  STEEPEST_CHECK(t.device() == param.device(), ValueError, opt, ": ", what, " of param ", i, " is on ",
                 t.device().str(), ", the param on ", param.device().str());
  if (any_float) {
    STEEPEST_CHECK(t.dtype() == kFloat32 || t.dtype() == kBFloat16 || t.dtype() == kFloat16, TypeError, opt, ": ",
                   what, " of param ", i, " is ", dtype_name(t.dtype()),
                   "; mixed-precision state must be float32, bfloat16 or float16");
  } else {
    STEEPEST_CHECK(t.dtype() == param.dtype(), TypeError, opt, ": ", what, " of param ", i, " is ",
                   dtype_name(t.dtype()), ", the param ", dtype_name(param.dtype()));
  }
  STEEPEST_CHECK(t.numel() == param.numel(), ValueError, opt, ": ", what, " of param ", i, " has ", t.numel(),
                 " elements, the param ", param.numel());
  STEEPEST_CHECK(t.is_contiguous(), ValueError, opt, ": ", what, " of param ", i, " must be contiguous");
}

bool low_precision(DType d) { return d == kBFloat16 || d == kFloat16; }

using updates::StoreKind;

StoreKind kind_of(DType d) {
  return d == kBFloat16 ? StoreKind::BF16 : d == kFloat16 ? StoreKind::F16 : StoreKind::F32;
}


// Moves the given entries of one list into one buffer per dtype, back to back, each entry
// becoming a contiguous view with the same contents.
void pack_fresh(std::vector<Tensor>& list, const std::vector<size_t>& fresh) {
  if (fresh.size() < 2) return;
  std::vector<bool> done(fresh.size(), false);
  for (size_t a = 0; a < fresh.size(); ++a) {
    if (done[a]) continue;
    const DType dt = list[fresh[a]].dtype();
    int64_t total = 0;
    for (size_t b = a; b < fresh.size(); ++b)
      if (!done[b] && list[fresh[b]].dtype() == dt) total += list[fresh[b]].numel();
    Tensor buf = Tensor::empty(Shape{total}, dt, list[fresh[a]].device());
    int64_t off = 0;
    for (size_t b = a; b < fresh.size(); ++b) {
      Tensor& t = list[fresh[b]];
      if (done[b] || t.dtype() != dt) continue;
      done[b] = true;
      Tensor view = Tensor::make(buf.storage(), t.shape(), contiguous_strides(t.shape()), off, dt);
      copy_(view, t.detach());
      off += t.numel();
      t = view;
    }
  }
}
}  // namespace

bool skip_step(const StepControl& c) {
  if (!c.found_inf.defined()) return false;
  STEEPEST_CHECK(c.found_inf.numel() == 1, ValueError, "found_inf must have one element, got ",
                 c.found_inf.numel());
  return dispatch::optim_flag_stub()(c.found_inf.device(), c.found_inf);
}

ContiguousParams::ContiguousParams(TensorLists& lists, bool grads_only) : lists_(lists) {
  if (lists.empty()) return;
  for (size_t i = 0; i < lists[0].size(); ++i) {
    Tensor& p = lists[0][i];
    if (!p.defined() || p.is_contiguous() || (grads_only && !p.grad().defined())) continue;
    Tensor copy = contiguous(p.detach());
    if (p.grad().defined()) copy.set_grad(p.grad());
    swapped_.emplace_back(i, p);
    p = copy;
  }
}

void ContiguousParams::write_back() {
  for (auto& [i, p] : swapped_) {
    Tensor dst = p.detach();  // shares the param's storage; no autograd on an optimizer write
    copy_(dst, lists_[0][i]);
    lists_[0][i] = p;
  }
  swapped_.clear();
}

ContiguousParams::~ContiguousParams() {
  for (auto& [i, p] : swapped_) lists_[0][i] = p;
}

Gathered gather(TensorLists& lists, const GroupPlan& plan, const StepControl* control) {
  const char* opt = plan.name;
  const MixedPrecision* mp = control ? &control->mixed : nullptr;
  STEEPEST_CHECK(!lists.empty(), ValueError, opt, ": no parameter list");
  const auto& params = lists[0];
  const size_t n = params.size();
  std::vector<int> checked = plan.used_lists;
  const int master_list = mp ? mp->master_list : -1;
  if (mp) {
    STEEPEST_CHECK(mp->state_dtype == kFloat32 || mp->state_dtype == kBFloat16, ValueError, opt,
                   ": state_dtype must be float32 or bfloat16, got ", dtype_name(mp->state_dtype));
    if (master_list >= 0) {
      STEEPEST_CHECK(master_list > 0, ValueError, opt, ": the master weights can't be list 0 (the params)");
      checked.push_back(master_list);
    }
  }
  for (int k : checked) {
    STEEPEST_CHECK(size_t(k) < lists.size(), ValueError, opt, ": expected at least ", k + 1, " tensor lists, got ",
                   lists.size());
    STEEPEST_CHECK(lists[k].size() == n, ValueError, opt, ": state list ", k, " has ", lists[k].size(),
                   " entries for ", n, " params");
  }
  Gathered out;
  out.rows.reserve(n);
  out.index.reserve(n);
  std::vector<Tensor> grads;
  std::vector<std::vector<size_t>> fresh_of(lists.size());
  // Pass 1: check params and grads, create missing state.
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params[i];
    STEEPEST_CHECK(p.defined(), ValueError, opt, ": param ", i, " is None");
    Tensor g = p.grad();
    if (!g.defined()) continue;
    const bool lowp = low_precision(p.dtype());
    STEEPEST_CHECK(p.dtype() == kFloat32 || p.dtype() == kFloat64 || (mp && lowp), TypeError, opt, ": param ", i,
                   " is ", dtype_name(p.dtype()),
                   mp ? "; fused steps take float32, float64, bfloat16 or float16 params"
                      : "; this fused step takes float32 or float64 params");
    if (out.index.empty()) out.device = p.device();
    else if (!(p.device() == out.device)) dispatch::throw_device_mismatch(out.device, p.device());
    STEEPEST_CHECK(p.is_contiguous(), ValueError, opt, ": param ", i, " must be contiguous");
    if (!g.is_contiguous()) {
      g = contiguous(g);
      out.keep.push_back(g);
    }
    check_tensor(g, p, opt, "grad", i);
    const DType sdt = (mp && p.dtype() != kFloat64) ? mp->state_dtype : p.dtype();
    Tensor proto;  // shape and dtype of new moment state
    uint8_t fresh = 0;
    for (int k : plan.used_lists) {
      Tensor& s = lists[k][i];
      if (s.defined()) continue;
      const bool array = std::any_of(plan.arrays.begin(), plan.arrays.end(), [k](ListSlot a) { return a.list == k; });
      if (array && sdt != p.dtype() && !proto.defined()) proto = Tensor::empty(p.shape(), sdt, p.device());
      s = plan.make_state(k, array && sdt != p.dtype() ? proto : p, g);
      ++out.created;
      fresh = 1;
      if (array) fresh_of[k].push_back(i);
    }
    if (master_list >= 0 && lowp && !lists[master_list][i].defined()) {
      lists[master_list][i] = to_dtype(p.detach(), kFloat32, /*copy=*/true);
      ++out.created;
      fresh_of[master_list].push_back(i);
    }
    grads.push_back(g);
    out.index.push_back(int64_t(i));
    out.fresh.push_back(fresh);
  }
  for (size_t k = 1; k < lists.size(); ++k) pack_fresh(lists[k], fresh_of[k]);
  // Pass 2: the kernel rows.
  for (size_t r = 0; r < out.index.size(); ++r) {
    const size_t i = size_t(out.index[r]);
    const Tensor& p = params[i];
    const Tensor& g = grads[r];
    const bool f64 = p.dtype() == kFloat64;
    Row row;
    row.numel = p.numel();
    row.f64 = f64;
    row.param = int32_t(i);
    row.mp = mp;
    row.device = p.device();
    row.arrays[updates::kParam] = p.data_ptr();
    row.arrays[updates::kGrad] = g.data_ptr();
    const bool master = master_list >= 0 && low_precision(p.dtype());
    if (master) {
      const Tensor& m = lists[master_list][i];
      STEEPEST_CHECK(m.dtype() == kFloat32, TypeError, opt, ": master weights of param ", i, " are ",
                     dtype_name(m.dtype()), ", expected float32");
      check_tensor(m, p, opt, "master weights", i, true);
      row.arrays[updates::kParam] = m.data_ptr();
      row.out = p.data_ptr();
    }
    // Every state array of a row shares one storage kind (the mode is a template argument of
    // the kernel); the first one sets it.
    StoreKind state_kind = kind_of(p.dtype());
    bool first_state = true;
    for (const ListSlot& a : plan.arrays) {
      const Tensor& s = lists[a.list][i];
      check_tensor(s, p, opt, "state", i, mp && !f64);
      if (first_state) state_kind = kind_of(s.dtype());
      STEEPEST_CHECK(kind_of(s.dtype()) == state_kind, TypeError, opt, ": state ", a.list, " of param ", i, " is ",
                     dtype_name(s.dtype()), " while its other state is ", state_kind == StoreKind::BF16 ? "bfloat16"
                     : state_kind == StoreKind::F16 ? "float16" : "float32",
                     "; a param's optimizer state must share one dtype");
      first_state = false;
      row.arrays[a.slot] = s.data_ptr();
    }
    if (!f64 && (kind_of(p.dtype()) != StoreKind::F32 || state_kind != StoreKind::F32)) {
      row.mixed = updates::mixed_mode_index(kind_of(p.dtype()), state_kind, master);
      STEEPEST_CHECK(row.mixed >= 0, TypeError, opt, ": param ", i, " (", dtype_name(p.dtype()),
                     ") with this state dtype has no mixed-precision kernel");
    }
    out.rows.push_back(row);
  }
  return out;
}

Tensor zeros_state(const Tensor& param) { return zeros(param.shape(), TensorOptions(param.dtype(), param.device())); }
Tensor filled_state(const Tensor& param, double value) {
  return full(param.shape(), Scalar(value), TensorOptions(param.dtype(), param.device()));
}
Tensor empty_state(const Tensor& param) { return Tensor::empty(param.shape(), param.dtype(), param.device()); }
Tensor scalar_state(const Tensor& param, double value) {
  return full(Shape{}, Scalar(value), TensorOptions(kFloat32, param.device()));
}

std::vector<double> increment_steps(const TensorLists& lists, const Gathered& g) {
  std::vector<Tensor> counters;
  counters.reserve(g.rows.size());
  for (size_t r = 0; r < g.rows.size(); ++r) {
    const Tensor& step = lists[1][size_t(g.index[r])];
    STEEPEST_CHECK(step.numel() == 1 && step.is_contiguous(), ValueError,
                   "a step counter must be a one-element contiguous tensor, got shape ", step.shape());
    STEEPEST_CHECK(step.dtype() == kFloat32 || step.dtype() == kFloat64, TypeError,
                   "a step counter must be float32 or float64, got ", dtype_name(step.dtype()));
    counters.push_back(step);
  }
  std::vector<double> t;
  if (!counters.empty()) dispatch::optim_count_stub()(g.device, counters, t);
  return t;
}

std::vector<double> multiply_scalars(Device d, const std::vector<Tensor>& scalars, const std::vector<double>& factors) {
  std::vector<double> out;
  if (!scalars.empty()) dispatch::optim_scalar_mul_stub()(d, scalars, factors, out);
  return out;
}

void run_rows(kernels::KernelId id, const std::vector<Row>& rows, const void* steps, size_t step_size,
              bool elementwise) {
  if (rows.empty()) return;
  dispatch::optim_run_stub().get(rows.front().device, updates::kernel_name(id))(id, rows, steps, step_size, elementwise);
}

std::vector<double> row_sum_sq(Device d, const std::vector<NormInput>& inputs) {
  std::vector<double> out;
  dispatch::optim_row_sum_sq_stub()(d, inputs, out);
  return out;
}

}  // namespace optim::detail
}  // namespace steepest
