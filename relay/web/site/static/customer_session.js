// SPDX-License-Identifier: AGPL-3.0-or-later
// The customer's session in the browser, as one state machine: the relay's
// WebSocket, the control plane (Hello, Join, heartbeats, End), the E2E key
// exchange and channel (e2e.js), and the customer's rules, which are the
// native app's (customer-app/core/customer_policy.cc, file_transfers.cc,
// customer_session.cc; protocol/peer_session.cc, peer_plane.cc,
// session_end.cc) with the differences a web page brings:
//   - view only: TermsAnswer.view_only is true, and remote control,
//     clipboard and view switch requests are answered "no" without a
//     prompt (a page can neither move the pointer nor show a second
//     window); input events are refused like the native app refuses
//     input without a grant;
//   - viewing is answered once the browser's own picker was answered: yes
//     when the customer picked a screen or window, no when they cancelled;
//   - received files stay in the page's memory until the customer saves
//     them from a link; files both ways are limited to what a page can
//     hold (BROWSER_FILE_LIMIT each, BROWSER_HOLD_LIMIT for all the
//     technician's files together);
//   - what the other side wrote (names, reasons, chat, terms) is shown as
//     the native app shows it (app_ui::DisplayText): no control or bidi
//     characters, names cut to a length that fits a sentence;
//   - a queued video frame or file piece is dropped, not sent, when the
//     view or the transfer ended before its turn came; after STOP only
//     EmergencyStop and EndSession are still sealed.
// No DOM here: the page (share.js) listens to events and calls methods;
// the screen is shared through the object createScreenShare() returns
// (screen_share.js). Nothing here logs, and no event, receipt or error
// carries keys, screen content or file contents.
//
// Phases: idle -> connecting (socket, Hello) -> waiting (Join sent, the
// technician accepts, keys are exchanged) -> confirm (SAS and terms shown)
// -> session -> ended. A failure before the technician accepted returns
// to idle with a "failed" event (the customer may try again); any end
// after it is final ("ended").
//
// Events (CustomEvent, all data in `detail`):
//   phase        { phase }
//   relay        { organisation }                        HelloAck
//   technician   { name, organisation }                  Joined
//   confirm      { sas, technician, organisation, terms, recording }
//   prompt       { serial, kind: "view"|"file", technician, reason,
//                  fileName, fileSize, fileId }
//   prompt-closed{ serial }
//   grants       { viewing, asking }   asking: the browser's picker is open
//   chat         { from: "technician"|"customer", text, at }
//   transfer     a Transfer snapshot (see #transferView)
//   notice       { text }              a plain note for the panel
//   failed       { title, text, retryAfterSeconds }
//   ended        { end, view, receipt }

import {
  CustomerHandshake,
  equalBytes,
  MAX_PLAINTEXT_SIZE,
  MAX_RECORD_SIZE,
} from "./e2e.js";
import * as wire from "./wire.js";

const { Permission, EndReason, ErrorCode } = wire;

export const PROTOCOL_VERSION = 1;
export const APP_VERSION = "tether-customer-web 1.0";

const CONNECT_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 5_000;
const PEER_TIMEOUT_MS = 20_000;
const TERMS_WAIT_MS = 5_000;
const STOP_FLUSH_MS = 1_500;
// From the relay's Joined to the secured channel: both apps do the key
// exchange at once, so a technician's app that never does holds the page
// no longer than this (heartbeats do not renew it).
const KEY_EXCHANGE_TIMEOUT_MS = 30_000;
// Video and file chunks wait while more than this is queued for the relay,
// so STOP, chat and acks never queue behind much.
export const LINK_WINDOW = 256 * 1024;
// Any other message is refused (dropped) while this much is queued, as the
// native engine's Send() (peer_session.h's max_pending_bytes): a technician
// who sends requests and never reads the answers cannot grow the page's
// queue without bound. EmergencyStop and EndSession are never refused.
const MAX_PENDING_BYTES = 8 << 20;
// Relayed data plus the RelayMessage and PeerEnvelope around it.
const MAX_RELAY_MESSAGE = MAX_RECORD_SIZE + 1024;
// Incoming bytes waiting to be decrypted; a technician's app never comes
// near it (the native engine stops reading at 16 MiB).
const MAX_INCOMING_BACKLOG = 64 << 20;
// What a page can hold of one file (the native apps take 2 GiB, on disk).
export const BROWSER_FILE_LIMIT = 256 * 1000 * 1000;
// What the technician's files may take of the page's memory in all: those
// asked about, arriving, and received (kept until the page closes). An
// offer beyond it is refused without asking.
export const BROWSER_HOLD_LIMIT = 512 * 1000 * 1000;
// Received pieces move from script memory into a Blob (which the browser
// may keep outside the page's heap) every this many bytes.
const BLOB_PART_BYTES = 4 << 20;
// Files refused without asking that are listed on the page and in the
// receipt; further ones are only counted (a flood of bad offers adds
// nothing to the page).
const MAX_REFUSED_OFFERS_SHOWN = 5;
const CUSTOMER_FILE_ID_BIT = 0x80000000;
const CHUNK_SIZE = 64 * 1024;
const SHA256_SIZE = 32;
const MAX_RELAY_TEXT = 300;
const MAX_OFFERED_NAME_BYTES = 4096;
const MAX_FILE_NAME_BYTES = 240;
// How many characters of the other side's words the page shows, as the
// native app (customer-app/ui: app_ui::DisplayText's callers).
const SHOWN_NAME_CHARS = 60;
const SHOWN_ORGANISATION_CHARS = 80;
const SHOWN_REASON_CHARS = 300;
const SHOWN_CHAT_CHARS = 2000;
const SHOWN_TERMS_CHARS = 20000;

// customer_policy.h's PolicyLimits.
const LIMITS = Object.freeze({
  maxQueuedPrompts: 3,
  maxRefusalsPerPermission: 3,
  maxChatBytes: 16 * 1024,
  chatBurst: 10,
  chatIntervalMs: 500,
  maxTermsBytes: 64 * 1024,
  maxNameBytes: 200,
  maxOpenFiles: 4,
});

// protocol/session_end.h and peer_plane.cc, word for word.
export const TEXT = Object.freeze({
  endedByIt: "Your IT department ended this session from the relay's console.",
  connectionLost: "The connection to the relay was lost.",
  noAnswer: "The relay did not answer in time. Check the relay address and the network.",
  unreadableRelay: "The relay sent data this app cannot read.",
  wrongCode: "This code is wrong or has expired. Check the 8 digits with your technician.",
  youEnded: "You ended the session.",
  endedByYou: "Session ended by you",
  setupFailed: "The encrypted connection to the other side could not be set up.",
  unreadable: "The other side sent data this app cannot read.",
  commitmentMismatch:
    "The security check of the connection failed: the other side's key does not match " +
    "the one it announced. Somebody may be interfering with the connection.",
  restartedExchange:
    "The other side tried to restart the key exchange during the session. Somebody may " +
    "be interfering with the connection.",
  recordTooEarly: "The other side sent encrypted data before the connection was secured.",
  recordRejected:
    "A message from the other side failed its integrity check (altered, replayed or " +
    "lost on the way).",
  unreachable: "Could not reach the support server.",
  tooMuchData: "The other side sent more data than this page can take.",
});

// ---------------------------------------------------------------------------
// Text helpers (pure)
// ---------------------------------------------------------------------------

const utf8 = new TextEncoder();

export function byteLength(text) {
  return utf8.encode(text).length;
}

// The longest start of `text` within `maxBytes` of UTF-8, cut between
// characters.
export function cutUtf8(text, maxBytes) {
  if (typeof text !== "string") return "";
  if (text.length * 3 <= maxBytes || byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let out = "";
  for (const ch of text) {
    const n = byteLength(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    out += ch;
  }
  return out;
}

// app_ui's IsHiddenCharacter: C0, DEL, C1, zero-width characters and
// LRM/RLM, bidirectional embeddings, overrides and isolates, ALM, BOM (and
// lone surrogates, which no UTF-8 decodes to).
function isHiddenCharacter(cp) {
  return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x061c || cp === 0xfeff || (cp >= 0xd800 && cp <= 0xdfff);
}

// app-ui/display_text.cc's DisplayText: text the other side chose, safe to
// show inside a sentence (a name must not reverse the words after it, nor
// pretend to end in ".pdf"): hidden characters removed, newlines and tabs
// made spaces unless `keepNewlines`, at most `maxChars` characters and
// then "…".
export function displayText(text, maxChars = 200, keepNewlines = false) {
  const input = typeof text === "string" ? text : "";
  let out = "";
  let kept = 0;
  for (const ch of input) {
    if (kept >= maxChars) {
      out += "\u2026";
      break;
    }
    if (ch === "\n" && keepNewlines) {
      out += "\n";
    } else if (ch === "\n" || ch === "\t") {
      out += " ";
    } else if (isHiddenCharacter(ch.codePointAt(0))) {
      continue;
    } else {
      out += ch;
    }
    kept++;
  }
  return out;
}

// app-ui's DisplayFileName: cut in the middle when longer than `maxChars`,
// so the real extension always shows ("Invoice____…pdf.desktop").
export function displayFileName(name, maxChars = 120) {
  const all = Array.from(displayText(name, Number.MAX_SAFE_INTEGER).trim());
  if (all.length <= maxChars) return all.join("");
  const dot = all.lastIndexOf(".");
  const extension = dot < 0 ? 0 : all.length - dot;
  const tail = Math.min(Math.max(extension, Math.floor(maxChars / 3)), maxChars - 1);
  const head = maxChars - 1 - tail;
  return all.slice(0, head).join("") + "\u2026" + all.slice(all.length - tail).join("");
}

// A name from the relay or the technician's app, as the page shows it and
// the receipt writes it.
function shownName(value, maxChars) {
  return displayText(cutUtf8(wire.text(value), LIMITS.maxNameBytes), maxChars).trim();
}

// session_end.cc's CleanRelayText: control characters blanked, 300 bytes;
// and, since the page puts it in a sentence, no bidi or invisible
// characters.
export function cleanRelayText(text) {
  return cutUtf8(wire.text(text), MAX_RELAY_TEXT)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")
    .replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c\ufeff]/g, "");
}

// “text”: how the receipt quotes names.
function quoted(text) {
  return "\u201C" + text + "\u201D";
}

// "482 913", as people read it.
function spacedSas(sas) {
  return sas.length === 6 ? sas.slice(0, 3) + " " + sas.slice(3) : sas;
}

// file_receiver.cc's FormatFileSize: decimal units, as file managers show.
export function formatFileSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return "";
  if (n < 1000) return n + (n === 1 ? " byte" : " bytes");
  const units = ["KB", "MB", "GB", "TB"];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < 3) {
    value /= 1000;
    unit++;
  }
  return (value < 10 ? value.toFixed(1) : value.toFixed(0)) + " " + units[unit];
}

function hex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

function pad2(n) {
  return String(n).padStart(2, "0");
}

// "2026-12-06 14:03:07", local time, as the native receipt writes it.
export function formatTime(date) {
  return date.getFullYear() + "-" + pad2(date.getMonth() + 1) + "-" + pad2(date.getDate()) +
    " " + pad2(date.getHours()) + ":" + pad2(date.getMinutes()) + ":" + pad2(date.getSeconds());
}

// customer-app/core/session_code_input.cc: what the customer typed or
// pasted -> the 8 digits, or a plain sentence saying what is wrong. Runs of
// digits joined by a few spaces or dashes are the candidates; full-width
// digits count as digits.
export function normalizeCode(typed) {
  const input = typeof typed === "string" ? typed : "";
  if (input.length > 1000) {
    return { error: "That is too much text. Type only the 8-digit code." };
  }
  const runs = [];
  let run = "";
  let separators = 0;
  let totalDigits = 0;
  const endRun = () => {
    if (run) runs.push(run);
    run = "";
    separators = 0;
  };
  for (const ch of input) {
    const cp = ch.codePointAt(0);
    let digit = -1;
    if (cp >= 0x30 && cp <= 0x39) digit = cp - 0x30;
    else if (cp >= 0xff10 && cp <= 0xff19) digit = cp - 0xff10;
    if (digit >= 0) {
      run += String(digit);
      separators = 0;
      totalDigits++;
    } else if (/^[\s\-.\u00a0\u2000-\u200a\u2010-\u2015\u202f]$/u.test(ch)) {
      if (run && ++separators > 3) endRun();
    } else {
      endRun();
    }
  }
  endRun();
  let code = "";
  for (const candidate of runs) {
    if (candidate.length !== 8) continue;
    if (code && code !== candidate) {
      return { error: "This text holds more than one code. Type only the code your technician gave you." };
    }
    code = candidate;
  }
  if (code) return { code };
  if (totalDigits === 0) return { error: "Type the 8-digit code your technician gave you." };
  if (totalDigits < 8) return { error: "The code has 8 digits; this has only " + totalDigits + "." };
  if (totalDigits > 8) return { error: "The code has 8 digits; this has " + totalDigits + "." };
  return { error: "The code is 8 digits without letters or other signs in between." };
}

// protocol/file_name.cc's SanitizeFileName: one plain file name, whatever
// was offered (directories, drive letters, control and bidi characters,
// characters Windows refuses, leading dots, device names, overlong names).
export function sanitizeFileName(offered) {
  const name0 = typeof offered === "string" ? offered : "";
  if (byteLength(name0) > MAX_OFFERED_NAME_BYTES) return { error: "the file name is too long" };
  let cps = Array.from(name0);
  let start = 0;
  cps.forEach((c, i) => {
    if (c === "/" || c === "\\") start = i + 1;
  });
  cps = cps.slice(start);
  if (cps.length >= 2 && /^[A-Za-z]$/.test(cps[0]) && cps[1] === ":") cps = cps.slice(2);
  const isControl = (c) => {
    const cp = c.codePointAt(0);
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
      (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) ||
      cp === 0xfeff || cp === 0x061c || (cp >= 0xd800 && cp <= 0xdfff);
  };
  cps = cps.map((c) => (isControl(c) || '<>:"|?*'.includes(c) ? "_" : c));
  const trimmed = (c) => c === "." || c === " ";
  while (cps.length && trimmed(cps[0])) cps.shift();
  while (cps.length && trimmed(cps[cps.length - 1])) cps.pop();
  if (cps.length === 0) return { error: "the offered file has no usable name" };
  const isDevice = (list) => {
    const dot = list.indexOf(".");
    let stem = (dot < 0 ? list : list.slice(0, dot)).join("").replace(/ +$/, "").toUpperCase();
    if (["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"].includes(stem)) return true;
    return stem.length === 4 && (stem.startsWith("COM") || stem.startsWith("LPT")) &&
      /[1-9\u00b9\u00b2\u00b3]/.test(stem[3]);
  };
  const prefixDevice = () => {
    if (isDevice(cps)) cps.unshift("_");
  };
  prefixDevice();
  let name = cps.join("");
  if (byteLength(name) > MAX_FILE_NAME_BYTES) {
    const dot = name.lastIndexOf(".");
    let extension = "";
    if (dot > 0 && byteLength(name.slice(dot)) <= 32) {
      extension = name.slice(dot);
      name = name.slice(0, dot);
    }
    name = cutUtf8(name, MAX_FILE_NAME_BYTES - byteLength(extension)).replace(/[. ]+$/, "");
    cps = Array.from(name + extension);
    prefixDevice();
    name = cps.join("");
  }
  return { name };
}

// What the page shows when a session ends: customer-app/ui/end_view.cc's
// title and text for `end` ({ reason, message, local }); `context`:
// { paired, reachedRelay }.
export function describeEnd(end, context) {
  const core = (end.message || "").trim();
  // The core's own sentence as details, unless it says what the title says.
  const view = (title, text, tone) => {
    const plain = core.replace(/\.+$/, "").toLowerCase();
    const details = core && !plain.startsWith(title.toLowerCase()) &&
      core !== TEXT.youEnded ? core : "";
    return { title, text, details, tone };
  };
  switch (end.reason) {
    case EndReason.EMERGENCY_STOP:
      return view("Session ended by you",
        "You pressed STOP. The technician was disconnected at once and can no longer see " +
        "your screen.", "calm");
    case EndReason.USER_ENDED:
      if (end.local) {
        return view("Session ended by you",
          "The technician can no longer see your screen.", "calm");
      }
    // falls through
    case EndReason.PEER_ENDED:
      return view("The technician ended the session",
        "They can no longer see your screen.", "calm");
    case EndReason.CODE_EXPIRED:
      return view("This code is wrong or has expired",
        "Check the 8 digits with your technician, or ask them for a new code.", "problem");
    case EndReason.JOIN_REJECTED:
      return view("The technician did not accept the connection",
        "Nothing was shared. If you expected to be helped, ask your technician for a new code.",
        "problem");
    case EndReason.RELAY_SHUTDOWN:
      if (context.paired) {
        return view("The support server was shut down",
          "The session has ended. The technician can no longer see your screen.", "problem");
      }
      break;
    case EndReason.PROTOCOL_ERROR:
      if (context.paired) {
        return view("The session ended because of a technical problem",
          "This page closed the connection to be safe. The technician can no longer see " +
          "your screen.", "problem");
      }
      if (end.rateLimited) {
        return view("Too many wrong codes", core, "problem");
      }
      break;
    case EndReason.ENDED_BY_IT:
      return view("Your IT department ended this session",
        "The technician can no longer see your screen.", "problem");
    default:
      break;
  }
  if (!context.paired && !context.reachedRelay) {
    return view("Could not reach the support server",
      "Check that this computer is connected to your company's network (or VPN), then try " +
      "again. If it keeps happening, call your IT department.", "problem");
  }
  if (!context.paired) {
    return view("The connection was lost",
      "Your technician did not connect in time. Ask them for a new code and try again.",
      "problem");
  }
  return view("The connection was lost",
    "The session has ended. The technician can no longer see your screen.", "problem");
}

// session_end.cc's EndForRelayEnd, for the customer.
function endForRelayEnd(end, lastError) {
  const reason = Number(end.reason) || 0;
  const relayText = cleanRelayText(end.message);
  const orDefault = (fallback) => relayText || fallback;
  switch (reason) {
    case EndReason.PEER_ENDED:
      return { reason, message: "The technician ended the session." };
    case EndReason.EMERGENCY_STOP:
      return { reason, message: "The session was stopped." };
    case EndReason.JOIN_REJECTED:
      return { reason, message: "The technician did not accept this connection." };
    case EndReason.CODE_EXPIRED:
      return { reason, message: orDefault("This code has expired.") };
    case EndReason.TIMEOUT:
      return {
        reason,
        message: "The relay closed the connection because it was too slow or silent for too long.",
      };
    case EndReason.PEER_LOST:
      return { reason, message: orDefault("The other side lost its connection.") };
    case EndReason.RELAY_SHUTDOWN:
      return { reason, message: "The relay is shutting down; the session has ended." };
    case EndReason.ENDED_BY_IT:
      return { reason, message: TEXT.endedByIt };
    case EndReason.PROTOCOL_ERROR:
      return {
        reason,
        message: lastError || "The relay ended the session (" + orDefault("no reason given") + ").",
      };
    default:
      return { reason, message: orDefault("The relay ended the session.") };
  }
}

// ---------------------------------------------------------------------------
// The session
// ---------------------------------------------------------------------------

export class CustomerSession extends EventTarget {
  // ---- wiring
  #url;
  #createScreenShare;
  #hostName;
  #screen = null;

  // ---- connection
  #phase = "idle";
  #ws = null;
  #code = "";
  #reachedRelay = false;
  #helloAcked = false;
  #paired = false;
  #ended = false;
  #stopping = false; // ending: bulk traffic is dropped
  #stopNow = false; // STOP pressed: only EmergencyStop and EndSession go out
  #lastError = "";
  #rateLimitedFor = 0;
  #timers = { connect: 0, heartbeat: 0, liveness: 0, terms: 0, room: 0, exchange: 0 };
  #lastReceived = 0;
  #lastHeartbeatSent = 0;
  #livenessDue = 0;
  #inChain = Promise.resolve();
  #inBacklog = 0;
  #outChain = Promise.resolve();
  #outQueued = 0;
  #roomWaiters = [];

  // ---- peer plane
  #handshake = null;
  #channel = null;
  #planeFailed = false;
  #sas = "";

  // ---- the customer's rules (customer_policy.cc)
  #relayOrganisation = "";
  #relayTerms = "";
  #technician = "";
  #organisation = "";
  #terms = null; // SessionTerms
  #recording = false;
  #pendingDecoders = [];
  #termsAnswered = false;
  #promptOpen = null; // Pending
  #promptQueue = [];
  #nextSerial = 1;
  #viewAsking = null; // the Pending whose browser picker is open
  #viewing = false;
  #viewEpoch = 0; // one more each time viewing starts: frames carry theirs
  #saidNo = new Map();
  #refusals = new Map();
  #refusedControlNoted = new Set();
  #chatTokens = -1;
  #chatRefilled = 0;
  #incoming = new Map(); // fileId -> Transfer (technician -> customer)
  #outgoing = new Map(); // fileId -> Transfer (customer -> technician)
  #nextFileId = 1;
  #pumping = false;
  #transferKeys = 0; // each transfer's own key (file ids may come again)
  #heldBytes = 0; // received files kept for saving
  #refusedOffers = 0;
  #hashChain = Promise.resolve(); // one file in memory for its SHA-256 at a time

  // ---- the receipt
  #receipt = [];
  #joinedAt = null;
  #endedAt = null;
  #end = null;
  #files = []; // finished transfers, for the receipt's file list

  // options: { url (wss://…/ws), createScreenShare(hooks) -> ScreenShare,
  //            hostName (shown to the technician before accepting) }
  constructor(options) {
    super();
    this.#url = options.url;
    this.#createScreenShare = options.createScreenShare;
    this.#hostName = cutUtf8(options.hostName || "web browser", LIMITS.maxNameBytes);
  }

  get phase() {
    return this.#phase;
  }

  get viewing() {
    return this.#viewing;
  }

  get technician() {
    return this.#technician;
  }

  // Bytes accepted for sending and not yet on the network.
  pendingBytes() {
    const ws = this.#ws;
    return (ws ? ws.bufferedAmount : 0) + this.#outQueued;
  }

  // ---- the customer's actions ------------------------------------------------

  // Starts a session with `code` (8 digits, normalizeCode's). Only from idle.
  connect(code) {
    if (this.#phase !== "idle" || this.#ended) return false;
    this.#code = code;
    this.#setPhase("connecting");
    let ws;
    try {
      ws = new WebSocket(this.#url);
    } catch {
      this.#finish({ reason: EndReason.PEER_LOST, message: TEXT.unreachable });
      return true;
    }
    ws.binaryType = "arraybuffer";
    this.#ws = ws;
    ws.addEventListener("open", () => this.#onOpen(ws));
    ws.addEventListener("message", (event) => this.#onSocketMessage(ws, event));
    ws.addEventListener("close", () => this.#onSocketClosed(ws));
    ws.addEventListener("error", () => {}); // "close" follows and says it
    this.#timers.connect = setTimeout(() => {
      this.#finish({
        reason: EndReason.TIMEOUT,
        message: this.#reachedRelay ? TEXT.noAnswer : TEXT.unreachable,
      });
    }, CONNECT_TIMEOUT_MS);
    return true;
  }

  // Gives up waiting (before the SAS prompt): back to the start, quietly.
  cancel() {
    if (this.#ended || this.#phase === "idle") return;
    this.#endSession(EndReason.USER_ENDED, "The customer cancelled.", { quiet: !this.#paired });
  }

  // The SAS and terms prompt: "Yes, it matches and I agree" or "No".
  answerTerms(accepted) {
    if (this.#phase !== "confirm" || this.#termsAnswered || this.#ended) return;
    this.#termsAnswered = true;
    this.#sendPeer({ termsAnswer: { accepted: !!accepted, viewOnly: true } });
    if (!accepted) {
      this.#record("You did not confirm the code " + spacedSas(this.#sas) +
        ". The session was ended; nothing was shared.");
      this.#endSession(EndReason.USER_ENDED,
        "You did not confirm the code, so the session was ended. Nothing was shared.");
      return;
    }
    this.#record("You confirmed the code " + spacedSas(this.#sas) + " and accepted the terms" +
      (this.#organisation ? " of " + this.#organisation : "") +
      (this.#recording ? "; the technician records the session." : "."));
    this.#setPhase("session");
    this.#openNextPrompt();
  }

  // The open consent prompt was answered. Call it from the click itself: for
  // viewing, the browser's own picker opens from inside this call.
  answerPrompt(serial, granted) {
    const pending = this.#promptOpen;
    if (this.#phase !== "session" || !pending || pending.serial !== serial) return;
    this.#promptOpen = null;
    this.#emit("prompt-closed", { serial });
    const who = this.#who();
    if (pending.cancelled) {
      this.#answer(pending.requestId, false);
      this.#record(who + " withdrew the request to " + pending.description + ".");
      if (pending.file) {
        this.#closeTransfer(pending.file.transfer, "cancelled", "The technician withdrew the file.");
      }
      if (!granted) this.#countNo(pending.permission);
    } else if (pending.permission === Permission.VIEW_SCREEN && granted) {
      this.#startViewing(pending);
      return; // the next prompt waits for the browser's picker
    } else {
      this.#record((granted ? "You allowed " : "You did not allow ") + who + " to " +
        pending.description + ".");
      this.#answer(pending.requestId, granted);
      if (pending.permission === Permission.SEND_FILE) {
        if (granted) this.#acceptIncoming(pending.file);
        else this.#closeTransfer(pending.file.transfer, "cancelled", "You did not accept this file.");
      }
      if (!granted) this.#countNo(pending.permission);
    }
    this.#openNextPrompt();
  }

  // "Stop sharing" on the panel (and the browser's own button).
  stopSharing() {
    if (this.#phase !== "session" || !this.#viewing) return;
    this.#viewing = false;
    this.#screen.stop();
    this.#record("You stopped sharing your screen.");
    this.#sendPeer({ revoke: { permission: Permission.VIEW_SCREEN } });
    this.#emitGrants();
  }

  // False (nothing sent) before the customer agreed, after the end, for
  // empty or overlong text.
  sendChat(text) {
    if (this.#phase !== "session" || typeof text !== "string" || text === "" ||
        byteLength(text) > LIMITS.maxChatBytes) {
      return false;
    }
    if (!this.#sendPeer({ chat: { text, sentAtUnixMs: Date.now() } })) return false;
    this.#emit("chat", { from: "customer", text, at: new Date() });
    return true;
  }

  // Offers the customer's own file (a File from <input type=file>) to the
  // technician: hashed here, then FileOffer; chunks once accepted. Returns
  // the transfer's id, or { error } in plain words.
  sendFile(file) {
    if (this.#phase !== "session" || this.#stopping) {
      return { error: "Files can be sent once you have agreed to the session." };
    }
    if (!file || typeof file.size !== "number" || typeof file.slice !== "function") {
      return { error: "Choose a file first." };
    }
    if (file.size > BROWSER_FILE_LIMIT) {
      return {
        error: "This page can send files up to " + formatFileSize(BROWSER_FILE_LIMIT) +
          ". Ask your technician about bigger files.",
      };
    }
    const name = cutUtf8(String(file.name || "file"), MAX_OFFERED_NAME_BYTES);
    if (this.#nextFileId >= CUSTOMER_FILE_ID_BIT) {
      return { error: "No more files can be sent in this session." };
    }
    const fileId = (CUSTOMER_FILE_ID_BIT | this.#nextFileId++) >>> 0;
    const transfer = {
      fileId,
      direction: "out",
      name,
      size: file.size,
      done: 0,
      state: "waiting",
      message: "Getting the file ready\u2026",
      sha256: null,
      file,
      offered: false,
      accepted: false,
    };
    this.#outgoing.set(fileId, transfer);
    this.#emitTransfer(transfer);
    this.#prepareOutgoing(transfer);
    return { fileId };
  }

  // Stops a transfer either way (the customer's cancel button).
  cancelTransfer(fileId) {
    const out = this.#outgoing.get(fileId);
    if (out) {
      this.#outgoing.delete(fileId);
      if (out.offered) {
        this.#sendPeer({ fileCancel: { fileId, reason: "The customer cancelled the transfer." } });
        this.#record("You stopped sending " + quoted(out.name) + ".");
      }
      this.#closeTransfer(out, "cancelled", "You stopped the transfer.");
      return;
    }
    const inc = this.#incoming.get(fileId);
    if (inc && inc.state === "receiving") {
      this.#incoming.delete(fileId);
      this.#sendPeer({ fileCancel: { fileId, reason: "The customer cancelled the transfer." } });
      this.#record("You stopped receiving " + quoted(inc.name) + ".");
      this.#closeTransfer(inc, "cancelled", "You stopped the transfer.");
    }
  }

  // STOP: the screen stops at once (tracks and encoder, synchronously,
  // before anything else), then EmergencyStop and End go out and the
  // connection closes. Safe in any phase, idempotent.
  emergencyStop() {
    if (this.#ended) return;
    this.#stopping = true;
    this.#stopNow = true; // what is still queued to seal stays behind
    if (this.#screen) this.#screen.stop();
    const wasViewing = this.#viewing;
    this.#viewing = false;
    if (!this.#paired) {
      this.#endSession(EndReason.USER_ENDED, "The customer cancelled.", { quiet: true });
      return;
    }
    this.#record("You pressed STOP. The session was ended at once.");
    if (wasViewing) this.#emitGrants();
    if (this.#channel && !this.#planeFailed) {
      this.#sendPeer({ emergencyStop: {} }, { urgent: true });
    }
    this.#endSession(EndReason.EMERGENCY_STOP, "The customer pressed STOP.", {
      shown: TEXT.endedByYou,
    });
  }

  // The page is going away: tell the relay, which tells the technician.
  pageClosing() {
    if (this.#ended || this.#phase === "idle") return;
    if (this.#screen) this.#screen.stop();
    this.#sendRelay({
      end: { reason: EndReason.USER_ENDED, message: "The customer closed the page." },
    });
    this.#finish({ reason: EndReason.USER_ENDED, message: TEXT.youEnded, local: true },
      { skipSocketEnd: true });
  }

  // The receipt as text (what the page shows and the .txt holds).
  receiptText() {
    const lines = ["Tether remote support: receipt",
      "This session ran in a web browser: the technician could see what you shared, " +
      "but could never control this computer."];
    if (this.#technician) lines.push("Technician: " + this.#technician);
    if (this.#organisation) lines.push("Organisation: " + this.#organisation);
    if (this.#joinedAt) lines.push("Started: " + formatTime(this.#joinedAt));
    if (this.#endedAt) lines.push("Ended: " + formatTime(this.#endedAt));
    if (this.#end) lines.push("How it ended: " + this.#end.message);
    if (this.#files.length > 0) {
      lines.push("", "Files:");
      for (const f of this.#files) {
        lines.push((f.direction === "in" ? "  from the technician: " : "  to the technician: ") +
          quoted(f.name) + " (" + formatFileSize(f.size) + ")" +
          (f.sha256 ? ", SHA-256 " + f.sha256 : "") + ": " + f.outcome);
      }
    }
    lines.push("", "What happened:");
    for (const entry of this.#receipt) lines.push(formatTime(entry.at) + "  " + entry.text);
    return lines.join("\n") + "\n";
  }

  // ---- the socket ------------------------------------------------------------

  #onOpen(ws) {
    if (ws !== this.#ws || this.#ended) return;
    this.#reachedRelay = true;
    this.#lastReceived = performance.now();
    this.#sendRelay({
      hello: { protocolVersion: PROTOCOL_VERSION, role: wire.Role.CUSTOMER, appVersion: APP_VERSION },
    });
  }

  #onSocketClosed(ws) {
    if (ws !== this.#ws) return;
    this.#ws = null;
    if (this.#ended) return;
    // Whatever is still being decrypted goes first (an End may be in it).
    this.#inChain.then(() => {
      if (this.#ended) return;
      this.#finish({
        reason: EndReason.PEER_LOST,
        message: this.#reachedRelay ? TEXT.connectionLost : TEXT.unreachable,
      }, { skipSocketEnd: true });
    });
  }

  #onSocketMessage(ws, event) {
    if (ws !== this.#ws || this.#ended) return;
    if (!(event.data instanceof ArrayBuffer)) {
      this.#fail(TEXT.unreadableRelay);
      return;
    }
    const bytes = new Uint8Array(event.data);
    if (bytes.length > MAX_RELAY_MESSAGE) {
      this.#fail(TEXT.unreadableRelay);
      return;
    }
    this.#lastReceived = performance.now();
    // The relay heartbeats every 15 s; answering here keeps the link alive
    // even while a hidden tab's timers are slowed down.
    if (this.#helloAcked && this.#lastReceived - this.#lastHeartbeatSent > HEARTBEAT_INTERVAL_MS) {
      this.#sendHeartbeat();
    }
    this.#inBacklog += bytes.length;
    if (this.#inBacklog > MAX_INCOMING_BACKLOG) {
      this.#fail(TEXT.tooMuchData);
      return;
    }
    this.#inChain = this.#inChain
      .then(() => {
        this.#inBacklog -= bytes.length;
        if (!this.#ended) return this.#onRelayMessage(bytes);
        return undefined;
      })
      .catch(() => this.#fail(TEXT.unreadable));
    this.#kickRoom();
  }

  #sendRelay(message) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    try {
      ws.send(wire.encodeClientMessage(message));
      return true;
    } catch {
      return false;
    }
  }

  #sendHeartbeat() {
    this.#lastHeartbeatSent = performance.now();
    this.#sendRelay({ heartbeat: { sentAtUnixMs: Date.now() } });
  }

  // Heartbeats out, and "connection lost" after PEER_TIMEOUT_MS of silence
  // (a timer the browser held back, as in a frozen tab, gets another
  // period instead).
  #startHeartbeats() {
    this.#timers.heartbeat = setInterval(() => {
      if (performance.now() - this.#lastHeartbeatSent >= HEARTBEAT_INTERVAL_MS - 100) {
        this.#sendHeartbeat();
      }
    }, HEARTBEAT_INTERVAL_MS);
    const check = () => {
      const now = performance.now();
      const late = now - this.#livenessDue;
      if (late > HEARTBEAT_INTERVAL_MS) {
        this.#lastReceived = Math.max(this.#lastReceived, now - PEER_TIMEOUT_MS / 2);
      } else if (now - this.#lastReceived > PEER_TIMEOUT_MS) {
        this.#finish({ reason: EndReason.PEER_LOST, message: TEXT.connectionLost });
        return;
      }
      this.#livenessDue = now + 1000;
      this.#timers.liveness = setTimeout(check, 1000);
    };
    this.#livenessDue = performance.now() + 1000;
    this.#timers.liveness = setTimeout(check, 1000);
  }

  // ---- the control plane (peer_session_relay_control.cc) ---------------------

  async #onRelayMessage(bytes) {
    let message;
    try {
      message = wire.decodeRelayMessage(bytes);
    } catch {
      this.#fail(TEXT.unreadableRelay);
      return;
    }
    switch (wire.oneof(message, "body")) {
      case "helloAck":
        this.#onHelloAck(message.helloAck);
        break;
      case "joined":
        await this.#onJoined(message.joined);
        break;
      case "relayed":
        await this.#onRelayed(wire.bytes(message.relayed.data));
        break;
      case "heartbeat":
        break; // the silence timer saw it
      case "end":
        this.#finish(endForRelayEnd(message.end, this.#lastError), { skipSocketEnd: true });
        break;
      case "error":
        this.#onRelayError(message.error);
        break;
      default:
        // A technician's message, or one a newer relay knows: nothing to do.
        break;
    }
  }

  #onHelloAck(ack) {
    if (this.#helloAcked) return;
    this.#helloAcked = true;
    clearTimeout(this.#timers.connect);
    this.#relayOrganisation = shownName(ack.organisation, SHOWN_ORGANISATION_CHARS);
    this.#relayTerms = cutUtf8(wire.text(ack.supportTerms), LIMITS.maxTermsBytes);
    this.#emit("relay", { organisation: this.#relayOrganisation });
    this.#sendRelay({ join: { code: this.#code, hostName: this.#hostName, userName: "" } });
    this.#lastReceived = performance.now();
    this.#sendHeartbeat();
    this.#startHeartbeats();
    this.#setPhase("waiting");
  }

  async #onJoined(joined) {
    if (this.#paired || !this.#helloAcked) {
      this.#fail(TEXT.unreadableRelay);
      return;
    }
    this.#paired = true;
    this.#joinedAt = new Date();
    this.#technician = shownName(joined.technicianName, SHOWN_NAME_CHARS);
    this.#organisation = shownName(joined.organisation, SHOWN_ORGANISATION_CHARS);
    this.#record(this.#who() + (this.#organisation ? " (" + this.#organisation + ")" : "") +
      " accepted your request for help.");
    this.#emit("technician", { name: this.#technician, organisation: this.#organisation });
    this.#timers.exchange = setTimeout(() => {
      if (!this.#ended && !this.#channel) this.#fail(TEXT.setupFailed);
    }, KEY_EXCHANGE_TIMEOUT_MS);
    try {
      this.#handshake = await CustomerHandshake.create({
        protocolVersion: PROTOCOL_VERSION,
        sessionCode: this.#code,
      });
    } catch {
      this.#failPlane(TEXT.setupFailed);
    }
  }

  #onRelayError(error) {
    // The customer has one thing to ask; any refusal ends it
    // (EndForJoinRefused).
    this.#lastError = cleanRelayText(error.message);
    const code = Number(error.code) || 0;
    if (code === ErrorCode.INVALID_CODE) {
      this.#finish({ reason: EndReason.CODE_EXPIRED, message: TEXT.wrongCode },
        { skipSocketEnd: true });
      return;
    }
    if (code === ErrorCode.RATE_LIMITED) {
      const seconds = Number(error.retryAfterSeconds) || 0;
      this.#rateLimitedFor = seconds;
      let text = this.#lastError;
      if (!text) {
        const minutes = Math.max(1, Math.ceil(seconds / 60));
        text = "Too many wrong codes were tried from your network. Please try again in " +
          minutes + (minutes === 1 ? " minute." : " minutes.");
      }
      this.#finish({ reason: EndReason.PROTOCOL_ERROR, message: text, rateLimited: true },
        { skipSocketEnd: true });
      return;
    }
    this.#finish({ reason: EndReason.PROTOCOL_ERROR, message: this.#lastError || TEXT.unreadableRelay },
      { skipSocketEnd: true });
  }

  // ---- the peer plane (peer_plane.cc) ---------------------------------------

  async #onRelayed(data) {
    if (!this.#handshake) {
      // Relayed data before pairing (or before the key pair was made).
      this.#fail(this.#paired ? TEXT.setupFailed : TEXT.unreadableRelay);
      return;
    }
    if (this.#planeFailed) return;
    let envelope;
    try {
      envelope = wire.decodePeerEnvelope(data);
    } catch {
      this.#failPlane(TEXT.unreadable);
      return;
    }
    switch (wire.oneof(envelope, "body")) {
      case "keyExchange":
        await this.#onKeyExchange(envelope.keyExchange);
        break;
      case "record":
        await this.#onRecord(wire.bytes(envelope.record));
        break;
      default:
        this.#failPlane(TEXT.unreadable);
        break;
    }
  }

  async #onKeyExchange(step) {
    if (this.#channel) {
      this.#failPlane(TEXT.restartedExchange);
      return;
    }
    switch (wire.oneof(step, "step")) {
      case "commitment": {
        let publicKey;
        try {
          publicKey = this.#handshake.respond(wire.bytes(step.commitment));
        } catch {
          this.#failPlane(TEXT.setupFailed);
          return;
        }
        this.#sendRelay({
          relayed: {
            data: wire.encodePeerEnvelope({ keyExchange: { customerPublicKey: publicKey } }),
          },
        });
        return;
      }
      case "supporterPublicKey": {
        let secured;
        try {
          secured = await this.#handshake.verify(wire.bytes(step.supporterPublicKey));
        } catch {
          this.#failPlane(TEXT.commitmentMismatch);
          return;
        }
        if (this.#ended) return;
        this.#channel = secured.channel;
        this.#sas = secured.sas;
        this.#onSecured();
        return;
      }
      case "customerPublicKey":
        // Only a supporter takes this step.
        this.#failPlane(TEXT.setupFailed);
        return;
      default:
        this.#failPlane(TEXT.unreadable);
    }
  }

  async #onRecord(record) {
    if (!this.#channel) {
      this.#failPlane(TEXT.recordTooEarly);
      return;
    }
    let plaintext;
    try {
      plaintext = await this.#channel.open(record);
    } catch {
      this.#failPlane(TEXT.recordRejected);
      return;
    }
    let message;
    try {
      message = wire.decodePeerMessage(plaintext);
    } catch {
      this.#failPlane(TEXT.unreadable);
      return;
    }
    if (!this.#ended) this.#onPeerMessage(message);
  }

  // A failed key exchange or record: the session ends at once; the relay
  // hears End (PROTOCOL_ERROR), the other app nothing more.
  // The end-to-end plane broke (a record altered, replayed or unreadable):
  // the connection closes without an End, as the native app's does, so the
  // relay tells the technician the customer is gone rather than that the
  // customer chose to end.
  #failPlane(message) {
    this.#planeFailed = true;
    this.#channel = null;
    this.#finish({ reason: EndReason.PROTOCOL_ERROR, message }, { skipSocketEnd: true });
  }

  #fail(message) {
    this.#finish({ reason: EndReason.PROTOCOL_ERROR, message });
  }

  // Seals and sends one PeerMessage, in order. False when not sent.
  // options:
  //   bulk    video and file chunks: refused while the link is over
  //           LINK_WINDOW, and dropped if still waiting to be sealed when
  //           the session ends;
  //   wanted  checked again right before sealing: false drops the message
  //           (a frame of a view that was stopped meanwhile, a piece of a
  //           file that was cancelled meanwhile);
  //   urgent  EmergencyStop and EndSession: never refused for the queue's
  //           length, and after STOP the only ones still sealed.
  #sendPeer(message, options = {}) {
    const { bulk = false, wanted = null, urgent = false } = options;
    if (!this.#channel || this.#planeFailed || this.#ended) return false;
    if (this.#stopNow && !urgent) return false;
    if (bulk && (this.#stopping || this.pendingBytes() > LINK_WINDOW)) return false;
    let bytes;
    try {
      bytes = wire.encodePeerMessage(message);
    } catch {
      return false;
    }
    if (bytes.length > MAX_PLAINTEXT_SIZE) return false; // refused, like the native engine
    const pending = this.pendingBytes();
    if (!urgent && pending > 0 && pending + bytes.length > MAX_PENDING_BYTES) return false;
    const channel = this.#channel;
    this.#outQueued += bytes.length;
    this.#outChain = this.#outChain.then(async () => {
      this.#outQueued -= bytes.length;
      if (channel !== this.#channel) return;
      if ((bulk && this.#stopping) || (this.#stopNow && !urgent)) return;
      if (wanted && !wanted()) return;
      let record;
      try {
        record = await channel.seal(bytes);
      } catch {
        this.#failPlane(TEXT.setupFailed);
        return;
      }
      this.#sendRelay({ relayed: { data: wire.encodePeerEnvelope({ record }) } });
    });
    return true;
  }

  // Resolves once the link has room for bulk data again (or the session
  // ended: then false).
  #waitForRoom() {
    if (this.#ended) return Promise.resolve(false);
    if (this.pendingBytes() <= LINK_WINDOW) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.#roomWaiters.push(resolve);
      if (!this.#timers.room) {
        const poll = () => {
          this.#timers.room = 0;
          this.#kickRoom();
          if (this.#roomWaiters.length > 0) this.#timers.room = setTimeout(poll, 10);
        };
        this.#timers.room = setTimeout(poll, 10);
      }
    });
  }

  #kickRoom() {
    if (this.#ended) {
      for (const resolve of this.#roomWaiters.splice(0)) resolve(false);
      return;
    }
    if (this.pendingBytes() <= LINK_WINDOW) {
      for (const resolve of this.#roomWaiters.splice(0)) resolve(true);
      if (this.#screen) this.#screen.poke();
    }
  }

  // ---- the policy (customer_policy.cc) ---------------------------------------

  #onSecured() {
    clearTimeout(this.#timers.exchange);
    this.#screen = this.#createScreenShare({
      // A frame goes out only while the view it was taken for is still on
      // when its turn to be sealed comes: none after Stop sharing, a
      // revoke or the browser's own "Stop sharing", even if it was queued.
      send: (videoFrame) => {
        if (!this.#viewing) return false;
        const epoch = this.#viewEpoch;
        return this.#sendPeer({ videoFrame }, {
          bulk: true,
          wanted: () => this.#viewing && this.#viewEpoch === epoch,
        });
      },
      pendingBytes: () => this.pendingBytes(),
      maxPendingBytes: LINK_WINDOW,
      stopped: (error) => this.#viewFailed(error),
    });
    this.#screen.setDecoders(this.#pendingDecoders);
    if (this.#terms) {
      this.#askTerms();
      return;
    }
    // The technician's app sends its terms right away; if none come, the
    // customer is asked anyway, with the relay's terms.
    this.#timers.terms = setTimeout(() => {
      if (!this.#ended && this.#phase === "waiting" && !this.#terms) this.#askTerms();
    }, TERMS_WAIT_MS);
  }

  #onPeerMessage(message) {
    if (this.#ended || this.#stopping) return;
    const body = wire.oneof(message, "body");
    if (body === "end") {
      this.#finish({ reason: EndReason.PEER_ENDED, message: "The technician ended the session." },
        { skipSocketEnd: true });
      return;
    }
    if (body === "terms") {
      // What the technician's app decodes counts even when the terms come
      // too late for the prompt (customer_session.cc does the same).
      const decoders = message.terms.decoders;
      this.#pendingDecoders = Array.isArray(decoders) ? decoders.slice(0, 16).map(Number) : [];
      if (this.#screen) this.#screen.setDecoders(this.#pendingDecoders);
      this.#handleTerms(message.terms);
      return;
    }
    if (this.#phase !== "session") {
      // Nothing is sent before the customer said yes, not even a "no".
      this.#refuse("before agreement");
      return;
    }
    switch (body) {
      case "consentRequest":
        this.#handleConsentRequest(message.consentRequest);
        break;
      case "revoke":
        this.#handleRevoke(Number(message.revoke.permission) || 0);
        break;
      case "input":
        this.#refuse("input without remote control");
        break;
      case "frameAck":
        if (this.#viewing) this.#screen.onFrameAck();
        break;
      case "keyFrameRequest":
        if (this.#viewing) this.#screen.requestKeyFrame();
        break;
      case "chat":
        this.#handleChat(message.chat);
        break;
      case "fileChunk":
        this.#handleChunk(message.fileChunk);
        break;
      case "fileDone":
        this.#handleDone(message.fileDone.fileId >>> 0);
        break;
      case "fileCancel": {
        const fileId = message.fileCancel.fileId >>> 0;
        if (fileId & CUSTOMER_FILE_ID_BIT) {
          this.#handleOutgoingCancel(fileId, wire.text(message.fileCancel.reason));
        } else {
          this.#handleIncomingCancel(fileId);
        }
        break;
      }
      case "fileAccept":
        this.#handleAccept(message.fileAccept.fileId >>> 0);
        break;
      case "fileOffer":
        // Files are offered inside a ConsentRequest, so each one is asked.
        this.#sendPeer({
          fileCancel: {
            fileId: message.fileOffer.fileId >>> 0,
            reason: "offer files with a consent request",
          },
        });
        this.#refuse("invalid request");
        break;
      case "clipboard":
        this.#refuse("clipboard without permission");
        break;
      case "viewSwitch":
        this.#refuse("view switch without permission");
        break;
      case "videoFrame":
        this.#refuse("video from the technician without a view switch");
        break;
      case "stats":
        break;
      case "termsAnswer":
      case "consentAnswer":
      case "emergencyStop":
      case "cursorShape":
      case "cursorPosition":
      case "monitorList":
        this.#refuse("message the customer side does not take");
        break;
      default:
        this.#refuse("unknown message");
        break;
    }
  }

  #handleTerms(terms) {
    if (this.#terms || this.#phase === "confirm" || this.#phase === "session") {
      this.#refuse("invalid request"); // the terms come once, first
      return;
    }
    if (byteLength(wire.text(terms.termsText)) > LIMITS.maxTermsBytes) {
      this.#record("The technician's app sent terms too long to show; the session was ended.");
      this.#endSession(EndReason.PROTOCOL_ERROR,
        "The technician's app sent terms that cannot be shown. The session was ended; " +
        "nothing was shared.");
      return;
    }
    this.#terms = terms;
    this.#recording = !!terms.recording;
    if (this.#channel && this.#phase === "waiting") {
      clearTimeout(this.#timers.terms);
      this.#askTerms();
    }
  }

  #askTerms() {
    if (this.#phase !== "waiting") return;
    const terms = this.#terms || {};
    // The relay's word on who accepted the join counts; the technician's app
    // fills in what the relay did not say.
    if (!this.#technician) {
      this.#technician = shownName(terms.technicianName, SHOWN_NAME_CHARS);
    }
    if (!this.#organisation) {
      this.#organisation = this.#relayOrganisation ||
        shownName(terms.organisation, SHOWN_ORGANISATION_CHARS);
    }
    const text = displayText(this.#relayTerms || wire.text(terms.termsText),
      SHOWN_TERMS_CHARS, true);
    this.#setPhase("confirm");
    this.#emit("confirm", {
      sas: this.#sas,
      technician: this.#technician,
      organisation: this.#organisation,
      terms: text,
      recording: this.#recording,
    });
  }

  #handleConsentRequest(request) {
    const requestId = request.requestId >>> 0;
    const permission = Number(request.permission) || 0;
    const who = this.#who();
    if (permission < Permission.VIEW_SCREEN || permission > Permission.VIEW_SWITCH) {
      this.#answer(requestId, false);
      this.#refuse("invalid request");
      return;
    }
    if (permission === Permission.REMOTE_CONTROL || permission === Permission.CLIPBOARD ||
        permission === Permission.VIEW_SWITCH) {
      // A page cannot do these: "no", without asking the customer.
      this.#answer(requestId, false);
      if (!this.#refusedControlNoted.has(permission)) {
        this.#refusedControlNoted.add(permission);
        const what = permission === Permission.REMOTE_CONTROL
          ? "control your mouse and keyboard"
          : permission === Permission.CLIPBOARD ? "put text on your clipboard" : "show you their screen";
        this.#record(who + " asked to " + what + ". A browser page cannot allow that, so " +
          "the answer was no.");
      }
      this.#refuse("not possible in a browser");
      return;
    }
    const pending = {
      serial: 0,
      requestId,
      permission,
      reason: displayText(cutUtf8(wire.text(request.reason), LIMITS.maxChatBytes),
        SHOWN_REASON_CHARS).trim(),
      description: "",
      file: null,
      cancelled: false,
    };
    let already = false;
    if (permission === Permission.VIEW_SCREEN) {
      // The browser's picker decides what is shared, whatever the request
      // names (a monitor, a window).
      pending.description = "see your screen";
      already = this.#viewing;
    } else {
      const offer = request.file;
      if (!offer) {
        this.#answer(requestId, false);
        this.#refuse("invalid request");
        return;
      }
      const fileId = offer.fileId >>> 0;
      if (fileId & CUSTOMER_FILE_ID_BIT) {
        // The customer's id space: a FileCancel could not say which
        // transfer it means.
        this.#answer(requestId, false);
        this.#refuse("invalid request");
        return;
      }
      const known = this.#incoming.has(fileId) ||
        (this.#promptOpen && this.#promptOpen.file && this.#promptOpen.file.fileId === fileId) ||
        this.#promptQueue.some((p) => p.file && p.file.fileId === fileId);
      if (known) {
        this.#answer(requestId, false);
        this.#refuse("too many or duplicate requests");
        return;
      }
      const checked = this.#checkFileOffer(offer);
      if (checked.error) {
        this.#answer(requestId, false);
        this.#sendPeer({ fileCancel: { fileId, reason: checked.error } });
        this.#refuse("file could not be received");
        // The first few are listed; a flood of bad offers adds no more.
        const n = ++this.#refusedOffers;
        if (n <= MAX_REFUSED_OFFERS_SHOWN) {
          this.#record("A file offered by " + who + " was refused without asking you: " +
            checked.error + ".");
          const shown = sanitizeFileName(wire.text(offer.name)).name || "(no name)";
          this.#closeTransfer({
            fileId, direction: "in", name: shown, size: wire.toNumber(offer.size) || 0, done: 0,
          }, "failed", "Refused without asking you: " + checked.error + ".");
        } else if (n === MAX_REFUSED_OFFERS_SHOWN + 1) {
          this.#record("More files offered by " + who + " were refused without asking " +
            "you; they are not listed.");
        }
        return;
      }
      pending.file = checked.file;
      pending.description = "send you the file " + quoted(checked.file.name) + " (" +
        formatFileSize(checked.file.size) + ")";
    }
    if (already) {
      // Granted and still in force: confirming it asks nothing new.
      this.#answer(requestId, true);
      return;
    }
    if ((this.#saidNo.get(permission) || 0) >= LIMITS.maxRefusalsPerPermission) {
      this.#answer(requestId, false);
      if (!this.#refusals.get("asked too often")) {
        this.#record(who + " asked again after you said no " + LIMITS.maxRefusalsPerPermission +
          " times. Tether now says no for you to requests like this.");
      }
      this.#refuse("asked too often");
      return;
    }
    // One prompt per permission at a time (files: per file, checked above).
    const same = (p) => p.permission === permission && permission !== Permission.SEND_FILE;
    if ((this.#promptOpen && same(this.#promptOpen)) ||
        (this.#viewAsking && same(this.#viewAsking)) ||
        this.#promptQueue.some(same) ||
        this.#promptQueue.length >= LIMITS.maxQueuedPrompts) {
      this.#answer(requestId, false);
      this.#refuse("too many or duplicate requests");
      return;
    }
    pending.serial = this.#nextSerial++;
    if (pending.file) {
      this.#incomingShown(pending.file, "offered", "Waiting for your answer above.");
    }
    this.#promptQueue.push(pending);
    this.#openNextPrompt();
  }

  // file_receiver.cc's CheckFileOffer, with the page's size limit.
  #checkFileOffer(offer) {
    const named = sanitizeFileName(wire.text(offer.name));
    if (named.error) return { error: named.error };
    const size = wire.toNumber(offer.size);
    if (!Number.isFinite(size) || size < 0) return { error: "the offer has no valid size" };
    if (size > BROWSER_FILE_LIMIT) {
      return {
        error: "the file is larger than " + formatFileSize(BROWSER_FILE_LIMIT) +
          ", the most this page accepts",
      };
    }
    const sha256 = wire.bytes(offer.sha256);
    if (sha256.length !== SHA256_SIZE) return { error: "the offer has no valid checksum" };
    if (this.#openIncoming() >= LIMITS.maxOpenFiles) {
      return { error: "too many files are arriving at once" };
    }
    if (this.#incomingBytes() + size > BROWSER_HOLD_LIMIT) {
      return {
        error: "the files on this page would take more than " +
          formatFileSize(BROWSER_HOLD_LIMIT) + ", the most it keeps",
      };
    }
    return {
      file: {
        fileId: offer.fileId >>> 0,
        name: named.name,
        size,
        sha256: sha256.slice(),
      },
    };
  }

  #openIncoming() {
    let n = 0;
    for (const t of this.#incoming.values()) if (t.state === "receiving") n++;
    return n;
  }

  // Bytes the technician's files take or may take: asked about, arriving,
  // being checked, and received.
  #incomingBytes() {
    let n = this.#heldBytes;
    for (const t of this.#incoming.values()) n += t.size;
    for (const p of [this.#promptOpen, ...this.#promptQueue]) {
      if (p && p.file && !p.cancelled) n += p.file.size;
    }
    return n;
  }

  // Runs `work` (which reads a whole file into memory to hash it) after the
  // ones before it: one file in memory at a time.
  #hashInTurn(work) {
    const result = this.#hashChain.then(work);
    this.#hashChain = result.then(() => {}, () => {});
    return result;
  }

  #openNextPrompt() {
    while (!this.#promptOpen && !this.#viewAsking && this.#promptQueue.length > 0 &&
           this.#phase === "session") {
      const next = this.#promptQueue.shift();
      if (next.cancelled) {
        this.#answer(next.requestId, false);
        if (next.file) {
          this.#closeTransfer(next.file.transfer, "cancelled", "The technician withdrew the file.");
        }
        continue;
      }
      this.#promptOpen = next;
      this.#emit("prompt", {
        serial: next.serial,
        kind: next.permission === Permission.VIEW_SCREEN ? "view" : "file",
        technician: this.#technician,
        reason: next.reason,
        fileId: next.file ? next.file.fileId : 0,
        fileName: next.file ? next.file.name : "",
        fileSize: next.file ? next.file.size : 0,
      });
    }
  }

  // "Allow" on the view prompt: the browser's picker opens now (inside the
  // click), the technician hears the answer once the customer chose.
  #startViewing(pending) {
    this.#viewAsking = pending;
    this.#emitGrants();
    let started;
    try {
      started = this.#screen.start();
    } catch (error) {
      started = Promise.reject(error);
    }
    started.then(
      (info) => {
        if (this.#viewAsking !== pending) return;
        this.#viewAsking = null;
        if (this.#ended || this.#stopping || pending.cancelled || this.#phase !== "session") {
          this.#screen.stop();
          if (!this.#ended) {
            this.#answer(pending.requestId, false);
            if (pending.cancelled) {
              this.#record(this.#who() + " withdrew the request to " + pending.description + ".");
            }
            this.#emitGrants();
            this.#openNextPrompt();
          }
          return;
        }
        this.#viewing = true;
        this.#viewEpoch++;
        const what = info && info.surface === "window" ? "one window of your screen"
          : info && info.surface === "browser" ? "a browser tab" : "your screen";
        this.#record("You allowed " + this.#who() + " to see " + what + ".");
        this.#answer(pending.requestId, true);
        this.#emitGrants();
        this.#openNextPrompt();
      },
      (error) => {
        if (this.#viewAsking !== pending) return;
        this.#viewAsking = null;
        if (this.#ended) return;
        this.#answer(pending.requestId, false);
        if (pending.cancelled) {
          this.#record(this.#who() + " withdrew the request to " + pending.description + ".");
        } else if (error && error.declined) {
          this.#record("You did not share your screen in your browser's own window, so " +
            this.#who() + " cannot see it.");
          this.#emit("notice", {
            text: "You did not pick a screen to share, so " + this.#who() + " cannot see it.",
          });
        } else {
          const why = error && error.message ? error.message : "the browser refused";
          this.#record("Your screen could not be shared: " + why + ".");
          this.#emit("notice", { text: "Your screen could not be shared: " + why + "." });
        }
        this.#emitGrants();
        this.#openNextPrompt();
      });
  }

  // Sharing ended by itself: the browser's own "Stop sharing", a closed
  // window, an encoder failure (ViewFailed).
  #viewFailed(error) {
    if (this.#phase !== "session" || !this.#viewing) return;
    this.#viewing = false;
    this.#sendPeer({ revoke: { permission: Permission.VIEW_SCREEN } });
    if (error && error.declined) {
      this.#record("You stopped sharing your screen.");
    } else {
      const why = error && error.message ? error.message : "the browser stopped it";
      this.#record("Your screen could no longer be shared: " + why + ".");
      this.#emit("notice", { text: "Your screen could no longer be shared: " + why + "." });
    }
    this.#emitGrants();
  }

  #handleRevoke(permission) {
    const who = this.#who();
    switch (permission) {
      case Permission.VIEW_SCREEN:
        if (this.#viewing) {
          this.#viewing = false;
          this.#screen.stop();
          this.#record(who + " stopped viewing your screen.");
          this.#emitGrants();
        } else if (this.#viewAsking) {
          this.#viewAsking.cancelled = true;
          this.#screen.stop(); // the picker's answer is dropped
        }
        return;
      case Permission.SEND_FILE:
        for (const t of [...this.#incoming.values()]) {
          if (t.state !== "receiving") continue;
          this.#incoming.delete(t.fileId);
          this.#record("The transfer of " + quoted(t.name) + " was stopped.");
          this.#closeTransfer(t, "cancelled", "The transfer was stopped.");
        }
        return;
      case Permission.REMOTE_CONTROL:
      case Permission.CLIPBOARD:
      case Permission.VIEW_SWITCH:
        return; // never granted here
      default:
        this.#refuse("invalid request");
    }
  }

  #handleChat(chat) {
    const text = wire.text(chat.text);
    if (byteLength(text) > LIMITS.maxChatBytes) {
      this.#refuse("message over its size limit");
      return;
    }
    if (!this.#takeChatToken()) {
      this.#refuse("chat faster than a person writes");
      return;
    }
    this.#emit("chat", {
      from: "technician",
      text: displayText(text, SHOWN_CHAT_CHARS, true),
      at: new Date(),
    });
  }

  // A burst of chatBurst, then one per chatIntervalMs (customer_policy.cc).
  #takeChatToken() {
    const now = performance.now();
    if (this.#chatTokens < 0) {
      this.#chatTokens = LIMITS.chatBurst;
    } else {
      this.#chatTokens = Math.min(LIMITS.chatBurst,
        this.#chatTokens + (now - this.#chatRefilled) / LIMITS.chatIntervalMs);
    }
    this.#chatRefilled = now;
    if (this.#chatTokens < 1) return false;
    this.#chatTokens -= 1;
    return true;
  }

  // ---- the technician's files (file_transfers.cc, file_receiver.cc) ---------

  #incomingShown(file, state, message) {
    const transfer = {
      fileId: file.fileId,
      direction: "in",
      name: file.name,
      size: file.size,
      done: 0,
      state,
      message,
      sha256: file.sha256,
      chunks: [], // pieces still in script memory
      chunkBytes: 0,
      parts: [], // Blobs of the pieces before
      url: "",
    };
    file.transfer = transfer;
    this.#emitTransfer(transfer);
    return transfer;
  }

  #acceptIncoming(file) {
    if (this.#openIncoming() >= LIMITS.maxOpenFiles) {
      const why = "too many files are arriving at once";
      this.#sendPeer({ fileCancel: { fileId: file.fileId, reason: why } });
      this.#record("The file " + quoted(file.name) + " could not be received: " + why + ".");
      this.#closeTransfer(file.transfer, "failed", "Could not be received: " + why + ".");
      return;
    }
    const transfer = file.transfer;
    transfer.state = "receiving";
    transfer.message = "";
    this.#incoming.set(file.fileId, transfer);
    this.#sendPeer({ fileAccept: { fileId: file.fileId } });
    this.#emitTransfer(transfer);
  }

  #handleChunk(chunk) {
    const fileId = chunk.fileId >>> 0;
    const t = this.#incoming.get(fileId);
    if (!t || t.state !== "receiving") {
      this.#refuse("file data without an allowed offer");
      return;
    }
    const data = wire.bytes(chunk.data);
    const offset = wire.toNumber(chunk.offset);
    if (offset !== t.done) {
      this.#failIncoming(t, "a piece of the file arrived out of order");
      return;
    }
    if (data.length > t.size - t.done) {
      this.#failIncoming(t, "more data arrived than the offered size");
      return;
    }
    if (data.length === 0) return;
    t.chunks.push(data.slice());
    t.chunkBytes += data.length;
    t.done += data.length;
    if (t.chunkBytes >= BLOB_PART_BYTES) {
      t.parts.push(new Blob(t.chunks));
      t.chunks = [];
      t.chunkBytes = 0;
    }
    this.#emitTransfer(t, true);
  }

  async #handleDone(fileId) {
    const t = this.#incoming.get(fileId);
    if (!t || t.state !== "receiving") {
      this.#refuse("file data without an allowed offer");
      return;
    }
    if (t.done !== t.size) {
      this.#failIncoming(t, "the file ended early: " + formatFileSize(t.done) + " of " +
        formatFileSize(t.size) + " arrived");
      return;
    }
    t.state = "checking";
    const blob = new Blob([...t.parts, ...t.chunks], { type: "application/octet-stream" });
    t.chunks = [];
    t.chunkBytes = 0;
    t.parts = [];
    let matches = false;
    try {
      matches = await this.#hashInTurn(async () => {
        if (this.#incoming.get(fileId) !== t) return false;
        const digest = new Uint8Array(
          await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
        return equalBytes(digest, t.sha256);
      });
    } catch {
      matches = false;
    }
    if (this.#incoming.get(fileId) !== t) return; // cancelled or ended meanwhile
    if (!matches) {
      this.#failIncoming(t,
        "the file arrived damaged (its checksum does not match); it was not saved");
      return;
    }
    this.#incoming.delete(fileId);
    this.#heldBytes += t.size;
    t.url = URL.createObjectURL(blob);
    this.#record("The file " + quoted(t.name) + " (" + formatFileSize(t.size) +
      ") arrived and its checksum matched; it is offered for saving on this page.");
    this.#closeTransfer(t, "done", "Arrived complete; its checksum matched.");
  }

  #failIncoming(t, reason) {
    this.#incoming.delete(t.fileId);
    t.chunks = [];
    t.parts = [];
    this.#refuse("file could not be received");
    this.#sendPeer({ fileCancel: { fileId: t.fileId, reason } });
    this.#record("The file " + quoted(t.name) + " was not saved: " + reason + ".");
    this.#closeTransfer(t, "failed", "Not saved: " + reason + ".");
  }

  #handleIncomingCancel(fileId) {
    const t = this.#incoming.get(fileId);
    if (t) {
      this.#incoming.delete(fileId);
      t.chunks = [];
      t.parts = [];
      this.#record(this.#who() + " cancelled sending " + quoted(t.name) + ".");
      this.#closeTransfer(t, "cancelled", "The technician cancelled the transfer.");
      return;
    }
    // Not being received yet: its prompt, open or waiting, is withdrawn.
    let found = false;
    for (const p of [this.#promptOpen, ...this.#promptQueue]) {
      if (p && p.file && p.file.fileId === fileId) {
        p.cancelled = true;
        found = true;
      }
    }
    if (!found) this.#refuse("file data without an allowed offer");
  }

  // ---- the customer's own files ---------------------------------------------

  async #prepareOutgoing(t) {
    let digest;
    try {
      digest = await this.#hashInTurn(async () => {
        if (this.#outgoing.get(t.fileId) !== t) return null; // cancelled meanwhile
        return new Uint8Array(await crypto.subtle.digest("SHA-256", await t.file.arrayBuffer()));
      });
    } catch {
      if (this.#outgoing.get(t.fileId) === t) {
        this.#outgoing.delete(t.fileId);
        this.#closeTransfer(t, "failed", "The file could not be read.");
      }
      return;
    }
    if (this.#outgoing.get(t.fileId) !== t) return; // cancelled meanwhile
    if (this.#ended || this.#phase !== "session") {
      this.#outgoing.delete(t.fileId);
      this.#closeTransfer(t, "failed", "The file could not be offered.");
      return;
    }
    t.sha256 = digest;
    const offered = this.#sendPeer({
      fileOffer: { fileId: t.fileId, name: t.name, size: t.size, sha256: digest },
    });
    if (!offered) {
      this.#outgoing.delete(t.fileId);
      this.#closeTransfer(t, "failed", "The file could not be offered: the connection is busy.");
      return;
    }
    t.offered = true;
    t.message = "Waiting for " + this.#who(false) + " to accept the file.";
    this.#emitTransfer(t);
  }

  #handleAccept(fileId) {
    const t = this.#outgoing.get(fileId);
    if (!t || !t.offered || t.accepted) {
      this.#refuse("file data without an allowed offer");
      return;
    }
    t.accepted = true;
    t.state = "sending";
    t.message = "";
    this.#emitTransfer(t);
    this.#pumpFiles();
  }

  #handleOutgoingCancel(fileId, reason) {
    const t = this.#outgoing.get(fileId);
    if (!t) return; // finished or cancelled here meanwhile: the messages crossed
    this.#outgoing.delete(fileId);
    const shown = displayText(cutUtf8(reason, 1000), 200).trim();
    if (!t.accepted) {
      this.#record(this.#who() + " declined your file " + quoted(t.name) + ".");
      this.#closeTransfer(t, "cancelled", "The technician declined the file.");
    } else {
      this.#record(this.#who() + " stopped the transfer of " + quoted(t.name) + ".");
      this.#closeTransfer(t, "cancelled",
        "The technician stopped the transfer" + (shown ? ": " + shown : "."));
    }
  }

  // Sends the accepted files' chunks, one file after the other, while the
  // link has room (file_sender.cc's Stream).
  async #pumpFiles() {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const t = [...this.#outgoing.values()].find((x) => x.state === "sending");
        if (!t || this.#ended) return;
        await this.#streamFile(t);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #streamFile(t) {
    const live = () => this.#outgoing.get(t.fileId) === t && !this.#ended && !this.#stopping;
    let lastReport = 0;
    while (t.done < t.size) {
      if (!(await this.#waitForRoom()) || !live()) return;
      const end = Math.min(t.size, t.done + CHUNK_SIZE);
      let data;
      try {
        data = new Uint8Array(await t.file.slice(t.done, end).arrayBuffer());
      } catch {
        data = null;
      }
      if (!live()) return;
      if (!data || data.length !== end - t.done) {
        this.#failOutgoing(t, "the file could not be read");
        return;
      }
      // Dropped unsent if the transfer is cancelled before its turn.
      const sent = this.#sendPeer({ fileChunk: { fileId: t.fileId, offset: t.done, data } }, {
        bulk: true,
        wanted: () => t.state === "sending" || t.state === "done",
      });
      if (!sent) {
        continue; // the link filled up meanwhile: wait again
      }
      t.done = end;
      const now = performance.now();
      if (now - lastReport >= 100 || t.done === t.size) {
        lastReport = now;
        this.#emitTransfer(t, true);
      }
    }
    if (!live()) return;
    this.#sendPeer({ fileDone: { fileId: t.fileId } });
    this.#outgoing.delete(t.fileId);
    this.#record("You sent " + quoted(t.name) + " (" + formatFileSize(t.size) +
      ") to the technician.");
    this.#closeTransfer(t, "done", "Sent.");
  }

  #failOutgoing(t, why) {
    this.#outgoing.delete(t.fileId);
    this.#sendPeer({ fileCancel: { fileId: t.fileId, reason: why } });
    this.#record("Your file " + quoted(t.name) + " could not be sent: " + why);
    this.#closeTransfer(t, "failed", "Could not be sent: " + why + ".");
  }

  // ---- bookkeeping -------------------------------------------------------------

  #answer(requestId, granted) {
    this.#sendPeer({ consentAnswer: { requestId, granted } });
  }

  #countNo(permission) {
    this.#saidNo.set(permission, (this.#saidNo.get(permission) || 0) + 1);
  }

  // Counted per kind; never logged, never shown (the native app logs the
  // first of each kind).
  #refuse(kind) {
    this.#refusals.set(kind, (this.#refusals.get(kind) || 0) + 1);
  }

  #who(sentenceStart = true) {
    if (this.#technician) return this.#technician;
    return sentenceStart ? "The technician" : "the technician";
  }

  #record(text) {
    this.#receipt.push({ at: new Date(), text });
  }

  #setPhase(phase) {
    if (this.#phase === phase) return;
    this.#phase = phase;
    this.#emit("phase", { phase });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #emitGrants() {
    this.#emit("grants", { viewing: this.#viewing, asking: !!this.#viewAsking });
  }

  #transferView(t) {
    if (!t.key) t.key = ++this.#transferKeys;
    return {
      key: t.key,
      fileId: t.fileId,
      direction: t.direction,
      name: t.name,
      size: t.size,
      done: t.done,
      state: t.state === "checking" ? "receiving" : t.state,
      message: t.message || "",
      sha256: t.sha256 ? hex(t.sha256) : "",
      url: t.url || "",
    };
  }

  #emitTransfer(t, progressOnly = false) {
    this.#emit("transfer", { ...this.#transferView(t), progressOnly });
  }

  // A transfer's last state; it goes into the receipt's file list.
  #closeTransfer(t, state, message) {
    if (!t) return;
    t.state = state;
    t.message = message;
    t.chunks = [];
    t.parts = [];
    this.#files.push({
      direction: t.direction,
      name: t.name,
      size: t.size,
      sha256: t.sha256 ? hex(t.sha256) : "",
      outcome: state === "done"
        ? (t.direction === "in" ? "received, checksum matched" : "sent")
        : message.replace(/\.$/, "").toLowerCase(),
    });
    this.#emitTransfer(t);
  }

  // Ends from this side: EndSession to the technician (once secured), End
  // to the relay, then the socket closes. options.quiet: before the
  // technician accepted, nothing to tell but the relay; options.shown: the
  // sentence the page shows instead of `message`.
  #endSession(reason, message, options = {}) {
    if (this.#ended) return;
    const peerEnd = this.#channel && !this.#planeFailed;
    if (peerEnd) this.#sendPeer({ end: { reason: message } }, { urgent: true });
    const shown = options.shown || (reason === EndReason.USER_ENDED && !options.quiet
      ? (message.startsWith("You ") ? message : TEXT.youEnded) : message);
    const end = { reason, message: shown, local: true };
    if (options.quiet && !this.#paired) {
      this.#sendRelay({ end: { reason, message } });
      this.#finish(end, { skipSocketEnd: true, silent: true });
      return;
    }
    this.#finish(end, { relayEnd: { reason, message } });
  }

  // The one way a session ends (PeerSessionImpl::Finish + the policy's
  // OnEnded): everything stops, the socket closes after a last End, and
  // the page hears "failed" (before the technician accepted) or "ended".
  #finish(end, options = {}) {
    if (this.#ended) return;
    this.#ended = true;
    this.#stopping = true;
    if (this.#screen) this.#screen.stop();
    this.#viewing = false;
    for (const key of ["connect", "terms", "room", "exchange"]) clearTimeout(this.#timers[key]);
    clearInterval(this.#timers.heartbeat);
    clearTimeout(this.#timers.liveness);
    this.#kickRoom();
    if (this.#promptOpen) this.#emit("prompt-closed", { serial: this.#promptOpen.serial });
    for (const p of [this.#promptOpen, ...this.#promptQueue]) {
      if (p && p.file) this.#closeTransfer(p.file.transfer, "cancelled", "The transfer was stopped.");
    }
    this.#promptOpen = null;
    this.#promptQueue = [];
    this.#viewAsking = null;
    for (const t of this.#incoming.values()) {
      if (t.state === "receiving" || t.state === "checking") {
        this.#record("The transfer of " + quoted(t.name) + " was stopped.");
        this.#closeTransfer(t, "cancelled", "The transfer was stopped.");
      }
    }
    this.#incoming.clear();
    for (const t of this.#outgoing.values()) {
      if (t.offered) this.#record("Sending " + quoted(t.name) + " was stopped.");
      this.#closeTransfer(t, "cancelled", "The transfer was stopped.");
    }
    this.#outgoing.clear();
    this.#endedAt = new Date();
    this.#end = end;
    if (this.#paired) this.#record("The session ended: " + end.message);

    // The last words to the relay, after what is already queued to seal
    // (EmergencyStop, EndSession); then the socket closes.
    const ws = this.#ws;
    const relayEnd = options.relayEnd ||
      (options.skipSocketEnd ? null : { reason: end.reason, message: end.message });
    const close = () => {
      if (relayEnd && this.#helloAcked) this.#sendRelay({ end: relayEnd });
      this.#channel = null; // the keys go with it
      this.#ws = null;
      if (ws && ws.readyState <= WebSocket.OPEN) {
        try {
          ws.close(1000);
        } catch {
          // closing already
        }
      }
    };
    if (ws && this.#channel && relayEnd) {
      let done = false;
      const once = () => {
        if (!done) {
          done = true;
          close();
        }
      };
      this.#outChain.then(once, once);
      setTimeout(once, STOP_FLUSH_MS);
    } else {
      close();
    }
    this.#handshake = null;

    const context = { paired: this.#paired, reachedRelay: this.#reachedRelay };
    const view = describeEnd(end, context);
    if (!this.#paired) {
      this.#phase = "ended"; // the page goes back to its start, told by "failed"
      if (!options.silent) {
        this.#emit("failed", {
          title: view.title,
          text: view.text,
          details: view.details,
          retryAfterSeconds: end.rateLimited ? this.#rateLimitedFor : 0,
        });
      } else {
        this.#emit("failed", { title: "", text: "", details: "", retryAfterSeconds: 0 });
      }
      return;
    }
    this.#setPhase("ended");
    this.#emit("ended", { end, view, receipt: this.receiptText() });
  }
}
