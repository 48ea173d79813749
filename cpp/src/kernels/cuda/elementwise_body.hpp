// The CUDA elementwise engine's host half and per-element body, host-device: the operands
// packed for a kernel (strides broadcast to out's shape, numbers converted on the host exactly
// as the CPU engine converts them) and the step that reads element i of each operand in its
// own dtype, converts it to the compute type C through ct (element_cast.hpp), applies the
// functor and stores through ct into out's dtype. elementwise.cuh launches it; the CPU test
// binary replays it on the host (test_cuda_elementwise.cpp).
#pragma once
#include <array>
#include <type_traits>
#include <vector>

#include "kernels/cuda/element_cast.hpp"
#include "kernels/cuda/offset_pack.hpp"
#include "ops/operand.hpp"

namespace steepest::cuda {

using detail::Operand;

template <class C, int NIN>
struct EwInputs {
  const char* p[NIN];  // null: operand k is the number s[k]
  DType d[NIN];
  C s[NIN];
};

template <class C, int NIN>
struct EwLaunch {
  OffsetPack<NIN + 1> pk;
  EwInputs<C, NIN> in;
  int64_t n = 0;
  char* out = nullptr;
  DType od = DType::Float32;
};

// Element i: out = f(operands) through ct.
template <class C, class O, int NIN, class F>
STEEPEST_HD inline void elementwise_at(const EwLaunch<C, NIN>& L, DType ct, const F& f, int64_t i) {
  int64_t off[NIN + 1];
  L.pk.offsets(i, off);
  C v[NIN];
  for (int k = 0; k < NIN; ++k) v[k] = L.in.p[k] ? load_as<C>(L.in.p[k] + off[k + 1], L.in.d[k], ct) : L.in.s[k];
  store_as<O>(L.out + off[0], L.od, ct, O(f(v)));
}

// A Python number as the CPU engine converts it: through ct (so 16-bit compute dtypes
// round it), or straight to C when the op asked for the exact number.
template <class C>
C number_as(const Operand& o, DType ct) {
  if (o.exact_number) return o.s.to<C>();
  if constexpr (std::is_same_v<C, float>) {
    if (ct == DType::BFloat16) return float(bfloat16(o.s.to<float>()));
    if (ct == DType::Float16) return float(float16(o.s.to<float>()));
  }
  return o.s.to<C>();
}

inline std::vector<int64_t> byte_strides(const Tensor& t) {
  std::vector<int64_t> r(t.strides().begin(), t.strides().end());
  for (auto& s : r) s *= int64_t(t.itemsize());
  return r;
}

// The kernel arguments of out = f(ins...) over out's shape (tensor operands broadcast to it).
template <class C, int NIN>
EwLaunch<C, NIN> prepare_elementwise(const Tensor& out, const std::array<Operand, NIN>& ins, DType ct) {
  EwLaunch<C, NIN> L;
  L.n = out.numel();
  L.out = static_cast<char*>(out.data_ptr());
  L.od = out.dtype();
  std::vector<std::vector<int64_t>> st{byte_strides(out)};
  for (int k = 0; k < NIN; ++k) {
    const Operand& o = ins[size_t(k)];
    if (o.is_scalar()) {
      L.in.p[k] = nullptr;
      L.in.d[k] = ct;
      L.in.s[k] = number_as<C>(o, ct);
      st.emplace_back(out.shape().size(), 0);
    } else {
      L.in.p[k] = static_cast<const char*>(o.t->data_ptr());
      L.in.d[k] = o.t->dtype();
      L.in.s[k] = C{};
      st.push_back(broadcast_byte_strides(o.t->shape(), o.t->strides(), int64_t(o.t->itemsize()), out.shape()));
    }
  }
  L.pk = pack_offsets<NIN + 1>(out.shape(), st);
  return L;
}

// fn(C{}) with C the type a kernel computes in for ct: float for the 16-bit floats.
template <class Fn>
void visit_compute(DType ct, Fn&& fn) {
  switch (ct) {
    case DType::Float64: return fn(double{});
    case DType::Float32: case DType::BFloat16: case DType::Float16: return fn(float{});
    case DType::Int64: return fn(int64_t{});
    case DType::Int32: return fn(int32_t{});
    case DType::Bool: return fn(bool{});
  }
}

}  // namespace steepest::cuda
