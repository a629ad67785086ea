#include "protocol/messages.h"

#include <google/protobuf/message_lite.h>
#include <google/protobuf/stubs/logging.h>

#include <climits>
#include <string>

#include "base/log.h"
#include "protocol/framing.h"

namespace tether::protocol {

Result<void> ParsePayload(ByteSpan payload,
                          google::protobuf::MessageLite& message) {
  // Frames are limited well below INT_MAX, but the parser takes an int.
  if (payload.size() > INT_MAX ||
      !message.ParseFromArray(payload.data(),
                              static_cast<int>(payload.size()))) {
    return MakeError("malformed " + message.GetTypeName());
  }
  return {};
}

Result<void> AppendMessageFrame(const google::protobuf::MessageLite& message,
                                size_t limit,
                                Bytes& out) {
  const size_t size = message.ByteSizeLong();
  if (size > limit) {
    return MakeError(message.GetTypeName() + " of " + std::to_string(size) +
                     " bytes exceeds the frame limit of " +
                     std::to_string(limit) + " bytes");
  }
  const size_t start = out.size();
  out.resize(start + kFrameHeaderSize + size);
  out[start] = static_cast<uint8_t>(size >> 24);
  out[start + 1] = static_cast<uint8_t>(size >> 16);
  out[start + 2] = static_cast<uint8_t>(size >> 8);
  out[start + 3] = static_cast<uint8_t>(size);
  message.SerializeWithCachedSizesToArray(out.data() + start +
                                          kFrameHeaderSize);
  return {};
}

Bytes SerializeMessage(const google::protobuf::MessageLite& message) {
  Bytes out(message.ByteSizeLong());
  message.SerializeWithCachedSizesToArray(out.data());
  return out;
}

void RouteProtobufLogs() {
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel level,
                                     const char* /*file*/, int /*line*/,
                                     const std::string& message) {
    // A FATAL message is followed by protobuf's own abort: say it loudly.
    if (level == google::protobuf::LOGLEVEL_FATAL) {
      log::Error("protobuf: {}", message);
    } else {
      log::Debug("protobuf: {}", message);
    }
  });
}

}  // namespace tether::protocol
