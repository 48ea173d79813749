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
      "_write_file_atomically",
      [](const std::string& path, const py::list& parts) {
        // Each part is a C-contiguous bytes-like object (PyBUF_SIMPLE refuses others). The
        // buffers are held until the write ends, so the GIL can be released meanwhile.
        struct Held {  // a Py_buffer released when the call ends, however it ends
          Py_buffer view{};
          bool ok = false;
          ~Held() {
            if (ok) PyBuffer_Release(&view);
          }
        };
        std::vector<Held> held(parts.size());
        std::vector<std::pair<const void*, size_t>> spans;
        for (size_t i = 0; i < held.size(); ++i) {
          if (PyObject_GetBuffer(parts[i].ptr(), &held[i].view, PyBUF_SIMPLE) != 0) throw py::error_already_set();
          held[i].ok = true;
          spans.emplace_back(held[i].view.buf, size_t(held[i].view.len));
        }
        py::gil_scoped_release nogil;
        write_file_atomically(path, spans);
      },
      py::arg("path"), py::arg("parts"),
      "Writes the concatenation of the bytes-like `parts` to `path` atomically (as _save_tensors).");
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
