// Operands of the elementwise ops as the ops and the dispatch stubs see them: a tensor or a
// Python number, torch's result-type rules over them, the broadcast shape, and the checks of
// in-place writes. Device-agnostic: the kernels that run over operands live in the backends.
#pragma once
#include <initializer_list>
#include <optional>

#include "steepest/ops/creation.hpp"
#include "steepest/ops/elementwise.hpp"

namespace steepest::detail {

// torch's dtype names, as its messages print them ("Float", "Long").
const char* torch_type_name(DType d);
// torch.can_cast: no floating -> integral, no non-bool -> bool.
bool can_cast(DType from, DType to);

// A binary/ternary op's operand: a tensor or a Python number.
struct Operand {
  const Tensor* t = nullptr;  // null: the number s
  Scalar s;
  // For a number: convert straight to the math type, not through a 16-bit compute dtype
  // (torch does this for mul and div of bfloat16/float16 by a number).
  bool exact_number = false;
  Operand(const Tensor& x) : t(&x) {}
  Operand(Scalar x) : s(x) {}
  bool is_scalar() const { return t == nullptr; }
};

// torch.result_type over any number of operands: dimensioned tensors, then 0-d tensors,
// then Python numbers (bool, int64, default float), a lower group winning only with a higher
// category (bool < integer < floating).
class ResultType {
 public:
  void add(const Operand& o);
  DType get() const;

 private:
  std::optional<DType> dim_, zero_, wrapped_;
};
DType result_type_of(std::initializer_list<Operand> ops);

// Errors of in-place ops: the result type must cast to the target and the broadcast shape
// must be the target's; the target must not write one element twice.
void check_inplace(const Tensor& self, DType result, const Shape& broadcast);
// `b` itself if it can be read while `self` is written, else a copy (partial overlap).
Tensor unaliased(const Tensor& self, const Tensor& b);

// The broadcast shape of the tensor operands (a number has shape ()).
inline Shape broadcast_of(std::initializer_list<Operand> ops) {
  Shape s;
  bool first = true;
  for (const Operand& o : ops) {
    if (o.is_scalar()) continue;
    if (first) { s = o.t->shape(); first = false; }
    else if (o.t->shape() != s) s = broadcast_shapes(s, o.t->shape());
  }
  return s;
}

}  // namespace steepest::detail
