// The loop engine behind every elementwise op: operands broadcast to one shape, adjacent
// dims that are contiguous for all operands are merged, and the flat index range is cut
// into runs along the innermost dim. Each run calls
//     fn(char* const* ptrs, const int64_t* byte_strides, int64_t n)
// so a kernel sees a 1-D strided loop and can take its SIMD path when strides are dense.
// Above `grain` elements the range is split across OpenMP threads.
#pragma once
#include <array>
#include <functional>

#include "steepest/tensor.hpp"

namespace steepest::detail {

class ElementwiseIter {
 public:
  static constexpr int kMaxOperands = 4;
  using RunFn = std::function<void(char* const* ptrs, const int64_t* strides, int64_t n)>;

  // operands[0] is the output; the others broadcast to its shape (ValueError if they can't).
  explicit ElementwiseIter(const std::vector<Tensor>& operands);

  int64_t numel() const { return numel_; }
  int noperands() const { return nops_; }
  // True when every operand is dense along the single merged dim (one flat loop).
  bool is_contiguous_1d() const;

  void for_each(const RunFn& fn, int64_t grain = 32768) const;

 private:
  void run_range(const RunFn& fn, int64_t begin, int64_t end) const;

  int nops_ = 0;
  int64_t numel_ = 0;
  Shape shape_;                                   // merged dims, outermost first
  std::array<Strides, kMaxOperands> strides_;     // bytes, per operand, per merged dim
  std::array<char*, kMaxOperands> base_{};
};

// Default grain for cheap ops (add, copy) and for transcendental ones (exp, tanh).
constexpr int64_t kGrainCheap = 65536;
constexpr int64_t kGrainHeavy = 8192;

}  // namespace steepest::detail
