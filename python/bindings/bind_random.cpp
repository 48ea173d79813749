// Bindings for the random op family and Generator: torch's argument forms
// (st.rand(2, 3) and st.rand((2, 3)), randint(high, size) and randint(low, high, size), ...).
#include "bind.hpp"
#include "steepest/ops/random_default.hpp"

namespace steepest::bindings {

namespace {

// The Python type name of an object, for error messages.
std::string type_name(const py::handle& h) { return Py_TYPE(h.ptr())->tp_name; }

// torch accepts seeds in [-2^63, 2^64); negative ones wrap modulo 2^64.
uint64_t seed_from(const py::handle& obj) {
  STEEPEST_CHECK(PyLong_Check(obj.ptr()) && !PyBool_Check(obj.ptr()), TypeError, "seed must be an int, got ",
                 type_name(obj));
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(obj.ptr(), &overflow);
  if (overflow == 0) return uint64_t(v);
  if (overflow > 0) {
    unsigned long long u = PyLong_AsUnsignedLongLong(obj.ptr());
    if (!PyErr_Occurred()) return uint64_t(u);
    PyErr_Clear();
  }
  throw ValueError(str("seed must be in [-2**63, 2**64), got ", std::string(py::str(obj))));
}

}  // namespace

Shape size_from_args(const char* op, const py::args& args, const py::object& size_kw) {
  py::object one;  // a single tuple/list argument (or size=) holds the sizes
  if (!size_kw.is_none()) {
    STEEPEST_CHECK(args.size() == 0, TypeError, op, "(): size given both positionally and as size=");
    one = size_kw;
  } else if (args.size() == 1 && !PyIndex_Check(args[0].ptr())) {
    one = args[0];
  }
  py::sequence items = args;
  if (one) {
    STEEPEST_CHECK(py::isinstance<py::sequence>(one) && !py::isinstance<py::str>(one), TypeError, op,
                   "(): argument 'size' must be a tuple of ints, but got ", type_name(one));
    items = py::reinterpret_borrow<py::sequence>(one);
  }
  Shape shape;
  for (size_t i = 0; i < items.size(); ++i) {
    py::object item = items[i];
    STEEPEST_CHECK(PyIndex_Check(item.ptr()) && !PyBool_Check(item.ptr()), TypeError, op,
                   "(): argument 'size' must be a tuple of ints, but found element of type ",
                   type_name(item), " at pos ", i);
    shape.push_back(item.cast<int64_t>());
  }
  return shape;
}

namespace {

TensorOptions opts(std::optional<DType> dtype, std::optional<Device> device, bool rg, DType fallback) {
  return TensorOptions(dtype.value_or(fallback), device.value_or(kCPU), rg);
}

Tensor state_tensor(const Generator& g) {
  Tensor s = Tensor::empty(Shape{2}, kInt64);
  s.data<int64_t>()[0] = int64_t(g.seed());
  s.data<int64_t>()[1] = int64_t(g.offset());
  return s;
}

void load_state(Generator& g, const Tensor& s) {
  STEEPEST_CHECK(s.dtype() == kInt64, TypeError, "set_state: expected an int64 state tensor (from get_state()), got ",
                 dtype_name(s.dtype()));
  STEEPEST_CHECK(s.shape() == Shape{2}, ValueError, "set_state: expected a state tensor of shape (2,), got ",
                 s.shape());
  Tensor c = contiguous(s);
  g.set_state(uint64_t(c.data<int64_t>()[0]), uint64_t(c.data<int64_t>()[1]));
}

}  // namespace

void bind_random(py::module_& m) {
  py::class_<Generator>(m, "Generator", "A Philox-4x32-10 random number generator (see st.manual_seed).")
      .def(py::init([](const py::object& device) {
             if (!device.is_none()) {
               Device d = py::isinstance<Device>(device) ? device.cast<Device>() : Device(device.cast<std::string>());
               STEEPEST_CHECK(d.is_cpu(), NotImplementedError, "Generator(device='", d.str(),
                              "'): this build of steepest has no CUDA backend");
             }
             return new Generator();
           }), py::arg("device") = "cpu")
      .def("manual_seed", [](Generator& g, const py::object& s) -> Generator& {
        g.manual_seed(seed_from(s));
        return g;
      }, py::arg("seed"), py::return_value_policy::reference, "Seeds the generator and rewinds it; returns it.")
      .def("seed", &Generator::nondeterministic_seed, "Seeds from OS entropy and returns the seed.")
      .def("initial_seed", &Generator::initial_seed)
      .def("get_state", &state_tensor, "The state as an int64 tensor [seed, offset].")
      .def("set_state", [](Generator& g, const Tensor& s) -> Generator& {
        load_state(g, s);
        return g;
      }, py::arg("new_state"), py::return_value_policy::reference)
      .def_property_readonly("device", [](const Generator&) { return kCPU; })
      .def_property_readonly("offset", &Generator::offset)
      .def("__repr__", [](const Generator& g) {
        return str("<steepest.Generator seed=", g.seed(), " offset=", g.offset(), ">");
      });
  // One Python object for the default generator, so st.manual_seed(0) is st.default_generator.
  m.attr("default_generator") = py::cast(&default_generator(), py::return_value_policy::reference);

  m.def("manual_seed", [m](const py::object& s) {
    manual_seed(seed_from(s));
    return m.attr("default_generator");
  }, py::arg("seed"), "Seeds the default generator (and rewinds it); returns it.");
  m.def("seed", [] { return default_generator().nondeterministic_seed(); },
        "Seeds the default generator from OS entropy and returns the seed.");
  m.def("initial_seed", [] { return default_generator().initial_seed(); });
  m.def("get_rng_state", [] { return state_tensor(default_generator()); },
        "The default generator's state as an int64 tensor [seed, offset] (save it in checkpoints).");
  m.def("set_rng_state", [](const Tensor& s) { load_state(default_generator(), s); }, py::arg("new_state"));

  auto gen_a = py::arg("generator") = py::none();
  auto dtype_a = py::arg("dtype") = py::none();
  auto device_a = py::arg("device") = py::none();
  auto rg_a = py::arg("requires_grad") = false;
  m.def("rand", [](const py::args& a, const py::object& size, Generator* g, std::optional<DType> d,
                   std::optional<Device> dev, bool rg) {
    return rand(size_from_args("rand", a, size), opts(d, dev, rg, default_dtype()), g);
  }, py::arg("size") = py::none(), gen_a, dtype_a, device_a, rg_a,
        "Uniform samples in [0, 1): st.rand(2, 3) or st.rand((2, 3)).");
  m.def("randn", [](const py::args& a, const py::object& size, Generator* g, std::optional<DType> d,
                    std::optional<Device> dev, bool rg) {
    return randn(size_from_args("randn", a, size), opts(d, dev, rg, default_dtype()), g);
  }, py::arg("size") = py::none(), gen_a, dtype_a, device_a, rg_a,
        "Standard normal samples: st.randn(2, 3) or st.randn((2, 3)).");
  m.def("randint", [](int64_t high, const Shape& size, Generator* g, std::optional<DType> d,
                      std::optional<Device> dev, bool rg) {
    return randint(0, high, size, opts(d, dev, rg, kInt64), g);
  }, py::arg("high"), py::arg("size"), py::kw_only(), gen_a, dtype_a, device_a, rg_a);
  m.def("randint", [](int64_t low, int64_t high, const Shape& size, Generator* g, std::optional<DType> d,
                      std::optional<Device> dev, bool rg) {
    return randint(low, high, size, opts(d, dev, rg, kInt64), g);
  }, py::arg("low"), py::arg("high"), py::arg("size"), py::kw_only(), gen_a, dtype_a, device_a, rg_a,
        "Integers drawn uniformly from [low, high): randint(high, size) or randint(low, high, size).");
  m.def("randperm", [](int64_t n, Generator* g, std::optional<DType> d, std::optional<Device> dev, bool rg) {
    return randperm(n, opts(d, dev, rg, kInt64), g);
  }, py::arg("n"), py::kw_only(), gen_a, dtype_a, device_a, rg_a, "A random permutation of 0..n-1.");
  m.def("normal", [](double mean, double sd, const Shape& size, Generator* g, std::optional<DType> d,
                     std::optional<Device> dev, bool rg) {
    Tensor t = empty(size, opts(d, dev, false, default_dtype()));
    normal_(t, mean, sd, g);
    if (rg) t.set_requires_grad(true);
    return t;
  }, py::arg("mean"), py::arg("std"), py::arg("size"), py::kw_only(), gen_a, dtype_a, device_a, rg_a);
  m.def("normal", [](const Tensor& mean, const Tensor& sd, Generator* g) { return normal(mean, sd, g); },
        py::arg("mean"), py::arg("std"), py::kw_only(), gen_a,
        "mean + std * z over the broadcast shape, z standard normal from generator= or else the default "
        "generator (st.manual_seed): the same seed gives the same samples everywhere.")
      .def("normal", [](const Tensor& mean, double sd, Generator* g) { return normal(mean, sd, g); },
           py::arg("mean"), py::arg("std") = 1.0, py::kw_only(), gen_a)
      .def("normal", [](double mean, const Tensor& sd, Generator* g) { return normal(mean, sd, g); },
           py::arg("mean"), py::arg("std"), py::kw_only(), gen_a);
  m.def("bernoulli", [](const Tensor& probs, std::optional<double> p, Generator* g) {
    if (!p) return bernoulli(probs, g);
    Tensor out = empty_like(probs);
    bernoulli_(out, *p, g);
    return out;
  }, py::arg("input"), py::arg("p") = py::none(), py::kw_only(), gen_a,
        "0/1 samples: with probability input[i] (or p when given), shaped like input.");

  m.def("rand_like", [](const Tensor& t, Generator* g, std::optional<DType> d, bool rg) {
    return rand(t.shape(), TensorOptions(d.value_or(t.dtype()), t.device(), rg), g);
  }, py::arg("input"), py::kw_only(), gen_a, dtype_a, rg_a);
  m.def("randn_like", [](const Tensor& t, Generator* g, std::optional<DType> d, bool rg) {
    return randn(t.shape(), TensorOptions(d.value_or(t.dtype()), t.device(), rg), g);
  }, py::arg("input"), py::kw_only(), gen_a, dtype_a, rg_a);
  m.def("randint_like", [](const Tensor& t, int64_t high, Generator* g, std::optional<DType> d, bool rg) {
    return randint(0, high, t.shape(), TensorOptions(d.value_or(t.dtype()), t.device(), rg), g);
  }, py::arg("input"), py::arg("high"), py::kw_only(), gen_a, dtype_a, rg_a);
  m.def("randint_like", [](const Tensor& t, int64_t low, int64_t high, Generator* g, std::optional<DType> d,
                           bool rg) {
    return randint(low, high, t.shape(), TensorOptions(d.value_or(t.dtype()), t.device(), rg), g);
  }, py::arg("input"), py::arg("low"), py::arg("high"), py::kw_only(), gen_a, dtype_a, rg_a);

  tensor_class(m)
      .def("uniform_", [](Tensor& t, double a, double b, Generator* g) { return uniform_(t, a, b, g); },
           py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(), gen_a)
      .def("normal_", [](Tensor& t, double mean, double sd, Generator* g) { return normal_(t, mean, sd, g); },
           py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), gen_a)
      .def("bernoulli_", [](Tensor& t, double p, Generator* g) { return bernoulli_(t, p, g); },
           py::arg("p") = 0.5, py::kw_only(), gen_a)
      // No kw_only marker here: before any positional argument it would make self keyword-only.
      .def("random_", [](Tensor& t, Generator* g) { return random_from_(t, 0, g); }, gen_a,
           "Integers in [0, top]: top = 2**digits for floating dtypes, the maximum for integers, 1 for bool.")
      .def("random_", [](Tensor& t, int64_t to, Generator* g) { return random_(t, 0, to, g); }, py::arg("to"),
           py::kw_only(), gen_a, "Integers in [0, to), written in place.")
      .def("random_", [](Tensor& t, int64_t a, std::optional<int64_t> b, Generator* g) {
        return b ? random_(t, a, *b, g) : random_from_(t, a, g);
      }, py::arg("from"), py::arg("to"), py::kw_only(), gen_a,
           "Integers in [from, to); to=None: from up to the dtype's top (as random_()), written in place.")
      .def("exponential_", [](Tensor& t, double l, Generator* g) { return exponential_(t, l, g); },
           py::arg("lambd") = 1.0, py::kw_only(), gen_a, "Exponential samples with rate lambd, in place.")
      .def("geometric_", [](Tensor& t, double p, Generator* g) { return geometric_(t, p, g); }, py::arg("p"),
           py::kw_only(), gen_a, "Geometric samples (trials to the first success, from 1), in place.")
      .def("cauchy_", [](Tensor& t, double m, double s, Generator* g) { return cauchy_(t, m, s, g); },
           py::arg("median") = 0.0, py::arg("sigma") = 1.0, py::kw_only(), gen_a, "Cauchy samples, in place.")
      .def("log_normal_", [](Tensor& t, double m, double s, Generator* g) { return log_normal_(t, m, s, g); },
           py::arg("mean") = 1.0, py::arg("std") = 2.0, py::kw_only(), gen_a,
           "exp of normal samples with this mean and std, in place.");
  auto multinomial_fn = [](const Tensor& p, int64_t n, bool replacement, Generator* g) {
    return multinomial(p, n, replacement, g);
  };
  m.def("multinomial", multinomial_fn, py::arg("input"), py::arg("num_samples"), py::arg("replacement") = false,
        py::kw_only(), gen_a, "num_samples category indices per row of non-negative weights (1-D or 2-D), drawn from generator= or "
        "else the default generator (st.manual_seed): the same seed gives the same samples everywhere.");
  tensor_class(m).def("multinomial", multinomial_fn, py::arg("num_samples"), py::arg("replacement") = false,
                      py::kw_only(), gen_a);
}

}  // namespace steepest::bindings
