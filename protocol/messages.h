#pragma once

// Protobuf messages to and from frame payloads. The generated types live in
// protocol/relay.pb.h and protocol/peer.pb.h; only protocol/ and the apps'
// cores include them, never another module's public header.

#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace google::protobuf {
class MessageLite;
}

namespace tether::protocol {

// Parses one payload. A payload that is not a valid `message` is an error
// naming the message type ("malformed tether.proto.ClientMessage").
Result<void> ParsePayload(ByteSpan payload,
                          google::protobuf::MessageLite& message);

// Serializes `message` and appends it as one frame; fails over `limit`.
Result<void> AppendMessageFrame(const google::protobuf::MessageLite& message,
                                size_t limit,
                                Bytes& out);

// Serializes `message` without a frame header (e.g. a PeerEnvelope that
// becomes a Relayed's bytes).
Bytes SerializeMessage(const google::protobuf::MessageLite& message);

// Sends libprotobuf's own messages ("String field ... contains invalid
// UTF-8", printed to stderr by default) to the log facade at debug level:
// the parse failure they go with is already reported, and stderr gets only
// the program's own log lines. Call once at start, before other threads.
void RouteProtobufLogs();

}  // namespace tether::protocol
