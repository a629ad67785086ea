#include "relay/config/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tether::relay {

Result<std::string> ReadSecretFile(const SecretFile& file) {
  const std::string name = std::string(file.what) + " " + file.path.string();
  // One open file for the check and the read: what is checked is what is
  // read, even if the name is replaced meanwhile.
  const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return MakeError("cannot read " + name + ": " + std::strerror(errno));
  struct stat status {};
  std::string secret;
  bool readable = ::fstat(fd, &status) == 0;
  if (readable && (status.st_mode & 007) == 0) {
    secret.resize(file.max_bytes + 1);
    size_t filled = 0;
    while (filled < secret.size()) {
      const ssize_t got =
          ::read(fd, secret.data() + filled, secret.size() - filled);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0) {
        readable = got == 0;
        break;
      }
      filled += static_cast<size_t>(got);
    }
    secret.resize(filled);
  }
  ::close(fd);
  if (!readable)
    return MakeError("cannot read " + name);
  if ((status.st_mode & 007) != 0) {
    return MakeError(name +
                     " can be read by other users: chmod 600 (or 640) it");
  }
  if (secret.size() > file.max_bytes) {
    return MakeError(name + " is longer than " +
                     std::to_string(file.max_bytes) + " bytes");
  }
  if (file.text) {
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
      secret.pop_back();
    if (secret.find('\0') != std::string::npos)
      return MakeError(name + " holds no usable password");
  }
  if (secret.size() < file.min_bytes) {
    return MakeError(name + (file.text ? " holds no usable password"
                                       : " is shorter than " +
                                             std::to_string(file.min_bytes) +
                                             " bytes"));
  }
  return secret;
}

}  // namespace tether::relay
