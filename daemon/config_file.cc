#include "daemon/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/unique_fd.h"

namespace sloth {
namespace {

std::string_view KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string SizeText(size_t bytes) {
  return bytes % (1024 * 1024) == 0 ? fmt::format("{} MiB", bytes / (1024 * 1024)) : fmt::format("{} bytes", bytes);
}

}  // namespace

Result<std::string, ConfigFileError> ReadConfigFile(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer; it is refused below anyway.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    const int error = errno;
    return ConfigFileError{error == ENOENT,
                           fmt::format("cannot read the configuration file: {}", std::strerror(error))};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return ConfigFileError{false, fmt::format("cannot read the configuration file: {}", std::strerror(errno))};
  }
  // /dev/null is the usual way to say "no configuration file": it reads as empty, at once.
  const bool dev_null = S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
  if (dev_null) return std::string();
  if (!S_ISREG(st.st_mode)) {
    return ConfigFileError{
        false, fmt::format("is {}, not a configuration file; pass --config with the path of a TOML file (see "
                           "slothd.toml(5))",
                           KindOf(st.st_mode))};
  }
  const auto too_large = [&](std::string_view size) {
    return ConfigFileError{false, fmt::format("the configuration file is {}, more than the {} it may have; is this the "
                                              "right file?",
                                              size, SizeText(max_bytes))};
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_large(SizeText(static_cast<size_t>(st.st_size)));
  // The size is only a hint (the file may grow while we read, /proc files say 0): read to EOF,
  // but never past the limit.
  std::string text;
  text.resize(max_bytes + 1);
  size_t used = 0;
  while (used < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ConfigFileError{false, fmt::format("cannot read the configuration file: {}", std::strerror(errno))};
    }
    used += static_cast<size_t>(n);
  }
  if (used > max_bytes) return too_large(fmt::format("more than {}", SizeText(max_bytes)));
  text.resize(used);
  text.shrink_to_fit();
  return text;
}

}  // namespace sloth
