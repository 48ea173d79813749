// Bindings for reductions: st.sum/mean/amax/amin/max/min/argmax/argmin/var/std and the
// Tensor methods of the same names. Argument forms are converted here (dim as int, tuple or
// list; axis= alias; unbiased= alias of correction); the (values, indices) pairs become
// namedtuples like torch.return_types.max.
#include "bind.hpp"

namespace steepest::bindings {

namespace {

std::optional<Tensor> as_tensor(const py::handle& h) {
  py::detail::make_caster<Tensor> c;
  if (h.is_none() || !c.load(h, false)) return std::nullopt;
  return py::detail::cast_op<Tensor>(c);
}

// None -> all dims; an int (or numpy integer) -> one dim; a tuple/list of ints -> those dims.
Dims to_dims(const py::handle& dim, const char* op) {
  if (dim.is_none()) return {};
  if (PyIndex_Check(dim.ptr()) && !PyBool_Check(dim.ptr()) && !as_tensor(dim)) return {dim.cast<int64_t>()};
  if (py::isinstance<py::sequence>(dim) && !py::isinstance<py::str>(dim)) {
    Dims out;
    for (auto d : py::reinterpret_borrow<py::sequence>(dim)) {
      STEEPEST_CHECK(PyIndex_Check(d.ptr()) && !PyBool_Check(d.ptr()), TypeError, op,
                     "(): dim must be an int or a tuple of ints, got an element of type ",
                     Py_TYPE(d.ptr())->tp_name);
      out.push_back(d.cast<int64_t>());
    }
    // An explicit empty tuple means "all dims" as in torch (and Dims{} says the same).
    return out;
  }
  throw TypeError(str(op, "(): dim must be None, an int or a tuple of ints, got ",
                      Py_TYPE(dim.ptr())->tp_name));
}

py::object pick_dim(const py::object& dim, const py::object& axis, const char* op) {
  if (axis.is_none()) return dim;
  STEEPEST_CHECK(dim.is_none(), TypeError, op, "(): got both dim= and its alias axis=");
  return axis;
}

double correction_of(const py::object& unbiased, const std::optional<double>& correction, const char* op) {
  if (!unbiased.is_none()) {
    STEEPEST_CHECK(!correction, TypeError, op, "(): got both unbiased= and correction=; pass only correction=");
    return unbiased.cast<bool>() ? 1.0 : 0.0;
  }
  return correction.value_or(1.0);
}

}  // namespace

void bind_reduce(py::module_& m) {
  py::module_ rt = m.def_submodule("return_types", "Named tuples returned by max(dim) and min(dim).");
  py::object namedtuple = py::module_::import("collections").attr("namedtuple");
  py::object max_t = namedtuple("max", py::make_tuple("values", "indices"), py::arg("module") = "steepest.return_types");
  py::object min_t = namedtuple("min", py::make_tuple("values", "indices"), py::arg("module") = "steepest.return_types");
  rt.attr("max") = max_t;
  rt.attr("min") = min_t;

  auto sum_fn = [](const Tensor& t, const py::object& dim, bool keepdim, std::optional<DType> dtype,
                   const py::object& axis) {
    return sum(t, to_dims(pick_dim(dim, axis, "sum"), "sum"), keepdim, dtype);
  };
  auto mean_fn = [](const Tensor& t, const py::object& dim, bool keepdim, std::optional<DType> dtype,
                    const py::object& axis) {
    return mean(t, to_dims(pick_dim(dim, axis, "mean"), "mean"), keepdim, dtype);
  };
  auto amax_fn = [](const Tensor& t, const py::object& dim, bool keepdim) { return amax(t, to_dims(dim, "amax"), keepdim); };
  auto amin_fn = [](const Tensor& t, const py::object& dim, bool keepdim) { return amin(t, to_dims(dim, "amin"), keepdim); };
  // max(input) / max(input, dim, keepdim) / max(input, other): elementwise maximum is looked
  // up on the module at call time (it lives in the elementwise family).
  py::module_ mod = m;
  auto extreme_fn = [mod](bool is_max, py::object rtype) {
    return [mod, is_max, rtype](const Tensor& t, const py::object& dim, std::optional<bool> keepdim,
                                const py::object& other) -> py::object {
      const char* op = is_max ? "max" : "min";
      py::object o = other;
      if (o.is_none() && as_tensor(dim)) o = dim;
      if (!o.is_none()) {
        STEEPEST_CHECK(!keepdim, TypeError, op, "(): keepdim is not an argument of the elementwise form ", op,
                       "(input, other)");
        auto ot = as_tensor(o);
        STEEPEST_CHECK(ot.has_value(), TypeError, op, "(): other must be a Tensor");
        const char* ew = is_max ? "maximum" : "minimum";
        STEEPEST_CHECK(py::hasattr(mod, ew), NotImplementedError, op, "(input, other) needs steepest.", ew,
                       ", which this build lacks");
        return mod.attr(ew)(t, *ot);
      }
      if (dim.is_none()) {
        STEEPEST_CHECK(!keepdim, TypeError, op, "(): keepdim needs dim (use amax/amin to reduce over all dims)");
        return py::cast(is_max ? max(t) : min(t));
      }
      STEEPEST_CHECK(PyIndex_Check(dim.ptr()) && !PyBool_Check(dim.ptr()), TypeError, op,
                     "(): dim must be an int, got ", Py_TYPE(dim.ptr())->tp_name);
      auto r = is_max ? max(t, dim.cast<int64_t>(), keepdim.value_or(false))
                      : min(t, dim.cast<int64_t>(), keepdim.value_or(false));
      return rtype(py::cast(r.first), py::cast(r.second));
    };
  };
  auto max_fn = extreme_fn(true, max_t);
  auto min_fn = extreme_fn(false, min_t);
  auto argmax_fn = [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) { return argmax(t, dim, keepdim); };
  auto argmin_fn = [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) { return argmin(t, dim, keepdim); };
  // var(input, dim=None, unbiased=None, keepdim=False, *, correction=None); also var(input, unbiased).
  auto var_fn = [](bool take_sqrt) {
    return [take_sqrt](const Tensor& t, py::object dim, py::object unbiased, bool keepdim,
                       std::optional<double> correction) {
      const char* op = take_sqrt ? "std" : "var";
      if (PyBool_Check(dim.ptr())) {  // the legacy var(input, unbiased) form
        STEEPEST_CHECK(unbiased.is_none(), TypeError, op, "(): unbiased given twice");
        unbiased = dim;
        dim = py::none();
      }
      double c = correction_of(unbiased, correction, op);
      Dims dims = to_dims(dim, op);
      return take_sqrt ? steepest::std(t, dims, c, keepdim) : var(t, dims, c, keepdim);
    };
  };

  TensorClass cls = tensor_class(m);
  for (auto [name, fn] : {std::pair{"sum", +sum_fn}, std::pair{"mean", +mean_fn}}) {
    m.def(name, fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
          py::arg("dtype") = py::none(), py::arg("axis") = py::none());
    cls.def(name, fn, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
            py::arg("dtype") = py::none(), py::arg("axis") = py::none());
  }

  // cumsum / cumprod / prod (ops/scan.hpp)
  auto cumsum_fn = [](const Tensor& t, int64_t dim, std::optional<DType> dtype) { return cumsum(t, dim, dtype); };
  auto cumprod_fn = [](const Tensor& t, int64_t dim, std::optional<DType> dtype) { return cumprod(t, dim, dtype); };
  auto prod_fn = [](const Tensor& t, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
    return dim ? prod(t, *dim, keepdim, dtype) : prod(t, dtype);
  };
  m.def("cumsum", cumsum_fn, py::arg("input"), py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none(),
        "Running sums along dim (integers and bool give int64).");
  m.def("cumprod", cumprod_fn, py::arg("input"), py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none(),
        "Running products along dim (integers and bool give int64).");
  m.def("prod", prod_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
        py::arg("dtype") = py::none(), "The product of all elements, or along dim.");
  cls.def("cumsum", cumsum_fn, py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  cls.def("cumprod", cumprod_fn, py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  cls.def("prod", prod_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
          py::arg("dtype") = py::none());

  m.def("amax", amax_fn, py::arg("input"), py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
  m.def("amin", amin_fn, py::arg("input"), py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
  cls.def("amax", amax_fn, py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
  cls.def("amin", amin_fn, py::arg("dim") = py::tuple(), py::arg("keepdim") = false);

  m.def("max", max_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = py::none(),
        py::kw_only(), py::arg("other") = py::none());
  m.def("min", min_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = py::none(),
        py::kw_only(), py::arg("other") = py::none());
  cls.def("max", max_fn, py::arg("dim") = py::none(), py::arg("keepdim") = py::none(), py::kw_only(),
          py::arg("other") = py::none());
  cls.def("min", min_fn, py::arg("dim") = py::none(), py::arg("keepdim") = py::none(), py::kw_only(),
          py::arg("other") = py::none());

  m.def("argmax", argmax_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
  m.def("argmin", argmin_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("argmax", argmax_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("argmin", argmin_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false);

  for (bool s : {false, true}) {
    const char* name = s ? "std" : "var";
    m.def(name, var_fn(s), py::arg("input"), py::arg("dim") = py::none(), py::arg("unbiased") = py::none(),
          py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none());
    cls.def(name, var_fn(s), py::arg("dim") = py::none(), py::arg("unbiased") = py::none(),
            py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none());
  }
}

}  // namespace steepest::bindings
