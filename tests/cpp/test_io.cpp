// C++ API tests for save_tensors / load_tensors: exact bytes of a small file, a round trip
// with a transposed view and metadata, and a truncated file rejected with the path named.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <steepest/steepest.hpp>

using namespace steepest;

namespace {

std::string temp_path(const char* stem) { return str("/tmp/steepest_test_io_", stem, "_", long(::getpid()), ".safetensors"); }

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("save_tensors writes the safetensors layout byte for byte") {
  std::string path = temp_path("bytes");
  Tensor a = full({2}, Scalar(1.5), TensorOptions(kFloat32));  // 1.5f = 0x3fc00000
  save_tensors(path, {{"a", a}}, {{"k", "v"}});
  std::string json = R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string expected(8, '\0');
  expected[0] = char(json.size());
  expected += json;
  for (int i = 0; i < 2; ++i) expected += std::string("\x00\x00\xc0\x3f", 4);
  CHECK(read_all(path) == expected);
  std::remove(path.c_str());
}

TEST_CASE("save_tensors / load_tensors round trip a transposed view, several dtypes and metadata") {
  std::string path = temp_path("roundtrip");
  Tensor m = arange(Scalar(0), Scalar(6), Scalar(1), kFloat64);
  Tensor mt = transpose(reshape(m, {2, 3}), 0, 1);  // (3, 2), not contiguous
  REQUIRE(!mt.is_contiguous());
  Tensor flags = full({3}, Scalar(true), TensorOptions(kBool));
  Tensor half = full({}, Scalar(-2.0), TensorOptions(kBFloat16));
  save_tensors(path, {{"mt", mt}, {"flags", flags}, {"half", half}}, {{"format", "pt"}});

  LoadedTensors r = load_tensors(path);
  REQUIRE(r.tensors.size() == 3);
  CHECK(r.tensors[0].first == "mt");
  CHECK(r.tensors[1].first == "flags");
  CHECK(r.tensors[2].first == "half");
  CHECK(r.metadata == TensorMetadata{{"format", "pt"}});
  const Tensor& got = r.tensors[0].second;
  CHECK(got.shape() == Shape{3, 2});
  CHECK(got.dtype() == kFloat64);
  // mt[i][j] = m[j][i] = 3 * j + i
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) CHECK(got.data<double>()[i * 2 + j] == 3.0 * j + i);
  CHECK(r.tensors[1].second.data<bool>()[2] == true);
  CHECK(r.tensors[2].second.dim() == 0);
  CHECK(r.tensors[2].second.data<bfloat16>()[0].bits == 0xc000);  // -2 in bfloat16
  std::remove(path.c_str());
}

TEST_CASE("load_tensors rejects a truncated file, naming the file and the problem") {
  std::string path = temp_path("truncated");
  save_tensors(path, {{"w", zeros({4, 4})}});
  std::string bytes = read_all(path);
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size() - 5));
  }
  std::string msg;
  try {
    load_tensors(path);
  } catch (const ValueError& e) {
    msg = e.what();
  }
  CHECK(msg.find(path) != std::string::npos);
  CHECK(msg.find("truncated") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("write_file_atomically writes the parts in order and replaces a file in one step") {
  std::string path = temp_path("atomic");
  std::string a = "PK\x03\x04", b(1000, 'x'), c = "end";
  write_file_atomically(path, {{a.data(), a.size()}, {b.data(), b.size()}, {nullptr, 0}, {c.data(), c.size()}});
  CHECK(read_all(path) == a + b + c);
  write_file_atomically(path, {{c.data(), c.size()}});  // replaces, never appends
  CHECK(read_all(path) == c);
  std::remove(path.c_str());
  CHECK_THROWS(write_file_atomically("/nonexistent-dir-steepest/x.pt", {{c.data(), c.size()}}));
}
