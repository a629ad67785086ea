#include "tests/support/tinyproxy_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace tether::test {
namespace {

namespace fs = std::filesystem;

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A port nobody listens on right now (the kernel's pick, released again).
uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof(address);
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

bool Accepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = Loopback(port);
  const bool ok =
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

}  // namespace

bool TinyproxyProcess::Available() {
  return access(kBinary, X_OK) == 0;
}

Result<std::unique_ptr<TinyproxyProcess>> TinyproxyProcess::Start(
    uint16_t connect_port) {
  std::unique_ptr<TinyproxyProcess> proxy(new TinyproxyProcess());
  char pattern[] = "/tmp/tether-tinyproxy-XXXXXX";
  if (mkdtemp(pattern) == nullptr)
    return MakeError("mkdtemp failed");
  proxy->dir_ = pattern;
  proxy->port_ = FreePort();
  if (proxy->port_ == 0)
    return MakeError("no free port");
  {
    std::ofstream config(proxy->dir_ / "tinyproxy.conf");
    config << "Port " << proxy->port_ << "\nListen 127.0.0.1\nTimeout 30\n"
           << "Allow 127.0.0.1\nConnectPort " << connect_port
           << "\nMaxClients 16\nLogLevel Connect\n";
  }
  const fs::path log_path = proxy->dir_ / "tinyproxy.log";
  // Made before fork: a child that allocates before exec can wait forever
  // for a lock another thread held at fork time.
  const std::string config = (proxy->dir_ / "tinyproxy.conf").string();
  proxy->pid_ = fork();
  if (proxy->pid_ < 0)
    return MakeError("fork failed");
  if (proxy->pid_ == 0) {
    // Child: only async-signal-safe calls until exec.
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    execl(kBinary, "tinyproxy", "-d", "-c", config.c_str(), nullptr);
    _exit(127);
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Accepts(proxy->port_))
      return proxy;
    int status = 0;
    if (waitpid(proxy->pid_, &status, WNOHANG) == proxy->pid_) {
      proxy->pid_ = -1;
      return MakeError("tinyproxy exited during start-up:\n" + proxy->log());
    }
    // tinyproxy offers no start-up signal but its listening socket.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return MakeError("tinyproxy did not listen within 5 s:\n" + proxy->log());
}

TinyproxyProcess::~TinyproxyProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string TinyproxyProcess::log() const {
  std::ifstream in(dir_ / "tinyproxy.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tether::test
