// Zero-copy exchange with numpy: from_numpy shares the array's memory (and keeps the array
// alive); Tensor.numpy() returns an array view that keeps the tensor's storage alive.
#include "bind.hpp"

namespace steepest::bindings {

namespace {

DType dtype_from_numpy(const py::dtype& d) {
  char kind = d.kind();
  size_t size = size_t(d.itemsize());
  if (kind == 'b' && size == 1) return kBool;
  if (kind == 'i' && size == 4) return kInt32;
  if (kind == 'i' && size == 8) return kInt64;
  if (kind == 'f' && size == 2) return kFloat16;
  if (kind == 'f' && size == 4) return kFloat32;
  if (kind == 'f' && size == 8) return kFloat64;
  throw TypeError(str("can't convert a numpy array of dtype ", std::string(py::str(d)),
                      "; supported: bool, int32, int64, float16, float32, float64"));
}

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case kBool: return py::dtype("bool");
    case kInt32: return py::dtype("int32");
    case kInt64: return py::dtype("int64");
    case kFloat16: return py::dtype("float16");
    case kFloat32: return py::dtype("float32");
    case kFloat64: return py::dtype("float64");
    default: break;
  }
  throw TypeError(str("numpy has no ", dtype_name(d), " dtype; convert first, e.g. t.float().numpy()"));
}

}  // namespace

Tensor from_numpy(py::array arr) {
  DType dt = dtype_from_numpy(arr.dtype());
  STEEPEST_CHECK(arr.dtype().byteorder() != '>', TypeError, "from_numpy: big-endian arrays are not supported");
  int64_t isz = int64_t(itemsize(dt));
  Shape shape, strides;
  char* lo = static_cast<char*>(arr.mutable_data());
  int64_t span_hi = 0;
  bool empty = arr.size() == 0;
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) {
    int64_t st = arr.strides(i);
    STEEPEST_CHECK(st >= 0 || arr.shape(i) <= 1, ValueError,
                   "from_numpy: arrays with negative strides are not supported (copy the array first)");
    STEEPEST_CHECK(st % isz == 0, ValueError, "from_numpy: stride ", st, " of dim ", i,
                   " is not a multiple of the element size ", isz);
    shape.push_back(arr.shape(i));
    strides.push_back(arr.shape(i) <= 1 ? 0 : st / isz);
    if (!empty) span_hi += (arr.shape(i) - 1) * std::max<int64_t>(st, 0);
  }
  size_t nbytes = empty ? 0 : size_t(span_hi + isz);
  PyObject* owner = arr.ptr();
  Py_INCREF(owner);
  auto storage = Storage::borrow(lo, nbytes, kCPU, [owner] {
    py::gil_scoped_acquire gil;
    Py_DECREF(owner);
  });
  // Size-1 dims got stride 0 above only to keep make()'s bounds check simple; give them
  // the contiguous stride so the view reports torch-like strides.
  Strides fixed = contiguous_strides(shape);
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] > 1) fixed[i] = strides[i];
  return Tensor::make(std::move(storage), std::move(shape), std::move(fixed), 0, dt);
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

void bind_interop(py::module_& m) {
  m.def("from_numpy", &from_numpy, py::arg("ndarray"),
        "A tensor sharing the array's memory (no copy); the array stays alive while it is used.");
  tensor_class(m).def("numpy", &to_numpy, "An ndarray view of this CPU tensor's memory (no copy).");
}

}  // namespace steepest::bindings
