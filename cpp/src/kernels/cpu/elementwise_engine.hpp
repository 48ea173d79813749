// The CPU backend's elementwise engine (binary.cpp, unary.cpp, compare.cpp under
// kernels/cpu/): drivers that run a kernel over broadcast, strided, mixed-dtype operands.
// Dense runs in the compute type go straight to the kernel; anything else is converted
// through small stack buffers and then runs the same kernel, so every layout and dtype gets
// the same math (and the same bits).
#pragma once
#include <omp.h>

#include <algorithm>

#include "kernels/cpu/kernel_table.hpp"
#include "ops/cast.hpp"
#include "ops/iter.hpp"
#include "ops/operand.hpp"

namespace steepest::detail {

// ---------------------------------------------------------------------------------------
// Element conversion. C is the type a kernel computes in: float for float32/bfloat16/float16,
// otherwise the dtype's own type. Values are converted to the compute dtype `ct` first (a
// float32 into a bfloat16 op is rounded to bfloat16, as torch), then to C.

template <class C, class Fn>
inline void visit_ct(DType ct, Fn&& fn) {
  if constexpr (std::is_same_v<C, float>) {
    if (ct == kBFloat16) return fn(bfloat16{});
    if (ct == kFloat16) return fn(float16{});
    return fn(float{});
  } else {
    return fn(C{});
  }
}

template <class C>
inline C scalar_as(Scalar s, DType ct) {
  C out{};
  visit_ct<C>(ct, [&](auto c0) {
    using CT = decltype(c0);
    if constexpr (is_half_v<CT>) out = cast_to<C>(CT(s.to<float>()));
    else out = cast_to<C>(s.to<CT>());
  });
  return out;
}

// dst[i] = C(ct(src[i])) for n elements of dtype `src` at byte stride `st`.
template <class C>
void load_run(C* dst, const char* p, int64_t st, int64_t n, DType src, DType ct) {
  if constexpr (std::is_same_v<C, float>) {
    // A dense 16-bit float run whose values the compute dtype holds exactly: one SIMD widen.
    if (kernels::is_16bit(src) && st == 2 && (ct == src || ct == kFloat32))
      return kernels::convert16(src).widen(n, reinterpret_cast<const uint16_t*>(p), dst);
  }
  visit_dtype(src, [&](auto s0) {
    using S = decltype(s0);
    visit_ct<C>(ct, [&](auto c0) {
      using CT = decltype(c0);
      if (st == int64_t(sizeof(S))) {  // dense: an indexed loop the compiler vectorizes
        const S* s = reinterpret_cast<const S*>(p);
        for (int64_t i = 0; i < n; ++i) dst[i] = cast_to<C>(cast_to<CT>(s[i]));
        return;
      }
      for (int64_t i = 0; i < n; ++i)
        dst[i] = cast_to<C>(cast_to<CT>(*reinterpret_cast<const S*>(p + i * st)));
    });
  });
}

// out[i] = out_dtype(ct(src[i])): the result rounds to the compute dtype, then converts.
template <class O>
void store_run(char* p, int64_t st, const O* src, int64_t n, DType ct, DType out) {
  if constexpr (std::is_same_v<O, float>) {
    // A dense 16-bit float output that rounds once (from float32): one SIMD narrow.
    if (kernels::is_16bit(out) && st == 2 && (ct == out || ct == kFloat32))
      return kernels::convert16(out).narrow(n, src, reinterpret_cast<uint16_t*>(p));
  }
  visit_ct<O>(ct, [&](auto c0) {
    using CT = decltype(c0);
    visit_dtype(out, [&](auto o0) {
      using OT = decltype(o0);
      if (st == int64_t(sizeof(OT))) {  // dense: an indexed loop the compiler vectorizes
        OT* d = reinterpret_cast<OT*>(p);
        for (int64_t i = 0; i < n; ++i) d[i] = cast_to<OT>(cast_to<CT>(src[i]));
        return;
      }
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<OT*>(p + i * st) = cast_to<OT>(cast_to<CT>(src[i]));
    });
  });
}

// True when tensor memory of this dtype can be handed to a kernel over C as is.
template <class C>
inline bool native(DType d, DType ct) {
  return d == dtype_of<C>() && ct == d;
}
template <class O>
inline bool native_out(DType d, DType ct) {
  return d == dtype_of<O>() && (std::is_same_v<O, bool> || ct == d);
}

// f(begin, end) over [0, n), split over OpenMP threads once n is above one grain (at most
// one thread per grain's worth of elements).
template <class F>
void parallel_for(int64_t n, int64_t grain, const F& f) {
  if (n <= grain || omp_in_parallel()) { f(int64_t(0), n); return; }
  int nt = int(std::min<int64_t>(omp_get_max_threads(), (n + grain - 1) / grain));
  if (nt <= 1) { f(int64_t(0), n); return; }
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), k = omp_get_num_threads();
    int64_t chunk = ((n + k - 1) / k + 15) / 16 * 16;
    int64_t b = std::min<int64_t>(int64_t(t) * chunk, n), e = std::min<int64_t>(b + chunk, n);
    if (b < e) f(b, e);
  }
}

constexpr int64_t kChunk = 512;

// A float32 kernel over bfloat16/float16 arrays (all of dtype d), elements [lo, hi): kChunk at
// a time, each non-null input is widened onto the stack, f(m, blocks, out_block) computes in
// float32 (a null input's block is left for f to ignore), and the result is rounded once into
// out. The float32 math and bits, without whole-tensor conversions.
template <size_t N, class F>
void blocks16(DType d, const uint16_t* const (&in)[N], uint16_t* out, int64_t lo, int64_t hi, F f) {
  const kernels::Convert16& cv = kernels::convert16(d);
  alignas(64) float buf[N + 1][kChunk];
  const float* blocks[N];
  for (size_t j = 0; j < N; ++j) blocks[j] = buf[j];
  for (int64_t i0 = lo; i0 < hi; i0 += kChunk) {
    const int64_t m = std::min(kChunk, hi - i0);
    for (size_t j = 0; j < N; ++j)
      if (in[j]) cv.widen(m, in[j] + i0, buf[j]);
    f(m, blocks, buf[N]);
    cv.narrow(m, buf[N], out + i0);
  }
}

// The active kernel table's entries for C (float or double).
template <class C>
inline const kernels::TypedKernels<C>& typed() {
  if constexpr (std::is_same_v<C, double>) return kernels::cpu_kernels().f64;
  else return kernels::cpu_kernels().f32;
}

// ---------------------------------------------------------------------------------------
// Kernel adapters. A binary kernel K offers
//   full(n, const C* a, const C* b, O* out), sa(n, C a, const C* b, O* out), sb(n, const C* a, C b, O* out)
// and a unary one full(n, const C* x, O* out).

template <class C>
struct TableBinary {
  kernels::BinaryFn<C> f;
  kernels::BinarySaFn<C> fa;
  kernels::BinarySbFn<C> fb;
  void full(int64_t n, const C* a, const C* b, C* o) const { f(n, a, b, o); }
  void sa(int64_t n, C a, const C* b, C* o) const { fa(n, a, b, o); }
  void sb(int64_t n, const C* a, C b, C* o) const { fb(n, a, b, o); }
};
template <class C>
TableBinary<C> table_binary(const kernels::TypedKernels<C>& k, kernels::BinaryOp op) {
  return {k.binary[int(op)], k.binary_sa[int(op)], k.binary_sb[int(op)]};
}

template <class C>
struct TableUnary {
  kernels::UnaryFn<C> f;
  void full(int64_t n, const C* x, C* o) const { f(n, x, o); }
};

// Plain loops for what the kernel table doesn't cover (integers, bool, comparisons):
// F is a functor O(C, C); the compiler vectorizes these where it can.
template <class C, class O, class F>
struct LoopBinary {
  F f;
  void full(int64_t n, const C* a, const C* b, O* o) const { for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]); }
  void sa(int64_t n, C a, const C* b, O* o) const { for (int64_t i = 0; i < n; ++i) o[i] = f(a, b[i]); }
  void sb(int64_t n, const C* a, C b, O* o) const { for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b); }
};
template <class C, class O, class F>
struct LoopUnary {
  F f;
  void full(int64_t n, const C* x, O* o) const { for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]); }
};

// ---------------------------------------------------------------------------------------
// Drivers.

// out = k(a, b): out is allocated with the broadcast shape by the caller (or is the in-place
// target); a and b convert to the compute dtype ct.
template <class C, class O, class K>
void run_binary(const K& k, const Tensor& out, const Operand& a, const Operand& b, DType ct, int64_t grain) {
  const int64_t numel = out.numel();
  if (numel == 0) return;
  const DType od = out.dtype();
  const bool out_native = native_out<O>(od, ct);
  C va{}, vb{};
  if (a.is_scalar()) va = a.exact_number ? a.s.to<C>() : scalar_as<C>(a.s, ct);
  if (b.is_scalar()) vb = b.exact_number ? b.s.to<C>() : scalar_as<C>(b.s, ct);

  // Fast path: everything dense, same shape, already in the compute type.
  auto dense = [&](const Operand& x) {
    return x.is_scalar() || (native<C>(x.t->dtype(), ct) && x.t->shape() == out.shape() && x.t->is_contiguous());
  };
  if (out_native && out.is_contiguous() && dense(a) && dense(b) && !(a.is_scalar() && b.is_scalar())) {
    const C* pa = a.is_scalar() ? nullptr : static_cast<const C*>(a.t->data_ptr());
    const C* pb = b.is_scalar() ? nullptr : static_cast<const C*>(b.t->data_ptr());
    O* po = static_cast<O*>(out.data_ptr());
    parallel_for(numel, grain, [&](int64_t lo, int64_t hi) {
      if (!pa) k.sa(hi - lo, va, pb + lo, po + lo);
      else if (!pb) k.sb(hi - lo, pa + lo, vb, po + lo);
      else k.full(hi - lo, pa + lo, pb + lo, po + lo);
    });
    return;
  }

  // Dense 16-bit floats computing in their own dtype (bf16 + bf16 -> bf16): a stack block at a
  // time is widened, run through the float32 kernel and rounded, split over threads like the
  // float32 path above.
  if constexpr (std::is_same_v<C, float> && std::is_same_v<O, float>) {
    auto dense16 = [&](const Operand& x) {
      return x.is_scalar() || (x.t->dtype() == ct && x.t->shape() == out.shape() && x.t->is_contiguous());
    };
    if (kernels::is_16bit(ct) && od == ct && out.is_contiguous() && dense16(a) && dense16(b) &&
        !(a.is_scalar() && b.is_scalar())) {
      const uint16_t* const in[2] = {a.is_scalar() ? nullptr : static_cast<const uint16_t*>(a.t->data_ptr()),
                                     b.is_scalar() ? nullptr : static_cast<const uint16_t*>(b.t->data_ptr())};
      uint16_t* po = static_cast<uint16_t*>(out.data_ptr());
      parallel_for(numel, grain, [&](int64_t lo, int64_t hi) {
        blocks16(ct, in, po, lo, hi, [&](int64_t m, const float* const* v, float* o) {
          if (!in[0]) k.sa(m, va, v[1], o);
          else if (!in[1]) k.sb(m, v[0], vb, o);
          else k.full(m, v[0], v[1], o);
        });
      });
      return;
    }
  }

  std::vector<Tensor> ops{out};
  int ia = -1, ib = -1;
  if (!a.is_scalar()) { ia = int(ops.size()); ops.push_back(*a.t); }
  if (!b.is_scalar()) { ib = int(ops.size()); ops.push_back(*b.t); }
  const DType ad = a.is_scalar() ? ct : a.t->dtype(), bd = b.is_scalar() ? ct : b.t->dtype();
  const bool a_native = native<C>(ad, ct), b_native = native<C>(bd, ct);
  ElementwiseIter it(ops);
  it.for_each([&](char* const* p, const int64_t* st, int64_t n) {
    C xa = va, xb = vb;
    bool a_sc = ia < 0 || st[ia] == 0, b_sc = ib < 0 || st[ib] == 0;
    if (ia >= 0 && a_sc) load_run(&xa, p[ia], 0, 1, ad, ct);
    if (ib >= 0 && b_sc) load_run(&xb, p[ib], 0, 1, bd, ct);
    const bool a_direct = !a_sc && a_native && st[ia] == int64_t(sizeof(C));
    const bool b_direct = !b_sc && b_native && st[ib] == int64_t(sizeof(C));
    const bool o_direct = out_native && st[0] == int64_t(sizeof(O));
    if (a_sc && b_sc) {  // the whole run is one value
      O r;
      k.sb(1, &xa, xb, &r);
      O rs[kChunk];
      for (int64_t i = 0; i < std::min(n, kChunk); ++i) rs[i] = r;
      for (int64_t i0 = 0; i0 < n; i0 += kChunk)
        store_run(p[0] + i0 * st[0], st[0], rs, std::min(kChunk, n - i0), ct, od);
      return;
    }
    alignas(64) C abuf[kChunk];
    alignas(64) C bbuf[kChunk];
    alignas(64) O obuf[kChunk];
    const bool all_direct = (a_sc || a_direct) && (b_sc || b_direct) && o_direct;
    const int64_t step = all_direct ? n : kChunk;
    for (int64_t i0 = 0; i0 < n; i0 += step) {
      const int64_t m = std::min(step, n - i0);
      const C* pa = nullptr;
      const C* pb = nullptr;
      if (!a_sc) {
        if (a_direct) pa = reinterpret_cast<const C*>(p[ia]) + i0;
        else { load_run(abuf, p[ia] + i0 * st[ia], st[ia], m, ad, ct); pa = abuf; }
      }
      if (!b_sc) {
        if (b_direct) pb = reinterpret_cast<const C*>(p[ib]) + i0;
        else { load_run(bbuf, p[ib] + i0 * st[ib], st[ib], m, bd, ct); pb = bbuf; }
      }
      O* po = o_direct ? reinterpret_cast<O*>(p[0]) + i0 : obuf;
      if (a_sc) k.sa(m, xa, pb, po);
      else if (b_sc) k.sb(m, pa, xb, po);
      else k.full(m, pa, pb, po);
      if (!o_direct) store_run(p[0] + i0 * st[0], st[0], obuf, m, ct, od);
    }
  }, grain);
}

// out = k(x) with x converted to ct.
template <class C, class O, class K>
void run_unary(const K& k, const Tensor& out, const Tensor& x, DType ct, int64_t grain) {
  const int64_t numel = out.numel();
  if (numel == 0) return;
  const DType od = out.dtype(), xd = x.dtype();
  const bool out_native = native_out<O>(od, ct), x_native = native<C>(xd, ct);
  if (out_native && x_native && out.is_contiguous() && x.is_contiguous() && x.shape() == out.shape()) {
    const C* px = static_cast<const C*>(x.data_ptr());
    O* po = static_cast<O*>(out.data_ptr());
    parallel_for(numel, grain, [&](int64_t lo, int64_t hi) { k.full(hi - lo, px + lo, po + lo); });
    return;
  }
  if constexpr (std::is_same_v<C, float> && std::is_same_v<O, float>) {
    // Dense 16-bit floats in their own dtype: widen a stack block, run, round (as run_binary).
    if (kernels::is_16bit(ct) && od == ct && xd == ct && out.is_contiguous() && x.is_contiguous() &&
        x.shape() == out.shape()) {
      const uint16_t* const in[1] = {static_cast<const uint16_t*>(x.data_ptr())};
      uint16_t* po = static_cast<uint16_t*>(out.data_ptr());
      parallel_for(numel, grain, [&](int64_t lo, int64_t hi) {
        blocks16(ct, in, po, lo, hi, [&](int64_t m, const float* const* v, float* o) { k.full(m, v[0], o); });
      });
      return;
    }
  }
  ElementwiseIter it({out, x});
  it.for_each([&](char* const* p, const int64_t* st, int64_t n) {
    const bool x_direct = x_native && st[1] == int64_t(sizeof(C));
    const bool o_direct = out_native && st[0] == int64_t(sizeof(O));
    alignas(64) C xbuf[kChunk];
    alignas(64) O obuf[kChunk];
    const int64_t step = x_direct && o_direct ? n : kChunk;
    for (int64_t i0 = 0; i0 < n; i0 += step) {
      const int64_t m = std::min(step, n - i0);
      const C* px = x_direct ? reinterpret_cast<const C*>(p[1]) + i0 : xbuf;
      if (!x_direct) load_run(xbuf, p[1] + i0 * st[1], st[1], m, xd, ct);
      O* po = o_direct ? reinterpret_cast<O*>(p[0]) + i0 : obuf;
      k.full(m, px, po);
      if (!o_direct) store_run(p[0] + i0 * st[0], st[0], obuf, m, ct, od);
    }
  }, grain);
}

}  // namespace steepest::detail
