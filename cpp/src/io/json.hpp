// A small strict JSON reader and writer for safetensors headers (RFC 8259: no comments, no
// trailing commas, no NaN, valid UTF-8, no duplicate keys), so the core needs no JSON library.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace steepest::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text;  // the string's value (decoded), or a number's lexeme as written
  std::vector<Value> items;                            // Array
  std::vector<std::pair<std::string, Value>> members;  // Object, in document order

  bool is(Kind k) const { return kind == k; }
};

// Name of a kind for error messages: "an object", "a string", ...
const char* kind_name(Value::Kind k);

// Parses one JSON document spanning [data, data + n); whitespace may surround it. Throws
// ValueError("at byte K: <problem>") for anything RFC 8259 does not allow, duplicate object
// keys, or nesting deeper than 64 levels.
Value parse(const char* data, size_t n);

// The value of a number that is a non-negative integer no larger than `max`; ValueError
// ("<what> must be ...") otherwise.
uint64_t to_uint(const Value& v, uint64_t max, const std::string& what);

// True when `s` is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_utf8(const std::string& s);

// `s` as a quoted JSON string (", \ and control characters escaped; UTF-8 kept as is).
std::string quote(const std::string& s);

}  // namespace steepest::json
