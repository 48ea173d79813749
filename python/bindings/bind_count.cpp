// Bindings for counting and binning (steepest/ops/count.hpp): st.bincount/histc/
// searchsorted/bucketize and their Tensor methods.
#include "bind.hpp"

namespace steepest::bindings {

namespace {

// torch's side= ('left'/'right') must agree with right= when both are given.
bool right_of(bool right, const std::optional<std::string>& side) {
  if (!side) return right;
  STEEPEST_CHECK(*side == "left" || *side == "right", ValueError,
                 "searchsorted: side can only be 'left' or 'right', got '", *side, "'");
  bool r = *side == "right";
  STEEPEST_CHECK(!right || r, ValueError, "searchsorted: side and right can't be set to opposites, got side of ",
                 *side, " while right was True");
  return r;
}

}  // namespace

void bind_count(py::module_& m) {
  TensorClass cls = tensor_class(m);
  auto bincount_fn = [](const Tensor& x, const std::optional<Tensor>& w, int64_t minlength) {
    return bincount(x, w, minlength);
  };
  m.def("bincount", bincount_fn, py::arg("input"), py::arg("weights") = py::none(), py::arg("minlength") = 0,
        "Occurrences of each non-negative integer in a 1-D tensor (or summed weights).");
  cls.def("bincount", bincount_fn, py::arg("weights") = py::none(), py::arg("minlength") = 0);
  auto histc_fn = [](const Tensor& x, int64_t bins, double lo, double hi) { return histc(x, bins, lo, hi); };
  m.def("histc", histc_fn, py::arg("input"), py::arg("bins") = 100, py::arg("min") = 0, py::arg("max") = 0,
        "A histogram with `bins` equal bins over [min, max] (both 0: the data's range).");
  cls.def("histc", histc_fn, py::arg("bins") = 100, py::arg("min") = 0, py::arg("max") = 0);
  auto search_t = [](const Tensor& s, const Tensor& v, bool out_int32, bool right,
                     const std::optional<std::string>& side, const std::optional<Tensor>& sorter) {
    return searchsorted(s, v, out_int32, right_of(right, side), sorter);
  };
  auto search_s = [](const Tensor& s, Scalar v, bool out_int32, bool right, const std::optional<std::string>& side,
                     const std::optional<Tensor>& sorter) {
    Tensor vt = scalar_tensor(v, s.dtype());
    return searchsorted(s, vt, out_int32, right_of(right, side), sorter);
  };
  for (auto f : {+search_t}) {
    m.def("searchsorted", f, py::arg("sorted_sequence"), py::arg("input"), py::kw_only(), py::arg("out_int32") = false,
          py::arg("right") = false, py::arg("side") = py::none(), py::arg("sorter") = py::none(),
          "Indices where input's values would be inserted into sorted_sequence's last dim to keep it sorted.");
  }
  m.def("searchsorted", search_s, py::arg("sorted_sequence"), py::arg("input"), py::kw_only(),
        py::arg("out_int32") = false, py::arg("right") = false, py::arg("side") = py::none(),
        py::arg("sorter") = py::none());
  auto bucketize_t = [](const Tensor& x, const Tensor& b, bool out_int32, bool right) {
    return bucketize(x, b, out_int32, right);
  };
  auto bucketize_s = [](Scalar x, const Tensor& b, bool out_int32, bool right) {
    return bucketize(scalar_tensor(x, b.dtype()), b, out_int32, right);
  };
  m.def("bucketize", bucketize_t, py::arg("input"), py::arg("boundaries"), py::kw_only(), py::arg("out_int32") = false,
        py::arg("right") = false, "The index of the bucket (given by 1-D boundaries) each element falls into.")
      .def("bucketize", bucketize_s, py::arg("input"), py::arg("boundaries"), py::kw_only(),
           py::arg("out_int32") = false, py::arg("right") = false);
  cls.def("bucketize", bucketize_t, py::arg("boundaries"), py::kw_only(), py::arg("out_int32") = false,
          py::arg("right") = false);
}

}  // namespace steepest::bindings
