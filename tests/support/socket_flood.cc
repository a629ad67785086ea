#include "tests/support/socket_flood.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "tests/support/relay_probes.h"

namespace tether::test {

Result<std::unique_ptr<SocketFlood>> SocketFlood::Open(uint16_t port,
                                                       int idle,
                                                       int slowloris) {
  std::unique_ptr<SocketFlood> flood(new SocketFlood);
  // Five connections from each address of 127.<block>.0.0/16.
  const auto connect = [port](int block, int count, const char* what,
                              std::vector<int>& fds) -> Result<void> {
    for (int i = 0; i < count; ++i) {
      const int fd = RawConnect(port, SourceAddress(block, i / 5).c_str());
      if (fd < 0)
        return MakeError(std::string(what) + " socket " + std::to_string(i) +
                         " was not accepted");
      fds.push_back(fd);
    }
    return {};
  };
  TETHER_RETURN_IF_ERROR(connect(10, idle, "idle", flood->idle_));
  if (auto opened = connect(20, slowloris, "slowloris", flood->slowloris_);
      !opened) {
    return Unexpected(std::move(opened).error());
  }
  // A real ClientHello from openssl would do too; the relay only needs to
  // see the start of a handshake record that never completes.
  flood->trickle_ = std::thread([flood = flood.get()] {
    const char hello[] = {
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, static_cast<char>(0xfc),
        0x03, 0x03};
    for (size_t byte = 0; byte < sizeof(hello) && !flood->stop_; ++byte) {
      for (int fd : flood->slowloris_)
        send(fd, &hello[byte], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      for (int tick = 0; tick < 90 && !flood->stop_; ++tick)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  return flood;
}

SocketFlood::~SocketFlood() {
  stop_ = true;
  if (trickle_.joinable())
    trickle_.join();
  for (int fd : idle_)
    close(fd);
  for (int fd : slowloris_)
    close(fd);
}

}  // namespace tether::test
