// Checked file access for io: every system call goes through STEEPEST_FILE_CHECK, which names
// the call, the path and the errno text; AtomicFile writes via temp file + fsync + rename.
#pragma once
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace steepest::io_detail {

// Throws steepest::Error("<call>('<path>') failed: <strerror(err)> (errno N) [at file:line]").
[[noreturn]] void file_error(const char* call, const std::string& path, int err, const char* src_file,
                             int src_line);

// The file's directory ("." for a bare name), for the temp file and the directory fsync.
std::string parent_dir(const std::string& path);

// A file written in full or not at all. `target` is followed through symlinks; the
// constructor creates a uniquely named temp file beside the file it resolves to
// ("<name>.tmp-<pid>-<n>-<ticks>-<attempt>"), flock'ed until commit, with the old file's mode,
// and removes the unlocked temps of earlier saves that were killed mid-write. commit()
// flushes, fsyncs, renames the temp over the target, closes it and fsyncs the directory.
// Destroying an uncommitted AtomicFile (an exception on the way) removes the temp.
class AtomicFile {
 public:
  explicit AtomicFile(std::string target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t nbytes);
  // Overwrites bytes already written, at `offset` from the start (the stream position stays).
  void write_at(uint64_t offset, const void* data, size_t nbytes);
  void commit();
  const std::string& temp_path() const { return temp_; }

 private:
  std::string target_, temp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

// A file opened for reading, with its size taken once at open.
class InputFile {
 public:
  explicit InputFile(std::string path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Reads exactly `nbytes` or throws (a short read means the file changed under us).
  void read(void* out, size_t nbytes);

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace steepest::io_detail

// STEEPEST_FILE_CHECK(ok, "fsync", path): on failure, throws naming the call, path and errno
// text (errno is read first, before anything else can change it).
#define STEEPEST_FILE_CHECK(ok, call, path)                                                   \
  do {                                                                                        \
    if (!(ok)) {                                                                              \
      int steepest_err_ = errno;                                                              \
      ::steepest::io_detail::file_error(call, path, steepest_err_, __FILE__, __LINE__);       \
    }                                                                                         \
  } while (0)
