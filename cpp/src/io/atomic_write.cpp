// write_file_atomically: any file format's bytes, written with save_tensors' guarantees (temp
// file + fsync + rename, through symlinks, keeping the old file's mode). st.save's torch
// format builds its zip archive in Python and hands the pieces here.
#include "io/file.hpp"
#include "steepest/io.hpp"

namespace steepest {

void write_file_atomically(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts) {
  io_detail::AtomicFile out(path);
  for (const auto& [data, nbytes] : parts) out.write(data, nbytes);
  out.commit();
}

}  // namespace steepest
