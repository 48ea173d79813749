// The CPU kernels of the index family (dispatch/index.hpp): advanced indexing's block moves,
// gather / scatter along a dim, masked_fill, nonzero, and index bounds checks.
#include <omp.h>

#include <cstring>

#include "dispatch/index.hpp"
#include "kernels/cpu/gather_loop.hpp"
#include "ops/cast.hpp"
#include "ops/iter.hpp"

namespace steepest::kernels::cpu {
namespace {

using dispatch::AdvancedIndex;
using dispatch::BadIndex;
using dispatch::ScatterKind;

BadIndex find_bad_index(const Tensor& idx, int64_t n, std::optional<int64_t> ignore) {
  auto bad = [&](int64_t v) { return (v < 0 || v >= n) && !(ignore && v == *ignore); };
  if (idx.dtype() == kInt64 && idx.is_contiguous()) {  // the usual case: one flat loop
    const int64_t* pi = idx.data<int64_t>();
    for (int64_t i = 0, m = idx.numel(); i < m; ++i)
      if (bad(pi[i])) return {i, pi[i]};
    return {};
  }
  BadIndex r;
  int64_t at = 0;
  detail::ElementwiseIter it({idx});
  visit_dtype(idx.dtype(), [&](auto z) {
    using I = decltype(z);
    if constexpr (std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>) {
      it.for_each([&](char* const* p, const int64_t* st, int64_t m) {
        const char* x = p[0];
        for (int64_t k = 0; k < m && r.pos < 0; ++k, x += st[0], ++at) {
          int64_t v = int64_t(*reinterpret_cast<const I*>(x));
          if (bad(v)) r = {at, v};
        }
      }, detail::kSerialGrain);
    }
  });
  return r;
}

BadIndex index_offsets(const Tensor& offsets, const Tensor& index, int64_t size, int64_t step, bool assign) {
  bool bad = false;
  int64_t bad_value = 0;
  visit_dtype(index.dtype(), [&](auto z) {
    using I = decltype(z);
    if constexpr (std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>) {
      auto run = [&](char* o, const char* x, int64_t n, int64_t so, int64_t sx) {
        for (int64_t k = 0; k < n; ++k, o += so, x += sx) {
          int64_t v = int64_t(*reinterpret_cast<const I*>(x));
          int64_t w = v < 0 ? v + size : v;
          if (w < 0 || w >= size) { bad = true; bad_value = v; return; }
          int64_t& dst = *reinterpret_cast<int64_t*>(o);
          dst = assign ? w * step : dst + w * step;
        }
      };
      if (index.shape() == offsets.shape() && index.is_contiguous()) {  // the usual case: one plain index
        run(static_cast<char*>(offsets.data_ptr()), static_cast<const char*>(index.data_ptr()),
            offsets.numel(), 8, int64_t(sizeof(I)));
        return;
      }
      detail::ElementwiseIter it({offsets, index});
      it.for_each([&](char* const* ptr, const int64_t* st, int64_t n) {
        if (!bad) run(ptr[0], ptr[1], n, st[0], st[1]);
      }, detail::kSerialGrain);
    }
  });
  return bad ? BadIndex{0, bad_value} : BadIndex{};
}

// Where each broadcast position's block starts in `t` (bytes), whose dims [bpos, bpos +
// bshape.size()) are the broadcast dims: a single stride when those dims are flat in t (a
// fresh result always is), else a table in C order over them.
struct DenseSide {
  int64_t flat_stride = 0;
  std::vector<int64_t> table;
  int64_t at(int64_t b) const { return table.empty() ? b * flat_stride : table[size_t(b)]; }
};

DenseSide dense_offsets(const Tensor& t, const AdvancedIndex& p) {
  size_t nb = p.bshape.size();
  int64_t isz = int64_t(t.itemsize());
  DenseSide out;
  auto stride = [&](size_t k) { return t.strides()[p.bpos + k] * isz; };
  bool flat = true;
  int64_t inner = -1;  // the last dim of size > 1 seen so far, walking outward from the innermost
  for (size_t k = nb; k-- > 0 && flat;) {
    if (p.bshape[k] == 1) continue;
    flat = inner < 0 || stride(k) == stride(size_t(inner)) * p.bshape[size_t(inner)];
    if (inner < 0) out.flat_stride = stride(k);
    inner = int64_t(k);
  }
  if (flat) return out;
  out.table.resize(size_t(numel_of(p.bshape)));
  Shape idx(nb, 0);
  int64_t cur = 0;
  for (size_t b = 0; b < out.table.size(); ++b) {
    out.table[b] = cur;
    for (size_t k = nb; k-- > 0;) {
      cur += stride(k);
      if (++idx[k] < p.bshape[k]) break;
      cur -= stride(k) * p.bshape[k];
      idx[k] = 0;
    }
  }
  return out;
}

Strides rest_strides_in(const Tensor& t, const AdvancedIndex& p) {
  Strides s;
  for (int64_t d : p.rest_result_dims) s.push_back(t.strides()[size_t(d)]);
  return s;
}

// Copies the selected blocks of `view` into `out` (shape p.result).
void index_gather(const Tensor& out, const Tensor& view, const AdvancedIndex& p) {
  int64_t isz = int64_t(view.itemsize());
  detail::BlockGeometry g(p.rest, rest_strides_in(out, p), p.rest_view_strides, isz);
  const int64_t nb = p.offsets.numel();
  if (g.numel() == 0 || nb == 0) return;
  DenseSide dst = dense_offsets(out, p);
  const int64_t* off = p.offsets.data<int64_t>();
  const char* src = static_cast<const char*>(view.data_ptr());
  char* dbase = static_cast<char*>(out.data_ptr());
  auto copy_block = [&](int64_t b) {
    g.for_each_run(dbase + dst.at(b), src + off[b], [isz](char* d, const char* s, int64_t m, int64_t ds, int64_t ss) {
      detail::copy_run(d, s, m, ds, ss, isz);
    });
  };
  if (nb * g.numel() >= 65536 && nb > 1 && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < nb; ++b) copy_block(b);
  } else {  // small: not even an inactive parallel region (it costs a futex round trip)
    for (int64_t b = 0; b < nb; ++b) copy_block(b);
  }
}

void index_put(const Tensor& view, const Tensor& v, const AdvancedIndex& p, bool accumulate) {
  int64_t isz = int64_t(view.itemsize());
  detail::BlockGeometry g(p.rest, p.rest_view_strides, rest_strides_in(v, p), isz);
  const int64_t nb = p.offsets.numel();
  if (g.numel() > 0 && nb > 0) {
    DenseSide src = dense_offsets(v, p);
    const int64_t* off = p.offsets.data<int64_t>();
    const char* sbase = static_cast<const char*>(v.data_ptr());
    char* dbase = static_cast<char*>(view.data_ptr());
    // One thread: positions may repeat; accumulation must see every value and a plain write
    // lets the last one win, as numpy does.
    if (accumulate) {
      visit_dtype(view.dtype(), [&](auto z) {
        using T = decltype(z);
        for (int64_t b = 0; b < nb; ++b)
          g.for_each_run(dbase + off[b], sbase + src.at(b), [](char* d, const char* s, int64_t m, int64_t ds, int64_t ss) {
            detail::add_run<T>(d, s, m, ds, ss);
          });
      });
    } else {
      for (int64_t b = 0; b < nb; ++b)
        g.for_each_run(dbase + off[b], sbase + src.at(b), [isz](char* d, const char* s, int64_t m, int64_t ds, int64_t ss) {
          detail::copy_run(d, s, m, ds, ss, isz);
        });
    }
  }
}

void accumulate(const Tensor& dst, const Tensor& src) {
  detail::ElementwiseIter it({dst, src});
  visit_dtype(dst.dtype(), [&](auto z) {
    using T = decltype(z);
    it.for_each([](char* const* ptr, const int64_t* st, int64_t n) {
      detail::add_run<T>(ptr[0], ptr[1], n, st[0], st[1]);
    }, detail::kGrainCheap);
  });
}

// Calls body(element of t picked by the index, element of other) for every index element;
// serial when it writes t (two index elements may pick the same element).
template <class Body>
void scatter_loop(const Tensor& t_view, const Tensor& other, const Tensor& index, int64_t step_bytes, bool serial,
                  Body body) {
  detail::ElementwiseIter it({t_view, other, index});
  visit_dtype(index.dtype(), [&](auto z) {
    using I = decltype(z);
    if constexpr (std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>) {
      it.for_each([&](char* const* p, const int64_t* st, int64_t n) {
        char* a = p[0];
        char* b = p[1];
        const char* x = p[2];
        for (int64_t k = 0; k < n; ++k, a += st[0], b += st[1], x += st[2])
          body(a + int64_t(*reinterpret_cast<const I*>(x)) * step_bytes, b);
      }, serial ? detail::kSerialGrain : detail::kGrainCheap);
    }
  });
}

void scatter(ScatterKind kind, const Tensor& t_view, const Tensor& other, const Tensor& index, int64_t step_bytes) {
  const int64_t isz = int64_t(t_view.itemsize());
  switch (kind) {
    case ScatterKind::Gather:
      scatter_loop(t_view, other, index, step_bytes, false,
                   [isz](char* s, char* o) { detail::copy_run(o, s, 1, isz, isz, isz); });
      break;
    case ScatterKind::Scatter:
      scatter_loop(t_view, other, index, step_bytes, true,
                   [isz](char* dst, char* s) { detail::copy_run(dst, s, 1, isz, isz, isz); });
      break;
    case ScatterKind::ScatterAdd:
      visit_dtype(t_view.dtype(), [&](auto z) {
        using T = decltype(z);
        scatter_loop(t_view, other, index, step_bytes, true, [](char* dst, char* s) { detail::add_into<T>(dst, s); });
      });
      break;
  }
}

void masked_fill(const Tensor& t, const Tensor& mask, Scalar value) {
  visit_dtype(t.dtype(), [&](auto z) {
    using T = decltype(z);
    T v;
    if constexpr (detail::is_half_v<T>) v = T(value.to<float>());
    else v = value.to<T>();
    detail::ElementwiseIter it({t, mask});
    it.for_each([v](char* const* p, const int64_t* st, int64_t n) {
      char* o = p[0];
      const char* m = p[1];
      for (int64_t k = 0; k < n; ++k, o += st[0], m += st[1])
        if (*reinterpret_cast<const bool*>(m)) *reinterpret_cast<T*>(o) = v;
    }, detail::kGrainCheap);
  });
}

Tensor nonzero(const Tensor& t) {
  const int64_t nd = t.dim(), numel = t.numel();
  // Walks t in C order with a multi-index, calling hit(idx) for each nonzero element.
  auto walk = [&](auto&& hit) {
    visit_dtype(t.dtype(), [&](auto z) {
      using T = decltype(z);
      if (numel == 0) return;
      const char* p = static_cast<const char*>(t.data_ptr());
      int64_t isz = int64_t(sizeof(T));
      Shape idx(size_t(nd), 0);
      for (int64_t i = 0; i < numel; ++i) {
        T v;
        std::memcpy(&v, p, sizeof(T));
        if (detail::cast_to<bool>(v)) hit(idx);
        for (int64_t d = nd - 1; d >= 0; --d) {
          p += t.strides()[size_t(d)] * isz;
          if (++idx[size_t(d)] < t.shape()[size_t(d)]) break;
          p -= t.strides()[size_t(d)] * isz * t.shape()[size_t(d)];
          idx[size_t(d)] = 0;
        }
      }
    });
  };
  int64_t count = 0;
  walk([&](const Shape&) { ++count; });
  Tensor out = Tensor::empty(Shape{count, nd}, kInt64, t.device());
  int64_t* o = out.data<int64_t>();
  walk([&](const Shape& idx) {
    for (int64_t d = 0; d < nd; ++d) *o++ = idx[size_t(d)];
  });
  return out;
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::find_bad_index_stub, CPU, find_bad_index);
STEEPEST_REGISTER_KERNEL(dispatch::index_offsets_stub, CPU, index_offsets);
STEEPEST_REGISTER_KERNEL(dispatch::index_gather_stub, CPU, index_gather);
STEEPEST_REGISTER_KERNEL(dispatch::index_put_stub, CPU, index_put);
STEEPEST_REGISTER_KERNEL(dispatch::accumulate_stub, CPU, accumulate);
STEEPEST_REGISTER_KERNEL(dispatch::scatter_stub, CPU, scatter);
STEEPEST_REGISTER_KERNEL(dispatch::masked_fill_stub, CPU, masked_fill);
STEEPEST_REGISTER_KERNEL(dispatch::nonzero_stub, CPU, nonzero);

}  // namespace steepest::kernels::cpu
