// The CUDA kernels of the index family (dispatch/index.hpp). Index values are checked on the
// device: a kernel records the first bad position with atomicMin and the host reads it back
// (one small D2H copy) before anything is written, so an out-of-range index raises and never
// writes out of bounds. Writes that may hit one element twice (index_put, scatter, scatter_add)
// run each colliding sequence in the CPU's order on one thread: index_put loops over the
// index positions per element of the block; scatter and, under use_deterministic_algorithms,
// scatter_add run in C order. scatter_add and accumulating index_put otherwise use atomics
// (the order of float additions then varies). nonzero marks on the device and numbers the
// hits on the host.
#include <vector>

#include "dispatch/index.hpp"
#include "kernels/cuda/element_cast.hpp"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/index_geom.hpp"
#include "steepest/runtime.hpp"

namespace steepest::cuda {

namespace {

using dispatch::AdvancedIndex;
using dispatch::BadIndex;
using dispatch::ScatterKind;

constexpr unsigned long long kNone = ~0ull;

// A device word for "first bad position", set to kNone; read() syncs and returns it.
struct FirstBad {
  Tensor word;
  unsigned long long* p;
  explicit FirstBad(Device d) : word(Tensor::empty(Shape{1}, kInt64, d)), p(static_cast<unsigned long long*>(word.data_ptr())) {
    STEEPEST_CUDA_CHECK(cudaMemcpyAsync(p, &kNone, sizeof(kNone), cudaMemcpyHostToDevice, current_stream()));
  }
  unsigned long long read() const {
    unsigned long long v = kNone;
    STEEPEST_CUDA_CHECK(cudaMemcpyAsync(&v, p, sizeof(v), cudaMemcpyDeviceToHost, current_stream()));
    STEEPEST_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
    return v;
  }
};

__device__ inline int64_t read_index(const char* p, DType d) {
  return d == DType::Int32 ? int64_t(*reinterpret_cast<const int32_t*>(p)) : *reinterpret_cast<const int64_t*>(p);
}

int64_t host_read_index(const char* p, DType d) {
  int64_t v = 0;
  if (d == kInt32) {
    int32_t w;
    STEEPEST_CUDA_CHECK(cudaMemcpy(&w, p, 4, cudaMemcpyDeviceToHost));
    v = w;
  } else {
    STEEPEST_CUDA_CHECK(cudaMemcpy(&v, p, 8, cudaMemcpyDeviceToHost));
  }
  return v;
}

void check_index_dtype(const Tensor& idx) {
  STEEPEST_CHECK(idx.dtype() == kInt32 || idx.dtype() == kInt64, TypeError, "index tensors must be int32 or int64, got ",
                 dtype_name(idx.dtype()));
}

__global__ void bad_index_kernel(OffsetPack<1> pk, const char* idx, DType d, int64_t m, int64_t n, bool has_ignore,
                                 int64_t ignore, unsigned long long* first) {
  for_each_offset(pk, m, [&](int64_t i, const int64_t* off) {
    const int64_t v = read_index(idx + off[0], d);
    if ((v < 0 || v >= n) && !(has_ignore && v == ignore)) atomicMin(first, (unsigned long long)i);
  });
}

BadIndex find_bad_index(const Tensor& idx, int64_t n, std::optional<int64_t> ignore) {
  check_index_dtype(idx);
  const int64_t m = idx.numel();
  if (m == 0) return {};
  const OffsetPack<1> pk = pack_offsets<1>(idx.shape(), {byte_strides(idx)});
  FirstBad fb(idx.device());
  bad_index_kernel<<<unsigned(blocks_for(m)), kThreadsPerBlock, 0, current_stream()>>>(
      pk, static_cast<const char*>(idx.data_ptr()), idx.dtype(), m, n, bool(ignore), ignore.value_or(0), fb.p);
  STEEPEST_CUDA_LAUNCH_CHECK();
  const unsigned long long pos = fb.read();
  if (pos == kNone) return {};
  int64_t off;
  pk.offsets(int64_t(pos), &off);
  return {int64_t(pos), host_read_index(static_cast<const char*>(idx.data_ptr()) + off, idx.dtype())};
}

// offsets (int64) = (assign ? 0 : offsets) + wrap(index) step; the first bad position recorded.
__global__ void index_offsets_kernel(OffsetPack<2> pk, char* offs, const char* idx, DType d, int64_t m, int64_t size,
                                     int64_t step, bool assign, unsigned long long* first) {
  for_each_offset(pk, m, [&](int64_t i, const int64_t* off) {
    const int64_t v = read_index(idx + off[1], d), w = v < 0 ? v + size : v;
    if (w < 0 || w >= size) {
      atomicMin(first, (unsigned long long)i);
      return;
    }
    int64_t& o = *reinterpret_cast<int64_t*>(offs + off[0]);
    o = assign ? w * step : o + w * step;
  });
}

BadIndex index_offsets(const Tensor& offsets, const Tensor& index, int64_t size, int64_t step, bool assign) {
  check_index_dtype(index);
  const int64_t m = offsets.numel();
  if (m == 0) return {};
  const OffsetPack<2> pk = pack_offsets<2>(
      offsets.shape(), {byte_strides(offsets), broadcast_byte_strides(index.shape(), index.strides(),
                                                                       int64_t(index.itemsize()), offsets.shape())});
  FirstBad fb(offsets.device());
  index_offsets_kernel<<<unsigned(blocks_for(m)), kThreadsPerBlock, 0, current_stream()>>>(
      pk, static_cast<char*>(offsets.data_ptr()), static_cast<const char*>(index.data_ptr()), index.dtype(), m, size,
      step, assign, fb.p);
  STEEPEST_CUDA_LAUNCH_CHECK();
  const unsigned long long pos = fb.read();
  if (pos == kNone) return {};
  int64_t off[2];
  pk.offsets(int64_t(pos), off);
  return {0, host_read_index(static_cast<const char*>(index.data_ptr()) + off[1], index.dtype())};
}

__device__ inline void copy_elem(char* d, const char* s, int isz) {
  switch (isz) {
    case 1: *d = *s; return;
    case 2: *reinterpret_cast<uint16_t*>(d) = *reinterpret_cast<const uint16_t*>(s); return;
    case 4: *reinterpret_cast<uint32_t*>(d) = *reinterpret_cast<const uint32_t*>(s); return;
    default: *reinterpret_cast<uint64_t*>(d) = *reinterpret_cast<const uint64_t*>(s); return;
  }
}

// d += s in dtype dt, serially (the CPU's add_into: half through float, bool as or).
__device__ inline void add_elem(char* d, const char* s, DType dt) {
  if (dt == DType::Bool) {
    *reinterpret_cast<bool*>(d) = *reinterpret_cast<bool*>(d) || *reinterpret_cast<const bool*>(s);
  } else if (dt == DType::Int32 || dt == DType::Int64) {
    const int64_t a = load_as<int64_t>(d, dt, dt), b = load_as<int64_t>(s, dt, dt);
    store_as<int64_t>(d, dt, dt, int64_t(uint64_t(a) + uint64_t(b)));
  } else if (dt == DType::Float64) {
    *reinterpret_cast<double*>(d) += *reinterpret_cast<const double*>(s);
  } else {
    store_as<float>(d, dt, DType::Float32, load_as<float>(d, dt, DType::Float32) + load_as<float>(s, dt, DType::Float32));
  }
}

// d += s with an atomic (16-bit floats by a compare-and-swap on the containing 32-bit word).
__device__ inline void atomic_add_elem(char* d, const char* s, DType dt) {
  switch (dt) {
    case DType::Bool:
      if (*reinterpret_cast<const bool*>(s)) *reinterpret_cast<bool*>(d) = true;
      return;
    case DType::Int32: atomicAdd(reinterpret_cast<int*>(d), *reinterpret_cast<const int*>(s)); return;
    case DType::Int64:
      atomicAdd(reinterpret_cast<unsigned long long*>(d), *reinterpret_cast<const unsigned long long*>(s));
      return;
    case DType::Float32: atomicAdd(reinterpret_cast<float*>(d), *reinterpret_cast<const float*>(s)); return;
    case DType::Float64: atomicAdd(reinterpret_cast<double*>(d), *reinterpret_cast<const double*>(s)); return;
    default: {
      const float add = load_as<float>(s, dt, DType::Float32);
      auto* word = reinterpret_cast<unsigned int*>(reinterpret_cast<uintptr_t>(d) & ~uintptr_t(3));
      const bool high = (reinterpret_cast<uintptr_t>(d) & 2) != 0;
      unsigned int old = *word, assumed;
      do {
        assumed = old;
        uint16_t h = uint16_t(high ? assumed >> 16 : assumed & 0xffffu);
        float cur = dt == DType::BFloat16 ? float(bfloat16::from_bits(h)) : float(float16::from_bits(h));
        const uint16_t nh = dt == DType::BFloat16 ? bfloat16(cur + add).bits : float16(cur + add).bits;
        const unsigned int nw = high ? (assumed & 0xffffu) | (unsigned(nh) << 16) : (assumed & 0xffff0000u) | nh;
        old = atomicCAS(word, assumed, nw);
      } while (old != assumed);
      return;
    }
  }
}

__global__ void index_gather_kernel(BlockGeom g, char* out, const char* view, const int64_t* offs, int isz) {
  const int64_t total = g.nb * g.nrest;
  for (int64_t L = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; L < total; L += int64_t(gridDim.x) * blockDim.x) {
    int64_t b, dense, v;
    g.at(L, b, dense, v);
    copy_elem(out + dense, view + offs[b] + v, isz);
  }
}

void index_gather(const Tensor& out, const Tensor& view, const AdvancedIndex& p) {
  const BlockGeom g = block_geom(out, p);
  if (g.nb * g.nrest == 0) return;
  index_gather_kernel<<<unsigned(blocks_for(g.nb * g.nrest)), kThreadsPerBlock, 0, current_stream()>>>(
      g, static_cast<char*>(out.data_ptr()), static_cast<const char*>(view.data_ptr()),
      p.offsets.data<int64_t>(), int(view.itemsize()));
  STEEPEST_CUDA_LAUNCH_CHECK();
}

// One thread per element of a block, looping over the index positions in order: the last
// value wins and sums add in the CPU's order.
__global__ void index_put_serial_kernel(BlockGeom g, char* view, const char* v, const int64_t* offs, DType dt,
                                        bool accumulate) {
  const int isz = itemsize_of(dt);
  for (int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; q < g.nrest; q += int64_t(gridDim.x) * blockDim.x) {
    for (int64_t b0 = 0; b0 < g.nb; ++b0) {
      int64_t b, dense, w;
      g.at(b0 * g.nrest + q, b, dense, w);
      if (accumulate) add_elem(view + offs[b] + w, v + dense, dt);
      else copy_elem(view + offs[b] + w, v + dense, isz);
    }
  }
}

__global__ void index_put_atomic_kernel(BlockGeom g, char* view, const char* v, const int64_t* offs, DType dt) {
  const int64_t total = g.nb * g.nrest;
  for (int64_t L = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; L < total; L += int64_t(gridDim.x) * blockDim.x) {
    int64_t b, dense, w;
    g.at(L, b, dense, w);
    atomic_add_elem(view + offs[b] + w, v + dense, dt);
  }
}

void index_put(const Tensor& view, const Tensor& value, const AdvancedIndex& p, bool accumulate) {
  STEEPEST_CHECK(value.dtype() == view.dtype(), TypeError, "index_put: values of ", dtype_name(value.dtype()),
                 " into a ", dtype_name(view.dtype()), " tensor");
  const BlockGeom g = block_geom(value, p);
  if (g.nb * g.nrest == 0) return;
  char* vp = static_cast<char*>(view.data_ptr());
  const char* sp = static_cast<const char*>(value.data_ptr());
  const int64_t* offs = p.offsets.data<int64_t>();
  if (accumulate && !deterministic() && view.dtype() != kBool) {
    index_put_atomic_kernel<<<unsigned(blocks_for(g.nb * g.nrest)), kThreadsPerBlock, 0, current_stream()>>>(
        g, vp, sp, offs, view.dtype());
  } else {
    index_put_serial_kernel<<<unsigned(blocks_for(g.nrest)), kThreadsPerBlock, 0, current_stream()>>>(
        g, vp, sp, offs, view.dtype(), accumulate);
  }
  STEEPEST_CUDA_LAUNCH_CHECK();
}

// dst += src (src broadcast), through the elementwise engine in dst's dtype.
template <class C>
struct AddF {
  __device__ C operator()(const C* v) const {
    if constexpr (std::is_same_v<C, bool>) return v[0] || v[1];
    else if constexpr (std::is_integral_v<C>) return C(std::make_unsigned_t<C>(v[0]) + std::make_unsigned_t<C>(v[1]));
    else return v[0] + v[1];
  }
};

void accumulate(const Tensor& dst, const Tensor& src) {
  const DType d = dst.dtype();
  STEEPEST_CHECK(src.dtype() == d, TypeError, "accumulate: ", dtype_name(src.dtype()), " into ", dtype_name(d));
  visit_compute(d, [&](auto z) {
    using C = decltype(z);
    launch_elementwise<C, C, 2>(dst, {Operand(dst), Operand(src)}, d, AddF<C>{});
  });
}

// (t_view, other, index) over index's shape; the picked element of t is t_view + index * step.
__global__ void scatter_kernel(OffsetPack<3> pk, int64_t m, char* t, char* o, const char* idx, DType id, DType dt,
                               int64_t step, ScatterKind kind, bool atomic) {
  const int isz = itemsize_of(dt);
  for_each_offset(pk, m, [&](int64_t, const int64_t* off) {
    char* a = t + off[0] + read_index(idx + off[2], id) * step;
    char* b = o + off[1];
    switch (kind) {
      case ScatterKind::Gather: copy_elem(b, a, isz); break;
      case ScatterKind::Scatter: copy_elem(a, b, isz); break;
      case ScatterKind::ScatterAdd:
        if (atomic) atomic_add_elem(a, b, dt);
        else add_elem(a, b, dt);
        break;
    }
  });
}

void scatter(ScatterKind kind, const Tensor& t_view, const Tensor& other, const Tensor& index, int64_t step_bytes) {
  check_index_dtype(index);
  const int64_t m = index.numel();
  if (m == 0) return;
  const OffsetPack<3> pk = pack_offsets<3>(index.shape(), {byte_strides(t_view), byte_strides(other), byte_strides(index)});
  // Gather reads only; scatter_add may use atomics; the rest runs in C order on one thread.
  const bool parallel = kind == ScatterKind::Gather || (kind == ScatterKind::ScatterAdd && !deterministic() &&
                                                        t_view.dtype() != kBool);
  const unsigned blocks = parallel ? unsigned(blocks_for(m)) : 1u;
  scatter_kernel<<<blocks, parallel ? kThreadsPerBlock : 1, 0, current_stream()>>>(
      pk, m, static_cast<char*>(t_view.data_ptr()), static_cast<char*>(other.data_ptr()),
      static_cast<const char*>(index.data_ptr()), index.dtype(), t_view.dtype(), step_bytes, kind,
      kind == ScatterKind::ScatterAdd && parallel);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

// t = value where mask: cond ? value : t through the engine (value converted as the CPU does).
template <class C>
struct MaskF {
  __device__ C operator()(const C* v) const { return v[0] != C(0) ? v[1] : v[2]; }
};

void masked_fill(const Tensor& t, const Tensor& mask, Scalar value) {
  const DType d = t.dtype();
  visit_compute(d, [&](auto z) {
    using C = decltype(z);
    launch_elementwise<C, C, 3>(t, {Operand(mask), Operand(value), Operand(t)}, d, MaskF<C>{});
  });
}

__global__ void nonzero_mark_kernel(OffsetPack<1> pk, const char* t, DType d, int64_t m, uint8_t* flags) {
  for_each_offset(pk, m, [&](int64_t i, const int64_t* off) { flags[i] = load_as<bool>(t + off[0], d, DType::Bool); });
}

Tensor nonzero(const Tensor& t) {
  const int64_t nd = t.dim(), m = t.numel();
  std::vector<uint8_t> host(static_cast<size_t>(m));
  if (m > 0) {
    Tensor flags = Tensor::empty(Shape{m}, kBool, t.device());
    const OffsetPack<1> pk = pack_offsets<1>(t.shape(), {byte_strides(t)});
    nonzero_mark_kernel<<<unsigned(blocks_for(m)), kThreadsPerBlock, 0, current_stream()>>>(
        pk, static_cast<const char*>(t.data_ptr()), t.dtype(), m, static_cast<uint8_t*>(flags.data_ptr()));
    STEEPEST_CUDA_LAUNCH_CHECK();
    STEEPEST_CUDA_CHECK(cudaMemcpyAsync(host.data(), flags.data_ptr(), size_t(m), cudaMemcpyDeviceToHost, current_stream()));
    STEEPEST_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
  }
  std::vector<int64_t> pos;
  std::vector<int64_t> idx(static_cast<size_t>(nd), 0);
  for (int64_t i = 0; i < m; ++i) {
    if (host[size_t(i)]) pos.insert(pos.end(), idx.begin(), idx.end());
    for (int64_t k = nd - 1; k >= 0; --k) {
      if (++idx[size_t(k)] < t.shape()[size_t(k)]) break;
      idx[size_t(k)] = 0;
    }
  }
  const int64_t count = nd > 0 ? int64_t(pos.size()) / nd : (m > 0 && host[0] ? 1 : 0);
  Tensor out = Tensor::empty(Shape{count, nd}, kInt64, t.device());
  if (!pos.empty())
    STEEPEST_CUDA_CHECK(cudaMemcpyAsync(out.data_ptr(), pos.data(), pos.size() * 8, cudaMemcpyHostToDevice, current_stream()));
  STEEPEST_CUDA_CHECK(cudaStreamSynchronize(current_stream()));  // `pos` dies here
  return out;
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::find_bad_index_stub, CUDA, find_bad_index);
STEEPEST_REGISTER_KERNEL(dispatch::index_offsets_stub, CUDA, index_offsets);
STEEPEST_REGISTER_KERNEL(dispatch::index_gather_stub, CUDA, index_gather);
STEEPEST_REGISTER_KERNEL(dispatch::index_put_stub, CUDA, index_put);
STEEPEST_REGISTER_KERNEL(dispatch::accumulate_stub, CUDA, accumulate);
STEEPEST_REGISTER_KERNEL(dispatch::scatter_stub, CUDA, scatter);
STEEPEST_REGISTER_KERNEL(dispatch::masked_fill_stub, CUDA, masked_fill);
STEEPEST_REGISTER_KERNEL(dispatch::nonzero_stub, CUDA, nonzero);

}  // namespace steepest::cuda
