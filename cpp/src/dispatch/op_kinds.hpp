// The elementwise op kinds: arguments of the elementwise dispatch stubs and, inside the CPU
// backend, the index into its kernel table. A plain header (no tensors), so the per-ISA
// kernel files can include it.
#pragma once
#include <cstdint>

namespace steepest::kernels {

enum class UnaryOp : uint8_t { Neg, Abs, Exp, Log, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Relu, Sign,
                               Log1p, Expm1, Floor, Ceil, Round, Trunc, Count };
enum class BinaryOp : uint8_t { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Count };
constexpr int kNumUnary = int(UnaryOp::Count);
constexpr int kNumBinary = int(BinaryOp::Count);

}  // namespace steepest::kernels
