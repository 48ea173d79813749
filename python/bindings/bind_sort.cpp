// Bindings for sorting and order statistics (steepest/ops/sort.hpp): st.sort/argsort/msort/
// topk/kthvalue/median/nanmedian/mode and their Tensor methods. (values, indices) pairs
// become namedtuples in steepest.return_types, like torch.return_types.sort.
#include "bind.hpp"

namespace steepest::bindings {

void bind_sort(py::module_& m) {
  py::module_ rt = m.attr("return_types");
  py::object namedtuple = py::module_::import("collections").attr("namedtuple");
  auto make = [&](const char* name) {
    py::object t = namedtuple(name, py::make_tuple("values", "indices"), py::arg("module") = "steepest.return_types");
    rt.attr(name) = t;
    return t;
  };
  py::object sort_t = make("sort"), topk_t = make("topk"), kth_t = make("kthvalue"), median_t = make("median"),
             nanmedian_t = make("nanmedian"), mode_t = make("mode");
  auto wrap = [](const py::object& type, const std::pair<Tensor, Tensor>& r) {
    return type(py::cast(r.first), py::cast(r.second));
  };

  auto sort_fn = [=](const Tensor& t, int64_t dim, bool descending, bool stable) {
    return wrap(sort_t, sort(t, dim, descending, stable));
  };
  auto argsort_fn = [](const Tensor& t, int64_t dim, bool descending, bool stable) {
    return argsort(t, dim, descending, stable);
  };
  auto topk_fn = [=](const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
    return wrap(topk_t, topk(t, k, dim, largest, sorted));
  };
  auto kth_fn = [=](const Tensor& t, int64_t k, int64_t dim, bool keepdim) {
    return wrap(kth_t, kthvalue(t, k, dim, keepdim));
  };
  auto median_fn = [=](bool nan) {
    return [=](const Tensor& t, std::optional<int64_t> dim, bool keepdim) -> py::object {
      if (!dim) {
        STEEPEST_CHECK(!keepdim, TypeError, nan ? "nanmedian" : "median", "(): keepdim needs dim");
        return py::cast(nan ? nanmedian(t) : median(t));
      }
      return nan ? wrap(nanmedian_t, nanmedian(t, *dim, keepdim)) : wrap(median_t, median(t, *dim, keepdim));
    };
  };
  auto mode_fn = [=](const Tensor& t, int64_t dim, bool keepdim) { return wrap(mode_t, mode(t, dim, keepdim)); };
  auto msort_fn = [](const Tensor& t) { return msort(t); };

  TensorClass cls = tensor_class(m);
  m.def("sort", sort_fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
        py::arg("stable") = false, "Sorted values and their indices along dim (stable; NaN last).");
  cls.def("sort", sort_fn, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
          py::arg("stable") = false);
  m.def("argsort", argsort_fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false,
        py::kw_only(), py::arg("stable") = false, "The indices that sort input along dim.");
  cls.def("argsort", argsort_fn, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
          py::arg("stable") = false);
  m.def("msort", msort_fn, py::arg("input"), "input sorted along dim 0.");
  cls.def("msort", msort_fn);
  m.def("topk", topk_fn, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true,
        py::arg("sorted") = true, "The k largest (largest=False: smallest) values along dim and their indices.");
  cls.def("topk", topk_fn, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true);
  m.def("kthvalue", kth_fn, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false,
        "The k-th smallest value along dim (k from 1) and its index.");
  cls.def("kthvalue", kth_fn, py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false);
  for (bool nan : {false, true}) {
    const char* name = nan ? "nanmedian" : "median";
    m.def(name, median_fn(nan), py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
          nan ? "The lower median ignoring NaN, of all elements or along dim (with its index)."
              : "The lower median, of all elements or along dim (with its index); NaN if a NaN is present.");
    cls.def(name, median_fn(nan), py::arg("dim") = py::none(), py::arg("keepdim") = false);
  }
  m.def("mode", mode_fn, py::arg("input"), py::arg("dim") = -1, py::arg("keepdim") = false,
        "The most frequent value along dim (the smallest of a tie) and the index of its last occurrence.");
  cls.def("mode", mode_fn, py::arg("dim") = -1, py::arg("keepdim") = false);
}

}  // namespace steepest::bindings
