// Bindings for save/load in the safetensors format: the C++ io functions with Python lists of
// (name, tensor) pairs and str -> str dicts. steepest/serialization.py builds st.save/st.load on these.
#include "bind.hpp"
#include "steepest/io.hpp"

namespace steepest::bindings {

void bind_io(py::module_& m) {
  // The GIL is released while bytes move, so a checkpoint can be written from a background
  // thread; the argument list keeps every tensor alive meanwhile.
  m.def("_save_tensors", &save_tensors, py::arg("path"), py::arg("tensors"), py::arg("metadata"),
        py::arg("checksum") = false, py::call_guard<py::gil_scoped_release>(),
        "Writes [(name, tensor), ...] and a str -> str metadata dict to `path` (safetensors), atomically; "
        "with checksum=True, each tensor's CRC-32 too.");
  m.def(
      "_load_tensors",
      [](const std::string& path) {
        LoadedTensors r;
        {
          py::gil_scoped_release nogil;
          r = load_tensors(path);
        }
        return py::make_tuple(py::cast(r.tensors), py::cast(r.metadata));
      },
      py::arg("path"), "Reads a safetensors file: ([(name, tensor), ...], metadata dict).");
}

}  // namespace steepest::bindings
