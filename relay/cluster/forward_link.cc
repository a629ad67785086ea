#include "relay/cluster/forward_link.h"

#include <uv.h>

#include <utility>

#include "protocol/host_port.h"

namespace tether::relay {
namespace {

constexpr char kIdleReason[] = "the other relay sent nothing for too long";

}  // namespace

Result<ForwardLink*> ForwardLink::Open(
    uv_loop_s* loop,
    const std::string& address,
    std::shared_ptr<const crypto::TlsConfig> tls,
    const Options& options,
    Callbacks callbacks,
    Bytes hello) {
  TETHER_TRY(host_port, protocol::ParseListenAddress(address));
  sockaddr_storage storage{};
  const bool ipv6 = host_port->host.find(':') != std::string::npos;
  const int parsed =
      ipv6 ? uv_ip6_addr(host_port->host.c_str(), host_port->port,
                         reinterpret_cast<sockaddr_in6*>(&storage))
           : uv_ip4_addr(host_port->host.c_str(), host_port->port,
                         reinterpret_cast<sockaddr_in*>(&storage));
  if (parsed != 0 || host_port->port == 0)
    return MakeError("not an address to dial: " + address);

  auto* link = new ForwardLink(options, std::move(callbacks));
  link->queue_.push_back(std::move(hello));
  link->queued_bytes_ = link->queue_.back().size();
  protocol::TlsConnection::Options connection_options;
  connection_options.max_frame_size = options.max_frame_size;
  connection_options.handshake_timeout = options.connect_timeout;
  connection_options.frame_budget = options.frame_budget;
  std::string error;
  link->connection_ = protocol::TlsConnection::Connect(
      loop, reinterpret_cast<const sockaddr*>(&storage), std::move(tls),
      connection_options, link, &error);
  if (link->connection_ == nullptr) {
    delete link;
    return MakeError("cannot connect to " + address + ": " + error);
  }
  return link;
}

ForwardLink::ForwardLink(const Options& options, Callbacks callbacks)
    : options_(options), callbacks_(std::move(callbacks)) {}

void ForwardLink::Send(Bytes payload) {
  if (connection_ == nullptr || connection_->closing())
    return;
  queued_bytes_ += payload.size();
  queue_.push_back(std::move(payload));
  Feed();
}

void ForwardLink::SendFirst(Bytes payload) {
  if (connection_ == nullptr || connection_->closing())
    return;
  // The ClusterHello must still go first when the handshake is not done.
  const bool hello_waiting = !reached_ && !queue_.empty();
  Bytes hello = hello_waiting ? std::move(queue_.front()) : Bytes();
  queue_.clear();
  queued_bytes_ = 0;
  if (hello_waiting) {
    queued_bytes_ += hello.size();
    queue_.push_back(std::move(hello));
  }
  queued_bytes_ += payload.size();
  queue_.push_back(std::move(payload));
  urgent_ = true;
  Feed();
}

void ForwardLink::Feed() {
  if (!reached_ || connection_ == nullptr)
    return;
  // What SendFirst() left is small (the End) and goes out whatever the
  // watermark: the owner closes right after it.
  while (!queue_.empty() && !connection_->closing() &&
         (urgent_ || connection_->pending_output() < options_.watermark)) {
    Bytes payload = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= payload.size();
    bytes_sent_ += payload.size() + protocol::kFrameHeaderSize;
    if (auto sent = connection_->SendPayload(payload); !sent) {
      connection_->Close("cannot forward a frame: " + sent.error().message);
      return;
    }
  }
}

void ForwardLink::Close(const std::string& reason) {
  detached_ = true;
  if (connection_ != nullptr)
    connection_->Close(reason);
}

void ForwardLink::PauseReading() {
  if (connection_ == nullptr)
    return;
  connection_->PauseReading();
  // Not reading is the customer's doing (the broker's stuck-peer deadline
  // decides), not the other relay's silence.
  connection_->ClearDeadline();
}

void ForwardLink::ResumeReading() {
  if (connection_ == nullptr)
    return;
  connection_->ResumeReading();
  if (reached_)
    connection_->SetDeadline(options_.idle_timeout, kIdleReason);
}

void ForwardLink::set_max_frame_size(size_t limit) {
  options_.max_frame_size = limit;
  if (connection_ != nullptr)
    connection_->set_max_frame_size(limit);
}

size_t ForwardLink::pending() const {
  return queued_bytes_ +
         (connection_ != nullptr ? connection_->pending_output() : 0);
}

uint64_t ForwardLink::bytes_received() const {
  return bytes_received_;
}

uint64_t ForwardLink::bytes_sent() const {
  return bytes_sent_;
}

void ForwardLink::OnTlsReady(protocol::TlsConnection& connection) {
  reached_ = true;
  if (!connection.reading_paused())
    connection.SetDeadline(options_.idle_timeout, kIdleReason);
  Feed();
}

void ForwardLink::OnFrame(protocol::TlsConnection& connection, Bytes payload) {
  if (!connection.reading_paused())
    connection.SetDeadline(options_.idle_timeout, kIdleReason);
  bytes_received_ += payload.size() + protocol::kFrameHeaderSize;
  if (!detached_ && callbacks_.on_frame)
    callbacks_.on_frame(std::move(payload));
}

void ForwardLink::OnDrained(protocol::TlsConnection&) {
  Feed();
  if (!detached_ && queue_.empty() && callbacks_.on_drained)
    callbacks_.on_drained();
}

void ForwardLink::OnClosed(protocol::TlsConnection&,
                           const std::string& reason) {
  connection_ = nullptr;
  if (!detached_ && callbacks_.on_closed)
    callbacks_.on_closed(reason, reached_);
  delete this;
}

}  // namespace tether::relay
