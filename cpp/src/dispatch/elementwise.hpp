// Dispatch stubs of the elementwise family: unary and binary math, comparisons, logical and
// bitwise ops, where, clamp, copy (with dtype conversion), fill, arange and linspace. Before
// calling, the op
// has checked dtypes, chosen the compute dtype `ct` (torch's promotion) and allocated `out`
// (or `out` is the in-place target, checked by check_inplace); the kernel broadcasts the
// operands to out's shape, converts them to ct, computes, and stores in out's dtype.
#pragma once
#include <optional>
#include <vector>

#include "dispatch/op_kinds.hpp"
#include "dispatch/stub.hpp"
#include "ops/operand.hpp"

namespace steepest::dispatch {

using detail::Operand;
using kernels::BinaryOp;
using kernels::UnaryOp;

enum class CompareOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
// logical_and/or/xor (operands read as "nonzero", bool out) and bitwise_and/or/xor.
enum class BitOp : uint8_t { And, Or, Xor };

using UnaryKernel = void (*)(UnaryOp op, const Tensor& out, const Tensor& x, DType ct);
// out = a op b; for Add, out = a + alpha b (sub arrives as add with -alpha).
using BinaryKernel = void (*)(BinaryOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct,
                              Scalar alpha);
// out = min(max(x, lo), hi), either bound absent; NaN propagates.
using ClampKernel = void (*)(const Tensor& out, const Tensor& x, const std::optional<Scalar>& lo,
                             const std::optional<Scalar>& hi, DType ct);
// out (bool) = a op b compared in ct.
using CompareKernel = void (*)(CompareOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct);
// logical (out bool, operands any dtype) when ct is kBool and out is bool; else bitwise in ct.
using BitKernel = void (*)(BitOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct);
// out = !a (logical_not: bool out) or ~a (bitwise_not, out in a's integer or bool dtype).
using NotKernel = void (*)(const Tensor& out, const Tensor& a);
// out = cond ? a : b, in out's dtype ct.
using WhereKernel = void (*)(const Tensor& out, const Tensor& cond, const Operand& a, const Operand& b, DType ct);
// dst = src converted to dst's dtype, src broadcast to dst's shape.
using CopyKernel = void (*)(const Tensor& dst, const Tensor& src);
using FillKernel = void (*)(const Tensor& t, Scalar value);
// Dense 1-D out[i] = start + i step: in int64 when `integral`, else in double; then cast.
using ArangeKernel = void (*)(const Tensor& out, Scalar start, Scalar step, bool integral);
// Dense 1-D out of n >= 1 points from start to end, both exact: the first half counts up
// from start, the second half down from end (as torch).
using LinspaceKernel = void (*)(const Tensor& out, double start, double end);
// Reads 1..4 dense arrays of one float dtype and writes `write` (if defined): the memory
// traffic of an elementwise op without its math, for benchmarks.
using StreamKernel = void (*)(const std::vector<Tensor>& reads, const Tensor& write);

STEEPEST_DECLARE_STUB(UnaryKernel, unary_stub);
STEEPEST_DECLARE_STUB(BinaryKernel, binary_stub);
STEEPEST_DECLARE_STUB(ClampKernel, clamp_stub);
STEEPEST_DECLARE_STUB(CompareKernel, compare_stub);
STEEPEST_DECLARE_STUB(BitKernel, bit_stub);
STEEPEST_DECLARE_STUB(NotKernel, logical_not_stub);
STEEPEST_DECLARE_STUB(NotKernel, bitwise_not_stub);
STEEPEST_DECLARE_STUB(WhereKernel, where_stub);
STEEPEST_DECLARE_STUB(CopyKernel, copy_stub);
STEEPEST_DECLARE_STUB(FillKernel, fill_stub);
STEEPEST_DECLARE_STUB(ArangeKernel, arange_stub);
STEEPEST_DECLARE_STUB(LinspaceKernel, linspace_stub);
STEEPEST_DECLARE_STUB(StreamKernel, stream_stub);

// The device an elementwise op runs on: its tensor operands' (a number goes anywhere; two
// numbers, the CPU). Inline and copy-free: every elementwise op calls it.
inline Device device_of(const Operand& a, const Operand& b) {
  if (a.is_scalar()) return b.is_scalar() ? kCPU : b.t->device();
  if (b.is_scalar()) return a.t->device();
  return common_device(*a.t, *b.t);
}

}  // namespace steepest::dispatch
