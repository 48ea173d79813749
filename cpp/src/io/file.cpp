// Checked POSIX file access for save/load: atomic replacement of a file (temp + fsync +
// rename + directory fsync, through symlinks, keeping the old file's mode, sweeping temps a
// killed writer left) and exact reads of regular files only, each call checked with its errno.
#include "io/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>

#include "steepest/error.hpp"

namespace steepest::io_detail {

void file_error(const char* call, const std::string& path, int err, const char* src_file, int src_line) {
  const char* base = std::strrchr(src_file, '/');
  std::string what = str(call, "('", path, "') failed: ", err ? std::strerror(err) : "unexpected end of file",
                         " (errno ", err, ") [at ", base ? base + 1 : src_file, ":", src_line, "]");
  if (err) throw OSError(what, call, err, path);
  throw Error(what);
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

namespace {

constexpr const char* kTempTag = ".tmp-";  // temp = <target's name>.tmp-<pid>-<n>-<ticks>-<attempt>

std::string base_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// A name no other writer (thread or process) picks: pid, a process-wide counter, the clock.
std::string temp_name(const std::string& target, unsigned attempt) {
  static std::atomic<unsigned> counter{0};
  auto ticks = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  return str(target, kTempTag, long(::getpid()), "-", counter++, "-", ticks % 1000000007u, "-", attempt);
}

// True when `name` (a directory entry) is one of temp_name(<dir>/<base>, ...)'s names.
bool is_temp_of(const std::string& name, const std::string& base) {
  std::string prefix = base + kTempTag;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  for (size_t i = prefix.size(); i < name.size(); ++i)
    if (!((name[i] >= '0' && name[i] <= '9') || name[i] == '-')) return false;
  return true;
}

// The file a save to `path` replaces: symlinks are followed (to a target that may not exist
// yet), so saving through a link rewrites its target and leaves the link in place.
std::string resolve_links(std::string path) {
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
    std::string link(size_t(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
    ssize_t n = ::readlink(path.c_str(), link.data(), link.size());
    STEEPEST_FILE_CHECK(n >= 0, "readlink", path);
    link.resize(size_t(n));
    path = !link.empty() && link[0] == '/' ? link : join(parent_dir(path), link);
  }
  file_error("open", path, ELOOP, __FILE__, __LINE__);
}

// Removes the temps of earlier saves to `target` whose writer is gone. A writer holds an
// exclusive flock on its temp from creation to rename, so a temp we can lock belongs to no
// live save (a killed process drops its locks). Best effort: anything odd is left alone.
void sweep_stale_temps(const std::string& target, const std::string& own_temp) {
  std::string dir = parent_dir(target), base = base_name(target), own = base_name(own_temp);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (const dirent* ent = ::readdir(d)) {
    std::string name = ent->d_name;
    if (name == own || !is_temp_of(name, base)) continue;
    std::string path = join(dir, name);
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::flock(fd, LOCK_EX | LOCK_NB) == 0)
      ::unlink(path.c_str());  // still holding the lock, so its writer can't be mid-creation
    ::close(fd);
  }
  ::closedir(d);
}

// Creates, locks and returns a new temp file for `target`, storing its name in `temp`. The
// lock is taken after creation, so a sweeper may remove the file in between; then the name
// no longer leads to our file and we start over with a fresh name.
int create_locked_temp(const std::string& target, std::string& temp) {
  for (unsigned attempt = 0;; ++attempt) {
    temp = temp_name(target, attempt);
    // 0666 (less the umask), as a file created by open/fopen would get.
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && attempt < 16) continue;
    // Named by the target: a missing or unwritable directory is what open(target) would
    // report, and the temp's name means nothing to the caller.
    STEEPEST_FILE_CHECK(fd >= 0, "open", target);
    // A file system without flock (ENOLCK, EOPNOTSUPP) just gets no sweeping: the sweeper
    // can't lock such temps either, so it never removes a live one.
    bool locked = ::flock(fd, LOCK_EX) == 0;
    struct stat mine, named;
    bool ours = ::fstat(fd, &mine) == 0 && ::stat(temp.c_str(), &named) == 0 && mine.st_dev == named.st_dev &&
                mine.st_ino == named.st_ino;
    if (ours || !locked || attempt >= 16) return fd;
    ::close(fd);
  }
}

}  // namespace

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  STEEPEST_CHECK(!target_.empty(), ValueError, "save: the path is empty");
  target_ = resolve_links(target_);
  int fd = create_locked_temp(target_, temp_);
  // An existing file keeps its permission bits (and its owner and group where we may set
  // them), as when it is rewritten in place; a new file gets the umask's mode from open().
  struct stat old;
  if (::stat(target_.c_str(), &old) == 0 && S_ISREG(old.st_mode)) {
    if (::fchown(fd, old.st_uid, old.st_gid) != 0) {
      // Not ours to give away: the new file belongs to us, as any rewrite by another user would.
    }
    if (::fchmod(fd, old.st_mode & 07777) != 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp_.c_str());
      file_error("fchmod", temp_, err, __FILE__, __LINE__);
    }
  }
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    int err = errno;
    ::close(fd);
    ::unlink(temp_.c_str());
    file_error("fdopen", temp_, err, __FILE__, __LINE__);
  }
  sweep_stale_temps(target_, temp_);
}

AtomicFile::~AtomicFile() {
  if (committed_) {
    if (f_) std::fclose(f_);  // commit threw after the rename
    return;
  }
  if (f_) std::fclose(f_);
  ::unlink(temp_.c_str());  // best effort: an error is already on its way out
}

void AtomicFile::write(const void* data, size_t nbytes) {
  if (nbytes == 0) return;
  STEEPEST_FILE_CHECK(std::fwrite(data, 1, nbytes, f_) == nbytes, "fwrite", temp_);
}

void AtomicFile::write_at(uint64_t offset, const void* data, size_t nbytes) {
  STEEPEST_FILE_CHECK(std::fflush(f_) == 0, "fflush", temp_);
  const auto* p = static_cast<const char*>(data);
  while (nbytes > 0) {
    ssize_t n = ::pwrite(::fileno(f_), p, nbytes, off_t(offset));
    STEEPEST_FILE_CHECK(n > 0, "pwrite", temp_);
    p += n;
    offset += uint64_t(n);
    nbytes -= size_t(n);
  }
}

void AtomicFile::commit() {
  STEEPEST_FILE_CHECK(std::fflush(f_) == 0, "fflush", temp_);
  STEEPEST_FILE_CHECK(::fsync(::fileno(f_)) == 0, "fsync", temp_);
  // Renamed while still open: closing drops our flock, and an unlocked temp may be swept.
  STEEPEST_FILE_CHECK(::rename(temp_.c_str(), target_.c_str()) == 0, "rename", temp_ + "' -> '" + target_);
  committed_ = true;
  std::FILE* f = f_;
  f_ = nullptr;  // fclose releases the stream even when it fails
  STEEPEST_FILE_CHECK(std::fclose(f) == 0, "fclose", target_);
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
  // a device may act on open. (A failing stat falls through to open, which reports why.)
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) not_regular(path_, st.st_mode);
  // Non-blocking open: if the path was swapped for a FIFO after the stat, the open returns at
  // once instead of waiting for a writer, and fstat below refuses it.
  int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  STEEPEST_FILE_CHECK(fd >= 0, "open", path_);
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    file_error("fstat", path_, err, __FILE__, __LINE__);
  }
  if (!S_ISREG(st.st_mode)) {  // replaced between the stat and the open
    ::close(fd);
    not_regular(path_, st.st_mode);
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  f_ = ::fdopen(fd, "rb");
  if (!f_) {
    int err = errno;
    ::close(fd);
    file_error("fdopen", path_, err, __FILE__, __LINE__);
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
