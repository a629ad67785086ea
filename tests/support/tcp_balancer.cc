#include "tests/support/tcp_balancer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/free_port.h"

namespace tether::test {
namespace {

// Above this many bytes queued toward one side, the other side is not read
// until it drains: a slow reader must not make the balancer hold its peer's
// whole stream in memory, which is what a real balancer does too.
constexpr size_t kHighWater = 1 << 20;
constexpr size_t kReadChunk = 64 << 10;
// How long poll waits at most, so the destructor's stop is seen even if the
// wake-up byte were lost.
constexpr int kTickMs = 100;

// One end of a forwarded connection.
struct Side {
  int fd = -1;
  std::string outgoing;  // read from the other end, not yet written here
  bool eof = false;      // this end sent FIN: nothing more to read
  bool shut = false;     // we sent FIN here (after its outgoing drained)
};

struct Link {
  Side client;
  Side backend;
  bool connecting = true;  // the backend's non-blocking connect is pending
  size_t backend_index = 0;
  size_t tries = 0;  // backends tried for this client
  bool dead = false;
};

// What to wait for on `side`, whose bytes go to `other`; 0 when nothing.
short Interest(const Side& side, const Side& other, bool connecting) {
  if (connecting)
    return POLLOUT;
  short events = 0;
  if (!side.eof && other.outgoing.size() < kHighWater)
    events |= POLLIN;
  if (!side.outgoing.empty())
    events |= POLLOUT;
  return events;
}

}  // namespace

class TcpBalancer::Impl {
 public:
  ~Impl();
  Result<void> Init(const std::vector<uint16_t>& backends);

  uint16_t port = 0;
  mutable std::mutex mutex;  // guards per_backend
  std::vector<int> per_backend;
  std::atomic<int> open{0};

 private:
  void Run();
  void Accept();
  // Starts connecting `link` to the next backend that does not refuse at
  // once; false when none is left to try.
  bool ConnectNext(Link& link);
  void Service(Link& link, short client_events, short backend_events);
  // Reads what `from` has into `to`'s queue; false on a broken socket.
  static bool Read(Side& from, Side& to);
  // Writes `to`'s queue, and FIN once `from` ended and all is written.
  static bool Write(Side& to, const Side& from);
  void Close(Link& link);

  std::vector<uint16_t> backends_;
  size_t next_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Link>> links_;  // loop thread only
  std::thread thread_;
};

TcpBalancer::Impl::~Impl() {
  stop_ = true;
  if (thread_.joinable()) {
    const char byte = 0;
    [[maybe_unused]] ssize_t ignored = write(wake_[1], &byte, 1);
    thread_.join();  // bounded: the loop never blocks longer than kTickMs
  }
  for (auto& link : links_)
    Close(*link);
  for (int fd : {listener_, wake_[0], wake_[1]}) {
    if (fd >= 0)
      close(fd);
  }
}

Result<void> TcpBalancer::Impl::Init(const std::vector<uint16_t>& backends) {
  if (backends.empty())
    return MakeError("a balancer needs backends");
  backends_ = backends;
  per_backend.assign(backends.size(), 0);
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
    return MakeError("pipe2 failed");
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in address = LoopbackAddress(0);
  socklen_t length = sizeof(address);
  if (listener_ < 0 ||
      bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listener_, SOMAXCONN) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) !=
          0) {
    return MakeError("the balancer cannot listen on 127.0.0.1");
  }
  port = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
  return {};
}

void TcpBalancer::Impl::Run() {
  std::vector<pollfd> fds;
  while (!stop_) {
    fds.assign({{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}});
    for (const auto& link : links_) {
      // A side with nothing to do is left out (fd -1), so a hung-up socket
      // whose reading is paused does not wake the loop again and again.
      // Until the backend is connected, the client is not read either.
      const short c =
          link->connecting ? 0 : Interest(link->client, link->backend, false);
      const short b = Interest(link->backend, link->client, link->connecting);
      fds.push_back({c ? link->client.fd : -1, c, 0});
      fds.push_back({b ? link->backend.fd : -1, b, 0});
    }
    if (poll(fds.data(), fds.size(), kTickMs) < 0 && errno != EINTR)
      break;
    if (fds[1].revents != 0)
      break;
    const size_t count = links_.size();  // Accept() appends
    if (fds[0].revents & POLLIN)
      Accept();
    for (size_t i = 0; i < count; ++i)
      Service(*links_[i], fds[2 + 2 * i].revents, fds[3 + 2 * i].revents);
    std::erase_if(links_, [](const auto& link) { return link->dead; });
  }
}

void TcpBalancer::Impl::Accept() {
  for (;;) {
    const int fd =
        accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;  // EAGAIN, or out of descriptors: the backlog keeps them
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto link = std::make_unique<Link>();
    link->client.fd = fd;
    ++open;
    if (!ConnectNext(*link)) {
      Close(*link);
      continue;
    }
    links_.push_back(std::move(link));
  }
}

bool TcpBalancer::Impl::ConnectNext(Link& link) {
  while (link.tries < backends_.size()) {
    ++link.tries;
    const size_t index = next_++ % backends_.size();
    const int fd =
        socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return false;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in address = LoopbackAddress(backends_[index]);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
            0 ||
        errno == EINPROGRESS) {
      link.backend.fd = fd;
      link.connecting = true;  // POLLOUT tells, also when already connected
      link.backend_index = index;
      return true;
    }
    close(fd);  // refused at once: try the next backend
  }
  return false;
}

void TcpBalancer::Impl::Service(Link& link,
                                short client_events,
                                short backend_events) {
  if (link.connecting) {
    if (backend_events == 0)
      return;  // the client's bytes wait until the backend is there
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(link.backend.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {  // refused after all: the next backend, if any
      close(link.backend.fd);
      link.backend.fd = -1;
      if (!ConnectNext(link))
        Close(link);
      return;
    }
    link.connecting = false;
    backend_events = POLLOUT;
    std::lock_guard lock(mutex);
    ++per_backend[link.backend_index];
  }
  const short readable = POLLIN | POLLHUP | POLLERR;
  bool ok = true;
  if (client_events & readable)
    ok = Read(link.client, link.backend);
  if (ok && (backend_events & readable))
    ok = Read(link.backend, link.client);
  // Writing after every read, not only on POLLOUT: what was just read
  // usually fits into the socket at once.
  ok = ok && Write(link.backend, link.client) &&
       Write(link.client, link.backend);
  // Both directions finished (FIN passed on each way), or a socket broke.
  if (!ok || (link.client.shut && link.backend.shut))
    Close(link);
}

bool TcpBalancer::Impl::Read(Side& from, Side& to) {
  if (from.eof || to.outgoing.size() >= kHighWater)
    return true;
  char buffer[kReadChunk];
  const ssize_t n = recv(from.fd, buffer, sizeof(buffer), 0);
  if (n > 0) {
    to.outgoing.append(buffer, static_cast<size_t>(n));
  } else if (n == 0) {
    from.eof = true;
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    return false;
  }
  return true;
}

bool TcpBalancer::Impl::Write(Side& to, const Side& from) {
  while (!to.outgoing.empty()) {
    const ssize_t n = send(to.fd, to.outgoing.data(), to.outgoing.size(),
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    to.outgoing.erase(0, static_cast<size_t>(n));
  }
  if (from.eof && !to.shut) {
    shutdown(to.fd, SHUT_WR);
    to.shut = true;
  }
  return true;
}

void TcpBalancer::Impl::Close(Link& link) {
  if (link.dead)
    return;
  link.dead = true;
  for (int fd : {link.client.fd, link.backend.fd}) {
    if (fd >= 0)
      close(fd);
  }
  --open;
}

TcpBalancer::TcpBalancer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TcpBalancer::~TcpBalancer() = default;

Result<std::unique_ptr<TcpBalancer>> TcpBalancer::Start(
    const std::vector<uint16_t>& backend_ports) {
  auto impl = std::make_unique<Impl>();
  if (auto started = impl->Init(backend_ports); !started)
    return Unexpected(started.error());
  return std::unique_ptr<TcpBalancer>(new TcpBalancer(std::move(impl)));
}

uint16_t TcpBalancer::port() const {
  return impl_->port;
}

std::vector<int> TcpBalancer::connections_per_backend() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->per_backend;
}

int TcpBalancer::connections_open() const {
  return impl_->open;
}

}  // namespace tether::test
