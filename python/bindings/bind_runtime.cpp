// Bindings for dtypes, devices, threads, ISA selection and build facts.
#include "bind.hpp"

namespace steepest::bindings {

void bind_runtime(py::module_& m) {
  py::enum_<DType> dt(m, "dtype");
  const std::pair<const char*, DType> names[] = {
      {"bool", kBool}, {"int32", kInt32}, {"int64", kInt64}, {"bfloat16", kBFloat16},
      {"float16", kFloat16}, {"float32", kFloat32}, {"float64", kFloat64},
      {"float8_e4m3fn", kFloat8E4M3FN}, {"float8_e5m2", kFloat8E5M2}};
  for (auto& [name, d] : names) dt.value(name, d);
  // prepend: pybind11 enums already have a __repr__, which would otherwise win the overload.
  dt.def("__repr__", [](DType d) { return std::string("steepest.") + dtype_name(d); }, py::prepend());
  dt.def("__str__", [](DType d) { return std::string("steepest.") + dtype_name(d); });
  dt.def_property_readonly("is_floating_point", [](DType d) { return is_floating(d); });
  dt.def_property_readonly("itemsize", [](DType d) { return itemsize(d); });
  dt.def_property_readonly("name", [](DType d) { return std::string(dtype_name(d)); });
  for (auto& [name, d] : names) m.attr(name) = py::cast(d);
  m.attr("float") = py::cast(kFloat32);
  m.attr("double") = py::cast(kFloat64);
  m.attr("half") = py::cast(kFloat16);
  m.attr("long") = py::cast(kInt64);
  m.attr("int") = py::cast(kInt32);
  m.def("get_default_dtype", &default_dtype);
  m.def("set_default_dtype", &set_default_dtype, py::arg("dtype"));
  m.def("promote_types", &promote_types, py::arg("type1"), py::arg("type2"));

  py::class_<Device>(m, "device")
      .def(py::init([](const std::string& spec) { return Device(spec); }), py::arg("type"))
      .def(py::init([](const Device& d) { return d; }), py::arg("device"))
      .def(py::init([](const std::string& type, int index) {
             Device d(type);
             STEEPEST_CHECK(index >= 0, ValueError, "device index must be non-negative, got ", index);
             if (d.is_cuda()) d.index = index;
             else STEEPEST_CHECK(index == 0, ValueError, "cpu has only device index 0");
             return d;
           }), py::arg("type"), py::arg("index"))
      .def_property_readonly("type", [](const Device& d) { return d.is_cpu() ? "cpu" : "cuda"; })
      .def_property_readonly("index", [](const Device& d) -> py::object {
        return d.index < 0 ? py::none() : py::object(py::int_(d.index));
      })
      .def("__str__", &Device::str)
      .def("__repr__", [](const Device& d) {
        return d.index < 0 ? str("device(type='", d.is_cpu() ? "cpu" : "cuda", "')")
                           : str("device(type='cuda', index=", d.index, ")");
      })
      .def("__eq__", [](const Device& a, const Device& b) { return a == b; })
      .def("__eq__", [](const Device& a, const std::string& b) { return a == Device(b); })
      .def("__hash__", [](const Device& d) { return std::hash<std::string>()(d.str()); });
  py::implicitly_convertible<std::string, Device>();

  m.def("cuda_is_available", &cuda_is_available);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def("get_num_threads", &get_num_threads);
  m.def("current_isa", &current_isa);
  m.def("supported_isas", &supported_isas);
  m.def("set_isa", &set_isa, py::arg("name"), "Force the CPU kernel set (tests, benchmarks).");
  m.def("_set_deterministic", &set_deterministic, py::arg("on"));
  m.def("_deterministic", &deterministic);
  m.def("_set_float32_matmul_precision", &set_float32_matmul_precision, py::arg("precision"));
  m.def("_float32_matmul_precision", &float32_matmul_precision);
  m.def("memory_cached", &memory_cached, "Bytes of CPU tensor memory held for reuse.");
  m.def("empty_cache", &empty_cache, "Return cached CPU tensor memory to the system.");
  m.def("memory_allocated", &memory_allocated, "Bytes of CPU tensor memory held by live tensors.");
  m.def("max_memory_allocated", &max_memory_allocated,
        "Peak of memory_allocated() since the start or the last reset_peak_memory_stats().");
  m.def("reset_peak_memory_stats", &reset_peak_memory_stats, "Restart the peak from the memory in use now.");
  m.def("build_info", [] {
    BuildInfo b = build_info();
    py::dict d;
    d["version"] = b.version;
    d["compiler"] = b.compiler;
    d["blas"] = b.blas;
    d["isas_compiled"] = b.isas_compiled;
    d["cuda"] = b.cuda;
    return d;
  });
}

}  // namespace steepest::bindings
