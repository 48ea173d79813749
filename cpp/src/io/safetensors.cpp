// save_tensors / load_tensors: the safetensors layout (length-prefixed JSON header, then raw
// little-endian tensor bytes). Loading validates the whole header against the file first.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "dispatch/stub.hpp"
#include "io/crc32.hpp"
#include "io/file.hpp"
#include "io/json.hpp"
#include "steepest/io.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors stores little-endian bytes; io copies memory as is");

namespace {

constexpr uint64_t kMaxHeader = 100'000'000;  // the reference implementation's limit
constexpr const char* kMetadataKey = "__metadata__";
// Metadata key of a tensor's checksum: this prefix + the tensor's name -> 8 lowercase hex
// digits of the CRC-32 of its bytes. Plain metadata to other readers.
constexpr const char* kChecksumPrefix = "steepest.crc32.";

bool is_checksum_key(const std::string& key) { return key.rfind(kChecksumPrefix, 0) == 0; }

std::string hex8(uint32_t x) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", x);
  return buf;
}

}  // namespace

const char* safetensors_dtype_name(DType d) {
  switch (d) {
    case kBool: return "BOOL";
    case kInt32: return "I32";
    case kInt64: return "I64";
    case kBFloat16: return "BF16";
    case kFloat16: return "F16";
    case kFloat32: return "F32";
    case kFloat8E4M3FN: return "F8_E4M3";
    case kFloat8E5M2: return "F8_E5M2";
    case kFloat64: break;
  }
  return "F64";
}

DType dtype_from_safetensors_name(const std::string& name) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (name == safetensors_dtype_name(DType(i))) return DType(i);
  throw ValueError(str("dtype ", json::quote(name),
                       " is not supported (steepest reads F32, F64, BF16, F16, F8_E4M3, F8_E5M2, I32, I64, BOOL)"));
}

// ------------------------------------------------------------------------------- saving

namespace {

// The header JSON for tensors laid out at `offsets`, padded with spaces to a multiple of 8
// so the data section starts 8-byte aligned (as the reference writer does). With `crc_at`,
// every tensor also gets a checksum entry holding "00000000", whose offset in the header
// goes to (*crc_at)[i] so the real value can be written there once the bytes have gone out.
std::string make_header(const NamedTensors& tensors, const std::vector<std::pair<uint64_t, uint64_t>>& offsets,
                        const TensorMetadata& metadata, std::vector<size_t>* crc_at) {
  std::string h = "{";
  if (!metadata.empty() || (crc_at && !tensors.empty())) {
    h += json::quote(kMetadataKey);
    h += ":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) h += ',';
      first = false;
      h += json::quote(k) + ":" + json::quote(v);
    }
    for (size_t i = 0; crc_at && i < tensors.size(); ++i) {
      if (!first) h += ',';
      first = false;
      h += json::quote(kChecksumPrefix + tensors[i].first) + ":\"";
      crc_at->push_back(h.size());
      h += "00000000\"";
    }
    h += '}';
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (h.size() > 1) h += ',';
    const Tensor& t = tensors[i].second;
    h += json::quote(tensors[i].first);
    h += ":{\"dtype\":\"";
    h += safetensors_dtype_name(t.dtype());
    h += "\",\"shape\":[";
    for (size_t d = 0; d < t.shape().size(); ++d) h += (d ? "," : "") + std::to_string(t.shape()[d]);
    h += "],\"data_offsets\":[" + std::to_string(offsets[i].first) + "," + std::to_string(offsets[i].second) + "]}";
  }
  h += '}';
  h.append((8 - h.size() % 8) % 8, ' ');
  return h;
}

void check_saveable(const std::string& path, const NamedTensors& tensors, const TensorMetadata& metadata) {
  std::unordered_set<std::string> names;  // a set, not a scan: linear in the number of tensors
  names.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, t] = tensors[i];
    STEEPEST_CHECK(json::is_utf8(name), ValueError, "save('", path, "'): tensor name #", i, " is not valid UTF-8");
    STEEPEST_CHECK(name != kMetadataKey, ValueError, "save('", path, "'): \"", kMetadataKey,
                   "\" is reserved and can't name a tensor");
    STEEPEST_CHECK(t.defined(), ValueError, "save('", path, "'): tensor ", json::quote(name), " is undefined");
    dispatch::check_on_host(t, str("save('", path, "'): tensor ", json::quote(name)));
    STEEPEST_CHECK(names.insert(name).second, ValueError, "save('", path, "'): two tensors are named ",
                   json::quote(name));
  }
  for (const auto& [k, v] : metadata) {
    STEEPEST_CHECK(json::is_utf8(k), ValueError, "save('", path, "'): a metadata key is not valid UTF-8");
    STEEPEST_CHECK(!is_checksum_key(k), ValueError, "save('", path, "'): metadata key ", json::quote(k),
                   " is reserved (keys starting with \"", kChecksumPrefix, "\" hold checksums)");
    STEEPEST_CHECK(json::is_utf8(v), ValueError, "save('", path, "'): metadata value of ", json::quote(k),
                   " is not valid UTF-8");
  }
}

}  // namespace

void save_tensors(const std::string& path, const NamedTensors& tensors, const TensorMetadata& metadata,
                  bool checksum) {
  check_saveable(path, tensors, metadata);

  // Data order: larger items first (stable), so every tensor's bytes start aligned to its
  // item size within the 8-aligned data section; the header keeps the caller's order.
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors[a].second.itemsize() > tensors[b].second.itemsize();
  });
  std::vector<std::pair<uint64_t, uint64_t>> offsets(tensors.size());
  uint64_t at = 0;
  for (size_t i : order) {
    uint64_t nbytes = uint64_t(tensors[i].second.numel()) * tensors[i].second.itemsize();
    offsets[i] = {at, at + nbytes};
    at += nbytes;
  }
  std::vector<size_t> crc_at;
  std::string header = make_header(tensors, offsets, metadata, checksum ? &crc_at : nullptr);

  io_detail::AtomicFile out(path);
  unsigned char len[8];
  for (int b = 0; b < 8; ++b) len[b] = static_cast<unsigned char>(uint64_t(header.size()) >> (8 * b));
  out.write(len, 8);
  out.write(header.data(), header.size());
  for (size_t i : order) {
    Tensor c = contiguous(tensors[i].second);  // one tensor's copy at a time, not the whole dict's
    size_t nbytes = size_t(offsets[i].second - offsets[i].first);
    out.write(c.data_ptr(), nbytes);
    // The CRC of the bytes just written, while they are still in cache; the header went out
    // with placeholders of the same width and is rewritten in place once all are known.
    if (checksum) header.replace(crc_at[i], 8, hex8(io_detail::crc32(c.data_ptr(), nbytes)));
  }
  if (checksum) out.write_at(8, header.data(), header.size());
  out.commit();
}

// ------------------------------------------------------------------------------ loading

namespace {

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

// Turns one header member into an Entry, checking its fields and that its shape fills its
// byte span exactly. `fail` prefixes messages with the file.
template <class Fail>
Entry parse_entry(const std::string& name, const json::Value& v, uint64_t data_size, const Fail& fail) {
  std::string what = "tensor " + json::quote(name);
  if (!v.is(json::Value::Kind::Object)) fail(what, " must be an object, got ", json::kind_name(v.kind));
  const json::Value *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
  for (const auto& [k, field] : v.members) {
    if (k == "dtype") dtype = &field;
    else if (k == "shape") shape = &field;
    else if (k == "data_offsets") offsets = &field;
    else fail(what, " has an unknown field ", json::quote(k));
  }
  if (!dtype || !shape || !offsets) fail(what, " lacks \"", !dtype ? "dtype" : !shape ? "shape" : "data_offsets", "\"");
  if (!dtype->is(json::Value::Kind::String)) fail(what, ": \"dtype\" must be a string");
  if (!shape->is(json::Value::Kind::Array)) fail(what, ": \"shape\" must be an array");
  if (!offsets->is(json::Value::Kind::Array) || offsets->items.size() != 2)
    fail(what, ": \"data_offsets\" must be an array [begin, end]");

  Entry e;
  e.name = name;
  try {
    e.dtype = dtype_from_safetensors_name(dtype->text);
    // Strides multiply the sizes even when one of them is 0, so bound the product of the
    // non-zero sizes too.
    uint64_t nbytes = itemsize(e.dtype), nonzero = nbytes;
    for (size_t d = 0; d < shape->items.size(); ++d) {
      uint64_t n = json::to_uint(shape->items[d], uint64_t(INT64_MAX), str("shape[", d, "]"));
      if (n != 0 && nonzero > uint64_t(INT64_MAX) / n) throw ValueError("the shape's byte size overflows int64");
      if (n != 0) nonzero *= n;
      nbytes *= n;
      e.shape.push_back(int64_t(n));
    }
    e.begin = json::to_uint(offsets->items[0], UINT64_MAX, "data_offsets[0]");
    e.end = json::to_uint(offsets->items[1], UINT64_MAX, "data_offsets[1]");
    if (e.begin > e.end) throw ValueError(str("data_offsets [", e.begin, ", ", e.end, "] run backwards"));
    if (e.end - e.begin != nbytes)
      throw ValueError(str("shape ", e.shape, " of ", dtype->text, " takes ", nbytes,
                           " bytes but data_offsets [", e.begin, ", ", e.end, "] span ", e.end - e.begin));
    if (e.end > data_size)
      throw ValueError(str("data_offsets [", e.begin, ", ", e.end, "] reach past the end of the data section (",
                           data_size, " bytes): the file is truncated or the offsets are wrong"));
  } catch (const ValueError& err) {
    fail(what, ": ", err.what());
  }
  return e;
}

// The value of a checksum entry: exactly 8 hex digits.
template <class Fail>
uint32_t parse_checksum(const std::string& key, const std::string& text, const Fail& fail) {
  uint32_t x = 0;
  bool ok = text.size() == 8;
  for (char c : text) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) ok = false;
    x = x * 16 + uint32_t(d < 0 ? 0 : d);
  }
  if (!ok) fail("\"__metadata__\" value of ", json::quote(key), " must be 8 hex digits (a CRC-32), got ", json::quote(text));
  return x;
}

}  // namespace

LoadedTensors load_tensors(const std::string& path) {
  io_detail::InputFile in(path);
  auto fail = [&](const auto&... parts) {
    throw ValueError(str("load('", path, "'): not a valid safetensors file: ", parts...));
  };

  const uint64_t file_size = in.size();
  if (file_size < 8) fail("it holds ", file_size, " bytes, less than the 8-byte header length");
  unsigned char len[8];
  in.read(len, 8);
  uint64_t n = 0;
  for (int b = 7; b >= 0; --b) n = (n << 8) | len[b];
  if (n > kMaxHeader) fail("header length ", n, " exceeds the limit of ", kMaxHeader, " bytes");
  if (n > file_size - 8)
    fail("header length ", n, " runs past the end of the file (", file_size, " bytes): truncated or corrupt");
  if (n < 2) fail("header length ", n, " is too short for a JSON object");

  std::string text(n, '\0');
  in.read(text.data(), n);
  json::Value header;
  try {
    header = json::parse(text.data(), text.size());
  } catch (const ValueError& err) {
    fail("the header is not valid JSON (", err.what(), ")");
  }
  if (!header.is(json::Value::Kind::Object)) fail("the header must be a JSON object, got ", json::kind_name(header.kind));

  const uint64_t data_size = file_size - 8 - n;
  LoadedTensors result;
  std::vector<Entry> entries;
  std::unordered_map<std::string, uint32_t> checksums;  // tensor name -> stored CRC-32
  for (const auto& [key, v] : header.members) {
    if (key == kMetadataKey) {
      if (v.is(json::Value::Kind::Null)) continue;
      if (!v.is(json::Value::Kind::Object)) fail("\"__metadata__\" must be an object, got ", json::kind_name(v.kind));
      for (const auto& [mk, mv] : v.members) {
        if (!mv.is(json::Value::Kind::String))
          fail("\"__metadata__\" value of ", json::quote(mk), " must be a string, got ", json::kind_name(mv.kind));
        if (is_checksum_key(mk))
          checksums.emplace(mk.substr(std::strlen(kChecksumPrefix)), parse_checksum(mk, mv.text, fail));
        else
          result.metadata.emplace(mk, mv.text);
      }
      continue;
    }
    entries.push_back(parse_entry(key, v, data_size, fail));
  }
  if (!checksums.empty()) {
    std::unordered_set<std::string> names;
    for (const Entry& e : entries) names.insert(e.name);
    for (const auto& [name, crc] : checksums)
      if (!names.count(name)) fail("\"__metadata__\" holds a checksum for ", json::quote(name), ", which is no tensor in the file");
  }

  // The spans must tile the data section exactly: sorted by offset, each starts where the
  // previous one ended and the last ends at the end of the file.
  std::vector<size_t> order(entries.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::make_pair(entries[a].begin, entries[a].end) < std::make_pair(entries[b].begin, entries[b].end);
  });
  uint64_t at = 0;
  const Entry* prev = nullptr;
  for (size_t i : order) {
    const Entry& e = entries[i];
    if (e.begin < at)
      fail("tensors ", json::quote(prev->name), " [", prev->begin, ", ", prev->end, ") and ", json::quote(e.name), " [",
           e.begin, ", ", e.end, ") overlap");
    if (e.begin > at) fail("data bytes [", at, ", ", e.begin, ") belong to no tensor");
    at = e.end;
    prev = &e;
  }
  if (at != data_size)
    fail(data_size - at, " bytes after the last tensor's data (data section ", data_size, " bytes, tensors end at ",
         at, ")");

  // Everything checked: read the bytes, in file order, into fresh tensors.
  std::vector<Tensor> loaded(entries.size());
  for (size_t i : order) {
    const Entry& e = entries[i];
    Tensor t = Tensor::empty(e.shape, e.dtype);
    in.read(t.data_ptr(), size_t(e.end - e.begin));
    auto stored = checksums.find(e.name);
    if (stored != checksums.end()) {
      uint32_t crc = io_detail::crc32(t.data_ptr(), size_t(e.end - e.begin));
      if (crc != stored->second)
        fail("tensor ", json::quote(e.name), " fails its checksum (CRC-32 ", hex8(crc), ", stored ", hex8(stored->second),
             "): its data is corrupt");
    }
    if (e.dtype == kBool) {
      const auto* b = static_cast<const unsigned char*>(t.data_ptr());
      for (uint64_t k = 0, m = e.end - e.begin; k < m; ++k)
        if (b[k] > 1) fail("BOOL tensor ", json::quote(e.name), " holds byte ", int(b[k]), " at element ", k, " (must be 0 or 1)");
    }
    loaded[i] = std::move(t);
  }
  result.tensors.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) result.tensors.emplace_back(entries[i].name, std::move(loaded[i]));
  return result;
}

}  // namespace steepest
