// Bindings for the elementwise op family (cpp/include/steepest/ops/elementwise.hpp): module
// functions, Tensor methods and Python operators. The Tensor overload of each comes first,
// since pybind tries overloads in order and `t + t` is the common case.
#include "bind.hpp"
#include "steepest/ops/special.hpp"

namespace steepest::bindings {

namespace {

using OptScalar = std::optional<Scalar>;

// Module function and Tensor method for a unary op, plus its in-place method name_.
template <class F, class FI>
void unary(py::module_& m, TensorClass& cls, const char* name, F f, FI fi, const char* doc) {
  m.def(name, [f](const Tensor& x) { return f(x); }, py::arg("input"), doc);
  cls.def(name, [f](const Tensor& x) { return f(x); }, doc);
  std::string inplace = std::string(name) + "_";
  cls.def(inplace.c_str(), [fi](Tensor& x) -> Tensor& { return fi(x); });
}

// Comparison: module function, method, and the operator.
template <class FT, class FS>
void comparison(py::module_& m, TensorClass& cls, const char* name, const char* dunder, FT ft, FS fs) {
  m.def(name, [ft](const Tensor& a, const Tensor& b) { return ft(a, b); }, py::arg("input"), py::arg("other"));
  m.def(name, [fs](const Tensor& a, Scalar b) { return fs(a, b); }, py::arg("input"), py::arg("other"));
  cls.def(name, [ft](const Tensor& a, const Tensor& b) { return ft(a, b); }, py::arg("other"));
  cls.def(name, [fs](const Tensor& a, Scalar b) { return fs(a, b); }, py::arg("other"));
  cls.def(dunder, [ft](const Tensor& a, const Tensor& b) { return ft(a, b); }, py::is_operator());
  cls.def(dunder, [fs](const Tensor& a, Scalar b) { return fs(a, b); }, py::is_operator());
}

// The arithmetic operators as C number-protocol slots. Through pybind, `t + t` on a small
// tensor spends more in the generic dispatch (a bound method, an argument tuple, argument
// vectors, overload resolution) than in the op; these slots take Tensor/Tensor and
// Tensor/number operands straight to the op and hand anything else (numpy scalars, other
// types) to the pybind-bound dunder methods, whose slot they replace.
enum class Arith { Add, Sub, Mul, Div };
binaryfunc g_fallback[4] = {};

// A Python bool/int/float as a Scalar; false for anything else (or an int beyond int64).
bool as_number(PyObject* o, Scalar& s) {
  if (PyBool_Check(o)) { s = Scalar(o == Py_True); return true; }
  if (PyLong_CheckExact(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) return false;
    s = Scalar(int64_t(v));
    return true;
  }
  if (PyFloat_CheckExact(o)) { s = Scalar(PyFloat_AS_DOUBLE(o)); return true; }
  // numpy scalars and other number-likes: the general (slower) Scalar conversion. Needed here
  // because otherwise numpy would claim `t + np.float32(2)` through Tensor.__array__.
  py::detail::make_caster<Scalar> sc;
  if (!sc.load(o, true)) return false;
  s = static_cast<Scalar&>(sc);
  return true;
}

template <Arith A>
PyObject* arith_slot(PyObject* a, PyObject* b) {
  py::detail::make_caster<Tensor> ca, cb;
  Scalar s;
  try {
    Tensor r;
    if (ca.load(a, false)) {
      const Tensor& x = ca;
      if (cb.load(b, false)) {
        const Tensor& y = cb;
        r = A == Arith::Add ? add(x, y) : A == Arith::Sub ? sub(x, y) : A == Arith::Mul ? mul(x, y) : div(x, y);
      } else if (as_number(b, s)) {
        r = A == Arith::Add ? add(x, s) : A == Arith::Sub ? sub(x, s) : A == Arith::Mul ? mul(x, s) : div(x, s);
      }
    } else if (cb.load(b, false) && as_number(a, s)) {  // reflected: number op tensor
      const Tensor& y = cb;
      r = A == Arith::Add ? add(s, y) : A == Arith::Sub ? rsub(y, s) : A == Arith::Mul ? mul(s, y) : rdiv(y, s);
    }
    if (r.defined())
      return py::detail::make_caster<Tensor>::cast(r, py::return_value_policy::move, py::handle()).ptr();
  } catch (...) {
    set_python_error();
    return nullptr;
  }
  return g_fallback[int(A)](a, b);
}

// t op= x: the result is t itself.
binaryfunc g_fallback_inplace[4] = {};
template <Arith A>
PyObject* arith_inplace_slot(PyObject* a, PyObject* b) {
  py::detail::make_caster<Tensor> ca, cb;
  Scalar s;
  try {
    if (ca.load(a, false)) {
      Tensor& x = ca;
      bool done = true;
      if (cb.load(b, false)) {
        const Tensor& y = cb;
        A == Arith::Add ? add_(x, y) : A == Arith::Sub ? sub_(x, y) : A == Arith::Mul ? mul_(x, y) : div_(x, y);
      } else if (as_number(b, s)) {
        A == Arith::Add ? add_(x, s) : A == Arith::Sub ? sub_(x, s) : A == Arith::Mul ? mul_(x, s) : div_(x, s);
      } else {
        done = false;
      }
      if (done) {
        Py_INCREF(a);
        return a;
      }
    }
  } catch (...) {
    set_python_error();
    return nullptr;
  }
  return g_fallback_inplace[int(A)](a, b);
}

void install_arith_slots(TensorClass& cls) {
  auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  PyNumberMethods* nb = type->tp_as_number;
  g_fallback[0] = nb->nb_add;
  g_fallback[1] = nb->nb_subtract;
  g_fallback[2] = nb->nb_multiply;
  g_fallback[3] = nb->nb_true_divide;
  nb->nb_add = arith_slot<Arith::Add>;
  nb->nb_subtract = arith_slot<Arith::Sub>;
  nb->nb_multiply = arith_slot<Arith::Mul>;
  nb->nb_true_divide = arith_slot<Arith::Div>;
  g_fallback_inplace[0] = nb->nb_inplace_add;
  g_fallback_inplace[1] = nb->nb_inplace_subtract;
  g_fallback_inplace[2] = nb->nb_inplace_multiply;
  g_fallback_inplace[3] = nb->nb_inplace_true_divide;
  nb->nb_inplace_add = arith_inplace_slot<Arith::Add>;
  nb->nb_inplace_subtract = arith_inplace_slot<Arith::Sub>;
  nb->nb_inplace_multiply = arith_inplace_slot<Arith::Mul>;
  nb->nb_inplace_true_divide = arith_inplace_slot<Arith::Div>;
  PyType_Modified(type);
}

}  // namespace

void bind_elementwise(py::module_& m) {
  TensorClass cls = tensor_class(m);
  auto op = py::is_operator();

  // --- Python operators (hot path: keep first and thin) ---
  cls.def("__add__", [](const Tensor& a, const Tensor& b) { return add(a, b); }, op)
      .def("__add__", [](const Tensor& a, Scalar b) { return add(a, b); }, op)
      .def("__radd__", [](const Tensor& a, Scalar b) { return add(b, a); }, op)
      .def("__iadd__", [](Tensor& a, const Tensor& b) -> Tensor& { return add_(a, b); }, op)
      .def("__iadd__", [](Tensor& a, Scalar b) -> Tensor& { return add_(a, b); }, op)
      .def("__sub__", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, op)
      .def("__sub__", [](const Tensor& a, Scalar b) { return sub(a, b); }, op)
      .def("__rsub__", [](const Tensor& a, Scalar b) { return rsub(a, b); }, op)
      .def("__isub__", [](Tensor& a, const Tensor& b) -> Tensor& { return sub_(a, b); }, op)
      .def("__isub__", [](Tensor& a, Scalar b) -> Tensor& { return sub_(a, b); }, op)
      .def("__mul__", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, op)
      .def("__mul__", [](const Tensor& a, Scalar b) { return mul(a, b); }, op)
      .def("__rmul__", [](const Tensor& a, Scalar b) { return mul(b, a); }, op)
      .def("__imul__", [](Tensor& a, const Tensor& b) -> Tensor& { return mul_(a, b); }, op)
      .def("__imul__", [](Tensor& a, Scalar b) -> Tensor& { return mul_(a, b); }, op)
      .def("__truediv__", [](const Tensor& a, const Tensor& b) { return div(a, b); }, op)
      .def("__truediv__", [](const Tensor& a, Scalar b) { return div(a, b); }, op)
      .def("__rtruediv__", [](const Tensor& a, Scalar b) { return rdiv(a, b); }, op)
      .def("__itruediv__", [](Tensor& a, const Tensor& b) -> Tensor& { return div_(a, b); }, op)
      .def("__itruediv__", [](Tensor& a, Scalar b) -> Tensor& { return div_(a, b); }, op)
      .def("__pow__", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, op)
      .def("__pow__", [](const Tensor& a, Scalar b) { return pow(a, b); }, op)
      .def("__rpow__", [](const Tensor& a, Scalar b) { return rpow(a, b); }, op)
      .def("__ipow__", [](Tensor& a, const Tensor& b) -> Tensor& { return pow_(a, b); }, op)
      .def("__ipow__", [](Tensor& a, Scalar b) -> Tensor& { return pow_(a, b); }, op)
      .def("__neg__", [](const Tensor& a) { return neg(a); })
      .def("__pos__", [](const Tensor& a) { return a; })
      .def("__abs__", [](const Tensor& a) { return abs(a); })
      .def("__invert__", [](const Tensor& a) { return bitwise_not(a); })
      .def("__and__", [](const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }, op)
      .def("__and__", [](const Tensor& a, Scalar b) { return bitwise_and(a, b); }, op)
      .def("__rand__", [](const Tensor& a, Scalar b) { return bitwise_and(a, b); }, op)
      .def("__iand__", [](Tensor& a, const Tensor& b) -> Tensor& { return bitwise_and_(a, b); }, op)
      .def("__iand__", [](Tensor& a, Scalar b) -> Tensor& { return bitwise_and_(a, b); }, op)
      .def("__or__", [](const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }, op)
      .def("__or__", [](const Tensor& a, Scalar b) { return bitwise_or(a, b); }, op)
      .def("__ror__", [](const Tensor& a, Scalar b) { return bitwise_or(a, b); }, op)
      .def("__ior__", [](Tensor& a, const Tensor& b) -> Tensor& { return bitwise_or_(a, b); }, op)
      .def("__ior__", [](Tensor& a, Scalar b) -> Tensor& { return bitwise_or_(a, b); }, op)
      .def("__xor__", [](const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }, op)
      .def("__xor__", [](const Tensor& a, Scalar b) { return bitwise_xor(a, b); }, op)
      .def("__rxor__", [](const Tensor& a, Scalar b) { return bitwise_xor(a, b); }, op)
      .def("__ixor__", [](Tensor& a, const Tensor& b) -> Tensor& { return bitwise_xor_(a, b); }, op)
      .def("__ixor__", [](Tensor& a, Scalar b) -> Tensor& { return bitwise_xor_(a, b); }, op);

  install_arith_slots(cls);

  comparison(m, cls, "eq", "__eq__", [](const Tensor& a, const Tensor& b) { return eq(a, b); },
             [](const Tensor& a, Scalar b) { return eq(a, b); });
  comparison(m, cls, "ne", "__ne__", [](const Tensor& a, const Tensor& b) { return ne(a, b); },
             [](const Tensor& a, Scalar b) { return ne(a, b); });
  comparison(m, cls, "lt", "__lt__", [](const Tensor& a, const Tensor& b) { return lt(a, b); },
             [](const Tensor& a, Scalar b) { return lt(a, b); });
  comparison(m, cls, "le", "__le__", [](const Tensor& a, const Tensor& b) { return le(a, b); },
             [](const Tensor& a, Scalar b) { return le(a, b); });
  comparison(m, cls, "gt", "__gt__", [](const Tensor& a, const Tensor& b) { return gt(a, b); },
             [](const Tensor& a, Scalar b) { return gt(a, b); });
  comparison(m, cls, "ge", "__ge__", [](const Tensor& a, const Tensor& b) { return ge(a, b); },
             [](const Tensor& a, Scalar b) { return ge(a, b); });
  // torch's long-name aliases
  using Alias = std::pair<const char*, const char*>;
  for (const Alias& an : {Alias{"greater", "gt"}, Alias{"less", "lt"}, Alias{"greater_equal", "ge"},
                          Alias{"less_equal", "le"}, Alias{"not_equal", "ne"}}) {
    const char *alias = an.first, *name = an.second;
    m.attr(alias) = m.attr(name);
    cls.attr(alias) = cls.attr(name);
  }

  // --- binary arithmetic: module functions and methods ---
  auto alpha = py::arg("alpha") = 1;
  m.def("add", [](const Tensor& a, const Tensor& b, Scalar al) { return add(a, b, al); },
        py::arg("input"), py::arg("other"), py::kw_only(), alpha, "input + alpha * other, broadcasting.")
      .def("add", [](const Tensor& a, Scalar b, Scalar al) { return add(a, b, al); },
           py::arg("input"), py::arg("other"), py::kw_only(), alpha)
      .def("add", [](Scalar a, const Tensor& b, Scalar al) { return add(a, b, al); },
           py::arg("input"), py::arg("other"), py::kw_only(), alpha)
      .def("sub", [](const Tensor& a, const Tensor& b, Scalar al) { return sub(a, b, al); },
           py::arg("input"), py::arg("other"), py::kw_only(), alpha, "input - alpha * other, broadcasting.")
      .def("sub", [](const Tensor& a, Scalar b, Scalar al) { return sub(a, b, al); },
           py::arg("input"), py::arg("other"), py::kw_only(), alpha)
      .def("sub", [](Scalar a, const Tensor& b, Scalar al) { return sub(a, b, al); },
           py::arg("input"), py::arg("other"), py::kw_only(), alpha);
  cls.def("add", [](const Tensor& a, const Tensor& b, Scalar al) { return add(a, b, al); },
          py::arg("other"), py::kw_only(), alpha)
      .def("add", [](const Tensor& a, Scalar b, Scalar al) { return add(a, b, al); },
           py::arg("other"), py::kw_only(), alpha)
      .def("sub", [](const Tensor& a, const Tensor& b, Scalar al) { return sub(a, b, al); },
           py::arg("other"), py::kw_only(), alpha)
      .def("sub", [](const Tensor& a, Scalar b, Scalar al) { return sub(a, b, al); },
           py::arg("other"), py::kw_only(), alpha)
      .def("add_", [](Tensor& a, const Tensor& b, Scalar al) -> Tensor& { return add_(a, b, al); },
           py::arg("other"), py::kw_only(), alpha)
      .def("add_", [](Tensor& a, Scalar b, Scalar al) -> Tensor& { return add_(a, b, al); },
           py::arg("other"), py::kw_only(), alpha)
      .def("sub_", [](Tensor& a, const Tensor& b, Scalar al) -> Tensor& { return sub_(a, b, al); },
           py::arg("other"), py::kw_only(), alpha)
      .def("sub_", [](Tensor& a, Scalar b, Scalar al) -> Tensor& { return sub_(a, b, al); },
           py::arg("other"), py::kw_only(), alpha);

  // Binary ops without alpha: (Tensor, Tensor), (Tensor, Number) and, for module functions,
  // (Number, Tensor).
  auto binary = [&](const char* name, auto ftt, auto fts, auto fst, auto fi_t, auto fi_s, const char* doc) {
    m.def(name, [ftt](const Tensor& a, const Tensor& b) { return ftt(a, b); }, py::arg("input"), py::arg("other"), doc)
        .def(name, [fts](const Tensor& a, Scalar b) { return fts(a, b); }, py::arg("input"), py::arg("other"))
        .def(name, [fst](Scalar a, const Tensor& b) { return fst(a, b); }, py::arg("input"), py::arg("other"));
    cls.def(name, [ftt](const Tensor& a, const Tensor& b) { return ftt(a, b); }, py::arg("other"), doc)
        .def(name, [fts](const Tensor& a, Scalar b) { return fts(a, b); }, py::arg("other"));
    std::string inplace = std::string(name) + "_";
    cls.def(inplace.c_str(), [fi_t](Tensor& a, const Tensor& b) -> Tensor& { return fi_t(a, b); }, py::arg("other"))
        .def(inplace.c_str(), [fi_s](Tensor& a, Scalar b) -> Tensor& { return fi_s(a, b); }, py::arg("other"));
  };
  binary("mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); },
         [](const Tensor& a, Scalar b) { return mul(a, b); }, [](Scalar a, const Tensor& b) { return mul(a, b); },
         [](Tensor& a, const Tensor& b) -> Tensor& { return mul_(a, b); },
         [](Tensor& a, Scalar b) -> Tensor& { return mul_(a, b); }, "input * other, broadcasting.");
  binary("div", [](const Tensor& a, const Tensor& b) { return div(a, b); },
         [](const Tensor& a, Scalar b) { return div(a, b); }, [](Scalar a, const Tensor& b) { return div(a, b); },
         [](Tensor& a, const Tensor& b) -> Tensor& { return div_(a, b); },
         [](Tensor& a, Scalar b) -> Tensor& { return div_(a, b); },
         "input / other (true division: integers give the default float dtype).");
  binary("pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); },
         [](const Tensor& a, Scalar b) { return pow(a, b); }, [](Scalar a, const Tensor& b) { return pow(a, b); },
         [](Tensor& a, const Tensor& b) -> Tensor& { return pow_(a, b); },
         [](Tensor& a, Scalar b) -> Tensor& { return pow_(a, b); }, "input ** exponent, broadcasting.");
  m.attr("true_divide") = m.attr("div");
  m.attr("multiply") = m.attr("mul");
  m.attr("subtract") = m.attr("sub");
  m.attr("divide") = m.attr("div");
  cls.attr("true_divide") = cls.attr("div");
  cls.attr("true_divide_") = cls.attr("div_");
  cls.attr("multiply") = cls.attr("mul");
  cls.attr("subtract") = cls.attr("sub");
  cls.attr("divide") = cls.attr("div");

  m.def("maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, py::arg("input"), py::arg("other"),
        "Elementwise maximum; NaN in either operand propagates.");
  m.def("minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, py::arg("input"), py::arg("other"),
        "Elementwise minimum; NaN in either operand propagates.");
  cls.def("maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, py::arg("other"));
  cls.def("minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, py::arg("other"));

  // --- unary ---
  unary(m, cls, "neg", [](const Tensor& x) { return neg(x); }, [](Tensor& x) -> Tensor& { return neg_(x); }, "-input");
  unary(m, cls, "abs", [](const Tensor& x) { return abs(x); }, [](Tensor& x) -> Tensor& { return abs_(x); }, "|input|");
  unary(m, cls, "exp", [](const Tensor& x) { return exp(x); }, [](Tensor& x) -> Tensor& { return exp_(x); }, "e ** input");
  unary(m, cls, "log", [](const Tensor& x) { return log(x); }, [](Tensor& x) -> Tensor& { return log_(x); }, "Natural logarithm.");
  unary(m, cls, "sqrt", [](const Tensor& x) { return sqrt(x); }, [](Tensor& x) -> Tensor& { return sqrt_(x); }, "Square root.");
  unary(m, cls, "rsqrt", [](const Tensor& x) { return rsqrt(x); }, [](Tensor& x) -> Tensor& { return rsqrt_(x); }, "1 / sqrt(input)");
  unary(m, cls, "sin", [](const Tensor& x) { return sin(x); }, [](Tensor& x) -> Tensor& { return sin_(x); }, "Sine.");
  unary(m, cls, "cos", [](const Tensor& x) { return cos(x); }, [](Tensor& x) -> Tensor& { return cos_(x); }, "Cosine.");
  unary(m, cls, "tanh", [](const Tensor& x) { return tanh(x); }, [](Tensor& x) -> Tensor& { return tanh_(x); }, "Hyperbolic tangent.");
  unary(m, cls, "sigmoid", [](const Tensor& x) { return sigmoid(x); }, [](Tensor& x) -> Tensor& { return sigmoid_(x); },
        "1 / (1 + exp(-input))");
  unary(m, cls, "relu", [](const Tensor& x) { return relu(x); }, [](Tensor& x) -> Tensor& { return relu_(x); },
        "max(input, 0); NaN stays NaN.");
  unary(m, cls, "sign", [](const Tensor& x) { return sign(x); }, [](Tensor& x) -> Tensor& { return sign_(x); },
        "-1, 0 or 1 (0 for NaN).");
  unary(m, cls, "log1p", [](const Tensor& x) { return log1p(x); }, [](Tensor& x) -> Tensor& { return log1p_(x); },
        "log(1 + input), accurate for small input.");
  unary(m, cls, "expm1", [](const Tensor& x) { return expm1(x); }, [](Tensor& x) -> Tensor& { return expm1_(x); },
        "exp(input) - 1, accurate for small input.");
  unary(m, cls, "floor", [](const Tensor& x) { return floor(x); }, [](Tensor& x) -> Tensor& { return floor_(x); },
        "Largest whole number <= input.");
  unary(m, cls, "ceil", [](const Tensor& x) { return ceil(x); }, [](Tensor& x) -> Tensor& { return ceil_(x); },
        "Smallest whole number >= input.");
  m.def("round", [](const Tensor& x, int64_t decimals) { return round(x, decimals); }, py::arg("input"),
        py::kw_only(), py::arg("decimals") = 0, "input rounded half to even (to 10**-decimals).");
  cls.def("round", [](const Tensor& x, int64_t decimals) { return round(x, decimals); }, py::kw_only(),
          py::arg("decimals") = 0, "input rounded half to even (to 10**-decimals).");
  cls.def("round_", [](Tensor& x) -> Tensor& { return round_(x); });
  unary(m, cls, "trunc", [](const Tensor& x) { return trunc(x); }, [](Tensor& x) -> Tensor& { return trunc_(x); },
        "input rounded toward zero.");
  unary(m, cls, "erfc", [](const Tensor& x) { return erfc(x); }, [](Tensor& x) -> Tensor& { return erfc_(x); },
        "1 - erf(input), accurate where erf is near 1.");
  unary(m, cls, "erfinv", [](const Tensor& x) { return erfinv(x); }, [](Tensor& x) -> Tensor& { return erfinv_(x); },
        "Inverse error function: x with erf(x) = input; NaN outside [-1, 1].");
  m.attr("negative") = m.attr("neg");
  cls.attr("negative") = cls.attr("neg");
  cls.attr("negative_") = cls.attr("neg_");
  m.attr("absolute") = m.attr("abs");
  cls.attr("absolute") = cls.attr("abs");

  m.def("clamp", [](const Tensor& x, OptScalar lo, OptScalar hi) { return clamp(x, lo, hi); }, py::arg("input"),
        py::arg("min") = py::none(), py::arg("max") = py::none(),
        "Limits input to [min, max] (either may be None); NaN stays NaN.");
  cls.def("clamp", [](const Tensor& x, OptScalar lo, OptScalar hi) { return clamp(x, lo, hi); },
          py::arg("min") = py::none(), py::arg("max") = py::none());
  cls.def("clamp_", [](Tensor& x, OptScalar lo, OptScalar hi) -> Tensor& { return clamp_(x, lo, hi); },
          py::arg("min") = py::none(), py::arg("max") = py::none());
  m.attr("clip") = m.attr("clamp");
  cls.attr("clip") = cls.attr("clamp");
  cls.attr("clip_") = cls.attr("clamp_");

  // --- where, logical, bitwise ---
  m.def("where", [](const Tensor& c, const Tensor& a, const Tensor& b) { return where(c, a, b); },
        py::arg("condition"), py::arg("input"), py::arg("other"),
        "input where condition is True, other elsewhere (all three broadcast).")
      .def("where", [](const Tensor& c, const Tensor& a, Scalar b) { return where(c, a, b); },
           py::arg("condition"), py::arg("input"), py::arg("other"))
      .def("where", [](const Tensor& c, Scalar a, const Tensor& b) { return where(c, a, b); },
           py::arg("condition"), py::arg("input"), py::arg("other"))
      .def("where", [](const Tensor& c, Scalar a, Scalar b) { return where(c, a, b); },
           py::arg("condition"), py::arg("input"), py::arg("other"));
  cls.def("where", [](const Tensor& a, const Tensor& c, const Tensor& b) { return where(c, a, b); },
          py::arg("condition"), py::arg("other"))
      .def("where", [](const Tensor& a, const Tensor& c, Scalar b) { return where(c, a, b); },
           py::arg("condition"), py::arg("other"));

  m.def("logical_not", [](const Tensor& x) { return logical_not(x); }, py::arg("input"));
  cls.def("logical_not", [](const Tensor& x) { return logical_not(x); });
  m.def("logical_and", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); }, py::arg("input"), py::arg("other"));
  m.def("logical_or", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); }, py::arg("input"), py::arg("other"));
  m.def("logical_xor", [](const Tensor& a, const Tensor& b) { return logical_xor(a, b); }, py::arg("input"), py::arg("other"));
  cls.def("logical_and", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); }, py::arg("other"));
  cls.def("logical_or", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); }, py::arg("other"));
  cls.def("logical_xor", [](const Tensor& a, const Tensor& b) { return logical_xor(a, b); }, py::arg("other"));

  m.def("bitwise_not", [](const Tensor& x) { return bitwise_not(x); }, py::arg("input"));
  cls.def("bitwise_not", [](const Tensor& x) { return bitwise_not(x); });
  m.def("bitwise_and", [](const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }, py::arg("input"), py::arg("other"))
      .def("bitwise_and", [](const Tensor& a, Scalar b) { return bitwise_and(a, b); }, py::arg("input"), py::arg("other"))
      .def("bitwise_or", [](const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }, py::arg("input"), py::arg("other"))
      .def("bitwise_or", [](const Tensor& a, Scalar b) { return bitwise_or(a, b); }, py::arg("input"), py::arg("other"))
      .def("bitwise_xor", [](const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }, py::arg("input"), py::arg("other"))
      .def("bitwise_xor", [](const Tensor& a, Scalar b) { return bitwise_xor(a, b); }, py::arg("input"), py::arg("other"));
  cls.def("bitwise_and", [](const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }, py::arg("other"))
      .def("bitwise_and", [](const Tensor& a, Scalar b) { return bitwise_and(a, b); }, py::arg("other"))
      .def("bitwise_or", [](const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }, py::arg("other"))
      .def("bitwise_or", [](const Tensor& a, Scalar b) { return bitwise_or(a, b); }, py::arg("other"))
      .def("bitwise_xor", [](const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }, py::arg("other"))
      .def("bitwise_xor", [](const Tensor& a, Scalar b) { return bitwise_xor(a, b); }, py::arg("other"));

  // --- promotion ---
  m.def("result_type", [](const Tensor& a, const Tensor& b) { return result_type(a, b); }, py::arg("tensor1"),
        py::arg("tensor2"), "The dtype an op over these operands computes in (torch.result_type).")
      .def("result_type", [](const Tensor& a, Scalar b) { return result_type(a, b); }, py::arg("tensor1"),
           py::arg("tensor2"))
      .def("result_type", [](Scalar a, const Tensor& b) { return result_type(a, b); }, py::arg("tensor1"),
           py::arg("tensor2"))
      .def("result_type", [](Scalar a, Scalar b) { return result_type(a, b); }, py::arg("tensor1"),
           py::arg("tensor2"));

  // Benchmark support: the streaming kernel that is the memory-traffic limit of an op.
  m.def("_stream_kernel", [](const std::vector<Tensor>& reads, std::optional<Tensor> write) {
    detail::stream_kernel(reads, write ? *write : Tensor());
  }, py::arg("reads"), py::arg("write") = py::none(),
        "Streams the arrays `reads` in and `write` out (or nothing) with no math: a bandwidth limit.");
}

}  // namespace steepest::bindings
