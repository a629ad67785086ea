#include "tests/support/tinyproxy_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/free_port.h"

namespace tether::test {
namespace {

namespace fs = std::filesystem;

bool Accepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = LoopbackAddress(port);
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
  proxy->port_ = FreeLoopbackPort();
  if (proxy->port_ == 0)
    return MakeError("no free port");
  {
    std::ofstream config(proxy->dir_ / "tinyproxy.conf");
    config << "Port " << proxy->port_ << "\nListen 127.0.0.1\nTimeout 30\n"
           << "Allow 127.0.0.1\nConnectPort " << connect_port
           << "\nMaxClients 16\nLogLevel Connect\n";
  }
  TETHER_TRY(process, ChildProcess::Start(
                          {.argv = {kBinary, "-d", "-c",
                                    (proxy->dir_ / "tinyproxy.conf").string()},
                           .output = ChildProcess::Output::kAppendToFile,
                           .output_file = proxy->dir_ / "tinyproxy.log"}));
  proxy->process_ = std::move(*process);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Accepts(proxy->port_))
      return proxy;
    if (!proxy->process_->Running())
      return MakeError("tinyproxy exited during start-up:\n" + proxy->log());
    // tinyproxy offers no start-up signal but its listening socket.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return MakeError("tinyproxy did not listen within 5 s:\n" + proxy->log());
}

TinyproxyProcess::~TinyproxyProcess() {
  process_.reset();  // stopped before its folder goes
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
