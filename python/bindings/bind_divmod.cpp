// Bindings for rounded division and remainders (steepest/ops/divmod.hpp): div(...,
// rounding_mode=), floor_divide, remainder, fmod, their in-place forms and the // and %
// operators. The plain div overloads (bind_elementwise.cpp) come first; these take the
// calls that pass rounding_mode.
#include "bind.hpp"

namespace steepest::bindings {

namespace {

RoundingMode mode_of(const std::optional<std::string>& m) {
  if (!m) return RoundingMode::None;
  if (*m == "trunc") return RoundingMode::Trunc;
  if (*m == "floor") return RoundingMode::Floor;
  throw ValueError(str("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", *m, "'"));
}

using Mode = std::optional<std::string>;

}  // namespace

void bind_divmod(py::module_& m) {
  TensorClass cls = tensor_class(m);
  const char* div_doc = "input / other; rounding_mode='trunc' or 'floor' rounds the quotient (integers stay integers).";
  m.def("div", [](const Tensor& a, const Tensor& b, const Mode& r) { return div(a, b, mode_of(r)); },
        py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode"), div_doc)
      .def("div", [](const Tensor& a, Scalar b, const Mode& r) { return div(a, b, mode_of(r)); },
           py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode"))
      .def("div", [](Scalar a, const Tensor& b, const Mode& r) { return div(a, b, mode_of(r)); },
           py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode"));
  cls.def("div", [](const Tensor& a, const Tensor& b, const Mode& r) { return div(a, b, mode_of(r)); },
          py::arg("other"), py::kw_only(), py::arg("rounding_mode"))
      .def("div", [](const Tensor& a, Scalar b, const Mode& r) { return div(a, b, mode_of(r)); }, py::arg("other"),
           py::kw_only(), py::arg("rounding_mode"))
      .def("div_", [](Tensor& a, const Tensor& b, const Mode& r) -> Tensor& { return div_(a, b, mode_of(r)); },
           py::arg("other"), py::kw_only(), py::arg("rounding_mode"))
      .def("div_", [](Tensor& a, Scalar b, const Mode& r) -> Tensor& { return div_(a, b, mode_of(r)); },
           py::arg("other"), py::kw_only(), py::arg("rounding_mode"));
  m.attr("divide") = m.attr("div");
  cls.attr("divide") = cls.attr("div");
  cls.attr("divide_") = cls.attr("div_");

  // name(a, b) for (Tensor, Tensor), (Tensor, Number) and, where torch has it, (Number, Tensor).
  auto family = [&](const char* name, auto ftt, auto fts, auto fst, auto fi_t, auto fi_s, const char* doc) {
    m.def(name, ftt, py::arg("input"), py::arg("other"), doc).def(name, fts, py::arg("input"), py::arg("other"));
    if constexpr (!std::is_same_v<decltype(fst), std::nullptr_t>) m.def(name, fst, py::arg("input"), py::arg("other"));
    cls.def(name, ftt, py::arg("other"), doc).def(name, fts, py::arg("other"));
    std::string inplace = std::string(name) + "_";
    cls.def(inplace.c_str(), fi_t, py::arg("other")).def(inplace.c_str(), fi_s, py::arg("other"));
  };
  auto fd_tt = [](const Tensor& a, const Tensor& b) { return floor_divide(a, b); };
  auto fd_ts = [](const Tensor& a, Scalar b) { return floor_divide(a, b); };
  auto fd_st = [](Scalar a, const Tensor& b) { return floor_divide(a, b); };
  auto fd_it = [](Tensor& a, const Tensor& b) -> Tensor& { return floor_divide_(a, b); };
  auto fd_is = [](Tensor& a, Scalar b) -> Tensor& { return floor_divide_(a, b); };
  family("floor_divide", fd_tt, fd_ts, fd_st, fd_it, fd_is, "input // other, rounded down (not differentiable).");
  auto rm_tt = [](const Tensor& a, const Tensor& b) { return remainder(a, b); };
  auto rm_ts = [](const Tensor& a, Scalar b) { return remainder(a, b); };
  auto rm_st = [](Scalar a, const Tensor& b) { return remainder(a, b); };
  auto rm_it = [](Tensor& a, const Tensor& b) -> Tensor& { return remainder_(a, b); };
  auto rm_is = [](Tensor& a, Scalar b) -> Tensor& { return remainder_(a, b); };
  family("remainder", rm_tt, rm_ts, rm_st, rm_it, rm_is, "input % other with the divisor's sign (Python's %).");
  auto fm_tt = [](const Tensor& a, const Tensor& b) { return fmod(a, b); };
  auto fm_ts = [](const Tensor& a, Scalar b) { return fmod(a, b); };
  auto fm_it = [](Tensor& a, const Tensor& b) -> Tensor& { return fmod_(a, b); };
  auto fm_is = [](Tensor& a, Scalar b) -> Tensor& { return fmod_(a, b); };
  family("fmod", fm_tt, fm_ts, nullptr, fm_it, fm_is, "The remainder of input / other with input's sign (C's fmod).");

  auto op = py::is_operator();
  cls.def("__floordiv__", fd_tt, op).def("__floordiv__", fd_ts, op)
      .def("__rfloordiv__", [](const Tensor& a, Scalar b) { return floor_divide(b, a); }, op)
      .def("__ifloordiv__", fd_it, op).def("__ifloordiv__", fd_is, op)
      .def("__mod__", rm_tt, op).def("__mod__", rm_ts, op)
      .def("__rmod__", [](const Tensor& a, Scalar b) { return remainder(b, a); }, op)
      .def("__imod__", rm_it, op).def("__imod__", rm_is, op);
}

}  // namespace steepest::bindings
