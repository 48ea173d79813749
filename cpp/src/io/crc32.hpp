// CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG) of a byte range, for the
// per-tensor checksums save_tensors can store and load_tensors verifies.
#pragma once
#include <cstddef>
#include <cstdint>

namespace steepest::io_detail {

// The CRC of [data, data + n) continuing from `crc` (0 to start): crc32(b, crc32(a)) is the
// CRC of a followed by b, and the value equals zlib's crc32().
uint32_t crc32(const void* data, size_t n, uint32_t crc = 0);

}  // namespace steepest::io_detail
