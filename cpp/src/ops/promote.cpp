// Type promotion of elementwise ops (torch.result_type, can_cast) and the checks every
// in-place op shares: castability, output shape, no self-overlap.
#include "ops/operand.hpp"

namespace steepest {

namespace detail {

const char* torch_type_name(DType d) {
  switch (d) {
    case kBool: return "Bool";
    case kInt32: return "Int";
    case kInt64: return "Long";
    case kBFloat16: return "BFloat16";
    case kFloat16: return "Half";
    case kFloat32: return "Float";
    case kFloat64: return "Double";
    case kFloat8E4M3FN: return "Float8_e4m3fn";
    case kFloat8E5M2: return "Float8_e5m2";
  }
  return "?";
}

bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != kBool && to == kBool) return false;
  return true;
}

namespace {
std::optional<DType> promote_opt(std::optional<DType> a, DType b) { return a ? promote_types(*a, b) : b; }

// torch's combine_categories: the higher-priority group wins unless the lower one has a
// higher category (a float below an int or bool, or anything below a bool).
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (is_floating(*higher)) return higher;
  if (lower && (*higher == kBool || is_floating(*lower))) return promote_types(*higher, *lower);
  return higher;
}
}  // namespace

void ResultType::add(const Operand& o) {
  if (o.is_scalar()) {
    DType d = o.s.is_bool() ? kBool : o.s.is_int() ? kInt64 : default_dtype();
    wrapped_ = promote_opt(wrapped_, d);
  } else if (o.t->dim() > 0) {
    dim_ = promote_opt(dim_, o.t->dtype());
  } else {
    zero_ = promote_opt(zero_, o.t->dtype());
  }
}

DType ResultType::get() const { return combine(dim_, combine(zero_, wrapped_)).value_or(default_dtype()); }

DType result_type_of(std::initializer_list<Operand> ops) {
  ResultType r;
  for (const Operand& o : ops) r.add(o);
  return r.get();
}

void check_inplace(const Tensor& self, DType result, const Shape& broadcast) {
  STEEPEST_CHECK(can_cast(result, self.dtype()), Error, "result type ", torch_type_name(result),
                 " can't be cast to the desired output type ", torch_type_name(self.dtype()));
  STEEPEST_CHECK(broadcast == self.shape(), ValueError, "output with shape ", self.shape(),
                 " doesn't match the broadcast shape ", broadcast);
  if (self.numel() > 1)
    for (size_t i = 0; i < self.shape().size(); ++i)
      STEEPEST_CHECK(self.strides()[i] != 0 || self.shape()[i] <= 1, Error,
                     "unsupported operation: more than one element of the written-to tensor refers to a single "
                     "memory location. Please clone() the tensor before performing the operation.");
}

namespace {
// [first byte, last byte + 1) that a view touches; empty for no elements.
std::pair<uintptr_t, uintptr_t> byte_range(const Tensor& t) {
  if (t.numel() == 0) return {0, 0};
  auto base = reinterpret_cast<uintptr_t>(t.data_ptr());
  int64_t lo = 0, hi = 0, isz = int64_t(t.itemsize());
  for (size_t i = 0; i < t.shape().size(); ++i) {
    int64_t ext = (t.shape()[i] - 1) * t.strides()[i] * isz;
    (ext < 0 ? lo : hi) += ext;
  }
  return {base + uintptr_t(lo), base + uintptr_t(hi + isz)};
}
}  // namespace

Tensor unaliased(const Tensor& self, const Tensor& b) {
  if (b.is_same(self)) return b;
  auto [slo, shi] = byte_range(self);
  auto [blo, bhi] = byte_range(b);
  if (slo >= shi || blo >= bhi || shi <= blo || bhi <= slo) return b;  // disjoint memory
  // The same elements in the same order are fine: each is read before it is written.
  if (b.data_ptr() == self.data_ptr() && b.dtype() == self.dtype() && b.shape() == self.shape() &&
      b.strides() == self.strides())
    return b;
  return clone(b);
}

}  // namespace detail

using detail::Operand;

DType result_type(const Tensor& a, const Tensor& b) { return detail::result_type_of({a, b}); }
DType result_type(const Tensor& a, Scalar b) { return detail::result_type_of({a, b}); }
DType result_type(Scalar a, const Tensor& b) { return detail::result_type_of({a, b}); }
DType result_type(Scalar a, Scalar b) { return detail::result_type_of({a, b}); }

}  // namespace steepest
