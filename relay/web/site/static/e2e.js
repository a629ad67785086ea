// SPDX-License-Identifier: AGPL-3.0-or-later
// End-to-end encryption for the zero-install customer page: the customer's
// side of the E2E key exchange and the record channel, byte for byte as
// crypto/e2e_handshake.h and crypto/e2e_channel.h describe them, so the
// browser talks to the supporter app directly through the relay, which can
// read or forge nothing.
//
// The browser is always the customer:
//   1. supporter -> customer: commitment = SHA-256("tether-e2e commit v1"
//      || pk_s)                           CustomerHandshake.respond() takes it
//   2. customer -> supporter: pk_c        ... and returns pk_c
//   3. supporter -> customer: pk_s        CustomerHandshake.verify() takes it,
//   4. the customer checks the commitment and derives the keys and the SAS.
// Then every PeerMessage travels as one record of E2eChannel. Wrapping these
// bytes in PeerEnvelopes (protocol/peer.proto) is the caller's job.
//
// Only globalThis.crypto.subtle (secure contexts only: the relay serves
// HTTPS) and typed arrays; no dependencies. X25519 in WebCrypto needs
// Chrome/Edge 133+, Firefox 130+, Safari 17+ or Node 18.4+; isSupported()
// tells the page whether to offer the browser session at all.
//
// Keys: private keys and session keys are non-extractable CryptoKeys as soon
// as WebCrypto allows; the few moments raw key bytes exist in script memory
// (the shared secret, freshly derived keys) they are overwritten with zeros
// after use. CryptoKeys themselves cannot be wiped from script; dropping the
// last reference is all JavaScript allows. Nothing here logs, and error
// messages never hold key material or content.
//
// Checked against the C++ implementation by tests/web/e2e_vectors_test.mjs,
// with the known-answer vectors in tests/crypto/vectors/e2e_vectors.json.

const encoder = new TextEncoder();

// Labels exactly as in e2e_handshake.cc and e2e_channel.cc (ASCII).
const COMMIT_LABEL = encoder.encode("tether-e2e commit v1");
const TRANSCRIPT_LABEL = encoder.encode("tether-e2e v1");
const CUSTOMER_TO_SUPPORTER_LABEL = encoder.encode("customer->supporter key");
const SUPPORTER_TO_CUSTOMER_LABEL = encoder.encode("supporter->customer key");
const SAS_LABEL = encoder.encode("sas");
const AAD_LABEL = encoder.encode("tether-e2e record v1");
const REKEY_LABEL = encoder.encode("tether-e2e rekey");

export const KEY_SIZE = 32;
export const PUBLIC_KEY_SIZE = 32;
export const COMMITMENT_SIZE = 32;
const COUNTER_SIZE = 8;
const TAG_SIZE = 16;
export const RECORD_OVERHEAD = COUNTER_SIZE + TAG_SIZE;
export const MAX_PLAINTEXT_SIZE = 4 * 1024 * 1024;
export const MAX_RECORD_SIZE = MAX_PLAINTEXT_SIZE + RECORD_OVERHEAD;
// Counters are 64-bit, so they are BigInts here (Numbers stop at 2^53).
export const DEFAULT_REKEY_INTERVAL = 1n << 24n;
const COUNTER_LIMIT = (1n << 64n) - 1n;
const SAS_BYTES = 8;
const SAS_MODULUS = 1000000n;

// WebCrypto imports an X25519 private key only as PKCS#8 or JWK. The PKCS#8
// encoding of one (RFC 8410) is this fixed header followed by the 32-byte
// scalar. Only known-answer tests import private keys.
const X25519_PKCS8_HEADER = Uint8Array.of(
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
  0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
// RFC 7748 §4.1: u = 9.
const X25519_BASE_POINT = Uint8Array.of(9, ...new Uint8Array(31));

// Every error of this module. Messages match the C++ ones where the C++
// code has one, so logs from both sides read alike.
export class E2eError extends Error {
  constructor(message) {
    super(message);
    this.name = "E2eError";
  }
}

// Read at call time, not import time: a page or test may provide it late.
function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new E2eError("WebCrypto is not available (HTTPS only)");
  return s;
}

// Overwrites each array with zeros (null and undefined are skipped).
export function wipe(...arrays) {
  for (const a of arrays) if (a) a.fill(0);
}

function asBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(what + " must be a Uint8Array");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function bigEndian32(value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

function bigEndian64(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, false);
  return out;
}

// No early exit, so timing does not tell where the first difference is
// (as far as a JIT allows). Different lengths compare unequal.
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function isAllZero(bytes) {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

async function sha256(data) {
  return new Uint8Array(await subtle().digest("SHA-256", data));
}

// ---- X25519 ---------------------------------------------------------------

// Whether this browser has X25519 in WebCrypto.
export async function isSupported() {
  try {
    await subtle().generateKey({ name: "X25519" }, false, ["deriveBits"]);
    return true;
  } catch {
    return false;
  }
}

// A fresh ephemeral key pair: { privateKey: non-extractable CryptoKey,
// publicKey: 32 bytes (RFC 7748 little-endian u) }.
export async function generateKeyPair() {
  const pair = await subtle().generateKey({ name: "X25519" }, false, [
    "deriveBits",
  ]);
  const publicKey = new Uint8Array(
    await subtle().exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey };
}

// A key pair from a given 32-byte private scalar: for known-answer tests,
// never for real sessions. WebCrypto clamps the scalar (RFC 7748 §5) like
// crypto/x25519.cc, so any 32 bytes give the same public key in both.
export async function keyPairFromPrivateKey(privateKeyBytes) {
  const scalar = asBytes(privateKeyBytes, "private key");
  if (scalar.length !== KEY_SIZE) {
    throw new E2eError("X25519: a private key must be 32 bytes");
  }
  const der = concat(X25519_PKCS8_HEADER, scalar);
  let privateKey;
  try {
    privateKey = await subtle().importKey("pkcs8", der, { name: "X25519" },
      false, ["deriveBits"]);
  } finally {
    wipe(der);
  }
  // WebCrypto has no call that gives the public key of an imported private
  // key without making it extractable; X25519(k, 9) is that public key.
  const publicKey = await sharedSecret(privateKey, X25519_BASE_POINT);
  return { privateKey, publicKey };
}

// X25519(private, peer public): 32 bytes, which the caller wipes. Refuses
// low-order peer keys (RFC 7748 §6.1), as crypto/x25519.cc does.
export async function sharedSecret(privateKey, peerPublic) {
  const peer = asBytes(peerPublic, "public key");
  if (peer.length !== PUBLIC_KEY_SIZE) {
    throw new E2eError("X25519: a public key must be 32 bytes");
  }
  let secret;
  try {
    const key = await subtle().importKey("raw", peer, { name: "X25519" },
      true, []);
    secret = new Uint8Array(await subtle().deriveBits(
      { name: "X25519", public: key }, privateKey, 256));
  } catch (e) {
    // WebCrypto fails an all-zero result with OperationError (Secure Curves
    // spec); some engines refuse low-order points already at import.
    if (e && (e.name === "OperationError" || e.name === "DataError")) {
      throw new E2eError("X25519: invalid or low-order public key");
    }
    throw e;
  }
  // In case an engine does not check: C++ refuses this too.
  if (isAllZero(secret)) {
    throw new E2eError("X25519: low-order public key (all-zero shared secret)");
  }
  return secret;
}

// ---- Handshake ------------------------------------------------------------

// SHA-256("tether-e2e commit v1" || pk_s).
export function commitmentOf(supporterPublic) {
  return sha256(concat(COMMIT_LABEL, asBytes(supporterPublic, "public key")));
}

// Every field as a 4-byte big-endian length, then its bytes:
// "tether-e2e v1", protocol_version (4 bytes, big-endian), session_code
// (its UTF-8 bytes), commitment, pk_s, pk_c.
export function transcriptOf(context, commitment, supporterPublic,
  customerPublic) {
  const fields = [
    TRANSCRIPT_LABEL,
    bigEndian32(context.protocolVersion),
    encoder.encode(context.sessionCode),
    commitment,
    supporterPublic,
    customerPublic,
  ];
  return concat(...fields.flatMap((f) => [bigEndian32(f.length), f]));
}

// The key schedule: PRK = HKDF-Extract(SHA-256(transcript), Z), then
// HKDF-Expand(PRK, label) for each direction key (32 bytes) and the SAS (8
// bytes, big-endian, mod 10^6, six digits). WebCrypto's HKDF runs Extract
// and Expand in one call, so each output is its own call with the same salt
// and IKM: the same bytes, and the PRK never exists in script memory.
// Returns { customerToSupporterKey, supporterToCustomerKey, sas }; the
// caller owns (and wipes, or hands to E2eChannel.create) the keys.
export async function deriveSessionKeys(sharedSecretBytes, transcript) {
  const salt = await sha256(transcript);
  const ikm = await subtle().importKey("raw", sharedSecretBytes, "HKDF", false,
    ["deriveBits"]);
  const expand = async (info, size) => new Uint8Array(await subtle()
    .deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, ikm, size * 8));
  const customerToSupporterKey =
    await expand(CUSTOMER_TO_SUPPORTER_LABEL, KEY_SIZE);
  const supporterToCustomerKey =
    await expand(SUPPORTER_TO_CUSTOMER_LABEL, KEY_SIZE);
  const sasBytes = await expand(SAS_LABEL, SAS_BYTES);
  let value = 0n;
  for (const b of sasBytes) value = (value << 8n) | BigInt(b);
  wipe(sasBytes);
  const sas = (value % SAS_MODULUS).toString().padStart(6, "0");
  return { customerToSupporterKey, supporterToCustomerKey, sas };
}

const CONSTRUCT = Symbol("construct through create()");

// The customer's side of one handshake. respond() then verify(), each once
// and in order; anything else, a wrong-sized input or a failed check throws
// and fails the handshake for good (like C++ E2eHandshake).
export class CustomerHandshake {
  #context;
  #keyPair;
  #commitment = null;
  #state = "start"; // start -> responded -> verifying -> complete | failed

  // context: { protocolVersion: uint32, sessionCode: string }, the same the
  // supporter uses (both go into the transcript). options.privateKey (32
  // bytes) is for known-answer tests only.
  static async create(context, options = {}) {
    const version = context && context.protocolVersion;
    if (!Number.isInteger(version) || version < 0 || version > 0xffffffff) {
      throw new E2eError("E2E handshake: protocol version must be a uint32");
    }
    if (typeof context.sessionCode !== "string") {
      throw new E2eError("E2E handshake: session code must be a string");
    }
    const keyPair = options.privateKey
      ? await keyPairFromPrivateKey(options.privateKey)
      : await generateKeyPair();
    return new CustomerHandshake(CONSTRUCT, {
      protocolVersion: version,
      sessionCode: context.sessionCode,
    }, keyPair);
  }

  constructor(token, context, keyPair) {
    if (token !== CONSTRUCT) {
      throw new TypeError("use CustomerHandshake.create");
    }
    this.#context = context;
    this.#keyPair = keyPair;
  }

  get complete() {
    return this.#state === "complete";
  }

  get failed() {
    return this.#state === "failed";
  }

  // Step 2: takes the supporter's 32-byte commitment, returns pk_c.
  respond(commitment) {
    this.#expect("respond", "start");
    const c = asBytes(commitment, "commitment");
    if (c.length !== COMMITMENT_SIZE) {
      throw this.#fail("commitment must be 32 bytes");
    }
    this.#commitment = c.slice();
    this.#state = "responded";
    return this.#keyPair.publicKey.slice();
  }

  // Step 4: takes pk_s, checks it against the commitment, derives the keys.
  // Returns { sas, channel }: the six digits the customer compares with the
  // technician's, and the record channel (customer sends, supporter
  // receives). Nothing may be sent before the customer confirmed the SAS.
  async verify(supporterPublic) {
    this.#expect("verify", "responded");
    this.#state = "verifying"; // a second call while this one waits fails
    const pkS = asBytes(supporterPublic, "supporter public key").slice();
    if (pkS.length !== PUBLIC_KEY_SIZE) {
      throw this.#fail("supporter public key must be 32 bytes");
    }
    let secret = null;
    try {
      if (!equalBytes(await commitmentOf(pkS), this.#commitment)) {
        throw new E2eError("commitment mismatch");
      }
      secret = await sharedSecret(this.#keyPair.privateKey, pkS);
      const customerPublic = this.#keyPair.publicKey;
      // The ephemeral private key has done its job; drop it.
      this.#keyPair = null;
      const transcript = transcriptOf(this.#context, this.#commitment, pkS,
        customerPublic);
      const keys = await deriveSessionKeys(secret, transcript);
      const channel = await E2eChannel.create(keys.customerToSupporterKey,
        keys.supporterToCustomerKey);
      this.#state = "complete";
      return { sas: keys.sas, channel };
    } catch (e) {
      throw this.#fail(e && e.message ? e.message : String(e));
    } finally {
      wipe(secret);
    }
  }

  #expect(step, state) {
    if (this.#state === "failed") throw this.#fail("already failed");
    if (this.#state !== state) throw this.#fail(step + " called out of order");
  }

  #fail(message) {
    this.#state = "failed";
    this.#keyPair = null;
    return new E2eError("E2E handshake: " + message);
  }
}

// ---- Record channel -------------------------------------------------------

// HKDF-Expand(key, "tether-e2e rekey", 32). With L = 32 that is one HMAC
// block, T(1) = HMAC-SHA256(key, info || 0x01); WebCrypto's HKDF always
// runs Extract first, so Expand alone is done with HMAC.
const REKEY_BLOCK = concat(REKEY_LABEL, Uint8Array.of(1));

async function nextKeyWith(hmacKey) {
  return new Uint8Array(await subtle().sign("HMAC", hmacKey, REKEY_BLOCK));
}

// The key that follows `key` at a rekey: for tests (the channel itself
// keeps its keys as CryptoKeys).
export async function nextKey(key) {
  const hmacKey = await subtle().importKey("raw", asBytes(key, "key"),
    { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return nextKeyWith(hmacKey);
}

// One direction: its current key (as an AES-GCM key to seal or open and an
// HMAC key to derive the next one) and the counter of the next record.
class Direction {
  #aesKey = null;
  #hmacKey = null;
  #interval;
  next = 0n;

  constructor(interval) {
    this.#interval = interval;
  }

  // Takes ownership of `key`: imported, then overwritten with zeros.
  async load(key) {
    try {
      [this.#aesKey, this.#hmacKey] = await Promise.all([
        subtle().importKey("raw", key, "AES-GCM", false,
          ["encrypt", "decrypt"]),
        subtle().importKey("raw", key, { name: "HMAC", hash: "SHA-256" },
          false, ["sign"]),
      ]);
    } finally {
      wipe(key);
    }
  }

  // Nonce = 4 zero bytes || counter (8 bytes, big-endian).
  static #nonce(counter) {
    return concat(new Uint8Array(4), bigEndian64(counter));
  }

  // AAD = "tether-e2e record v1" || counter.
  static #aad(counter) {
    return concat(AAD_LABEL, bigEndian64(counter));
  }

  static #params(counter) {
    return {
      name: "AES-GCM",
      iv: Direction.#nonce(counter),
      additionalData: Direction.#aad(counter),
      tagLength: TAG_SIZE * 8,
    };
  }

  // Record = counter (8 bytes, big-endian) || ciphertext || tag (16 bytes);
  // WebCrypto's AES-GCM output is already ciphertext || tag.
  async seal(plaintext) {
    // The last counter value is never used, so the counter never wraps.
    if (this.next === COUNTER_LIMIT) {
      throw new E2eError("E2E send counter exhausted");
    }
    const counter = this.next;
    let sealed;
    try {
      sealed = await subtle().encrypt(Direction.#params(counter),
        this.#aesKey, plaintext);
    } catch {
      throw new E2eError("E2E encryption failed");
    }
    const record = concat(bigEndian64(counter), new Uint8Array(sealed));
    await this.#advance();
    return record;
  }

  // `record` is already checked to be within the size limits.
  async open(record) {
    const counter = new DataView(record.buffer, record.byteOffset,
      COUNTER_SIZE).getBigUint64(0, false);
    // Checked before the tag, like C++: the clearer error helps debugging.
    if (counter < this.next) throw new E2eError("replayed record");
    if (counter > this.next) {
      throw new E2eError("records missing or reordered");
    }
    if (counter === COUNTER_LIMIT) {
      throw new E2eError("E2E receive counter exhausted");
    }
    let plaintext;
    try {
      plaintext = new Uint8Array(await subtle().decrypt(
        Direction.#params(counter), this.#aesKey,
        record.subarray(COUNTER_SIZE)));
    } catch {
      throw new E2eError("record authentication failed");
    }
    await this.#advance();
    return plaintext;
  }

  // After a record used `next`: on to the next counter, and to the next key
  // at every multiple of the interval. The old CryptoKeys are dropped (JS
  // cannot wipe them).
  async #advance() {
    this.next += 1n;
    if (this.next % this.#interval !== 0n) return;
    await this.load(await nextKeyWith(this.#hmacKey));
  }
}

// The record layer (see e2e_channel.h): AES-256-GCM with a key and a
// counter per direction, records accepted only in order, deterministic
// rekeying every `rekeyInterval` records per direction. Any open() failure
// fails the channel for good; so does an exhausted or failed seal(). A
// plaintext over MAX_PLAINTEXT_SIZE is refused without harm.
//
// seal() and open() may be called without awaiting the previous call: they
// run one at a time, in call order (the counters and rekeying need that),
// so call open() in the order records arrived.
export class E2eChannel {
  #send;
  #receive;
  #failed = false;
  #queue = Promise.resolve();

  // Takes ownership of both 32-byte keys: they are imported and then
  // overwritten with zeros (pass copies to keep them). The browser's
  // channel comes from CustomerHandshake.verify(); tests make the
  // supporter's with the keys swapped.
  static async create(sendKey, receiveKey,
    rekeyInterval = DEFAULT_REKEY_INTERVAL) {
    const send = asBytes(sendKey, "send key");
    const receive = asBytes(receiveKey, "receive key");
    try {
      if (send.length !== KEY_SIZE || receive.length !== KEY_SIZE) {
        throw new E2eError("E2E keys must be 32 bytes");
      }
      // Equal keys would let a relay reflect a peer's records back to it.
      if (equalBytes(send, receive)) {
        throw new E2eError("E2E send and receive keys must differ");
      }
      const interval = BigInt(rekeyInterval);
      if (interval < 1n) {
        throw new E2eError("E2E rekey interval must be at least 1");
      }
      const sendDirection = new Direction(interval);
      const receiveDirection = new Direction(interval);
      await Promise.all([
        sendDirection.load(send),
        receiveDirection.load(receive),
      ]);
      return new E2eChannel(CONSTRUCT, sendDirection, receiveDirection);
    } finally {
      wipe(send, receive);
    }
  }

  constructor(token, send, receive) {
    if (token !== CONSTRUCT) throw new TypeError("use E2eChannel.create");
    this.#send = send;
    this.#receive = receive;
  }

  // True once the channel refuses all further work.
  get failed() {
    return this.#failed;
  }

  // Encrypts one record: resolves to its bytes. The plaintext is copied
  // at once (and the copy wiped), so the caller may reuse its array.
  seal(plaintext) {
    const copy = asBytes(plaintext, "plaintext").slice();
    return this.#inTurn(() => this.#seal(copy).finally(() => wipe(copy)));
  }

  // Authenticates and decrypts the next record: resolves to the plaintext.
  open(record) {
    const copy = asBytes(record, "record").slice();
    return this.#inTurn(() => this.#open(copy));
  }

  // Moves both counters, so tests can reach a rekey or the end of the
  // counter space. Rekey points stay at multiples of the interval.
  setCountersForTesting(nextSend, nextReceive) {
    this.#send.next = BigInt(nextSend);
    this.#receive.next = BigInt(nextReceive);
  }

  #inTurn(work) {
    const result = this.#queue.then(work);
    this.#queue = result.then(() => {}, () => {});
    return result;
  }

  async #seal(plaintext) {
    if (this.#failed) {
      throw new E2eError("channel closed after an earlier error");
    }
    if (plaintext.length > MAX_PLAINTEXT_SIZE) {
      throw new E2eError("E2E plaintext too large: " + plaintext.length +
        " bytes, limit " + MAX_PLAINTEXT_SIZE);
    }
    try {
      return await this.#send.seal(plaintext);
    } catch (e) {
      this.#failed = true;
      throw e;
    }
  }

  async #open(record) {
    if (this.#failed) {
      throw new E2eError("channel closed after an earlier error");
    }
    try {
      if (record.length < RECORD_OVERHEAD) {
        throw new E2eError("E2E record too short: " + record.length +
          " bytes, minimum " + RECORD_OVERHEAD);
      }
      if (record.length > MAX_RECORD_SIZE) {
        throw new E2eError("E2E record too long: " + record.length +
          " bytes, limit " + MAX_RECORD_SIZE);
      }
      return await this.#receive.open(record);
    } catch (e) {
      this.#failed = true;
      throw e;
    }
  }
}
