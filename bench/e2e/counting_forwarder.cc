#include "bench/e2e/counting_forwarder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <list>
#include <vector>

namespace tether::bench::e2e {
namespace {

constexpr size_t kChunk = 64 * 1024;

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

void Prepare(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  // The forwarder must not add Nagle delays the direct path does not have.
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// One direction of one connection. At most one chunk is held: the next
// read waits until the previous chunk was written, so a slow reader slows
// the writer down instead of growing a buffer.
struct Direction {
  int from = -1;
  int to = -1;
  std::atomic<uint64_t>* counter = nullptr;
  std::vector<uint8_t> pending;
  size_t offset = 0;
  bool eof = false;

  bool done() const { return eof && offset == pending.size(); }
};

struct Connection {
  Direction up;    // client -> server
  Direction down;  // server -> client
  bool failed = false;
  ~Connection() {
    close(up.from);
    close(up.to);
  }
};

// Returns false on a fatal socket error.
bool Pump(Direction& d, short revents_from, short revents_to) {
  if (d.offset < d.pending.size()) {
    if (!(revents_to & (POLLOUT | POLLERR | POLLHUP)))
      return true;
    const ssize_t n = send(d.to, d.pending.data() + d.offset,
                           d.pending.size() - d.offset, MSG_NOSIGNAL);
    if (n < 0)
      return errno == EAGAIN || errno == EINTR;
    d.offset += static_cast<size_t>(n);
    d.counter->fetch_add(static_cast<uint64_t>(n));
    if (d.offset == d.pending.size() && d.eof)
      shutdown(d.to, SHUT_WR);
    return true;
  }
  if (d.eof || !(revents_from & (POLLIN | POLLERR | POLLHUP)))
    return true;
  d.pending.resize(kChunk);
  const ssize_t n = recv(d.from, d.pending.data(), kChunk, 0);
  if (n < 0) {
    d.pending.clear();
    d.offset = 0;
    return errno == EAGAIN || errno == EINTR;
  }
  d.pending.resize(static_cast<size_t>(n));
  d.offset = 0;
  if (n == 0) {
    d.eof = true;
    shutdown(d.to, SHUT_WR);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<CountingForwarder>> CountingForwarder::Start(
    uint16_t target_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return MakeError("forwarder: socket failed");
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 8) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return MakeError("forwarder: cannot listen on 127.0.0.1");
  }
  std::unique_ptr<CountingForwarder> forwarder(
      new CountingForwarder(fd, ntohs(addr.sin_port), target_port));
  if (pipe2(forwarder->wake_fd_, O_CLOEXEC) != 0)
    return MakeError("forwarder: pipe failed");
  forwarder->thread_ = std::thread([f = forwarder.get()] { f->Run(); });
  return forwarder;
}

CountingForwarder::CountingForwarder(int listen_fd,
                                     uint16_t port,
                                     uint16_t target_port)
    : listen_fd_(listen_fd), port_(port), target_port_(target_port) {}

CountingForwarder::~CountingForwarder() {
  if (thread_.joinable()) {
    const char byte = 0;
    (void)!write(wake_fd_[1], &byte, 1);
    thread_.join();
  }
  close(listen_fd_);
  for (int fd : wake_fd_) {
    if (fd >= 0)
      close(fd);
  }
}

void CountingForwarder::Run() {
  std::list<Connection> connections;
  while (true) {
    // 0: wake pipe, 1: listener, then four entries per connection.
    std::vector<pollfd> fds = {{wake_fd_[0], POLLIN, 0},
                               {listen_fd_, POLLIN, 0}};
    for (Connection& c : connections) {
      for (Direction* d : {&c.up, &c.down}) {
        const bool writing = d->offset < d->pending.size();
        fds.push_back(
            {d->from, static_cast<short>(!writing && !d->eof ? POLLIN : 0), 0});
        fds.push_back({d->to, static_cast<short>(writing ? POLLOUT : 0), 0});
      }
    }
    // The timeout only bounds how long a missed wake-up could last.
    if (poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR)
      return;
    if (fds[0].revents)
      return;  // the destructor closes the sockets
    if (fds[1].revents & POLLIN) {
      const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const sockaddr_in target = Loopback(target_port_);
        if (server >= 0 &&
            connect(server, reinterpret_cast<const sockaddr*>(&target),
                    sizeof(target)) == 0) {
          Prepare(client);
          Prepare(server);
          Connection& c = connections.emplace_back();
          c.up = {client, server, &to_server_, {}, 0, false};
          c.down = {server, client, &to_client_, {}, 0, false};
        } else {
          close(client);
          if (server >= 0)
            close(server);
        }
      }
    }
    size_t i = 2;
    for (auto it = connections.begin(); it != connections.end();) {
      // Only connections that were polled have entries; new ones come last.
      if (i + 4 > fds.size())
        break;
      Connection& c = *it;
      const bool ok = Pump(c.up, fds[i].revents, fds[i + 1].revents) &&
                      Pump(c.down, fds[i + 2].revents, fds[i + 3].revents);
      i += 4;
      if (!ok || (c.up.done() && c.down.done())) {
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace tether::bench::e2e
