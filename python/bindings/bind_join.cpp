// Bindings for joining and splitting: st.cat/concat/concatenate/stack/split/chunk and
// the Tensor methods; splits return tuples as torch does.
#include "bind.hpp"

namespace steepest::bindings {

namespace {

py::tuple as_tuple(const std::vector<Tensor>& v) {
  py::tuple t(v.size());
  for (size_t i = 0; i < v.size(); ++i) t[i] = py::cast(v[i]);
  return t;
}

// split_size_or_sections: an int (piece size) or a sequence of ints (piece sizes).
py::tuple split_any(const Tensor& t, const py::object& sizes, int64_t dim) {
  if (PyIndex_Check(sizes.ptr()) && !PyBool_Check(sizes.ptr())) return as_tuple(split(t, sizes.cast<int64_t>(), dim));
  if (py::isinstance<py::sequence>(sizes) && !py::isinstance<py::str>(sizes))
    return as_tuple(split(t, sizes.cast<std::vector<int64_t>>(), dim));
  throw TypeError(str("split(): split_size_or_sections must be an int or a list of ints, got ",
                      Py_TYPE(sizes.ptr())->tp_name));
}

}  // namespace

void bind_join(py::module_& m) {
  auto cat_fn = [](const std::vector<Tensor>& ts, int64_t dim) { return cat(ts, dim); };
  m.def("cat", cat_fn, py::arg("tensors"), py::arg("dim") = 0);
  m.def("concat", cat_fn, py::arg("tensors"), py::arg("dim") = 0);
  m.def("concatenate", cat_fn, py::arg("tensors"), py::arg("axis") = 0);
  m.def("stack", [](const std::vector<Tensor>& ts, int64_t dim) { return stack(ts, dim); }, py::arg("tensors"),
        py::arg("dim") = 0);
  m.def("split", &split_any, py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0);
  auto chunk_fn = [](const Tensor& t, int64_t chunks, int64_t dim) { return as_tuple(chunk(t, chunks, dim)); };
  m.def("chunk", chunk_fn, py::arg("input"), py::arg("chunks"), py::arg("dim") = 0);

  TensorClass cls = tensor_class(m);
  cls.def("split", &split_any, py::arg("split_size"), py::arg("dim") = 0)
      .def("chunk", chunk_fn, py::arg("chunks"), py::arg("dim") = 0);
}

}  // namespace steepest::bindings
