#include "bench/e2e/counting_forwarder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <deque>
#include <list>
#include <vector>

namespace tether::bench::e2e {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kChunk = 64 * 1024;
// What the rate limit lets through at once: one TCP segment on a 1500-byte
// MTU, and a bucket of two.
constexpr size_t kSegment = 1448;
constexpr double kBurst = 2 * kSegment;
// How long poll() may sleep at most: bounds a missed wake-up.
constexpr auto kMaxSleep = std::chrono::milliseconds(100);

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

// A shaped link's sockets, before listen() or connect() (the SYN carries
// both): a small receive buffer, and the MSS of an Ethernet path instead
// of loopback's 64 KiB. The sender sizes its send buffer from its
// congestion window in segments; with loopback's segments it would take
// megabytes of writes at once, a queue no real link has.
void PrepareShaped(int fd, const LinkShape& shape) {
  if (!shape.shaped())
    return;
  if (shape.receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &shape.receive_buffer,
               sizeof(shape.receive_buffer));
  }
  const int mss = static_cast<int>(kSegment);
  setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
}

// Bytes read from one socket, on their way to the other.
struct Piece {
  Clock::time_point due;  // written on from then
  std::vector<uint8_t> bytes;
  size_t offset = 0;  // taken (queue) or written (in flight) so far
};

// One direction of one connection: read -> `queue` (the bottleneck, bounded
// by `queue_bytes`) -> the token bucket -> `in_flight` (the one-way delay)
// -> written. Unshaped, a piece passes straight through, and the next read
// waits until it was written: a slow reader slows the writer down instead
// of growing a buffer.
struct Direction {
  int from = -1;
  int to = -1;
  std::atomic<uint64_t>* counter = nullptr;
  std::deque<Piece> queue;
  size_t queued = 0;  // bytes in `queue` not yet taken
  std::deque<Piece> in_flight;
  double tokens = kBurst;  // bytes the rate limit lets through now
  Clock::time_point refilled = Clock::now();
  bool eof = false;
  bool shut = false;  // SHUT_WR sent to `to`

  // A piece is due but the receiving socket did not take it (yet).
  bool blocked(Clock::time_point now) const {
    return !in_flight.empty() && in_flight.front().due <= now;
  }
  bool reading(const LinkShape& shape, Clock::time_point now) const {
    return !eof && queued < shape.queue_bytes && !blocked(now);
  }
  bool done() const { return eof && queue.empty() && in_flight.empty(); }
};

struct Connection {
  Direction up;    // client -> server
  Direction down;  // server -> client
  ~Connection() {
    close(up.from);
    close(up.to);
  }
};

// Moves what the token bucket allows from `queue` to `in_flight`.
void Release(Direction& d, const LinkShape& shape, Clock::time_point now) {
  const double bytes_per_second =
      static_cast<double>(shape.bits_per_second) / 8.0;
  if (shape.bits_per_second > 0) {
    const double seconds =
        std::chrono::duration<double>(now - d.refilled).count();
    d.tokens = std::min(kBurst, d.tokens + seconds * bytes_per_second);
  }
  d.refilled = now;
  while (!d.queue.empty()) {
    Piece& piece = d.queue.front();
    const size_t left = piece.bytes.size() - piece.offset;
    size_t take = left;
    if (shape.bits_per_second > 0) {
      if (d.tokens < static_cast<double>(std::min(left, kSegment)))
        break;
      take = std::min(left, static_cast<size_t>(d.tokens));
      d.tokens -= static_cast<double>(take);
    }
    const Clock::time_point due = now + shape.one_way_delay;
    if (piece.offset == 0 && take == left) {
      d.in_flight.push_back({due, std::move(piece.bytes), 0});
    } else {
      const auto* begin = piece.bytes.data() + piece.offset;
      d.in_flight.push_back({due, {begin, begin + take}, 0});
    }
    piece.offset += take;
    d.queued -= take;
    if (piece.offset == piece.bytes.size() || take == left)
      d.queue.pop_front();
  }
}

// Reads (if `revents_from` says so and there is room), releases and writes
// what is due. Returns false on a fatal socket error.
bool Pump(Direction& d, const LinkShape& shape, short revents_from) {
  Clock::time_point now = Clock::now();
  if ((revents_from & (POLLIN | POLLERR | POLLHUP)) && d.reading(shape, now)) {
    const size_t room = std::min(kChunk, shape.queue_bytes - d.queued);
    std::vector<uint8_t> bytes(room);
    const ssize_t n = recv(d.from, bytes.data(), room, 0);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return false;
    if (n == 0)
      d.eof = true;
    if (n > 0) {
      bytes.resize(static_cast<size_t>(n));
      d.queue.push_back({now, std::move(bytes), 0});
      d.queued += static_cast<size_t>(n);
    }
  }
  Release(d, shape, now);
  now = Clock::now();
  while (d.blocked(now)) {
    Piece& piece = d.in_flight.front();
    const ssize_t n = send(d.to, piece.bytes.data() + piece.offset,
                           piece.bytes.size() - piece.offset, MSG_NOSIGNAL);
    if (n < 0)
      return errno == EAGAIN || errno == EINTR;
    piece.offset += static_cast<size_t>(n);
    d.counter->fetch_add(static_cast<uint64_t>(n));
    if (piece.offset < piece.bytes.size())
      break;  // the socket is full: POLLOUT
    d.in_flight.pop_front();
  }
  if (d.done() && !d.shut) {
    shutdown(d.to, SHUT_WR);
    d.shut = true;
  }
  return true;
}

// When `d` has something to do without a socket event: the token bucket
// allows the next segment, or a piece in flight is due.
Clock::time_point NextTimer(const Direction& d,
                            const LinkShape& shape,
                            Clock::time_point now,
                            Clock::time_point latest) {
  if (!d.queue.empty() && shape.bits_per_second > 0) {
    const Piece& piece = d.queue.front();
    const double want = static_cast<double>(
        std::min(piece.bytes.size() - piece.offset, kSegment));
    const double seconds = std::max(0.0, want - d.tokens) * 8.0 /
                           static_cast<double>(shape.bits_per_second);
    latest =
        std::min(latest, now + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(seconds)));
  }
  if (!d.in_flight.empty() && d.in_flight.front().due > now)
    latest = std::min(latest, d.in_flight.front().due);
  return latest;
}

}  // namespace

Result<std::unique_ptr<CountingForwarder>> CountingForwarder::Start(
    uint16_t target_port,
    const LinkShape& shape) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return MakeError("forwarder: socket failed");
  PrepareShaped(fd, shape);  // accepted sockets inherit it
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 8) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return MakeError("forwarder: cannot listen on 127.0.0.1");
  }
  std::unique_ptr<CountingForwarder> forwarder(
      new CountingForwarder(fd, ntohs(addr.sin_port), target_port, shape));
  if (pipe2(forwarder->wake_fd_, O_CLOEXEC) != 0)
    return MakeError("forwarder: pipe failed");
  forwarder->thread_ = std::thread([f = forwarder.get()] { f->Run(); });
  return forwarder;
}

CountingForwarder::CountingForwarder(int listen_fd,
                                     uint16_t port,
                                     uint16_t target_port,
                                     const LinkShape& shape)
    : listen_fd_(listen_fd),
      port_(port),
      target_port_(target_port),
      shape_(shape) {
  if (shape_.queue_bytes == 0)
    shape_.queue_bytes = kChunk;
}

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
  thread_id_ = gettid();
  std::list<Connection> connections;
  while (true) {
    const Clock::time_point now = Clock::now();
    Clock::time_point wake = now + kMaxSleep;
    // 0: wake pipe, 1: listener, then four entries per connection.
    std::vector<pollfd> fds = {{wake_fd_[0], POLLIN, 0},
                               {listen_fd_, POLLIN, 0}};
    for (Connection& c : connections) {
      for (Direction* d : {&c.up, &c.down}) {
        fds.push_back({d->from,
                       static_cast<short>(d->reading(shape_, now) ? POLLIN : 0),
                       0});
        fds.push_back(
            {d->to, static_cast<short>(d->blocked(now) ? POLLOUT : 0), 0});
        wake = NextTimer(*d, shape_, now, wake);
      }
    }
    const auto sleep = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::max(wake - now, Clock::duration::zero()));
    const timespec timeout{static_cast<time_t>(sleep.count() / 1000000000),
                           static_cast<long>(sleep.count() % 1000000000)};
    if (ppoll(fds.data(), fds.size(), &timeout, nullptr) < 0 &&
        errno != EINTR) {
      return;
    }
    if (fds[0].revents)
      return;  // the destructor closes the sockets
    if (fds[1].revents & POLLIN) {
      const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (server >= 0)
          PrepareShaped(server, shape_);
        const sockaddr_in target = Loopback(target_port_);
        if (server >= 0 &&
            connect(server, reinterpret_cast<const sockaddr*>(&target),
                    sizeof(target)) == 0) {
          Prepare(client);
          Prepare(server);
          Connection& c = connections.emplace_back();
          c.up.from = c.down.to = client;
          c.up.to = c.down.from = server;
          c.up.counter = &to_server_;
          c.down.counter = &to_client_;
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
      const bool ok = Pump(c.up, shape_, fds[i].revents) &&
                      Pump(c.down, shape_, fds[i + 2].revents);
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
