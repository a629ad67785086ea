// SPDX-License-Identifier: AGPL-3.0-or-later
// The customer page's bridge to the protobuf code the build generates
// (static/tether_proto.js, a classic script on globalThis.protobuf that
// share.html loads before any module): encode and decode the four message
// types the page speaks, and read what protobufjs hands back in a shape the
// rest of the page can rely on.
//
//   ClientMessage  page -> relay, one per WebSocket binary message
//   RelayMessage   relay -> page, likewise (no length prefix: the WebSocket
//                  message is the frame, relay/web/websocket.h)
//   PeerEnvelope   inside Relayed.data: a key exchange step or a record
//   PeerMessage    the plaintext of one record
//
// Field names are protobufjs's camelCase. 64-bit integers come back as
// Numbers (the minimal runtime has no long.js) or, should a page ever load
// long.js, as Long objects: toNumber() takes either. Every decode throws a
// WireError on bytes that are not the message; callers end the session on
// it, as the apps do.

export class WireError extends Error {
  constructor(message) {
    super(message);
    this.name = "WireError";
  }
}

let cached = null;

// tether.proto from the generated script, looked up once.
function types() {
  if (cached) return cached;
  const pb = globalThis.protobuf;
  const root = pb && pb.roots && pb.roots["default"];
  const proto = root && root.tether && root.tether.proto;
  if (!proto || !proto.ClientMessage || !proto.PeerMessage) {
    throw new WireError("the protocol definitions did not load");
  }
  cached = proto;
  return proto;
}

// Whether the generated code is there (the page checks before it starts).
export function available() {
  try {
    types();
    return true;
  } catch {
    return false;
  }
}

// Enum values, as in protocol/*.proto (the generated enums hold the same).
export const Role = Object.freeze({ CUSTOMER: 2 });
export const Codec = Object.freeze({ UNSPECIFIED: 0, VP8: 1, VP9: 2 });
export const Permission = Object.freeze({
  UNSPECIFIED: 0,
  VIEW_SCREEN: 1,
  REMOTE_CONTROL: 2,
  SEND_FILE: 3,
  CLIPBOARD: 4,
  VIEW_SWITCH: 5,
});
export const EndReason = Object.freeze({
  UNSPECIFIED: 0,
  USER_ENDED: 1,
  PEER_ENDED: 2,
  EMERGENCY_STOP: 3,
  JOIN_REJECTED: 4,
  CODE_EXPIRED: 5,
  TIMEOUT: 6,
  PEER_LOST: 7,
  RELAY_SHUTDOWN: 8,
  PROTOCOL_ERROR: 9,
  ENDED_BY_IT: 10,
});
export const ErrorCode = Object.freeze({
  UNSPECIFIED: 0,
  VERSION_MISMATCH: 1,
  NOT_ALLOWED: 2,
  INVALID_CODE: 3,
  RATE_LIMITED: 4,
  TOO_MANY_SESSIONS: 5,
  MALFORMED: 6,
  INTERNAL: 7,
});

function encode(type, object) {
  // Plain objects: the generated encoders read own properties only, which
  // is what an object literal has.
  return type.encode(object).finish();
}

function decode(type, name, bytes) {
  if (!(bytes instanceof Uint8Array)) {
    throw new WireError("not bytes: " + name);
  }
  try {
    return type.decode(bytes);
  } catch {
    throw new WireError("malformed tether.proto." + name);
  }
}

export function encodeClientMessage(object) {
  return encode(types().ClientMessage, object);
}

export function decodeRelayMessage(bytes) {
  return decode(types().RelayMessage, "RelayMessage", bytes);
}

export function encodePeerEnvelope(object) {
  return encode(types().PeerEnvelope, object);
}

export function decodePeerEnvelope(bytes) {
  return decode(types().PeerEnvelope, "PeerEnvelope", bytes);
}

export function encodePeerMessage(object) {
  return encode(types().PeerMessage, object);
}

export function decodePeerMessage(bytes) {
  return decode(types().PeerMessage, "PeerMessage", bytes);
}

// The name of the oneof member that is set (protobufjs's virtual oneof
// property: `body` of the top-level messages, `step` of KeyExchange,
// `target` of ViewTarget), or "" when none is (an empty message, or one
// from a newer app this page does not know).
export function oneof(message, group) {
  if (!message) return "";
  const name = message[group];
  return typeof name === "string" ? name : "";
}

// A uint64/int64 field as a Number (exact up to 2^53, which every counter
// and size the page handles stays below); NaN for anything else.
export function toNumber(value) {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value && typeof value === "object") {
    if (typeof value.toNumber === "function") return value.toNumber();
    if (typeof value.low === "number" && typeof value.high === "number") {
      const low = value.low >>> 0;
      const high = value.unsigned ? value.high >>> 0 : value.high | 0;
      return high * 4294967296 + low;
    }
  }
  return NaN;
}

// A string field, whatever protobufjs made of it ("" when absent).
export function text(value) {
  return typeof value === "string" ? value : "";
}

// A bytes field (an empty array when absent).
export function bytes(value) {
  return value instanceof Uint8Array ? value : new Uint8Array(0);
}
