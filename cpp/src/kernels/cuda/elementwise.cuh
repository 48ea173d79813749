// The CUDA elementwise engine: one grid-stride kernel per (compute type, result type, arity,
// functor) that reads each operand at its broadcast strides in its own dtype, converts it to
// the compute type through ct (element_cast.hpp, the CPU engine's rounding), applies the
// functor and stores through ct into out's dtype. Numbers are converted on the host exactly
// as the CPU engine converts them.
#pragma once
#include <array>
#include <vector>

#include "dispatch/elementwise.hpp"
#include "kernels/cuda/element_cast.hpp"
#include "kernels/cuda/offset_calc.cuh"

namespace steepest::cuda {

using detail::Operand;

template <class C, int NIN>
struct EwInputs {
  const char* p[NIN];  // null: operand k is the number s[k]
  DType d[NIN];
  C s[NIN];
};

template <class C, class O, int NIN, class F>
__global__ void elementwise_kernel(OffsetPack<NIN + 1> pk, int64_t n, char* out, DType od, DType ct,
                                   EwInputs<C, NIN> in, F f) {
  for_each_offset(pk, n, [&](int64_t, const int64_t* off) {
    C v[NIN];
    for (int k = 0; k < NIN; ++k) v[k] = in.p[k] ? load_as<C>(in.p[k] + off[k + 1], in.d[k], ct) : in.s[k];
    store_as<O>(out + off[0], od, ct, O(f(v)));
  });
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

// out = f(ins...) elementwise over out's shape (each tensor operand broadcasts to it).
template <class C, class O, int NIN, class F>
void launch_elementwise(const Tensor& out, const std::array<Operand, NIN>& ins, DType ct, F f) {
  const int64_t n = out.numel();
  if (n == 0) return;
  std::vector<std::vector<int64_t>> st{byte_strides(out)};
  EwInputs<C, NIN> in{};
  for (int k = 0; k < NIN; ++k) {
    const Operand& o = ins[size_t(k)];
    if (o.is_scalar()) {
      in.p[k] = nullptr;
      in.d[k] = ct;
      in.s[k] = number_as<C>(o, ct);
      st.emplace_back(out.shape().size(), 0);
    } else {
      in.p[k] = static_cast<const char*>(o.t->data_ptr());
      in.d[k] = o.t->dtype();
      in.s[k] = C{};
      st.push_back(broadcast_byte_strides(o.t->shape(), o.t->strides(), int64_t(o.t->itemsize()), out.shape()));
    }
  }
  const OffsetPack<NIN + 1> pk = pack_offsets<NIN + 1>(out.shape(), st);
  elementwise_kernel<C, O, NIN, F><<<unsigned(blocks_for(n)), kThreadsPerBlock, 0, current_stream()>>>(
      pk, n, static_cast<char*>(out.data_ptr()), out.dtype(), ct, in, f);
  STEEPEST_CUDA_LAUNCH_CHECK();
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
