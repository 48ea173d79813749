// Saving and loading named tensors in the safetensors format, so checkpoints are readable by
// the `safetensors` package (and torch, numpy, Rust users) and we can read theirs.
//
// The file: 8 bytes little-endian header length N, N bytes of JSON (padded with spaces to a
// multiple of 8), then the raw little-endian bytes of every tensor, back to back:
//   {"__metadata__": {"k": "v"}, "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
// data_offsets are relative to the first byte after the header.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tensor.hpp"

namespace steepest {

// Tensors in the order the caller gave them (saving) or the header lists them (loading).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
// Free-form string -> string pairs stored under "__metadata__".
using TensorMetadata = std::map<std::string, std::string>;

struct LoadedTensors {
  NamedTensors tensors;
  TensorMetadata metadata;
};

// Writes `tensors` and `metadata` to `path` atomically: the bytes go to a temporary file in
// the same directory, which is flushed, fsync'ed and renamed over `path` (then the directory
// is fsync'ed). On any error the temporary file is removed and `path` is left as it was.
// Tensors must be CPU tensors of dtype float32/64, bfloat16, float16, int32/64 or bool;
// non-contiguous ones are written contiguously. Names must be unique, valid UTF-8 and not
// "__metadata__". Errors: ValueError/TypeError for bad arguments (before any file is
// touched), Error naming the call, path and errno text when the file system fails.
// `path` may be a symlink: its target is rewritten. An existing file keeps its permission
// bits; a new one gets the umask's. Temps left by a save that was killed are removed.
// With `checksum`, the CRC-32 of each tensor's bytes goes in the metadata under
// "steepest.crc32.<name>" (8 hex digits); load_tensors verifies every one it finds. Metadata
// keys with that prefix are reserved.
void save_tensors(const std::string& path, const NamedTensors& tensors,
                  const TensorMetadata& metadata = {}, bool checksum = false);

// Reads a safetensors file into freshly allocated CPU tensors. The whole header is checked
// against the file before any tensor is read (header length, strict JSON, known dtypes,
// shape x itemsize == the byte span, spans inside the data section, no overlap, no gap,
// nothing truncated or trailing), so a bad file raises ValueError naming the file and the
// problem and nothing is returned half-loaded; so does a tensor whose bytes fail their stored
// checksum (checksum entries are not returned in `metadata`). A directory, FIFO or device is
// refused before it is opened. File system errors raise Error.
LoadedTensors load_tensors(const std::string& path);

// Writes the concatenation of `parts` (pointer, byte count) to `path` with save_tensors'
// guarantees: atomically through a temp file, symlinks followed, the old file's permission
// bits kept. File system errors raise Error naming the call and path.
void write_file_atomically(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts);

// The safetensors name of a dtype ("F32", "BF16", "BOOL", ...) and back; the latter throws
// ValueError for names steepest has no dtype for (U8, F8_E4M3, ...).
const char* safetensors_dtype_name(DType d);
DType dtype_from_safetensors_name(const std::string& name);

}  // namespace steepest
