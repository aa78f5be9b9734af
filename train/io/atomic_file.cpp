#include "train/io/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "core/error.h"
#include "train/io/write_fault_for_testing.h"

namespace gan::io {
namespace {

[[noreturn]] void fail(const std::string& path, int err) {
  throw InputError(path + ": " + std::strerror(err));
}

std::string directory_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "dir/name.nii.gz" -> ".nii.gz"; "dir/name.png" -> ".png"; no dot in the file name -> "".
std::string extension_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t name_start = slash == std::string::npos ? 0 : slash + 1;
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || dot <= name_start) return "";
  std::string ext = path.substr(dot);
  if (ext == ".gz" || ext == ".GZ") {
    size_t dot2 = path.find_last_of('.', dot - 1);
    if (dot2 != std::string::npos && dot2 > name_start) ext = path.substr(dot2);
  }
  return ext;
}

std::string temp_path_for(const std::string& path, bool keep_extension) {
  std::string tag = ".tmp." + std::to_string(static_cast<long>(::getpid()));
  if (!keep_extension) return path + tag;
  std::string ext = extension_of(path);
  return path.substr(0, path.size() - ext.size()) + tag + ext;
}

// Makes the rename durable; a failure here is not worth failing the write over (some file systems
// refuse fsync on directories), so it is ignored.
void sync_directory(const std::string& path) {
  int fd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// The test seam (write_fault_for_testing.h): copied under the lock, run outside it.
std::mutex fault_mutex;
std::shared_ptr<const WriteFault> installed_fault;

// 0, or the errno the installed test fault fails the write of `path` with.
int test_fault(const std::string& path, int64_t bytes) {
  std::shared_ptr<const WriteFault> fault;
  {
    std::lock_guard<std::mutex> lock(fault_mutex);
    fault = installed_fault;
  }
  return fault ? (*fault)(path, bytes) : 0;
}

// fsync's the finished temp file and renames it over path; removes it on failure.
void commit(const std::string& temp, const std::string& path) {
  int fd = ::open(temp.c_str(), O_RDONLY);
  if (fd < 0) {
    int err = errno;
    ::unlink(temp.c_str());
    fail(path, err);
  }
  if (::fsync(fd) != 0 && errno != EINVAL) {
    int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    fail(path, err);
  }
  struct stat st;
  const int64_t bytes = ::fstat(fd, &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
  ::close(fd);
  if (const int fault = test_fault(path, bytes)) {
    ::unlink(temp.c_str());
    fail(path, fault);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    fail(path, err);
  }
  sync_directory(path);
}

}  // namespace

void set_write_fault_for_testing(WriteFault fault) {
  std::lock_guard<std::mutex> lock(fault_mutex);
  installed_fault = fault ? std::make_shared<const WriteFault>(std::move(fault)) : nullptr;
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  write_file_atomic(path, [&](std::FILE* f) {
    if (size > 0) std::fwrite(data, 1, size, f);
  });
}

void write_file_atomic(const std::string& path, const std::function<void(std::FILE*)>& writer) {
  const std::string temp = temp_path_for(path, false);
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (!f) fail(path, errno);
  int err = 0;
  try {
    writer(f);
  } catch (...) {
    std::fclose(f);
    ::unlink(temp.c_str());
    throw;
  }
  if (std::ferror(f)) err = errno ? errno : EIO;
  if (!err && std::fflush(f) != 0) err = errno;
  const int64_t bytes = static_cast<int64_t>(std::ftell(f));
  if (!err && ::fsync(::fileno(f)) != 0 && errno != EINVAL) err = errno;
  if (std::fclose(f) != 0 && !err) err = errno;
  if (!err) err = test_fault(path, bytes);
  if (err) {
    ::unlink(temp.c_str());
    fail(path, err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(temp.c_str());
    fail(path, err);
  }
  sync_directory(path);
}

void write_file_atomic_via_path(const std::string& path,
                                const std::function<void(const std::string&)>& writer,
                                bool keep_extension) {
  const std::string temp = temp_path_for(path, keep_extension);
  try {
    writer(temp);
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  struct stat st;
  if (::stat(temp.c_str(), &st) != 0) {
    // The library reported nothing but wrote nothing: most likely the directory is missing or
    // not writable; name the cause the way open() would.
    int err = errno;
    int probe = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (probe >= 0) {
      ::close(probe);
      ::unlink(temp.c_str());
      throw InputError(path + ": could not be written");
    }
    fail(path, errno ? errno : err);
  }
  commit(temp, path);
}

int remove_stale_temp_files(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  int removed = 0;
  while (dirent* ent = ::readdir(d)) {
    const std::string name = ent->d_name;
    const size_t tag = name.find(".tmp.");
    if (tag == std::string::npos || tag == 0) continue;
    const char* digits = name.c_str() + tag + 5;
    char* end = nullptr;
    const long pid = std::strtol(digits, &end, 10);
    if (end == digits || pid <= 0 || (*end != '\0' && *end != '.')) continue;
    if (pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // writer alive
    if (::unlink((dir + "/" + name).c_str()) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

std::string read_file(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail(path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path + ": not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size > max_bytes) {
    ::close(fd);
    throw InputError(path + ": file too large (" + std::to_string(size) + " bytes, limit " +
                     std::to_string(max_bytes) + ")");
  }
  std::string bytes(size, '\0');
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, &bytes[done], size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      fail(path, err);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return bytes;
}

}  // namespace gan::io
