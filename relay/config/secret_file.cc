#include "relay/config/secret_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace tether::relay {

Result<std::string> ReadSecretFile(const SecretFile& file) {
  const std::string name = std::string(file.what) + " " + file.path.string();
  struct stat status {};
  if (::stat(file.path.c_str(), &status) != 0) {
    return MakeError("cannot read " + name + ": " + std::strerror(errno));
  }
  if ((status.st_mode & 007) != 0) {
    return MakeError(name +
                     " can be read by other users: chmod 600 (or 640) it");
  }
  std::ifstream in(file.path, std::ios::binary);
  std::string secret;
  secret.resize(file.max_bytes + 1);
  in.read(secret.data(), static_cast<std::streamsize>(secret.size()));
  if (in.bad())
    return MakeError("cannot read " + name);
  secret.resize(static_cast<std::size_t>(in.gcount()));
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
