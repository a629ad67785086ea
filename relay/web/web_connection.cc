#include "relay/web/web_connection.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "protocol/tls_connection.h"

namespace tether::relay::web {
namespace {

// Bytes received ahead of the parser (a pipelined request behind the one
// being answered) beyond which the client is only flooding.
constexpr size_t kMaxBuffered = 256 << 10;
// Downloads are read and queued this much at a time, and only while less
// than kMaxQueued is waiting for the network.
constexpr size_t kFileChunk = 64 << 10;
constexpr size_t kMaxQueued = 512 << 10;
// A download must average this pace, plus a minute, or it is cut.
constexpr uint64_t kMinDownloadBytesPerSecond = 32 << 10;

}  // namespace

WebConnection::WebConnection(protocol::TlsConnection& connection,
                             Handler handler,
                             const Options& options)
    : connection_(connection),
      handler_(std::move(handler)),
      options_(options),
      parser_(options.limits),
      alive_(std::make_shared<bool>(true)) {}

WebConnection::~WebConnection() {
  *alive_ = false;
  if (file_ >= 0)
    ::close(file_);
}

void WebConnection::Start() {
  connection_.SetDeadline(options_.first_request,
                          "no complete HTTP request in time");
}

void WebConnection::OnBytes(ByteSpan bytes) {
  if (connection_.closing() || upgraded_)
    return;
  if (buffer_.size() + bytes.size() > kMaxBuffered) {
    connection_.Close("HTTP client sent too much ahead");
    return;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  Pump();
}

void WebConnection::Pump() {
  while (!busy_ && !connection_.closing() && !buffer_.empty()) {
    auto used = parser_.Feed(buffer_);
    if (!used) {
      // Answered, then closed: the stream cannot be trusted any more.
      const int status = parser_.error_status();
      busy_ = true;
      Answer(JsonError(status, "bad_request", used.error().message), false);
      return;
    }
    buffer_.erase(buffer_.begin(),
                  buffer_.begin() + static_cast<std::ptrdiff_t>(*used));
    if (!parser_.complete())
      continue;
    HttpRequest request = parser_.Take();
    busy_ = true;
    ++requests_;
    if (request.upgrade) {
      std::optional<HttpResponse> refusal = JsonError(
          501, "method", "this relay does not upgrade HTTP connections");
      if (options_.on_upgrade) {
        // The rest of the stream is the other protocol's, from the first
        // byte after the request.
        connection_.ClearDeadline();
        Bytes rest = std::move(buffer_);
        buffer_.clear();
        refusal = options_.on_upgrade(std::move(request), std::move(rest));
      }
      if (refusal)
        Answer(std::move(*refusal), false);
      else
        upgraded_ = true;
      return;
    }
    const bool keep_alive =
        request.keep_alive && requests_ < options_.max_requests;
    // Our own work does not count against the client's deadline, and what
    // the client sends meanwhile waits in its TCP window.
    connection_.ClearDeadline();
    connection_.PauseReading();
    std::weak_ptr<bool> alive = alive_;
    handler_(std::move(request),
             [this, alive, keep_alive](HttpResponse response) {
               auto still = alive.lock();
               if (!still || !*still)
                 return;
               Answer(std::move(response), keep_alive);
             });
    return;
  }
}

void WebConnection::Answer(HttpResponse response, bool keep_alive) {
  if (connection_.closing())
    return;
  keep_alive_ = keep_alive;
  const std::string head = response.Serialize(keep_alive);
  if (!connection_.SendBytes(ByteSpan(
          reinterpret_cast<const uint8_t*>(head.data()), head.size()))) {
    return;  // closing already
  }
  if (!response.file.empty() && response.status != 204) {
    file_ = ::open(response.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (file_ < 0) {
      connection_.Close("cannot open " + response.file.string());
      return;
    }
    file_left_ = response.file_size;
    const auto allowed = std::chrono::seconds(
        60 + response.file_size / kMinDownloadBytesPerSecond);
    connection_.SetDeadline(
        std::chrono::duration_cast<std::chrono::milliseconds>(allowed),
        "download too slow");
    SendFileChunks();
    return;
  }
  FinishAnswer();
}

void WebConnection::SendFileChunks() {
  Bytes chunk;
  while (file_ >= 0 && file_left_ > 0 && !connection_.closing() &&
         connection_.pending_output() < kMaxQueued) {
    chunk.resize(
        static_cast<size_t>(std::min<uint64_t>(kFileChunk, file_left_)));
    const ssize_t n = ::read(file_, chunk.data(), chunk.size());
    if (n <= 0) {
      // The file shrank under us: the promised length cannot be kept.
      connection_.Close("download file changed while sent");
      return;
    }
    file_left_ -= static_cast<uint64_t>(n);
    if (!connection_.SendBytes(ByteSpan(chunk).first(static_cast<size_t>(n))))
      return;
  }
  if (file_ >= 0 && file_left_ == 0) {
    ::close(file_);
    file_ = -1;
    FinishAnswer();
  }
}

void WebConnection::OnDrained() {
  if (file_ >= 0)
    SendFileChunks();
}

void WebConnection::FinishAnswer() {
  if (!keep_alive_) {
    connection_.Close("HTTP exchange done");
    return;
  }
  busy_ = false;
  connection_.SetDeadline(options_.keep_alive,
                          "no complete HTTP request in time");
  connection_.ResumeReading();
  Pump();
}

}  // namespace tether::relay::web
