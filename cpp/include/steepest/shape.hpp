// Shape and strides: a small vector of int64 that keeps up to 6 dims inline, so creating a
// tensor of ordinary rank allocates nothing for its sizes (per-op overhead matters).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <ostream>
#include <vector>

namespace steepest {

class Shape {
 public:
  static constexpr int kInline = 6;
  using value_type = int64_t;
  using iterator = int64_t*;
  using const_iterator = const int64_t*;

  Shape() = default;
  Shape(std::initializer_list<int64_t> il) { assign(il.begin(), il.end()); }
  explicit Shape(size_t n, int64_t fill = 0) { resize(n, fill); }
  template <class It, class = decltype(*std::declval<It>())>
  Shape(It first, It last) { assign(first, last); }
  Shape(const std::vector<int64_t>& v) { assign(v.begin(), v.end()); }
  Shape(const Shape& o) { assign(o.begin(), o.end()); }
  Shape(Shape&& o) noexcept { move_from(o); }
  Shape& operator=(const Shape& o) { if (this != &o) { size_ = 0; assign(o.begin(), o.end()); } return *this; }
  Shape& operator=(Shape&& o) noexcept { if (this != &o) { release(); move_from(o); } return *this; }
  ~Shape() { release(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t* data() { return ptr(); }
  const int64_t* data() const { return ptr(); }
  int64_t& operator[](size_t i) { return ptr()[i]; }
  int64_t operator[](size_t i) const { return ptr()[i]; }
  int64_t& back() { return ptr()[size_ - 1]; }
  int64_t back() const { return ptr()[size_ - 1]; }
  iterator begin() { return ptr(); }
  iterator end() { return ptr() + size_; }
  const_iterator begin() const { return ptr(); }
  const_iterator end() const { return ptr() + size_; }

  void push_back(int64_t v) { reserve(size_ + 1); ptr()[size_++] = v; }
  void pop_back() { --size_; }
  void clear() { size_ = 0; }
  void resize(size_t n, int64_t fill = 0) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) ptr()[i] = fill;
    size_ = n;
  }
  void insert(size_t pos, int64_t v) {
    reserve(size_ + 1);
    int64_t* p = ptr();
    std::memmove(p + pos + 1, p + pos, (size_ - pos) * sizeof(int64_t));
    p[pos] = v;
    ++size_;
  }
  void erase(size_t pos) {
    int64_t* p = ptr();
    std::memmove(p + pos, p + pos + 1, (size_ - pos - 1) * sizeof(int64_t));
    --size_;
  }
  std::vector<int64_t> vec() const { return std::vector<int64_t>(begin(), end()); }

  bool operator==(const Shape& o) const {
    return size_ == o.size_ && std::equal(begin(), end(), o.begin());
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  int64_t* ptr() { return heap_ ? heap_ : inline_; }
  const int64_t* ptr() const { return heap_ ? heap_ : inline_; }
  template <class It>
  void assign(It first, It last) {
    size_t n = size_t(std::distance(first, last));
    reserve(n);
    std::copy(first, last, ptr());
    size_ = n;
  }
  void reserve(size_t n) {
    if (n <= capacity_) return;
    size_t cap = std::max<size_t>(n, capacity_ * 2);
    int64_t* fresh = new int64_t[cap];
    std::copy(ptr(), ptr() + size_, fresh);
    delete[] heap_;
    heap_ = fresh;
    capacity_ = cap;
  }
  void release() { delete[] heap_; heap_ = nullptr; capacity_ = kInline; size_ = 0; }
  void move_from(Shape& o) {
    if (o.heap_) {
      heap_ = o.heap_; capacity_ = o.capacity_; size_ = o.size_;
      o.heap_ = nullptr; o.capacity_ = kInline; o.size_ = 0;
    } else {
      heap_ = nullptr; capacity_ = kInline; size_ = 0;
      assign(o.begin(), o.end());
    }
  }

  int64_t* heap_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = kInline;
  int64_t inline_[kInline];
};

using Strides = Shape;

// Prints like Python's tuple repr: (3, 4), (5,), ().
inline std::ostream& operator<<(std::ostream& os, const Shape& s) {
  os << '(';
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ',';
  return os << ')';
}

// Element count of a shape that is known to be valid (a tensor's: every tensor's shape passed
// checked_numel when it was made). Sizes that come from a caller go through checked_numel.
inline int64_t numel_of(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// ---- checked shape arithmetic ----------------------------------------------------------
// Every size, stride and offset a caller can choose passes through these before memory is
// sized or addressed from it: a product that overflowed would wrap to a small (or negative)
// count, and kernels would then read or write outside their buffer. All three raise
// steepest::Error with torch's wording.

// The element count of `shape`; "numel: integer multiplication overflow" when the product of
// its nonzero sizes exceeds int64. (Zero sizes don't excuse the rest: contiguous strides are
// such products, so every stride of a valid shape fits too.)
int64_t checked_numel(const Shape& shape);

// The bytes a contiguous tensor of `shape` needs; "Storage size calculation overflowed with
// sizes=[...]" when the product of its sizes, taken in order, or that times itemsize exceeds
// int64 (as torch: (2^62, 0) is fine, (2^62, 4, 0) is not).
int64_t contiguous_nbytes(const Shape& shape, size_t itemsize);

// The element positions a strided view reaches, counted from the start of its storage: every
// element of the view lies in [lo, hi]. `empty` when the view has no elements (then lo = hi =
// offset). "Storage size calculation overflowed with sizes=[...] and strides=[...]" when
// (hi + 1) * itemsize exceeds int64.
struct ViewReach {
  int64_t lo, hi;
  bool empty;
};
ViewReach view_reach(const Shape& shape, const Strides& strides, int64_t offset, size_t itemsize);

// Row-major (C-order) strides, in elements.
inline Strides contiguous_strides(const Shape& s) {
  Strides st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  return st;
}

}  // namespace steepest
