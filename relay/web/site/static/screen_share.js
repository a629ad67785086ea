// SPDX-License-Identifier: AGPL-3.0-or-later
// The customer's screen in the browser: the browser's own picker
// (getDisplayMedia), a WebCodecs VideoEncoder (VP9 or VP8, whatever the
// technician's app decodes, realtime), and the same pacing rules as the
// native sender (streaming/screen_sender.cc with codec/frame_pacer.h):
//   - at most 2 frames encoding, at most 4 in flight (encoding, or sent
//     and not yet acknowledged by a FrameAck), at most one frame every
//     33 ms;
//   - nothing is encoded while the link's queue is long (the session's
//     pendingBytes() over maxPendingBytes);
//   - frames are dropped, never queued: one slot holds the newest picture,
//     and whatever replaces it before it was encoded is simply gone; the
//     newest picture is still sent once the link has room, so the
//     technician never keeps a stale screen;
//   - a key frame first, on KeyFrameRequest, and after any frame that did
//     not go out (the next must not depend on it);
//   - the bitrate the native encoder uses by default (2500 kbit/s per
//     megapixel, at least 500): the native sender adapts by dropping
//     frames through the pacer, not by changing the bitrate, and so does
//     this one.
// The session (customer_session.js) owns the decisions: it calls start()
// only from the customer's "Allow" click (the browser needs that click to
// open its picker) and stop() whenever sharing must end; stop() is
// synchronous: every track is stopped and the encoder closed before it
// returns, and nothing is sent after.
//
// Frames come from MediaStreamTrackProcessor where the browser has it
// (Chrome, Edge), else from a hidden <video> element drawn into VideoFrames
// on a timer (slower, and paused by some browsers while the tab is hidden).
// Nothing of the screen is kept or logged.

import { Codec } from "./wire.js";

const MAX_ENCODING = 2;
const MAX_UNACKED = 4;
const MIN_CAPTURE_INTERVAL_MS = 33;
const BACKOFF_MS = 10;
// An encode without output after this long was dropped by the encoder.
const ENCODE_GIVE_UP_MS = 1000;
const FALLBACK_INTERVAL_MS = 66;
const KBPS_PER_MEGAPIXEL = 2500;
const MIN_KBPS = 500;
const FRAME_RATE = 30;
// The technician's receiver refuses pictures over 8192 pixels a side;
// a browser encoding in software should stay well below.
const MAX_WIDTH = 3840;
const MAX_HEIGHT = 2160;

// What the technician's app may list in SessionTerms.decoders, as WebCodecs
// codec strings: VP9 profile 0, 8 bit (what libvpx decodes), and VP8.
const CODEC_STRINGS = new Map([
  [Codec.VP9, ["vp09.00.10.08", "vp09.00.41.08"]],
  [Codec.VP8, ["vp8"]],
]);

export class ScreenShareError extends Error {
  // `declined`: the customer cancelled the browser's picker (a refusal, not
  // a fault), as the native app's Error::declined().
  constructor(message, declined = false) {
    super(message);
    this.name = "ScreenShareError";
    this.declined = declined;
  }
}

// Whether this browser can share its screen from a page at all.
export function screenShareSupported() {
  return (
    typeof navigator === "object" &&
    !!navigator.mediaDevices &&
    typeof navigator.mediaDevices.getDisplayMedia === "function" &&
    typeof globalThis.VideoEncoder === "function" &&
    typeof globalThis.VideoFrame === "function"
  );
}

function bitrateFor(width, height) {
  const kbps = Math.max(MIN_KBPS,
    Math.round((width * height) / 1e6 * KBPS_PER_MEGAPIXEL));
  return kbps * 1000;
}

function encoderConfig(codecString, width, height) {
  return {
    codec: codecString,
    width,
    height,
    bitrate: bitrateFor(width, height),
    framerate: FRAME_RATE,
    latencyMode: "realtime",
  };
}

// Even sizes, within the limits: what every encoder takes.
function codedSize(width, height) {
  let w = Math.max(2, Math.floor(width));
  let h = Math.max(2, Math.floor(height));
  if (w > MAX_WIDTH || h > MAX_HEIGHT) {
    const scale = Math.min(MAX_WIDTH / w, MAX_HEIGHT / h);
    w = Math.floor(w * scale);
    h = Math.floor(h * scale);
  }
  return { width: w & ~1, height: h & ~1 };
}

function stopStream(stream) {
  if (!stream) return;
  for (const track of stream.getTracks()) {
    try {
      track.stop();
    } catch {
      // already stopped
    }
  }
}

function declinedError(error) {
  // NotAllowedError: the customer cancelled the picker (or the browser's
  // policy refused it); AbortError: some browsers' "cancel".
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "AbortError") {
    return new ScreenShareError("the screen was not shared", true);
  }
  if (name === "NotFoundError") {
    return new ScreenShareError("this computer has no screen the browser can share");
  }
  if (name === "NotReadableError") {
    return new ScreenShareError("the browser could not read the screen");
  }
  if (error instanceof ScreenShareError) return error;
  return new ScreenShareError("the browser could not start sharing the screen");
}

export class ScreenShare {
  // hooks: {
  //   send(videoFrame) -> bool: one VideoFrame message to the technician
  //     (false when the link refused it);
  //   pendingBytes() -> number: bytes waiting to go out;
  //   maxPendingBytes: nothing is encoded above it;
  //   stopped(error): sharing ended by itself (the browser's own "Stop
  //     sharing", the window closed, the encoder failed); not called for
  //     stop().
  // }
  #hooks;
  #decoders = [];
  #generation = 0;
  #active = false;
  #stream = null;
  #track = null;
  #reader = null;
  #video = null;
  #fallbackTimer = 0;
  #encoder = null;
  #codec = null; // { wire, string }
  #coded = null; // { width, height } the encoder is configured for
  #latest = null; // the newest picture not yet replaced
  #dirty = false; // #latest was not encoded yet
  #keyOwed = false;
  #unacked = 0;
  // Frames given to the encoder whose output has not come yet, oldest
  // first: { timestamp, at, width, height } (the size it was encoded at: an
  // output may come after the encoder was configured for a new size).
  // Outputs come in order; an entry the encoder dropped is passed over by
  // a later output, or forgotten after a while.
  #encoding = [];
  #lastCapture = -Infinity;
  #frameId = 0;
  #retryTimer = 0;
  #framesSent = 0;

  constructor(hooks) {
    this.#hooks = hooks;
  }

  get active() {
    return this.#active;
  }

  get framesSent() {
    return this.#framesSent;
  }

  // What the technician's app decodes (SessionTerms.decoders, wire values),
  // in its order of preference; empty: VP8 only (apps before 0.2).
  setDecoders(decoders) {
    this.#decoders = Array.isArray(decoders) ? decoders.slice(0, 16) : [];
  }

  // Opens the browser's picker. Call it straight from the customer's click:
  // getDisplayMedia runs before this returns (browsers open the picker only
  // within a click). Resolves to { surface: "monitor" | "window" |
  // "browser" | "" } once frames flow; rejects with a ScreenShareError.
  start() {
    this.stop();
    const generation = ++this.#generation;
    let request;
    try {
      request = navigator.mediaDevices.getDisplayMedia({
        video: {
          cursor: "always",
          frameRate: { ideal: FRAME_RATE, max: FRAME_RATE },
        },
        audio: false,
      });
    } catch (error) {
      return Promise.reject(declinedError(error));
    }
    return Promise.resolve(request).then(
      (stream) => this.#started(generation, stream),
      (error) => {
        throw declinedError(error);
      });
  }

  async #started(generation, stream) {
    if (generation !== this.#generation) {
      // stop() came first (STOP, a revoke, the end of the session).
      stopStream(stream);
      throw new ScreenShareError("sharing was stopped");
    }
    const track = stream.getVideoTracks()[0];
    if (!track) {
      stopStream(stream);
      throw new ScreenShareError("the browser shared no picture");
    }
    this.#stream = stream;
    this.#track = track;
    try {
      track.contentHint = "detail"; // text and lines, not motion
    } catch {
      // not every browser has it
    }
    track.addEventListener("ended", () => {
      if (generation !== this.#generation || !this.#track) return;
      this.stop();
      this.#hooks.stopped(new ScreenShareError(
        "you stopped sharing in the browser", true));
    });
    const settings = track.getSettings ? track.getSettings() : {};
    const size = codedSize(settings.width || 1280, settings.height || 720);
    let codec;
    try {
      codec = await this.#chooseCodec(size);
    } catch {
      codec = null;
    }
    if (generation !== this.#generation) {
      stopStream(stream);
      throw new ScreenShareError("sharing was stopped");
    }
    if (!codec) {
      this.stop();
      throw new ScreenShareError(
        "this browser cannot encode the screen in a format the technician's app shows");
    }
    this.#codec = codec;
    this.#active = true;
    this.#keyOwed = true;
    this.#unacked = 0;
    this.#encoding = [];
    this.#lastCapture = -Infinity;
    this.#startFrames(generation, track, stream);
    return { surface: typeof settings.displaySurface === "string" ? settings.displaySurface : "" };
  }

  async #chooseCodec(size) {
    const wanted = this.#decoders.length > 0 ? this.#decoders : [Codec.VP8];
    for (const wire of wanted) {
      for (const string of CODEC_STRINGS.get(wire) || []) {
        try {
          const answer = await VideoEncoder.isConfigSupported(
            encoderConfig(string, size.width, size.height));
          if (answer && answer.supported) return { wire, string };
        } catch {
          // a string this browser does not parse: try the next
        }
      }
    }
    return null;
  }

  // Stops at once: the tracks (the browser's "sharing" indicator goes), the
  // encoder (queued frames are dropped), the frame source. Nothing is sent
  // after this returns. Idempotent.
  stop() {
    ++this.#generation;
    this.#active = false;
    stopStream(this.#stream);
    this.#stream = null;
    this.#track = null;
    if (this.#encoder) {
      try {
        if (this.#encoder.state !== "closed") this.#encoder.close();
      } catch {
        // closed already
      }
      this.#encoder = null;
    }
    this.#coded = null;
    this.#encoding = [];
    if (this.#reader) {
      this.#reader.cancel().catch(() => {});
      this.#reader = null;
    }
    if (this.#video) {
      this.#video.pause();
      this.#video.srcObject = null;
      this.#video = null;
    }
    clearTimeout(this.#fallbackTimer);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = 0;
    if (this.#latest) {
      this.#latest.close();
      this.#latest = null;
    }
    this.#dirty = false;
  }

  // The technician's app decoded (or dropped) a frame.
  onFrameAck() {
    if (this.#unacked > 0) this.#unacked--;
    this.#pump();
  }

  requestKeyFrame() {
    if (!this.#active) return;
    this.#keyOwed = true;
    this.#pump();
  }

  // The link may have room again.
  poke() {
    this.#pump();
  }

  #startFrames(generation, track, stream) {
    if (typeof globalThis.MediaStreamTrackProcessor === "function") {
      let reader;
      try {
        // The default buffer holds one frame: older ones are dropped by
        // the browser while this loop is busy.
        reader = new globalThis.MediaStreamTrackProcessor({ track }).readable.getReader();
      } catch {
        reader = null;
      }
      if (reader) {
        this.#reader = reader;
        (async () => {
          for (;;) {
            let result;
            try {
              result = await reader.read();
            } catch {
              break;
            }
            if (result.done) break;
            if (generation !== this.#generation) {
              result.value.close();
              break;
            }
            this.#offer(result.value);
          }
        })();
        return;
      }
    }
    // No processor: a hidden video element, sampled on a timer.
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    video.play().catch(() => {});
    this.#video = video;
    const sample = () => {
      if (generation !== this.#generation) return;
      if (video.readyState >= 2 && video.videoWidth > 0) {
        try {
          this.#offer(new VideoFrame(video, {
            timestamp: Math.round(performance.now() * 1000),
          }));
        } catch {
          // not ready this time
        }
      }
      this.#fallbackTimer = setTimeout(sample, FALLBACK_INTERVAL_MS);
    };
    sample();
  }

  // The newest picture: replaces (and frees) the one before.
  #offer(frame) {
    if (!this.#active) {
      frame.close();
      return;
    }
    if (this.#latest) this.#latest.close();
    this.#latest = frame;
    this.#dirty = true;
    this.#pump();
  }

  #later(ms) {
    if (this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = 0;
      this.#pump();
    }, Math.max(1, Math.ceil(ms)));
  }

  // Encodes the newest picture if the pacer allows it now.
  #pump() {
    if (!this.#active || !this.#latest) return;
    if (!this.#dirty && !this.#keyOwed) return;
    const now = performance.now();
    while (this.#encoding.length > 0 && now - this.#encoding[0].at > ENCODE_GIVE_UP_MS) {
      this.#encoding.shift();
    }
    // Frames encoding count as in flight too: the encoder runs apart from
    // this loop, unlike the native one (an output calls back).
    if (this.#encoding.length >= MAX_ENCODING) {
      this.#later(ENCODE_GIVE_UP_MS);
      return;
    }
    if (this.#unacked + this.#encoding.length >= MAX_UNACKED) return; // an ack calls back
    const wait = this.#lastCapture + MIN_CAPTURE_INTERVAL_MS - now;
    if (wait > 0) {
      this.#later(wait);
      return;
    }
    if (this.#hooks.pendingBytes() > this.#hooks.maxPendingBytes) {
      this.#later(BACKOFF_MS);
      return;
    }
    this.#encode(this.#latest, now);
  }

  #encode(frame, now) {
    const size = codedSize(frame.displayWidth, frame.displayHeight);
    if (!this.#encoder || !this.#coded ||
        this.#coded.width !== size.width || this.#coded.height !== size.height) {
      if (!this.#configure(size)) return;
      this.#keyOwed = true;
    }
    this.#lastCapture = now;
    this.#dirty = false;
    const keyFrame = this.#keyOwed;
    this.#keyOwed = false;
    let input = frame;
    let scaled = null;
    if (frame.displayWidth !== size.width || frame.displayHeight !== size.height) {
      // Odd or oversized pictures: the encoder takes its own size only.
      scaled = this.#scale(frame, size);
      if (!scaled) {
        this.#keyOwed = true;
        return;
      }
      input = scaled;
    }
    try {
      this.#encoder.encode(input, { keyFrame });
      this.#encoding.push({ timestamp: input.timestamp, at: now, ...size });
    } catch {
      this.#fail("the screen could not be encoded");
    } finally {
      if (scaled) scaled.close();
    }
  }

  #scale(frame, size) {
    try {
      const canvas = new OffscreenCanvas(size.width, size.height);
      const context = canvas.getContext("2d");
      context.drawImage(frame, 0, 0, size.width, size.height);
      return new VideoFrame(canvas, { timestamp: frame.timestamp });
    } catch {
      return null;
    }
  }

  #configure(size) {
    const generation = this.#generation;
    try {
      if (!this.#encoder) {
        this.#encoder = new VideoEncoder({
          output: (chunk) => this.#output(generation, chunk),
          error: () => {
            if (generation === this.#generation) {
              this.#fail("the screen could not be encoded");
            }
          },
        });
      }
      this.#encoder.configure(encoderConfig(this.#codec.string, size.width, size.height));
      this.#coded = size;
      return true;
    } catch {
      this.#fail("the screen could not be encoded");
      return false;
    }
  }

  #output(generation, chunk) {
    if (generation !== this.#generation || !this.#active || !this.#coded) return;
    const at = this.#encoding.findIndex((e) => e.timestamp === chunk.timestamp);
    const entry = at >= 0 ? this.#encoding[at] : this.#coded;
    this.#encoding.splice(0, at + 1); // at -1 (forgotten already): nothing
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    const { width, height } = entry;
    const sent = this.#hooks.send({
      frameId: ++this.#frameId,
      codec: this.#codec.wire,
      width,
      height,
      keyFrame: chunk.type === "key",
      data,
      captureTimeUs: Math.max(0, Math.round(chunk.timestamp || 0)),
      screenOrigin: { x: 0, y: 0, width, height },
    });
    if (sent) {
      this.#unacked++;
      this.#framesSent++;
    } else {
      // The technician misses this frame: the next must not depend on it.
      this.#keyOwed = true;
    }
    this.#pump();
  }

  #fail(message) {
    if (!this.#active) return;
    this.stop();
    this.#hooks.stopped(new ScreenShareError(message));
  }
}
