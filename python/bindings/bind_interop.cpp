// Zero-copy exchange with numpy and DLPack producers/consumers (torch, jax, cupy...):
// from_numpy / Tensor.numpy() / Tensor.__array__, and Tensor.__dlpack__ / from_dlpack.
// Imported memory stays owned by its producer, which is released when the last view dies.
#include <cstring>

#include "bind.hpp"
#include "dlpack.h"
#include "steepest/ops/device.hpp"
#ifdef STEEPEST_WITH_CUDA
#include "steepest/cuda.hpp"
#endif

namespace steepest::bindings {

namespace {

// The Python type name of an object, for error messages.
std::string type_name(const py::handle& h) { return Py_TYPE(h.ptr())->tp_name; }

namespace dl = steepest::dlpack;

[[noreturn]] void buffer_error(const std::string& msg) {
  PyErr_SetString(PyExc_BufferError, msg.c_str());
  throw py::error_already_set();
}

// Runs a producer's release callback from whatever thread drops the last view. Producers
// (numpy's deleter, a Py_DECREF) may need the GIL; after interpreter shutdown the memory is
// left to the OS rather than calling into a dead interpreter.
template <class F>
void release_with_gil(F&& f) {
  if (!Py_IsInitialized()) return;
  py::gil_scoped_acquire gil;
  f();
}

// ---------------------------------------------------------------- numpy

DType dtype_from_numpy(const py::dtype& d) {
  char kind = d.kind();
  size_t size = size_t(d.itemsize());
  if (kind == 'b' && size == 1) return kBool;
  if (kind == 'i' && size == 4) return kInt32;
  if (kind == 'i' && size == 8) return kInt64;
  if (kind == 'f' && size == 2) return kFloat16;
  if (kind == 'f' && size == 4) return kFloat32;
  if (kind == 'f' && size == 8) return kFloat64;
  // ml_dtypes' FP8 types are one-byte numpy dtypes (kind 'V' or 'f') known by their name.
  if ((kind == 'V' || kind == 'f') && size == 1) {
    std::string name = py::str(d.attr("name"));
    if (name == "float8_e4m3fn") return kFloat8E4M3FN;
    if (name == "float8_e5m2") return kFloat8E5M2;
  }
  throw TypeError(str("can't convert a numpy array of dtype ", std::string(py::str(d)),
                      "; supported: bool, int32, int64, float16, float32, float64, ml_dtypes float8_e4m3fn and float8_e5m2"));
}

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case kBool: return py::dtype("bool");
    case kInt32: return py::dtype("int32");
    case kInt64: return py::dtype("int64");
    case kFloat16: return py::dtype("float16");
    case kFloat32: return py::dtype("float32");
    case kFloat64: return py::dtype("float64");
    case kFloat8E4M3FN: case kFloat8E5M2: {
      // numpy has no FP8 types of its own; ml_dtypes (optional) registers them.
      py::object ml;
      try {
        ml = py::module_::import("ml_dtypes");
      } catch (py::error_already_set&) {
        throw TypeError(str("numpy has no ", dtype_name(d), " dtype without the ml_dtypes package; install it, or ",
                            "convert first, e.g. t.float().numpy()"));
      }
      return py::dtype::from_args(ml.attr(dtype_name(d)));
    }
    default: break;
  }
  throw TypeError(str("numpy has no ", dtype_name(d), " dtype; convert first, e.g. t.float().numpy()"));
}

// Kernels may assume elements are aligned to their size (vectorised loops peel to an
// aligned address); memory that is not is refused rather than risk a fault.
void check_aligned(const void* p, size_t isz, const char* who) {
  STEEPEST_CHECK(reinterpret_cast<uintptr_t>(p) % isz == 0, ValueError, who,
                 ": data is not aligned to its element size (", isz, " bytes); copy it first");
}

void warn_read_only(const char* who) {
  std::string msg = str(who, ": the source memory is read-only, but steepest tensors are always writable; "
                        "writing to this tensor is undefined behaviour (copy the source first to avoid this)");
  if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) != 0) throw py::error_already_set();
}


py::array to_numpy(const Tensor& t) {
  STEEPEST_CHECK(t.device().is_cpu(), TypeError, "can't convert ", t.device().str(),
                 " tensor to numpy; copy it to the CPU first with .cpu()");
  STEEPEST_CHECK(!t.requires_grad(), Error,
                 "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  py::dtype dt = numpy_dtype(t.dtype());
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
  for (int64_t s : t.strides()) strides.push_back(s * int64_t(t.itemsize()));
  // The capsule owns a reference to the storage: the array keeps the memory alive.
  auto* keep = new std::shared_ptr<Storage>(t.storage());
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  return py::array(dt, shape, strides, t.data_ptr(), base);
}

// numpy's __array__ protocol (numpy >= 2 passes copy=): a view when it can be one.
py::array to_array(const Tensor& t, const py::object& dtype, const py::object& copy) {
  py::array arr = to_numpy(t);
  bool want_copy = !copy.is_none() && copy.cast<bool>();
  bool forbid_copy = !copy.is_none() && !copy.cast<bool>();
  if (!dtype.is_none()) {
    py::dtype want = py::dtype::from_args(dtype);
    if (!want.equal(arr.dtype())) {
      STEEPEST_CHECK(!forbid_copy, ValueError, "__array__: converting a ", dtype_name(t.dtype()), " tensor to ",
                     std::string(py::str(want)), " needs a copy, but copy=False was given");
      return arr.attr("astype")(want);
    }
  }
  if (want_copy) return arr.attr("copy")();
  return arr;
}

// ---------------------------------------------------------------- DLPack

dl::DLDataType dl_dtype(DType d) {
  switch (d) {
    case kBool: return {dl::kDLBool, 8, 1};
    case kInt32: return {dl::kDLInt, 32, 1};
    case kInt64: return {dl::kDLInt, 64, 1};
    case kBFloat16: return {dl::kDLBfloat, 16, 1};
    case kFloat16: return {dl::kDLFloat, 16, 1};
    case kFloat32: return {dl::kDLFloat, 32, 1};
    case kFloat64: return {dl::kDLFloat, 64, 1};
    case kFloat8E4M3FN: case kFloat8E5M2: break;  // refused by to_dlpack before anything is allocated
  }
  return {dl::kDLFloat, 32, 1};
}

DType dtype_from_dl(dl::DLDataType t) {
  const char* kinds[] = {"int", "uint", "float", "opaque", "bfloat", "complex", "bool"};
  std::string name = t.code < 7 ? str(kinds[t.code], int(t.bits)) : str("code ", int(t.code), " bits ", int(t.bits));
  if (t.lanes != 1) name += str("x", t.lanes);
  if (t.lanes == 1) {
    if (t.code == dl::kDLBool && t.bits == 8) return kBool;
    if (t.code == dl::kDLInt && t.bits == 32) return kInt32;
    if (t.code == dl::kDLInt && t.bits == 64) return kInt64;
    if (t.code == dl::kDLBfloat && t.bits == 16) return kBFloat16;
    if (t.code == dl::kDLFloat && t.bits == 16) return kFloat16;
    if (t.code == dl::kDLFloat && t.bits == 32) return kFloat32;
    if (t.code == dl::kDLFloat && t.bits == 64) return kFloat64;
  }
  throw TypeError(str("from_dlpack: unsupported DLPack dtype ", name,
                      "; supported: bool, int32, int64, bfloat16, float16, float32, float64"));
}

std::string dl_device_name(dl::DLDevice d) {
  switch (d.device_type) {
    case dl::kDLCPU: return "cpu";
    case dl::kDLCUDA: return str("cuda:", d.device_id);
    case dl::kDLCUDAHost: return "cuda_host (pinned)";
    case dl::kDLCUDAManaged: return str("cuda_managed:", d.device_id);
    case dl::kDLROCM: return str("rocm:", d.device_id);
    case dl::kDLMetal: return str("metal:", d.device_id);
    case dl::kDLOneAPI: return str("oneapi:", d.device_id);
    default: return str("DLPack device type ", int(d.device_type), ":", d.device_id);
  }
}

// One allocation per export: the managed struct, the storage it keeps alive and the
// shape/strides arrays the DLTensor points into. Freed by the consumer through deleter.
template <class Managed>
struct Export {
  Managed managed{};
  std::shared_ptr<Storage> storage;
  std::vector<int64_t> shape, strides;
  static void deleter(Managed* self) { delete static_cast<Export*>(self->manager_ctx); }
};

void fill_dltensor(dl::DLTensor& d, const Tensor& t, std::vector<int64_t>& shape, std::vector<int64_t>& strides) {
  shape.assign(t.shape().begin(), t.shape().end());
  strides.assign(t.strides().begin(), t.strides().end());
  d.data = t.data_ptr();
  d.device = t.device().is_cuda() ? dl::DLDevice{dl::kDLCUDA, int32_t(t.device().index)} : dl::DLDevice{dl::kDLCPU, 0};
  d.ndim = int32_t(t.dim());
  d.dtype = dl_dtype(t.dtype());
  d.shape = shape.data();
  d.strides = strides.data();
  d.byte_offset = 0;
}

// A capsule nobody consumed still owns its tensor: free it when the capsule goes.
template <class Managed>
void unconsumed_capsule_destructor(PyObject* cap, const char* name) {
  if (!PyCapsule_IsValid(cap, name)) return;  // renamed to used_*: the consumer owns it now
  auto* m = static_cast<Managed*>(PyCapsule_GetPointer(cap, name));
  if (m && m->deleter) m->deleter(m);
}

#ifdef STEEPEST_WITH_CUDA
// DLPack's stream argument for CUDA: the stream the consumer will use (None or 1: the legacy
// default stream, 2: the per-thread default, else a cudaStream_t; -1: no synchronisation).
// Work queued on our current stream is made to finish before the consumer's stream reads.
void sync_for_consumer(const py::object& stream) {
  int64_t s = stream.is_none() ? 1 : stream.cast<int64_t>();
  STEEPEST_CHECK(s >= -1 && s != 0, ValueError, "__dlpack__: stream ", s,
                 " is not a valid CUDA stream argument (-1, 1, 2 or a stream handle; 0 is ambiguous)");
  if (s == -1) return;
  const cuda::StreamHandle consumer = s == 1 ? 0 : cuda::StreamHandle(s == 2 ? 2 : s);
  const cuda::StreamHandle ours = cuda::current_stream_handle();
  if (consumer == ours) return;
  cuda::EventHandle e = cuda::event_create(false, false);
  cuda::event_record(e, ours);
  cuda::stream_wait_event(consumer, e);
  cuda::event_destroy(e);
}

// The stream argument a consumer passes to a CUDA producer: our current stream.
py::object consumer_stream() {
  const cuda::StreamHandle ours = cuda::current_stream_handle();
  return py::int_(ours == 0 ? int64_t(1) : int64_t(ours));
}
#endif

py::object to_dlpack(const Tensor& self, const py::object& stream, const py::object& max_version,
                     const py::object& dl_device, const py::object& copy) {
  if (self.requires_grad()) buffer_error("Can't export tensors that require gradient, use tensor.detach()");
  if (is_float8(self.dtype()))
    buffer_error(str("__dlpack__: can't export a ", dtype_name(self.dtype()), " tensor; convert it first, e.g. t.float()"));
  if (self.device().is_cuda()) {
#ifdef STEEPEST_WITH_CUDA
    sync_for_consumer(stream);
    if (!dl_device.is_none()) {
      auto dev = dl_device.cast<std::pair<int, int>>();
      if (dev.first != dl::kDLCUDA || dev.second != self.device().index)
        buffer_error(str("__dlpack__: the tensor is on ", self.device().str(), " and can only be exported there (",
                         int(dl::kDLCUDA), ", ", self.device().index, "), but dl_device=(", dev.first, ", ",
                         dev.second, ") was asked for"));
    }
#else
    buffer_error(str("__dlpack__: can't export a ", self.device().str(), " tensor: this build has no CUDA backend"));
#endif
  } else {
    // For CPU memory the spec allows only stream=None (torch passes -1 for "no sync").
    if (!stream.is_none() && !(py::isinstance<py::int_>(stream) && stream.cast<int64_t>() == -1))
      throw ValueError(str("__dlpack__: stream must be None for a CPU tensor, got ", std::string(py::repr(stream))));
    if (!dl_device.is_none()) {
      auto dev = dl_device.cast<std::pair<int, int>>();
      if (dev.first != dl::kDLCPU || dev.second != 0)
        buffer_error(str("__dlpack__: can only export to the CPU (1, 0), but dl_device=(", dev.first, ", ",
                         dev.second, ") was asked for"));
    }
  }
  bool copied = !copy.is_none() && copy.cast<bool>();
  Tensor t = copied ? clone(self) : self;

  int major = 0, minor = 0;
  if (!max_version.is_none()) std::tie(major, minor) = max_version.cast<std::pair<int, int>>();
  if (major >= 1) {
    using M = dl::DLManagedTensorVersioned;
    auto* e = new Export<M>();
    e->storage = t.storage();
    e->managed.version = {dl::kMajor, major == 1 ? std::min<uint32_t>(uint32_t(minor), dl::kMinor) : dl::kMinor};
    e->managed.manager_ctx = e;
    e->managed.deleter = &Export<M>::deleter;
    e->managed.flags = copied ? dl::kFlagIsCopied : 0;
    fill_dltensor(e->managed.dl_tensor, t, e->shape, e->strides);
    PyObject* cap = PyCapsule_New(&e->managed, "dltensor_versioned", [](PyObject* c) {
      unconsumed_capsule_destructor<M>(c, "dltensor_versioned");
    });
    if (!cap) { delete e; throw py::error_already_set(); }
    return py::reinterpret_steal<py::object>(cap);
  }
  using M = dl::DLManagedTensor;
  auto* e = new Export<M>();
  e->storage = t.storage();
  e->managed.manager_ctx = e;
  e->managed.deleter = &Export<M>::deleter;
  fill_dltensor(e->managed.dl_tensor, t, e->shape, e->strides);
  PyObject* cap = PyCapsule_New(&e->managed, "dltensor", [](PyObject* c) {
    unconsumed_capsule_destructor<M>(c, "dltensor");
  });
  if (!cap) { delete e; throw py::error_already_set(); }
  return py::reinterpret_steal<py::object>(cap);
}

// Memory steepest can wrap: the host's, and CUDA devices' in a CUDA build.
bool accepted_device(int type) {
#ifdef STEEPEST_WITH_CUDA
  if (type == dl::kDLCUDA) return true;
#endif
  return type == dl::kDLCPU;
}
const char* accepted_devices_text() {
#ifdef STEEPEST_WITH_CUDA
  return "steepest takes CPU and CUDA memory (copy it to one of those first)";
#else
  return "this build of steepest only has the CPU (copy it to the CPU first)";
#endif
}

// Validates a producer's DLTensor and wraps it without copying. `release` frees the
// producer's memory when the last view is gone; callers arm it only once the capsule is
// marked used, so that on any error the capsule alone keeps ownership (no double free).
Tensor wrap_dltensor(const dl::DLTensor& d, std::function<void()> release) {
  if (!accepted_device(d.device.device_type))
    buffer_error(str("from_dlpack: the tensor is on ", dl_device_name(d.device), "; ", accepted_devices_text()));
  // A CUDA build without a device can't own CUDA memory (no kernel could ever read it).
  if (d.device.device_type == dl::kDLCUDA && !cuda_is_available())
    buffer_error(str("from_dlpack: the tensor is on ", dl_device_name(d.device),
                     ", but no CUDA device is available to steepest"));
  const Device where = d.device.device_type == dl::kDLCUDA ? Device(DeviceType::CUDA, d.device.device_id) : kCPU;
  DType dt = dtype_from_dl(d.dtype);
  STEEPEST_CHECK(d.ndim >= 0, ValueError, "from_dlpack: negative ndim ", d.ndim);
  int64_t isz = int64_t(itemsize(dt));
  Shape shape(d.shape, d.shape + d.ndim);
  Strides strides = d.strides ? Strides(d.strides, d.strides + d.ndim) : contiguous_strides(shape);
  char* base = static_cast<char*>(d.data) + d.byte_offset;
  for (size_t i = 0; i < shape.size(); ++i) {
    STEEPEST_CHECK(shape[i] >= 0, ValueError, "from_dlpack: negative size in shape ", shape);
    if (shape[i] <= 1) { strides[i] = contiguous_strides(shape)[i]; continue; }
    STEEPEST_CHECK(strides[i] >= 0, ValueError, "from_dlpack: negative strides ", strides,
                   " are not supported (copy the source first)");
  }
  // Checked: a producer's sizes must not wrap the byte count the storage is given.
  ViewReach reach = view_reach(shape, strides, 0, size_t(isz));
  if (!reach.empty) check_aligned(base, size_t(isz), "from_dlpack");
  size_t nbytes = reach.empty ? 0 : size_t((reach.hi + 1) * isz);
  auto storage = Storage::borrow(base, nbytes, where, std::move(release));
  return Tensor::make(std::move(storage), std::move(shape), std::move(strides), 0, dt);
}

Tensor from_capsule(const py::capsule& cap) {
  PyObject* c = cap.ptr();
  if (PyCapsule_IsValid(c, "dltensor_versioned")) {
    auto* m = static_cast<dl::DLManagedTensorVersioned*>(PyCapsule_GetPointer(c, "dltensor_versioned"));
    if (m->version.major > dl::kMajor)
      buffer_error(str("from_dlpack: the producer's DLPack version ", m->version.major, ".", m->version.minor,
                       " is newer than the supported ", dl::kMajor, ".x"));
    bool read_only = m->flags & dl::kFlagReadOnly;
    auto armed = std::make_shared<bool>(false);
    Tensor t = wrap_dltensor(m->dl_tensor, [m, armed] {
      if (*armed) release_with_gil([m] { if (m->deleter) m->deleter(m); });
    });
    PyCapsule_SetName(c, "used_dltensor_versioned");
    *armed = true;
    if (read_only) warn_read_only("from_dlpack");
    return t;
  }
  if (PyCapsule_IsValid(c, "dltensor")) {
    auto* m = static_cast<dl::DLManagedTensor*>(PyCapsule_GetPointer(c, "dltensor"));
    auto armed = std::make_shared<bool>(false);
    Tensor t = wrap_dltensor(m->dl_tensor, [m, armed] {
      if (*armed) release_with_gil([m] { if (m->deleter) m->deleter(m); });
    });
    PyCapsule_SetName(c, "used_dltensor");
    *armed = true;
    return t;
  }
  const char* name = PyCapsule_GetName(c);
  PyErr_Clear();
  std::string nm = name ? name : "<unnamed>";
  if (nm == "used_dltensor" || nm == "used_dltensor_versioned")
    buffer_error("from_dlpack: this DLPack capsule was already consumed (a capsule can be used only once)");
  throw TypeError(str("from_dlpack: expected a 'dltensor' or 'dltensor_versioned' capsule, got a capsule named '",
                      nm, "'"));
}

Tensor from_dlpack(const py::object& obj, const py::object& device, const py::object& copy) {
  std::optional<Device> target;
  if (!device.is_none()) {
    Device dev = py::isinstance<Device>(device) ? device.cast<Device>() : Device(py::str(device).cast<std::string>());
#ifndef STEEPEST_WITH_CUDA
    STEEPEST_CHECK(dev.is_cpu(), NotImplementedError, "from_dlpack(device='", dev.str(),
                   "'): this build of steepest has no CUDA backend");
#endif
    target = dev;
  }
  bool copied = !copy.is_none() && copy.cast<bool>();
  Tensor t;
  if (py::isinstance<TensorImpl>(obj)) {
    // Our own tensor: share the storage object itself (and so its version counter).
    t = obj.cast<Tensor>().alias();
  } else if (PyCapsule_CheckExact(obj.ptr())) {
    t = from_capsule(py::reinterpret_borrow<py::capsule>(obj));
  } else if (py::hasattr(obj, "__dlpack__")) {
    py::object stream_arg = py::none();
    if (py::hasattr(obj, "__dlpack_device__")) {
      auto dev = obj.attr("__dlpack_device__")().cast<std::pair<int, int>>();
      if (!accepted_device(dev.first))
        buffer_error(str("from_dlpack: the tensor is on ",
                         dl_device_name({dl::DLDeviceType(dev.first), dev.second}), "; ", accepted_devices_text()));
#ifdef STEEPEST_WITH_CUDA
      if (dev.first == dl::kDLCUDA) stream_arg = consumer_stream();
#endif
    }
    py::object cap;
    try {
      // The stream is passed only to device producers (host ones need not take it).
      cap = stream_arg.is_none()
                ? obj.attr("__dlpack__")(py::arg("max_version") = py::make_tuple(dl::kMajor, dl::kMinor))
                : obj.attr("__dlpack__")(py::arg("stream") = stream_arg,
                                         py::arg("max_version") = py::make_tuple(dl::kMajor, dl::kMinor));
    } catch (py::error_already_set& e) {
      if (!e.matches(PyExc_TypeError)) throw;
      // A producer from before DLPack 1.0 (no max_version).
      cap = stream_arg.is_none() ? obj.attr("__dlpack__")() : obj.attr("__dlpack__")(py::arg("stream") = stream_arg);
    }
    STEEPEST_CHECK(PyCapsule_CheckExact(cap.ptr()), TypeError, "from_dlpack: __dlpack__() returned ",
                   type_name(cap), ", not a capsule");
    t = from_capsule(py::reinterpret_borrow<py::capsule>(cap));
  } else {
    throw TypeError(str("from_dlpack: expected an object with __dlpack__ (a numpy array, a torch tensor, ...) "
                        "or a DLPack capsule, got ", type_name(obj)));
  }
  // device=: the values on that device (a copy when the producer's memory is elsewhere).
  if (target && (target->type != t.device().type || (target->index >= 0 && target->index != t.device().index)))
    return to_device(t, *target);
  return copied ? clone(t) : t;
}

}  // namespace

Tensor from_numpy(const py::object& obj) {
  STEEPEST_CHECK(py::isinstance<py::array>(obj), TypeError, "from_numpy: expected np.ndarray (got ",
                 type_name(obj), ")");
  auto arr = py::reinterpret_borrow<py::array>(obj);
  DType dt = dtype_from_numpy(arr.dtype());
  STEEPEST_CHECK(arr.dtype().byteorder() != '>', TypeError, "from_numpy: big-endian arrays are not supported");
  int64_t isz = int64_t(itemsize(dt));
  Shape shape, strides;
  char* lo = static_cast<char*>(const_cast<void*>(arr.data()));
  int64_t span_hi = 0;
  bool empty = arr.size() == 0;
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) {
    int64_t st = arr.strides(i);
    STEEPEST_CHECK(st >= 0 || arr.shape(i) <= 1, ValueError,
                   "from_numpy: arrays with negative strides are not supported (copy the array first)");
    STEEPEST_CHECK(st % isz == 0 || arr.shape(i) <= 1, ValueError, "from_numpy: stride ", st, " of dim ", i,
                   " is not a multiple of the element size ", isz);
    shape.push_back(arr.shape(i));
    strides.push_back(arr.shape(i) <= 1 ? 0 : st / isz);
    if (!empty) span_hi += (arr.shape(i) - 1) * std::max<int64_t>(st, 0);
  }
  if (!empty) check_aligned(lo, size_t(isz), "from_numpy");
  if (!arr.writeable()) warn_read_only("from_numpy");
  size_t nbytes = empty ? 0 : size_t(span_hi + isz);
  PyObject* owner = arr.ptr();
  Py_INCREF(owner);
  auto storage = Storage::borrow(lo, nbytes, kCPU, [owner] { release_with_gil([owner] { Py_DECREF(owner); }); });
  // Size-1 dims got stride 0 above only to keep make()'s bounds check simple; give them
  // the contiguous stride so the view reports torch-like strides.
  Strides fixed = contiguous_strides(shape);
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] > 1) fixed[i] = strides[i];
  return Tensor::make(std::move(storage), std::move(shape), std::move(fixed), 0, dt);
}

void bind_interop(py::module_& m) {
  m.def("from_numpy", &from_numpy, py::arg("ndarray"),
        "A tensor sharing the array's memory (no copy); the array stays alive while any view of it does.\n"
        "Supported dtypes: bool, int32, int64, float16, float32, float64. Writes through either side\n"
        "are seen by the other. Negative strides and unaligned arrays are refused (copy them first).");
  m.def("from_dlpack", &from_dlpack, py::arg("ext_tensor"), py::kw_only(), py::arg("device") = py::none(),
        py::arg("copy") = py::none(),
        "A tensor sharing the memory of any object with __dlpack__ (numpy, torch, jax, ...) or of a DLPack "
        "capsule; no copy unless copy=True. The producer's memory is released when the last view dies.");
  tensor_class(m)
      .def("numpy", [](const Tensor& t, bool force) { return to_numpy(force ? t.alias() : t); }, py::kw_only(),
           py::arg("force") = false,
           "An ndarray view of this CPU tensor's memory (no copy); force=True also allows a tensor that "
           "requires grad (the view is detached).")
      .def("__array__", &to_array, py::arg("dtype") = py::none(), py::kw_only(), py::arg("copy") = py::none(),
           "numpy's array protocol: a view of the tensor's memory unless a dtype change or copy=True asks for a copy.")
      .def("__dlpack__", &to_dlpack, py::kw_only(), py::arg("stream") = py::none(),
           py::arg("max_version") = py::none(), py::arg("dl_device") = py::none(), py::arg("copy") = py::none(),
           "A DLPack capsule viewing this tensor ('dltensor_versioned' when max_version >= (1, 0)).")
      .def("__dlpack_device__", [](const Tensor& t) {
        return t.device().is_cpu() ? std::make_pair(int(dl::kDLCPU), 0)
                                   : std::make_pair(int(dl::kDLCUDA), std::max(t.device().index, 0));
      }, "(device type, index) as DLPack numbers: (1, 0) for the CPU.");
}

}  // namespace steepest::bindings
