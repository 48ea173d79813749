// Checked POSIX file access for save/load: atomic replacement of a file (temp + fsync +
// rename + directory fsync) and exact reads of regular files only, each call checked with its
// path and errno text.
#include "io/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>

#include "steepest/error.hpp"

namespace steepest::io_detail {

void file_error(const char* call, const std::string& path, int err, const char* src_file, int src_line) {
  const char* base = std::strrchr(src_file, '/');
  throw Error(str(call, "('", path, "') failed: ", err ? std::strerror(err) : "unexpected end of file",
                  " (errno ", err, ") [at ", base ? base + 1 : src_file, ":", src_line, "]"));
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

namespace {

// A name no other writer (thread or process) picks: pid, a process-wide counter, the clock.
std::string temp_name(const std::string& target, unsigned attempt) {
  static std::atomic<unsigned> counter{0};
  auto ticks = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  return str(target, ".tmp-", long(::getpid()), "-", counter++, "-", ticks % 1000000007u, "-", attempt);
}

}  // namespace

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  STEEPEST_CHECK(!target_.empty(), ValueError, "save: the path is empty");
  int fd = -1;
  for (unsigned attempt = 0;; ++attempt) {
    temp_ = temp_name(target_, attempt);
    // 0666 (less the umask), as a file created by open/fopen would get.
    fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST || attempt >= 16) break;
  }
  STEEPEST_FILE_CHECK(fd >= 0, "open", temp_);
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    int err = errno;
    ::close(fd);
    ::unlink(temp_.c_str());
    file_error("fdopen", temp_, err, __FILE__, __LINE__);
  }
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (f_) std::fclose(f_);
  ::unlink(temp_.c_str());  // best effort: an error is already on its way out
}

void AtomicFile::write(const void* data, size_t nbytes) {
  if (nbytes == 0) return;
  STEEPEST_FILE_CHECK(std::fwrite(data, 1, nbytes, f_) == nbytes, "fwrite", temp_);
}

void AtomicFile::commit() {
  STEEPEST_FILE_CHECK(std::fflush(f_) == 0, "fflush", temp_);
  STEEPEST_FILE_CHECK(::fsync(::fileno(f_)) == 0, "fsync", temp_);
  std::FILE* f = f_;
  f_ = nullptr;  // fclose releases the stream even when it fails
  STEEPEST_FILE_CHECK(std::fclose(f) == 0, "fclose", temp_);
  STEEPEST_FILE_CHECK(::rename(temp_.c_str(), target_.c_str()) == 0, "rename", temp_ + "' -> '" + target_);
  committed_ = true;
  // Make the rename itself durable. Some file systems can't fsync a directory (EINVAL);
  // the data is already in place then, so only real errors are reported.
  std::string dir = parent_dir(target_);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  STEEPEST_FILE_CHECK(dfd >= 0, "open", dir);
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  if (rc != 0 && err != EINVAL && err != ENOTSUP) file_error("fsync", dir, err, __FILE__, __LINE__);
}

namespace {

// What a non-regular file is, for the refusal: "a directory", "a FIFO (named pipe)", ...
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void not_regular(const std::string& path, mode_t mode) {
  throw ValueError(str("load: '", path, "' is ", file_kind(mode), ", not a regular file"));
}

}  // namespace

InputFile::InputFile(std::string path) : path_(std::move(path)) {
  // Refused before opening: opening a FIFO for reading blocks until a writer appears, and
  // a device may act on open. (A failing stat falls through to fopen, which reports why.)
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) not_regular(path_, st.st_mode);
  f_ = std::fopen(path_.c_str(), "rb");
  STEEPEST_FILE_CHECK(f_ != nullptr, "fopen", path_);
  if (::fstat(::fileno(f_), &st) != 0) {
    int err = errno;
    std::fclose(f_);
    f_ = nullptr;
    file_error("fstat", path_, err, __FILE__, __LINE__);
  }
  if (!S_ISREG(st.st_mode)) {  // replaced between the stat and the open
    std::fclose(f_);
    f_ = nullptr;
    not_regular(path_, st.st_mode);
  }
  size_ = uint64_t(st.st_size);
}

InputFile::~InputFile() {
  if (f_) std::fclose(f_);
}

void InputFile::read(void* out, size_t nbytes) {
  if (nbytes == 0) return;
  size_t got = std::fread(out, 1, nbytes, f_);
  if (got == nbytes) return;
  // Sizes were checked against fstat before reading, so a short read is an I/O error or a
  // file that shrank while we read it.
  file_error("fread", path_, std::ferror(f_) ? errno : 0, __FILE__, __LINE__);
}

}  // namespace steepest::io_detail
