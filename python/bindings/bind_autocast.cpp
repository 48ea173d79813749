// Bindings of autocast's thread-local state and cast cache (steepest/autocast.hpp); the
// context manager is steepest.amp.autocast.
#include "bind.hpp"
#include "steepest/autocast.hpp"

namespace steepest::bindings {

namespace {

// autocast's device_type: "cpu" or "cuda" (RuntimeError otherwise, as torch's).
DeviceType autocast_device(const std::string& s) {
  if (s == "cpu") return DeviceType::CPU;
  if (s == "cuda") return DeviceType::CUDA;
  throw Error(str("autocast: expected device_type 'cpu' or 'cuda', but got '", s, "'"));
}

autocast::Policy policy_of(const std::string& s) {
  if (s == "lower_precision") return autocast::Policy::LowerPrecision;
  if (s == "float32") return autocast::Policy::Float32;
  if (s == "promote") return autocast::Policy::Promote;
  throw ValueError(str("autocast: unknown policy '", s, "' (expected 'lower_precision', 'float32' or 'promote')"));
}

}  // namespace

void bind_autocast(py::module_& m) {
  namespace ac = autocast;
  m.def("_autocast_is_enabled", [](const std::string& d) { return ac::is_enabled(autocast_device(d)); },
        py::arg("device_type"));
  m.def("_autocast_set_enabled", [](const std::string& d, bool on) { ac::set_enabled(autocast_device(d), on); },
        py::arg("device_type"), py::arg("enabled"));
  m.def("_autocast_get_dtype", [](const std::string& d) { return ac::get_dtype(autocast_device(d)); },
        py::arg("device_type"));
  m.def("_autocast_set_dtype", [](const std::string& d, DType t) { ac::set_dtype(autocast_device(d), t); },
        py::arg("device_type"), py::arg("dtype"));
  m.def("_autocast_is_cache_enabled", &ac::is_cache_enabled);
  m.def("_autocast_set_cache_enabled", &ac::set_cache_enabled, py::arg("enabled"));
  m.def("_autocast_increment_nesting", &ac::increment_nesting);
  m.def("_autocast_decrement_nesting", &ac::decrement_nesting);
  m.def("_autocast_clear_cache", &ac::clear_cache);
  m.def("_autocast_cache_size", &ac::cache_size);
  // The policy applied to the tensor arguments of an op written in Python (a composition of
  // core ops, such as prelu or the composite losses): the tensors as the op should use them.
  m.def(
      "_autocast_args",
      [](const std::string& policy, const std::vector<std::optional<Tensor>>& ts) {
        std::vector<Tensor> in;
        in.reserve(ts.size());
        for (const auto& t : ts) in.push_back(t ? *t : Tensor());
        std::vector<std::optional<Tensor>> out;
        for (const Tensor& t : ac::apply_policy(policy_of(policy), in)) out.push_back(t.defined() ? std::optional<Tensor>(t) : std::nullopt);
        return out;
      },
      py::arg("policy"), py::arg("tensors"));
}

}  // namespace steepest::bindings
