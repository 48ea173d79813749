// The strict JSON reader and writer behind the safetensors header (see json.hpp): a
// recursive-descent parser that reports the byte where a document first goes wrong.
#include "io/json.hpp"

#include <cstdio>
#include <unordered_set>

#include "steepest/error.hpp"

namespace steepest::json {

namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kLinearScan = 16;  // objects up to this size check duplicate keys by a scan

// Length of the UTF-8 sequence starting at p[0] (at most `left` bytes available), or 0 when
// it is not a valid, shortest-form encoding of a scalar value.
size_t utf8_length(const unsigned char* p, size_t left) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
  else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
  else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
  else return 0;
  if (left < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xc0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += char(0xe0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  } else {
    out += char(0xf0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3f));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  }
}

class Parser {
 public:
  Parser(const char* data, size_t n) : p_(reinterpret_cast<const unsigned char*>(data)), n_(n) {}

  Value document() {
    skip_ws();
    Value v = value(0);
    skip_ws();
    if (i_ != n_) fail("unexpected ", describe(), " after the end of the document");
    return v;
  }

 private:
  const unsigned char* p_;
  size_t n_;
  size_t i_ = 0;

  template <class... A>
  [[noreturn]] void fail(const A&... parts) const {
    throw ValueError(str("at byte ", i_, ": ", parts...));
  }

  // The byte at the cursor, for messages: 'x', byte 0x07, or "the end of the input".
  std::string describe() const {
    if (i_ >= n_) return "end of the input";
    unsigned char c = p_[i_];
    if (c >= 0x20 && c < 0x7f) return str("character '", char(c), "'");
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", c);
    return str("byte ", buf);
  }

  void skip_ws() {
    while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\t' || p_[i_] == '\n' || p_[i_] == '\r')) ++i_;
  }

  void expect(char c, const char* context) {
    if (i_ >= n_ || p_[i_] != static_cast<unsigned char>(c))
      fail("expected '", c, "' ", context, ", found ", describe());
    ++i_;
  }

  void literal(const char* word) {
    for (const char* w = word; *w; ++w, ++i_)
      if (i_ >= n_ || p_[i_] != static_cast<unsigned char>(*w)) fail("invalid literal (expected '", word, "')");
  }

  Value value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than ", kMaxDepth, " levels");
    if (i_ >= n_) fail("expected a value, found the end of the input");
    Value v;
    switch (p_[i_]) {
      case '{': v.kind = Value::Kind::Object; object(v, depth); break;
      case '[': v.kind = Value::Kind::Array; array(v, depth); break;
      case '"': v.kind = Value::Kind::String; v.text = string(); break;
      case 't': literal("true"); v.kind = Value::Kind::Bool; v.boolean = true; break;
      case 'f': literal("false"); v.kind = Value::Kind::Bool; break;
      case 'n': literal("null"); break;
      default:
        if (p_[i_] == '-' || (p_[i_] >= '0' && p_[i_] <= '9')) {
          v.kind = Value::Kind::Number;
          v.text = number();
        } else {
          fail("expected a value, found ", describe());
        }
    }
    return v;
  }

  [[noreturn]] void duplicate(size_t key_at, const std::string& key) {
    i_ = key_at;
    fail("duplicate key ", quote(key));
  }

  void object(Value& v, int depth) {
    ++i_;  // '{'
    std::unordered_set<std::string> seen;
    skip_ws();
    if (i_ < n_ && p_[i_] == '}') { ++i_; return; }
    for (;;) {
      skip_ws();
      if (i_ >= n_ || p_[i_] != '"') fail("expected a string key, found ", describe());
      size_t key_at = i_;
      std::string key = string();
      // A hash set keeps the duplicate check linear in the number of keys (a header can hold
      // hundreds of thousands); it is built only for objects with more than a few members.
      if (v.members.size() < kLinearScan) {
        for (const auto& m : v.members)
          if (m.first == key) duplicate(key_at, key);
      } else {
        if (seen.empty())
          for (const auto& m : v.members) seen.insert(m.first);
        if (!seen.insert(key).second) duplicate(key_at, key);
      }
      skip_ws();
      expect(':', "after an object key");
      skip_ws();
      v.members.emplace_back(std::move(key), value(depth + 1));
      skip_ws();
      if (i_ < n_ && p_[i_] == ',') { ++i_; continue; }
      expect('}', "or ',' in an object");
      return;
    }
  }

  void array(Value& v, int depth) {
    ++i_;  // '['
    skip_ws();
    if (i_ < n_ && p_[i_] == ']') { ++i_; return; }
    for (;;) {
      skip_ws();
      v.items.push_back(value(depth + 1));
      skip_ws();
      if (i_ < n_ && p_[i_] == ',') { ++i_; continue; }
      expect(']', "or ',' in an array");
      return;
    }
  }

  uint32_t hex4() {
    if (n_ - i_ < 4) fail("truncated \\u escape");
    uint32_t cp = 0;
    for (int k = 0; k < 4; ++k, ++i_) {
      unsigned char c = p_[i_];
      uint32_t d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else fail("invalid hex digit in a \\u escape");
      cp = cp * 16 + d;
    }
    return cp;
  }

  std::string string() {
    ++i_;  // opening quote
    std::string out;
    for (;;) {
      if (i_ >= n_) fail("unterminated string");
      unsigned char c = p_[i_];
      if (c == '"') { ++i_; return out; }
      if (c < 0x20) fail("unescaped control character (", describe(), ") in a string");
      if (c == '\\') {
        if (++i_ >= n_) fail("unterminated string");
        char e = char(p_[i_++]);
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            uint32_t cp = hex4();
            if (cp >= 0xdc00 && cp <= 0xdfff) fail("lone low surrogate in a \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
              if (n_ - i_ < 2 || p_[i_] != '\\' || p_[i_ + 1] != 'u') fail("lone high surrogate in a \\u escape");
              i_ += 2;
              uint32_t lo = hex4();
              if (lo < 0xdc00 || lo > 0xdfff) fail("high surrogate not followed by a low surrogate");
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            append_utf8(out, cp);
            break;
          }
          default:
            // The byte after the backslash may be anything (even half a UTF-8 sequence), so
            // it is described, never copied into the message.
            --i_;
            fail("invalid escape: a backslash followed by ", describe());
        }
        continue;
      }
      size_t len = utf8_length(p_ + i_, n_ - i_);
      if (len == 0) fail("invalid UTF-8 (", describe(), ") in a string");
      out.append(reinterpret_cast<const char*>(p_ + i_), len);
      i_ += len;
    }
  }

  bool digit() const { return i_ < n_ && p_[i_] >= '0' && p_[i_] <= '9'; }

  std::string number() {
    size_t start = i_;
    if (p_[i_] == '-') ++i_;
    if (!digit()) fail("expected a digit in a number, found ", describe());
    if (p_[i_] == '0') {
      ++i_;
      if (digit()) fail("leading zero in a number");
    } else {
      while (digit()) ++i_;
    }
    if (i_ < n_ && p_[i_] == '.') {
      ++i_;
      if (!digit()) fail("expected a digit after the decimal point, found ", describe());
      while (digit()) ++i_;
    }
    if (i_ < n_ && (p_[i_] == 'e' || p_[i_] == 'E')) {
      ++i_;
      if (i_ < n_ && (p_[i_] == '+' || p_[i_] == '-')) ++i_;
      if (!digit()) fail("expected a digit in an exponent, found ", describe());
      while (digit()) ++i_;
    }
    return std::string(reinterpret_cast<const char*>(p_ + start), i_ - start);
  }
};

}  // namespace

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::Null: return "null";
    case Value::Kind::Bool: return "a boolean";
    case Value::Kind::Number: return "a number";
    case Value::Kind::String: return "a string";
    case Value::Kind::Array: return "an array";
    case Value::Kind::Object: break;
  }
  return "an object";
}

Value parse(const char* data, size_t n) { return Parser(data, n).document(); }

uint64_t to_uint(const Value& v, uint64_t max, const std::string& what) {
  STEEPEST_CHECK(v.is(Value::Kind::Number), ValueError, what, " must be a non-negative integer, got ",
                 kind_name(v.kind));
  uint64_t x = 0;
  bool ok = !v.text.empty();
  for (char c : v.text) {
    if (c < '0' || c > '9') { ok = false; break; }
    uint64_t d = uint64_t(c - '0');
    if (d > max || x > (max - d) / 10) { ok = false; break; }  // x * 10 + d would exceed max
    x = x * 10 + d;
  }
  STEEPEST_CHECK(ok, ValueError, what, " must be an integer in [0, ", max, "], got ", v.text);
  return x;
}

bool is_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0, n = s.size(); i < n;) {
    size_t len = utf8_length(p + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string quote(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace steepest::json
