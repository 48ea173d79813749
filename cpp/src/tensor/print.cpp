// Tensor::repr: torch-like printing (tensor([...]), dtype suffix when not the default).
#include <cmath>
#include <cstdio>
#include <sstream>

#include "steepest/tensor.hpp"

namespace steepest {

namespace {

struct Formatter {
  bool floating = false, sci = false, int_valued = true;
  int width = 1;
  std::string fmt(double v) const {
    char buf[64];
    if (!floating) std::snprintf(buf, sizeof buf, "%lld", (long long)v);
    else if (std::isnan(v)) std::snprintf(buf, sizeof buf, "nan");
    else if (std::isinf(v)) std::snprintf(buf, sizeof buf, v > 0 ? "inf" : "-inf");
    else if (sci) std::snprintf(buf, sizeof buf, "%.4e", v);
    else if (int_valued) std::snprintf(buf, sizeof buf, "%.0f.", v);
    else std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
  }
};

double value_at(const Tensor& t, const char* p) {
  return visit_dtype(t.dtype(), [&](auto z) -> double { return double(*reinterpret_cast<const decltype(z)*>(p)); });
}

void collect(const Tensor& t, int64_t dim, const char* p, std::vector<double>& out) {
  if (dim == t.dim()) { out.push_back(value_at(t, p)); return; }
  int64_t n = t.shape()[size_t(dim)], st = t.strides()[size_t(dim)] * int64_t(t.itemsize());
  bool summarize = t.numel() > 1000 && n > 6;
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && i == 3) i = n - 3;
    collect(t, dim + 1, p + i * st, out);
  }
}

void emit(std::ostringstream& os, const Tensor& t, int64_t dim, const char* p, const Formatter& f, int indent) {
  if (dim == t.dim()) {
    std::string s = f.fmt(value_at(t, p));
    os << std::string(size_t(std::max<int>(0, f.width - int(s.size()))), ' ') << s;
    return;
  }
  int64_t n = t.shape()[size_t(dim)], st = t.strides()[size_t(dim)] * int64_t(t.itemsize());
  bool summarize = t.numel() > 1000 && n > 6;
  os << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && i == 3) {
      os << (dim + 1 == t.dim() ? " ..., " : std::string("...,\n") + std::string(size_t(indent + 1), ' '));
      i = n - 3;
    }
    emit(os, t, dim + 1, p + i * st, f, indent + 1);
    if (i + 1 < n) {
      if (dim + 1 == t.dim()) os << ", ";
      else os << ',' << std::string(size_t(t.dim() - dim - 1), '\n') << std::string(size_t(indent + 1), ' ');
    }
  }
  os << ']';
}

}  // namespace

std::string Tensor::repr() const {
  std::ostringstream os;
  os << "tensor(";
  if (!device().is_cpu()) {
    os << "<" << numel() << " elements on " << device().str() << ">";
  } else {
    Formatter f;
    f.floating = is_floating(dtype());
    std::vector<double> vals;
    collect(*this, 0, static_cast<const char*>(data_ptr()), vals);
    double maxabs = 0, minabs = INFINITY;
    for (double v : vals) {
      if (!std::isfinite(v)) continue;
      if (v != std::floor(v)) f.int_valued = false;
      maxabs = std::max(maxabs, std::fabs(v));
      if (v != 0) minabs = std::min(minabs, std::fabs(v));
    }
    if (f.floating && !f.int_valued && (maxabs >= 1e8 || (minabs < 1e-4 && minabs > 0) || (maxabs / minabs > 1000 && minabs < 1e-4)))
      f.sci = true;
    if (f.floating && f.int_valued && maxabs >= 1e8) f.sci = true;
    for (double v : vals) f.width = std::max(f.width, int(f.fmt(v).size()));
    if (numel() == 0 && dim() <= 1) os << "[]";
    else emit(os, *this, 0, static_cast<const char*>(data_ptr()), f, 7);
  }
  bool show_dtype = !(dtype() == default_dtype() || dtype() == kInt64 || dtype() == kBool) || (numel() == 0 && dtype() != default_dtype());
  if (numel() == 0 && dim() > 1) os << ", size=" << shape();
  if (show_dtype) os << ", dtype=steepest." << dtype_name(dtype());
  if (requires_grad()) os << ", requires_grad=True";
  os << ')';
  return os.str();
}

}  // namespace steepest
