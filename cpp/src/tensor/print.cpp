// Tensor::repr: prints exactly what torch prints for the same tensor (with "torch."
// spelled "steepest."): precision 4, integer-valued floats as "1.", scientific mode when
// the magnitudes ask for it, summarisation with "..." above 1000 elements, wrapping at 80.
#include "steepest/autograd.hpp"
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "dispatch/device_copy.hpp"
#include "dispatch/stub.hpp"
#include "steepest/ops/device.hpp"
#include "steepest/tensor.hpp"

namespace steepest {

namespace {

// torch's default print options.
constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;  // more elements than this: summarise
constexpr int64_t kEdgeItems = 3;     // items kept at each end of a summarised dim
constexpr int kLineWidth = 80;

std::string printf_double(const char* fmt, double v) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, kPrecision, v);
  return buf;
}

// Integer-valued floats print with a trailing dot: "3.".
std::string int_str(double v) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.0f.", v);
  return buf;
}

double as_double(DType dt, const char* p) {
  return visit_dtype_float8(dt, [&](auto z) -> double { return double(*reinterpret_cast<const decltype(z)*>(p)); });
}

// Calls fn(p) for every element that will be printed (all of them, or the edges of each
// summarised dim), in order.
template <class Fn>
void for_printed(const Tensor& t, bool summarize, int64_t dim, const char* p, const Fn& fn) {
  if (dim == t.dim()) { fn(p); return; }
  // A dim of one element is never stepped over: its (maybe huge) stride is not scaled.
  int64_t n = t.shape()[size_t(dim)], step = n > 1 ? t.strides()[size_t(dim)] * int64_t(t.itemsize()) : 0;
  bool cut = summarize && n > 2 * kEdgeItems;
  for (int64_t i = 0; i < n; ++i) {
    if (cut && i == kEdgeItems) i = n - kEdgeItems;
    for_printed(t, summarize, dim + 1, p + i * step, fn);
  }
}

// One width and one style for all elements, chosen from the printed values (torch's
// _Formatter): floats pick integer mode, fixed 4 decimals or scientific notation.
class Formatter {
 public:
  Formatter(const Tensor& t, bool summarize) : dtype_(t.dtype()), floating_(is_floating(t.dtype())) {
    const char* base = static_cast<const char*>(t.data_ptr());
    if (!floating_) {
      for_printed(t, summarize, 0, base, [&](const char* p) { width_ = std::max(width_, raw(p).size()); });
      return;
    }
    std::vector<double> vals;  // the nonzero finite ones decide the style
    for_printed(t, summarize, 0, base, [&](const char* p) {
      double v = as_double(dtype_, p);
      if (std::isfinite(v) && v != 0) vals.push_back(v);
    });
    if (vals.empty()) return;
    double lo = INFINITY, hi = 0;
    for (double v : vals) {
      if (v != std::ceil(v)) int_mode_ = false;
      lo = std::min(lo, std::fabs(v));
      hi = std::max(hi, std::fabs(v));
    }
    sci_ = hi / lo > 1000.0 || hi > 1.0e8 || lo < 1.0e-4;
    for (double v : vals) {
      size_t w = sci_ ? printf_double("%.*e", v).size() : int_mode_ ? int_str(v).size() : printf_double("%.*f", v).size();
      width_ = std::max(width_, w);
    }
  }

  size_t width() const { return width_; }

  std::string format(const char* p) const {
    std::string s = raw(p);
    return s.size() < width_ ? std::string(width_ - s.size(), ' ') + s : s;
  }

 private:
  std::string raw(const char* p) const {
    if (!floating_) {
      if (dtype_ == kBool) return *reinterpret_cast<const bool*>(p) ? "True" : "False";
      int64_t v = dtype_ == kInt32 ? *reinterpret_cast<const int32_t*>(p) : *reinterpret_cast<const int64_t*>(p);
      return std::to_string(v);
    }
    double v = as_double(dtype_, p);
    if (std::isnan(v)) return "nan";  // Python never prints "-nan"
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (sci_) return printf_double("%.*e", v);
    if (int_mode_) return int_str(v);
    return printf_double("%.*f", v);
  }

  DType dtype_;
  bool floating_;
  bool int_mode_ = true, sci_ = false;
  size_t width_ = 1;
};

class Printer {
 public:
  Printer(const Tensor& t, bool summarize) : t_(t), summarize_(summarize), f_(t, summarize) {}

  std::string str(int64_t dim, const char* p, int indent) const {
    int64_t nd = t_.dim() - dim;
    if (nd == 0) return f_.format(p);
    int64_t n = t_.shape()[size_t(dim)], step = n > 1 ? t_.strides()[size_t(dim)] * int64_t(t_.itemsize()) : 0;
    bool cut = summarize_ && n > 2 * kEdgeItems;
    std::vector<std::string> items;
    for (int64_t i = 0; i < n; ++i) {
      if (cut && i == kEdgeItems) {
        items.push_back(nd == 1 ? " ..." : "...");
        i = n - kEdgeItems;
      }
      items.push_back(nd == 1 ? f_.format(p + i * step) : str(dim + 1, p + i * step, indent + 1));
    }
    std::string out = "[";
    if (nd == 1) {
      // As many elements per line as fit in the line width after the indent.
      double room = double(kLineWidth - indent) / double(f_.width() + 2);
      size_t per_line = size_t(std::max(1.0, std::floor(room)));
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += i % per_line == 0 ? ",\n" + std::string(size_t(indent + 1), ' ') : ", ";
        out += items[i];
      }
    } else {
      std::string sep = "," + std::string(size_t(nd - 1), '\n') + std::string(size_t(indent + 1), ' ');
      for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
    }
    return out + "]";
  }

 private:
  const Tensor& t_;
  bool summarize_;
  Formatter f_;
};

// Appends ", suffix" or, when the line would pass the width, ",\n<indent>suffix" (torch's
// _add_suffixes). Lengths are measured as torch measures its own text, where our
// "steepest." is "torch.": the layout is then torch's exactly, whatever it holds.
std::string add_suffixes(std::string s, const std::vector<std::string>& suffixes, int indent) {
  auto nl = s.rfind('\n');
  size_t last = nl == std::string::npos ? s.size() + 2 : s.size() - nl + 1;
  for (const std::string& suf : suffixes) {
    size_t len = suf.size();
    if (suf.find("steepest.") != std::string::npos) len -= std::string("steepest.").size() - std::string("torch.").size();
    if (last + len + 2 > size_t(kLineWidth)) {
      s += ",\n" + std::string(size_t(indent), ' ') + suf;
      last = size_t(indent) + len;
    } else {
      s += ", " + suf;
      last += len + 2;
    }
  }
  return s + ")";
}

}  // namespace

std::string Tensor::repr() const {
  const std::string prefix = "tensor(";
  const int indent = int(prefix.size());
  std::vector<std::string> suffixes;
  std::string body;
  // A device tensor prints its values from a host copy (when the build can make one).
  const bool on_host = dispatch::readable_on_host(*this);
  const bool copyable = !on_host && dispatch::device_copy_stub().has(device().type);
  if (!on_host) suffixes.push_back("device='" + device().str() + "'");
  std::string dtype_suffix = std::string("dtype=steepest.") + dtype_name(dtype());
  if (!on_host && !copyable) {
    body = "<" + std::to_string(numel()) + " elements>";
    if (dtype() != default_dtype()) suffixes.push_back(dtype_suffix);
  } else if (numel() == 0) {
    // Empty: the shape can't be read from the brackets (unless 1-d), nor the dtype.
    if (dim() != 1) suffixes.push_back("size=" + str(shape()));
    if (dtype() != default_dtype()) suffixes.push_back(dtype_suffix);
    body = "[]";
  } else {
    if (!(dtype() == default_dtype() || dtype() == kInt64 || dtype() == kBool)) suffixes.push_back(dtype_suffix);
    const Tensor host = on_host ? *this : to_device(detach(), kCPU);
    Printer pr(host, numel() > kThreshold);
    body = pr.str(0, static_cast<const char*>(host.data_ptr()), indent);
  }
  if (auto fn = grad_fn()) suffixes.push_back(std::string("grad_fn=<") + fn->name() + ">");
  else if (requires_grad()) suffixes.push_back("requires_grad=True");
  return add_suffixes(prefix + body, suffixes, indent);
}

}  // namespace steepest
