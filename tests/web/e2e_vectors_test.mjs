// The browser's E2E implementation (relay/web/site/static/e2e.js) against
// the known-answer vectors the C++ implementation generated and checks
// (tests/crypto/vectors/e2e_vectors.json, tests/crypto/e2e_vectors_test.cc):
// if both pass, the customer page and the supporter app agree byte for byte.
//
//   node web/e2e_vectors_test.mjs        (from tests/; any folder works)
//
// Prints one line per group of checks; exits 1 on any mismatch. Needs
// Node 18.4+ (X25519 in WebCrypto); nothing from npm.

import { readFileSync } from "node:fs";

// Node 18 has WebCrypto only as require("node:crypto").webcrypto; e2e.js,
// like a browser page, uses globalThis.crypto. (Node 19+ has both.)
if (!globalThis.crypto || !globalThis.crypto.subtle) {
  const { webcrypto } = await import("node:crypto");
  Object.defineProperty(globalThis, "crypto", { value: webcrypto });
}
const e2e = await import(
  new URL("../../relay/web/site/static/e2e.js", import.meta.url));

const vectors = JSON.parse(readFileSync(
  new URL("../crypto/vectors/e2e_vectors.json", import.meta.url), "utf8"));

// ---- Reporting --------------------------------------------------------------

let groupChecks = 0;
let groupFailures = [];
let failedGroups = 0;

function check(ok, what) {
  groupChecks++;
  if (!ok) groupFailures.push(what);
}

function checkEqual(actual, expected, what) {
  check(actual === expected,
    `${what}: got ${actual}, expected ${expected}`);
}

async function checkRefused(promiseOrFn, expected, what) {
  try {
    await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
    check(false, `${what}: accepted, expected "${expected}"`);
  } catch (e) {
    check(e instanceof e2e.E2eError && e.message.includes(expected),
      `${what}: refused with "${e && e.message}", expected "${expected}"`);
  }
}

async function group(name, body) {
  groupChecks = 0;
  groupFailures = [];
  let count = "";
  try {
    count = await body();
  } catch (e) {
    groupFailures.push(`threw ${e && e.stack ? e.stack : e}`);
  }
  if (groupFailures.length === 0) {
    console.log(`ok   ${name}: ${count}, ${groupChecks} checks`);
    return;
  }
  failedGroups++;
  console.log(`FAIL ${name}: ${groupFailures.length} of ${groupChecks} ` +
    "checks failed");
  for (const f of groupFailures.slice(0, 20)) console.log(`       ${f}`);
}

// ---- Helpers ----------------------------------------------------------------

function fromHex(hex) {
  if (typeof hex !== "string" || hex.length % 2 !== 0) {
    throw new Error(`bad hex in the vectors: ${hex}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.substr(2 * i, 2), 16);
  }
  return out;
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function context(version, code) {
  return { protocolVersion: version, sessionCode: code };
}

// The supporter's side, from e2e.js's pieces: the browser never plays it,
// but the vectors hold both sides and the pieces are the same.
async function supporterSide(v, sessionCode) {
  const pair = await e2e.keyPairFromPrivateKey(fromHex(v.supporter_private));
  const customer = await e2e.keyPairFromPrivateKey(fromHex(v.customer_private));
  const commitment = await e2e.commitmentOf(pair.publicKey);
  const transcript = e2e.transcriptOf(
    context(v.protocol_version, sessionCode), commitment, pair.publicKey,
    customer.publicKey);
  const secret = await e2e.sharedSecret(pair.privateKey, customer.publicKey);
  const keys = await e2e.deriveSessionKeys(secret, transcript);
  return { pair, customer, commitment, transcript, secret, keys };
}

// A channel whose send key is `sendHex` (copies: create() wipes its keys).
function channel(sendHex, receiveHex, interval, start = 0n) {
  return e2e.E2eChannel.create(fromHex(sendHex), fromHex(receiveHex),
    BigInt(interval)).then((c) => {
    c.setCountersForTesting(BigInt(start), BigInt(start));
    return c;
  });
}

// Any key other than `hex`, for the unused direction of a channel.
function otherKey(hex) {
  const key = fromHex(hex);
  key[0] ^= 0xff;
  return toHex(key);
}

// ---- Groups -----------------------------------------------------------------

await group("handshake values (keys, commitment, transcript, SAS)",
  async () => {
    for (const v of vectors.handshakes) {
      const s = await supporterSide(v, v.session_code);
      checkEqual(toHex(s.pair.publicKey), v.supporter_public,
        `${v.name}: pk_s`);
      checkEqual(toHex(s.customer.publicKey), v.customer_public,
        `${v.name}: pk_c`);
      checkEqual(toHex(s.commitment), v.commitment, `${v.name}: commitment`);
      checkEqual(toHex(s.transcript), v.transcript, `${v.name}: transcript`);
      const digest = new Uint8Array(
        await crypto.subtle.digest("SHA-256", s.transcript));
      checkEqual(toHex(digest), v.transcript_sha256,
        `${v.name}: SHA-256 of the transcript`);
      checkEqual(toHex(s.secret), v.shared_secret,
        `${v.name}: shared secret (supporter)`);
      const back = await e2e.sharedSecret(s.customer.privateKey,
        s.pair.publicKey);
      checkEqual(toHex(back), v.shared_secret,
        `${v.name}: shared secret (customer)`);
      checkEqual(toHex(s.keys.customerToSupporterKey),
        v.customer_to_supporter_key, `${v.name}: customer->supporter key`);
      checkEqual(toHex(s.keys.supporterToCustomerKey),
        v.supporter_to_customer_key, `${v.name}: supporter->customer key`);
      checkEqual(s.keys.sas, v.sas, `${v.name}: SAS`);
    }
    return `${vectors.handshakes.length} vectors`;
  });

await group("customer handshake and its channel, both directions",
  async () => {
    let records = 0;
    for (const v of vectors.handshakes) {
      const handshake = await e2e.CustomerHandshake.create(
        context(v.protocol_version, v.session_code),
        { privateKey: fromHex(v.customer_private) });
      const pkC = handshake.respond(fromHex(v.commitment));
      checkEqual(toHex(pkC), v.customer_public, `${v.name}: respond()`);
      const { sas, channel: customer } =
        await handshake.verify(fromHex(v.supporter_public));
      checkEqual(sas, v.sas, `${v.name}: verify() SAS`);
      check(handshake.complete, `${v.name}: handshake complete`);
      // The supporter's channel, from the vector's keys.
      const supporter = await channel(v.supporter_to_customer_key,
        v.customer_to_supporter_key, vectors.default_rekey_interval);
      for (const r of v.records.supporter_to_customer) {
        const record = await supporter.seal(fromHex(r.plaintext));
        checkEqual(toHex(record), r.record,
          `${v.name}: s->c seal ${r.counter}`);
        const opened = await customer.open(fromHex(r.record));
        checkEqual(toHex(opened), r.plaintext,
          `${v.name}: s->c open ${r.counter}`);
        records++;
      }
      for (const r of v.records.customer_to_supporter) {
        const record = await customer.seal(fromHex(r.plaintext));
        checkEqual(toHex(record), r.record,
          `${v.name}: c->s seal ${r.counter}`);
        const opened = await supporter.open(fromHex(r.record));
        checkEqual(toHex(opened), r.plaintext,
          `${v.name}: c->s open ${r.counter}`);
        records++;
      }
    }
    return `${vectors.handshakes.length} handshakes, ${records} records`;
  });

await group("channel records and rekeying, both directions", async () => {
  let records = 0;
  let rekeys = 0;
  for (const v of vectors.channels) {
    const s2c = v.supporter_to_customer;
    const c2s = v.customer_to_supporter;
    const start = BigInt(v.start_counter);
    const supporter = await channel(s2c.key_chain[0], c2s.key_chain[0],
      v.rekey_interval, start);
    const customer = await channel(c2s.key_chain[0], s2c.key_chain[0],
      v.rekey_interval, start);
    for (const [label, direction, sender, receiver] of [
      ["s->c", s2c, supporter, customer],
      ["c->s", c2s, customer, supporter],
    ]) {
      const chain = direction.key_chain;
      for (let i = 1; i < chain.length; i++) {
        checkEqual(toHex(await e2e.nextKey(fromHex(chain[i - 1]))), chain[i],
          `${v.name}: ${label} key ${i}`);
        rekeys++;
      }
      for (const r of direction.records) {
        const what = `${v.name}: ${label} counter ${r.counter}`;
        const record = await sender.seal(fromHex(r.plaintext));
        checkEqual(toHex(record), r.record, `${what} seal`);
        const opened = await receiver.open(fromHex(r.record));
        checkEqual(toHex(opened), r.plaintext, `${what} open`);
        // Sealed under the key the chain says.
        const key = chain[r.key_index];
        const alone = await channel(key, otherKey(key), v.rekey_interval,
          BigInt(r.counter));
        checkEqual(toHex(await alone.seal(fromHex(r.plaintext))), r.record,
          `${what} under key ${r.key_index}`);
        records++;
      }
    }
    // After both directions: a refused seal fails the sender's channel,
    // which also receives the other direction.
    for (const [direction, sender] of [[s2c, supporter], [c2s, customer]]) {
      if (!direction.then_seal) continue;
      await checkRefused(sender.seal(fromHex(direction.then_seal.plaintext)),
        direction.then_seal.error, `${v.name}: one seal too many`);
      check(sender.failed, `${v.name}: failed after the counter ran out`);
    }
  }
  return `${vectors.channels.length} channels, ${records} records, ` +
    `${rekeys} rekeyed keys`;
});

await group("refused records (tampered, replayed, reordered, ...)",
  async () => {
    for (const v of vectors.refused_records) {
      const receiver = await channel(v.send_key, v.receive_key,
        v.rekey_interval);
      receiver.setCountersForTesting(0n, BigInt(v.start_counter));
      let refused = false;
      for (const [i, step] of v.steps.entries()) {
        const what = `${v.name}: step ${i}`;
        const run = () => step.open !== undefined
          ? receiver.open(fromHex(step.open))
          : receiver.seal(fromHex(step.seal));
        if (step.error !== undefined) {
          await checkRefused(run, step.error, what);
          refused ||= step.error.includes(v.refusal);
        } else {
          const out = await run();
          checkEqual(toHex(out),
            step.open !== undefined ? step.plaintext : step.record, what);
        }
      }
      check(refused, `${v.name}: no step shows "${v.refusal}"`);
      check(receiver.failed, `${v.name}: channel failed`);
    }
    return `${vectors.refused_records.length} cases`;
  });

await group("refused handshakes", async () => {
  for (const v of vectors.refused_handshakes) {
    const handshake = await e2e.CustomerHandshake.create(
      context(v.protocol_version, v.session_code),
      { privateKey: fromHex(v.customer_private) });
    if (v.fails_at === "respond") {
      await checkRefused(() => handshake.respond(fromHex(v.commitment)),
        v.error, `${v.name}: respond()`);
    } else {
      handshake.respond(fromHex(v.commitment));
      await checkRefused(handshake.verify(fromHex(v.supporter_public)),
        v.error, `${v.name}: verify()`);
    }
    check(handshake.failed, `${v.name}: handshake failed`);
    await checkRefused(handshake.verify(fromHex(v.supporter_public)),
      "already failed", `${v.name}: no second try`);
  }
  return `${vectors.refused_handshakes.length} cases`;
});

await group("session codes differ: different SAS, records refused",
  async () => {
    const v = vectors.context_mismatch;
    const supporter = await supporterSide(v, v.supporter_session_code);
    checkEqual(supporter.keys.sas, v.supporter_sas, "supporter SAS");
    const handshake = await e2e.CustomerHandshake.create(
      context(v.protocol_version, v.customer_session_code),
      { privateKey: fromHex(v.customer_private) });
    handshake.respond(supporter.commitment);
    const { sas, channel: customer } =
      await handshake.verify(supporter.pair.publicKey);
    checkEqual(sas, v.customer_sas, "customer SAS");
    check(sas !== supporter.keys.sas, "the two SAS differ");
    const sender = await e2e.E2eChannel.create(
      supporter.keys.supporterToCustomerKey,
      supporter.keys.customerToSupporterKey);
    checkEqual(toHex(await sender.seal(new TextEncoder().encode("terms"))),
      v.supporter_record, "supporter record");
    await checkRefused(customer.open(fromHex(v.supporter_record)), v.error,
      "customer opens the supporter's record");
    return "1 case";
  });

// What the file cannot express: the API's own refusals.
await group("API misuse", async () => {
  const v = vectors.handshakes[0];
  const ctx = context(v.protocol_version, v.session_code);
  const early = await e2e.CustomerHandshake.create(ctx);
  await checkRefused(early.verify(fromHex(v.supporter_public)),
    "called out of order", "verify() before respond()");
  const twice = await e2e.CustomerHandshake.create(ctx);
  twice.respond(fromHex(v.commitment));
  await checkRefused(() => twice.respond(fromHex(v.commitment)),
    "called out of order", "respond() twice");

  const c = vectors.channels[0];
  const sender = await channel(c.supporter_to_customer.key_chain[0],
    c.customer_to_supporter.key_chain[0], c.rekey_interval);
  await checkRefused(sender.seal(new Uint8Array(e2e.MAX_PLAINTEXT_SIZE + 1)),
    "E2E plaintext too large", "plaintext over the limit");
  check(!sender.failed, "an oversized plaintext leaves the channel usable");
  await checkRefused(sender.open(new Uint8Array(e2e.MAX_RECORD_SIZE + 1)),
    "E2E record too long", "record over the limit");
  await checkRefused(e2e.E2eChannel.create(new Uint8Array(32).fill(3),
    new Uint8Array(32).fill(3)), "must differ", "equal keys");
  await checkRefused(e2e.E2eChannel.create(new Uint8Array(32).fill(1),
    new Uint8Array(32).fill(2), 0), "at least 1", "rekey interval 0");

  // Seals started without awaiting still get consecutive counters.
  const receiver = await channel(c.customer_to_supporter.key_chain[0],
    c.supporter_to_customer.key_chain[0], c.rekey_interval);
  const fresh = await channel(c.supporter_to_customer.key_chain[0],
    c.customer_to_supporter.key_chain[0], c.rekey_interval);
  const texts = c.supporter_to_customer.records.map((r) => r.plaintext);
  const sealed = await Promise.all(texts.map((t) => fresh.seal(fromHex(t))));
  sealed.forEach((r, i) => checkEqual(toHex(r),
    c.supporter_to_customer.records[i].record, `concurrent seal ${i}`));
  const opened = await Promise.all(sealed.map((r) => receiver.open(r)));
  opened.forEach((p, i) => checkEqual(toHex(p), texts[i],
    `concurrent open ${i}`));

  // create() takes ownership of the keys and wipes them.
  const send = new Uint8Array(32).fill(5);
  const receive = new Uint8Array(32).fill(6);
  await e2e.E2eChannel.create(send, receive);
  check(send.every((b) => b === 0) && receive.every((b) => b === 0),
    "keys wiped after create()");
  return "8 cases";
});

if (failedGroups > 0) {
  console.log(`FAIL ${failedGroups} group(s) failed`);
  process.exit(1);
}
console.log("ok   all E2E vectors match");
