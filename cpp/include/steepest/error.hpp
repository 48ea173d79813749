// Exception types of the steepest API and the checks that raise them. The Python bindings
// map each type to the matching Python exception (ValueError, TypeError, IndexError, ...).
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace steepest {

struct Error : std::runtime_error { using std::runtime_error::runtime_error; };
struct ValueError : Error { using Error::Error; };          // bad value or shape
struct TypeError : Error { using Error::Error; };           // bad dtype or argument type
struct IndexError : Error { using Error::Error; };          // index out of range
struct NotImplementedError : Error { using Error::Error; };  // valid request this build can't serve

// The system call call() failed with errno error_number() on path() (Python: OSError, so a
// missing file is a FileNotFoundError and a refused one a PermissionError, as open() raises).
struct OSError : Error {
  OSError(const std::string& what, std::string call, int error_number, std::string path)
      : Error(what), call_(std::move(call)), error_number_(error_number), path_(std::move(path)) {}
  const std::string& call() const { return call_; }
  int error_number() const { return error_number_; }
  const std::string& path() const { return path_; }

 private:
  std::string call_;
  int error_number_;
  std::string path_;
};

namespace detail {
inline void str_into(std::ostringstream&) {}
template <class T, class... Rest>
void str_into(std::ostringstream& os, const T& x, const Rest&... rest) {
  os << x;
  str_into(os, rest...);
}
}  // namespace detail

// Concatenates anything printable into a string: str("shape ", s, " bad").
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  detail::str_into(os, args...);
  return os.str();
}

}  // namespace steepest

// STEEPEST_CHECK(cond, ValueError, "message parts", ...) throws steepest::ValueError(str(...)).
#define STEEPEST_CHECK(cond, Kind, ...) \
  do {                                  \
    if (!(cond)) throw ::steepest::Kind(::steepest::str(__VA_ARGS__)); \
  } while (0)

// For calls into outside libraries (BLAS, CUDA, MPI, files): names the call, file and line.
#define STEEPEST_CHECK_CALL(ok, call_text, detail_text)                                  \
  do {                                                                                  \
    if (!(ok))                                                                          \
      throw ::steepest::Error(::steepest::str(call_text, " failed at ", __FILE__, ":",  \
                                              __LINE__, ": ", detail_text));           \
  } while (0)
