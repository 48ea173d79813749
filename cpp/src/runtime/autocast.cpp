// autocast's thread-local state, its cast cache, and the op policies (autocast_policy.hpp).
#include <algorithm>
#include <unordered_map>

#include "runtime/autocast_policy.hpp"
#include "steepest/autograd.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest::autocast {

namespace {

constexpr size_t kDevices = 2;  // DeviceType::CPU, DeviceType::CUDA

struct CacheEntry {
  Tensor source;  // held so its TensorImpl (the key) cannot be freed and reused meanwhile
  uint64_t version;
  Tensor cast;
};

struct State {
  bool enabled[kDevices] = {false, false};
  DType dtype[kDevices] = {kBFloat16, kFloat16};
  bool cache_enabled = true;
  bool inside_op = false;  // an autocast op's internals are running
  int64_t nesting = 0;
  std::unordered_map<const TensorImpl*, CacheEntry> cache;
};

thread_local State t_state;

size_t slot(DeviceType d) { return d == DeviceType::CUDA ? 1 : 0; }

bool any_enabled(const State& s) { return s.enabled[0] || s.enabled[1]; }

// Floating and not float64: the tensors torch's autocast may cast.
bool eligible(const Tensor& t) { return t.defined() && is_floating(t.dtype()) && t.dtype() != kFloat64; }

// The cast to the autocast dtype, through the cache for float32 leaves that require grad.
// Casts made while grad mode is off carry no history, so they are never cached: a later use
// with grad on must reach the weight.
Tensor cast_lower(State& s, const Tensor& t, DType to) {
  if (!eligible(t) || t.dtype() == to) return t;
  const bool cacheable = s.cache_enabled && t.dtype() == kFloat32 && t.requires_grad() && t.is_leaf() &&
                         autograd::is_grad_enabled();
  if (!cacheable) return to_dtype(t, to);
  auto it = s.cache.find(t.impl());
  if (it != s.cache.end() && it->second.version == t.version() && it->second.cast.dtype() == to) return it->second.cast;
  Tensor c = to_dtype(t, to);
  s.cache[t.impl()] = CacheEntry{t, t.version(), c};
  return c;
}

Tensor cast_to(const Tensor& t, DType to) { return eligible(t) && t.dtype() != to ? to_dtype(t, to) : t; }

}  // namespace

bool is_enabled(DeviceType device) { return t_state.enabled[slot(device)]; }
void set_enabled(DeviceType device, bool on) { t_state.enabled[slot(device)] = on; }
DType get_dtype(DeviceType device) { return t_state.dtype[slot(device)]; }
void set_dtype(DeviceType device, DType dtype) {
  STEEPEST_CHECK(dtype == kBFloat16 || dtype == kFloat16, ValueError,
                 "autocast: the dtype must be bfloat16 or float16, but got ", dtype_name(dtype));
  t_state.dtype[slot(device)] = dtype;
}
bool is_cache_enabled() { return t_state.cache_enabled; }
void set_cache_enabled(bool on) { t_state.cache_enabled = on; }
int64_t increment_nesting() { return ++t_state.nesting; }
int64_t decrement_nesting() {
  if (t_state.nesting > 0) --t_state.nesting;
  return t_state.nesting;
}
void clear_cache() { t_state.cache.clear(); }
size_t cache_size() { return t_state.cache.size(); }

Args::Args(Policy policy, std::initializer_list<const Tensor*> args) {
  STEEPEST_CHECK(args.size() <= kMaxArgs, ValueError, "autocast: too many tensor arguments (", args.size(), ")");
  std::copy(args.begin(), args.end(), ptrs_.begin());
  if (!any_enabled(t_state) || t_state.inside_op) return;
  apply(policy, std::vector<const Tensor*>(args));
  if (active_)
    for (size_t i = 0; i < cast_.size(); ++i) ptrs_[i] = &cast_[i];
}

Args::Args(Policy policy, const std::vector<Tensor>& args) : list_(&args) {
  if (!any_enabled(t_state) || t_state.inside_op) return;
  std::vector<const Tensor*> in;
  in.reserve(args.size());
  for (const Tensor& t : args) in.push_back(&t);
  apply(policy, in);
  if (active_) list_ = &cast_;
}

Args::~Args() {
  if (active_) t_state.inside_op = prev_inside_;
}

void Args::apply(Policy policy, const std::vector<const Tensor*>& in) {
  State& s = t_state;
  const Tensor* first = nullptr;
  for (const Tensor* t : in)
    if (t->defined()) { first = t; break; }
  if (!first) return;
  const size_t dev = slot(first->device().type);
  if (!s.enabled[dev]) return;
  const DType lower = s.dtype[dev];
  DType promoted = lower;  // torch's rule: float32 wins over the autocast dtype; float64 is left out
  if (policy == Policy::Promote)
    for (const Tensor* t : in) {
      if (!eligible(*t) || t->dtype() == lower) continue;
      STEEPEST_CHECK(t->dtype() == kFloat32, Error, "autocast: cannot promote a ", dtype_name(t->dtype()),
                     " input together with the autocast dtype ", dtype_name(lower));
      promoted = kFloat32;
    }
  cast_.reserve(in.size());
  for (const Tensor* t : in) {
    switch (policy) {
      case Policy::LowerPrecision: cast_.push_back(cast_lower(s, *t, lower)); break;
      case Policy::Float32: cast_.push_back(cast_to(*t, kFloat32)); break;
      case Policy::Promote: cast_.push_back(cast_to(*t, promoted)); break;
    }
  }
  active_ = true;
  prev_inside_ = s.inside_op;
  s.inside_op = true;
}

Excluded::Excluded() : prev_(t_state.inside_op) { t_state.inside_op = true; }
Excluded::~Excluded() { t_state.inside_op = prev_; }

std::vector<Tensor> apply_policy(Policy policy, const std::vector<Tensor>& tensors) {
  Args args(policy, tensors);
  return args.all();
}

}  // namespace steepest::autocast
