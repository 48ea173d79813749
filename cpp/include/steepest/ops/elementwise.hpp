// Elementwise operations with numpy broadcasting and torch's type promotion.
#pragma once
#include <optional>
#include <vector>

#include "../tensor.hpp"

namespace steepest {

// The dtype an op over these operands computes in (torch.result_type): dimensioned tensors
// outrank 0-d tensors, which outrank Python numbers, unless a lower rank has a higher
// category (bool < integer < floating).
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, Scalar b);
DType result_type(Scalar a, const Tensor& b);
DType result_type(Scalar a, Scalar b);
Shape broadcast_shapes(const Shape& a, const Shape& b);  // ValueError naming both shapes

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha = 1);  // a + alpha*b
Tensor add(const Tensor& a, Scalar b, Scalar alpha = 1);
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor sub(const Tensor& a, Scalar b, Scalar alpha = 1);
Tensor rsub(const Tensor& a, Scalar b, Scalar alpha = 1);  // b - alpha*a
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, Scalar b);
Tensor div(const Tensor& a, const Tensor& b);  // true division: ints give floats
Tensor div(const Tensor& a, Scalar b);
Tensor rdiv(const Tensor& a, Scalar b);  // b / a
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, Scalar b);
Tensor rpow(const Tensor& a, Scalar b);  // b ** a
// Number-first forms, as torch.add(2, t): the number is the first operand.
Tensor add(Scalar a, const Tensor& b, Scalar alpha = 1);
Tensor sub(Scalar a, const Tensor& b, Scalar alpha = 1);
Tensor mul(Scalar a, const Tensor& b);
Tensor div(Scalar a, const Tensor& b);
Tensor pow(Scalar a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor neg(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor rsqrt(const Tensor& a);
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor sign(const Tensor& a);
Tensor log1p(const Tensor& a);  // log(1 + a), accurate for small a
Tensor expm1(const Tensor& a);  // e^a - 1, accurate for small a
// Rounding to whole numbers (floating results; integer tensors are returned as copies; round
// is half to even). Their gradient is zero, as torch.
Tensor floor(const Tensor& a);
Tensor ceil(const Tensor& a);
Tensor round(const Tensor& a);
Tensor round(const Tensor& a, int64_t decimals);  // to 10^-decimals (floating tensors)
Tensor trunc(const Tensor& a);
Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max);
// cond must be bool (TypeError otherwise); a and b promote like a binary op's operands.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, Scalar b);
Tensor where(const Tensor& cond, Scalar a, const Tensor& b);
Tensor where(const Tensor& cond, Scalar a, Scalar b);

// Comparisons give bool tensors.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, Scalar b);
Tensor ne(const Tensor& a, Scalar b);
Tensor lt(const Tensor& a, Scalar b);
Tensor le(const Tensor& a, Scalar b);
Tensor gt(const Tensor& a, Scalar b);
Tensor ge(const Tensor& a, Scalar b);
Tensor logical_not(const Tensor& a);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);

// Bitwise ops on bool and integer tensors (TypeError for floating ones); on bool they are
// the logical ones.
Tensor bitwise_and(const Tensor& a, const Tensor& b);
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
Tensor bitwise_and(const Tensor& a, Scalar b);
Tensor bitwise_or(const Tensor& a, Scalar b);
Tensor bitwise_xor(const Tensor& a, Scalar b);
Tensor bitwise_not(const Tensor& a);

// In place: the result is cast to a's dtype (an error if that would lose the category,
// e.g. adding a float into an int tensor); b broadcasts to a's shape, never the reverse.
Tensor& add_(Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor& add_(Tensor& a, Scalar b, Scalar alpha = 1);
Tensor& sub_(Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor& sub_(Tensor& a, Scalar b, Scalar alpha = 1);
Tensor& mul_(Tensor& a, const Tensor& b);
Tensor& mul_(Tensor& a, Scalar b);
Tensor& div_(Tensor& a, const Tensor& b);
Tensor& div_(Tensor& a, Scalar b);
Tensor& clamp_(Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max);
Tensor& pow_(Tensor& a, const Tensor& b);
Tensor& pow_(Tensor& a, Scalar b);
Tensor& bitwise_and_(Tensor& a, const Tensor& b);
Tensor& bitwise_or_(Tensor& a, const Tensor& b);
Tensor& bitwise_xor_(Tensor& a, const Tensor& b);
Tensor& bitwise_and_(Tensor& a, Scalar b);
Tensor& bitwise_or_(Tensor& a, Scalar b);
Tensor& bitwise_xor_(Tensor& a, Scalar b);
// Unary ops in place (a must be floating for the transcendental ones, as torch).
Tensor& neg_(Tensor& a);
Tensor& abs_(Tensor& a);
Tensor& exp_(Tensor& a);
Tensor& log_(Tensor& a);
Tensor& sqrt_(Tensor& a);
Tensor& rsqrt_(Tensor& a);
Tensor& sin_(Tensor& a);
Tensor& cos_(Tensor& a);
Tensor& tanh_(Tensor& a);
Tensor& sigmoid_(Tensor& a);
Tensor& relu_(Tensor& a);
Tensor& sign_(Tensor& a);
Tensor& log1p_(Tensor& a);
Tensor& expm1_(Tensor& a);
Tensor& floor_(Tensor& a);
Tensor& ceil_(Tensor& a);
Tensor& round_(Tensor& a);
Tensor& trunc_(Tensor& a);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, Scalar b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, Scalar b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, Scalar b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, Scalar b) { return div(a, b); }
inline Tensor operator*(Scalar a, const Tensor& b) { return mul(b, a); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(Scalar a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(Scalar a, const Tensor& b) { return rsub(b, a); }
inline Tensor operator/(Scalar a, const Tensor& b) { return rdiv(b, a); }

namespace detail {
// Benchmark support: reads every tensor in `reads` and writes `write` (all contiguous float32
// or float64 of one size, 1 to 4 reads; an undefined `write` makes it read-only) with the
// kernel table's streaming kernel, split over threads like an elementwise op. Its time is
// the memory-traffic limit of an op that moves the same arrays.
void stream_kernel(const std::vector<Tensor>& reads, const Tensor& write);
}  // namespace detail

}  // namespace steepest
