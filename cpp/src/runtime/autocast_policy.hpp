// The op side of autocast: each op torch lists applies its Policy (steepest/autocast.hpp) to
// its tensor arguments at its entry point, before any check, and runs on what comes back.
#pragma once
#include <array>
#include <initializer_list>
#include <vector>

#include "steepest/autocast.hpp"
#include "steepest/tensor.hpp"

namespace steepest::autocast {

// The arguments of one op call as the op should see them. When autocast is on for the
// arguments' device and this is not an op nested in another autocast op, they are cast by
// the policy and, for this object's lifetime, ops called from inside the op are left alone
// (an op's internals run on what the policy gave it, as torch's do). Otherwise they are the
// arguments unchanged. Undefined tensors stay undefined.
class Args {
 public:
  // Up to kMaxArgs tensors, read back with operator[].
  Args(Policy policy, std::initializer_list<const Tensor*> args);
  // A list of tensors (cat, stack), read back with all().
  Args(Policy policy, const std::vector<Tensor>& args);
  ~Args();
  Args(const Args&) = delete;
  Args& operator=(const Args&) = delete;

  static constexpr size_t kMaxArgs = 6;
  const Tensor& operator[](size_t i) const { return *ptrs_[i]; }
  const std::vector<Tensor>& all() const { return *list_; }
  bool active() const { return active_; }

 private:
  // Off the hot path: only reached when autocast is on somewhere on this thread.
  void apply(Policy policy, const std::vector<const Tensor*>& in);
  std::array<const Tensor*, kMaxArgs> ptrs_{};
  const std::vector<Tensor>* list_ = nullptr;
  std::vector<Tensor> cast_;
  bool active_ = false;
  bool prev_inside_ = false;
};

// For its lifetime, ops called on this thread leave their inputs alone, as if nested in an
// autocast op: an op in none of torch's lists whose body calls listed ops (GRU's products)
// keeps its inputs' dtype throughout.
class Excluded {
 public:
  Excluded();
  ~Excluded();
  Excluded(const Excluded&) = delete;
  Excluded& operator=(const Excluded&) = delete;

 private:
  bool prev_;
};

}  // namespace steepest::autocast
