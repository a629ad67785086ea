// The customer page (/share) in a real browser, as a customer uses it:
// Debian's Chromium, headful on the test's private Xvfb (whole-screen
// capture is black without a display), driven by playwright-core, against a
// real tether-relay and a technician played by the C++ test beside it. Run
// only by tether_customer_tests (tests/customer/browser_customer_test.cc),
// from tests/, which reads this script's output as it comes:
//
//   ok <seconds> s  <step>    a step passed
//   CONNECTING                the code was typed and "connect" clicked
//   SAS <6 digits>            what the page shows, for the technician's check
//   TECHNICIAN|ORGANISATION|TERMS|PROMPT|ERROR|END-REASON|RECEIPT <text>
//   TAMPERED|REPLAYED <what>  what the test's man in the middle did
//   PASS in <seconds> s       last line when every step passed
//   FAIL [<step>] ...         last line otherwise (exit 1)
//
// Environment:
//   RELAY_URL          https://127.0.0.1:PORT
//   RELAY_FINGERPRINT  sha256:<64 hex> of the relay key's SubjectPublicKeyInfo
//   SCENARIO           whole | view | stop-sharing | decline | deny-view |
//                      tamper-out | tamper-in | wrong-code | offer-flood
//                      (below)
//   CODE               the 8 digits to type
//   SCREENSHOTS        a folder for browser-customer-<state>.png
//   WINDOW_WIDTH, WINDOW_HEIGHT  Chromium's window at 0,0 (the rest of the
//                      screen shows what the test drew there)
//   ORGANISATION       optional, "Test IT" unless set
//   TECHNICIAN_CHAT, CUSTOMER_CHAT  chat lines (whole, stop-sharing,
//                      deny-view; offer-flood: the technician's says the
//                      flood is over)
//   FIRST_NAME, SECOND_NAME  the first two files offered (offer-flood)
//   OUT_FILE           the customer's file to send (whole)
//   IN_FILE, IN_NAME   the technician's file as it must arrive (whole)
//
// Besides each step's own checks, a run fails on any page error, on any
// console error or CSP violation (except where the page is expected to
// report an attack), and on any request that leaves the relay's origin.

import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  WAIT_MS, check, env, fail, launchChromium, onFailure, pass, relayContext, startWatchdog, step,
  watch,
} from "./harness.mjs";

const TOTAL_TIMEOUT_MS = 150_000; // the C++ test kills us after 180 s
const TECHNICIAN_WAIT_MS = 60_000; // a wait for what the technician does

let page = null;

// One line to the C++ test, which waits for it by its first word.
function tell(word, text) {
  console.log(`${word} ${String(text).replace(/\s+/g, " ").trim()}`);
}

const RELAY_URL = env("RELAY_URL").replace(/\/+$/, "");
const FINGERPRINT = env("RELAY_FINGERPRINT");
const SCENARIO = env("SCENARIO");
const CODE = env("CODE");
const SCREENSHOTS = env("SCREENSHOTS");
const WINDOW_WIDTH = Number(env("WINDOW_WIDTH"));
const WINDOW_HEIGHT = Number(env("WINDOW_HEIGHT"));
const ORGANISATION = env("ORGANISATION", "Test IT");
const ORIGIN = new URL(RELAY_URL).origin;
const SCENARIOS = ["whole", "view", "stop-sharing", "decline", "deny-view", "tamper-out", "tamper-in", "wrong-code", "offer-flood"];
if (!SCENARIOS.includes(SCENARIO)) fail("setup", `SCENARIO ${SCENARIO} is not one of ${SCENARIOS.join(", ")}`);
// Where the page is expected to detect an attack, it may say so on the console.
const ATTACKED = SCENARIO.startsWith("tamper");

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const byId = (id) => `[data-testid="${id}"]`;

// What the page shows now, for a failure's message.
async function pageSummary() {
  if (!page) return "no page";
  try {
    return await page.evaluate(() => {
      const text = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? "(none)";
      return `state=${document.body?.dataset.state ?? "?"} error="${text("error")}" end-reason="${text("end-reason")}"`;
    });
  } catch (error) {
    return `unreadable (${error.message})`;
  }
}

// A failed step also says what the page shows and leaves a screenshot.
onFailure(async (name) => {
  if (!page) return "";
  const file = `failed-${SCENARIO}-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`;
  await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage: true }).catch(() => {});
  return `\n  the page: ${await pageSummary()}`;
});

async function state() {
  return page.evaluate(() => document.body.dataset.state ?? "");
}

// Waits until document.body.dataset.state is `wanted`.
async function waitState(wanted, timeout = WAIT_MS) {
  try {
    await page.waitForFunction((s) => document.body.dataset.state === s, wanted, { timeout, polling: 100 });
  } catch {
    throw new Error(`the page did not reach state "${wanted}" in ${timeout / 1000} s (it is "${await state()}")`);
  }
}

async function visibleText(id, timeout = WAIT_MS) {
  const locator = page.locator(byId(id)).first();
  await locator.waitFor({ state: "visible", timeout });
  return (await locator.innerText()).trim();
}

async function shoot(name) {
  // From the top: a full-page picture of a scrolled page puts the sticky
  // status bar where the scroll left it.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOTS, `browser-customer-${name}.png`), fullPage: true, animations: "disabled" });
}

// Clicks a download link; returns the download and its bytes.
async function download(locator) {
  const [file] = await Promise.all([page.waitForEvent("download", { timeout: WAIT_MS }), locator.click()]);
  const failure = await file.failure();
  check(!failure, `the download failed: ${failure}`);
  return { file, bytes: readFileSync(await file.path()) };
}

// The prompt (consent dialog) once it is open: its text.
async function openPrompt(timeout) {
  const text = await visibleText("prompt-text", timeout);
  await page.locator(byId("prompt")).waitFor({ state: "visible", timeout: WAIT_MS });
  tell("PROMPT", text);
  return text;
}

async function answerPrompt(button) {
  await page.click(byId(button));
  await page.locator(byId("prompt")).waitFor({ state: "hidden", timeout: WAIT_MS });
}

async function sendChat(text) {
  await page.fill(byId("chat-input"), text);
  await page.click(byId("chat-send"));
}

// `seen`: "visible", or "attached" where the session may end right after.
async function waitChat(from, text, timeout, seen = "visible") {
  await page
    .locator(`${byId("chat-log")} ${byId("chat-message")}[data-from="${from}"]`, { hasText: text })
    .first()
    .waitFor({ state: seen, timeout });
}

function transfer(direction, name) {
  return page.locator(`${byId("transfers")} ${byId("transfer")}[data-direction="${direction}"][data-name="${name}"]`).first();
}

// Waits until a transfer's data-state is `wanted`; fails early on an end
// that is not it.
async function waitTransfer(direction, name, wanted, timeout) {
  const row = transfer(direction, name);
  await row.waitFor({ state: "attached", timeout });
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = await row.getAttribute("data-state");
    if (now === wanted) return row;
    if (["done", "cancelled", "failed"].includes(now)) {
      throw new Error(`the ${direction} transfer of ${name} ended "${now}": ${((await row.textContent()) ?? "").trim()}`);
    }
    if (Date.now() > deadline) throw new Error(`the ${direction} transfer of ${name} is "${now}", not "${wanted}"`);
    await page.waitForTimeout(100);
  }
}

async function waitEnded(timeout) {
  await waitState("ended", timeout);
  const reason = await visibleText("end-reason");
  check(reason.length > 0, "the ended page gives no reason");
  tell("END-REASON", reason);
  return reason;
}

// ---------------------------------------------------------------------------
// The relay's frames, as the man in the middle sees them (protocol/*.proto):
// one WebSocket message = one ClientMessage (page -> relay) or RelayMessage
// (relay -> page); field 8 of both is Relayed{bytes data = 1}, whose data
// is one PeerEnvelope: key_exchange = 1 or record = 2.
// ---------------------------------------------------------------------------

function readVarint(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= bytes.length) throw new Error("truncated varint");
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

// The first length-delimited field `number` of a message: [start, end).
function lengthField(bytes, number, from = 0, to = bytes.length) {
  let at = from;
  while (at < to) {
    const [key, next] = readVarint(bytes, at);
    at = next;
    const wire = key & 7;
    if (wire === 0) {
      at = readVarint(bytes, at)[1];
    } else if (wire === 1) {
      at += 8;
    } else if (wire === 5) {
      at += 4;
    } else if (wire === 2) {
      const [length, start] = readVarint(bytes, at);
      if (key >>> 3 === number) return [start, start + length];
      at = start + length;
    } else {
      return null;
    }
  }
  return null;
}

// Where the E2E record of a relay frame is, or null for anything else
// (heartbeats, the key exchange, control messages).
function recordIn(frame) {
  if (typeof frame === "string") return null;
  const bytes = new Uint8Array(frame);
  try {
    const relayed = lengthField(bytes, 8);
    if (!relayed) return null;
    const data = lengthField(bytes, 1, ...relayed);
    if (!data) return null;
    return lengthField(bytes, 2, ...data);
  } catch {
    return null;
  }
}

// Puts the test between the page and the relay (page.routeWebSocket: the
// page's own socket, then a second one from the page to the relay).
const middle = {
  flipNextToRelay: false, // flip a byte of the next record the page sends
  firstRecordToPage: null, // kept for a replay
  toPage: null, // the page's side of the route, to inject into
};

async function routeRelaySocket(target) {
  await target.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    middle.toPage = ws;
    ws.onMessage((message) => {
      const record = recordIn(message);
      if (record && middle.flipNextToRelay) {
        middle.flipNextToRelay = false;
        const bytes = Buffer.from(message);
        // Inside the ciphertext, so the GCM tag no longer matches.
        const at = record[0] + Math.floor((record[1] - record[0]) / 2);
        bytes[at] ^= 0x01;
        tell("TAMPERED", `one byte of a ${record[1] - record[0]}-byte record from the page to the relay`);
        server.send(bytes);
        return;
      }
      server.send(message);
    });
    server.onMessage((message) => {
      if (recordIn(message) && !middle.firstRecordToPage) middle.firstRecordToPage = Buffer.from(message);
      ws.send(message);
    });
  });
}

// ---------------------------------------------------------------------------
// The steps a customer takes
// ---------------------------------------------------------------------------

async function openPage() {
  await step("open /share", async () => {
    const answer = await page.goto(`${RELAY_URL}/share`);
    check(answer?.status() === 200, `GET /share answered ${answer?.status()}`);
    check(/default-src 'self'/.test(answer.headers()["content-security-policy"] ?? ""), "GET /share has no strict Content-Security-Policy");
    await waitState("start");
    await page.locator(byId("code")).waitFor({ state: "visible" });
    if (SCENARIO === "whole") await shoot("start");
  });
}

async function typeCode() {
  await step("type the code and connect", async () => {
    await page.locator(byId("code")).pressSequentially(CODE, { delay: 30 });
    await page.click(byId("connect"));
    tell("CONNECTING", CODE.length);
  });
}

// The technician accepts the join and sends the terms: the SAS prompt.
async function confirmPrompt() {
  await step("the code and the terms to confirm", async () => {
    await waitState("confirm", TECHNICIAN_WAIT_MS);
    const sas = (await visibleText("sas")).replace(/\D/g, "");
    check(/^\d{6}$/.test(sas), `the SAS shown is not 6 digits: "${await visibleText("sas")}"`);
    tell("SAS", sas);
    tell("TECHNICIAN", await visibleText("technician"));
    tell("ORGANISATION", await visibleText("organisation"));
    tell("TERMS", await visibleText("terms"));
    if (SCENARIO === "whole") await shoot("confirm");
  });
}

async function agree() {
  await step("agree", async () => {
    await page.click(byId("agree"));
    await waitState("session");
  });
}

async function allowView() {
  await step("allow the technician to see the screen", async () => {
    await openPrompt(TECHNICIAN_WAIT_MS);
    if (SCENARIO === "whole") await shoot("view-prompt");
    // The browser's own picker is answered by --auto-select-desktop-capture-source.
    await answerPrompt("prompt-allow");
    await page.waitForFunction(
      () => document.querySelector('[data-testid="viewing"]')?.dataset.viewing === "yes",
      null, { timeout: WAIT_MS, polling: 100 });
    check((await state()) === "session", `the page is "${await state()}" while sharing`);
  });
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

startWatchdog(TOTAL_TIMEOUT_MS);

let browser = null;

await step("start Chromium", async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Headful on $DISPLAY: the capture of the entire screen needs a real one.
  // Not --use-fake-ui-for-media-stream: it replaces the screen with a fake.
  browser = await launchChromium({
    fingerprint: FINGERPRINT,
    headless: false,
    timeout: 60_000,
    args: [
      "--auto-select-desktop-capture-source=Entire screen",
      "--window-position=0,0",
      `--window-size=${WINDOW_WIDTH},${WINDOW_HEIGHT}`,
    ],
  });
  // viewport null: the page is as big as the window.
  const context = await relayContext(browser, ORIGIN, { acceptDownloads: true, viewport: null });
  if (ATTACKED) await routeRelaySocket(context);
  page = await context.newPage();
  // Where the page is expected to detect an attack, it may say so.
  watch(page, () => ATTACKED);
});

await openPage();

switch (SCENARIO) {
  case "whole": {
    const technicianChat = env("TECHNICIAN_CHAT");
    const customerChat = env("CUSTOMER_CHAT");
    const outFile = env("OUT_FILE");
    const inFile = env("IN_FILE");
    const inName = env("IN_NAME");
    const outName = path.basename(outFile);
    await typeCode();
    await confirmPrompt();
    await agree();
    await allowView();
    await step("chat with the technician", async () => {
      await waitChat("technician", technicianChat, TECHNICIAN_WAIT_MS);
      await sendChat(customerChat);
      await waitChat("customer", customerChat, WAIT_MS);
    });
    await step("send a file to the technician", async () => {
      await page.setInputFiles(byId("file-input"), outFile);
      await page.click(byId("file-send"));
      await waitTransfer("out", outName, "done", TECHNICIAN_WAIT_MS);
    });
    await step("allow the technician's file and download it", async () => {
      const text = await openPrompt(TECHNICIAN_WAIT_MS);
      check(text.includes(inName), `the file prompt does not name ${inName}: "${text}"`);
      await shoot("file-prompt");
      await answerPrompt("prompt-allow");
      const row = await waitTransfer("in", inName, "done", TECHNICIAN_WAIT_MS);
      const { file, bytes } = await download(row.locator(byId("file-download")));
      check(file.suggestedFilename() === inName, `the download is named "${file.suggestedFilename()}", not ${inName}`);
      const expected = readFileSync(inFile);
      check(bytes.equals(expected), `the downloaded file has ${bytes.length} bytes that differ from the technician's ${expected.length}`);
      tell("DOWNLOADED", `${bytes.length} bytes`);
      await shoot("sharing");
    });
    await step("STOP", async () => {
      await page.click(byId("stop"));
      await waitEnded(WAIT_MS);
      const receipt = await visibleText("receipt");
      check(receipt.length > 0, "the receipt is empty");
      tell("RECEIPT", receipt);
      const { bytes } = await download(page.locator(byId("receipt-download")));
      check(bytes.length > 0, "the downloaded receipt is empty");
      await shoot("ended");
    });
    break;
  }
  case "view": {
    // The technician looks, then ends the session.
    await typeCode();
    await confirmPrompt();
    await agree();
    await allowView();
    await step("the technician ends the session", async () => {
      await waitEnded(TECHNICIAN_WAIT_MS);
    });
    break;
  }
  case "stop-sharing": {
    // The customer takes the view back when the technician says so.
    const technicianChat = env("TECHNICIAN_CHAT");
    const customerChat = env("CUSTOMER_CHAT");
    await typeCode();
    await confirmPrompt();
    await agree();
    await allowView();
    await step("stop sharing the screen", async () => {
      await waitChat("technician", technicianChat, TECHNICIAN_WAIT_MS);
      await page.click(byId("stop-sharing"));
      await page.waitForFunction(
        () => document.querySelector('[data-testid="viewing"]')?.dataset.viewing === "no",
        null, { timeout: WAIT_MS, polling: 100 });
      check((await state()) === "session", `the page is "${await state()}" after "stop sharing"`);
      // The technician ends the session once the answer arrived.
      await sendChat(customerChat);
      await waitChat("customer", customerChat, WAIT_MS, "attached");
    });
    await step("the technician ends the session", async () => {
      await waitEnded(TECHNICIAN_WAIT_MS);
    });
    break;
  }
  case "decline": {
    await typeCode();
    await confirmPrompt();
    await step("disagree", async () => {
      await page.click(byId("disagree"));
      await waitEnded(WAIT_MS);
      check(await page.locator(byId("prompt")).count() === 0, "a prompt is open after the customer said no");
    });
    break;
  }
  case "deny-view": {
    const technicianChat = env("TECHNICIAN_CHAT");
    const customerChat = env("CUSTOMER_CHAT");
    await typeCode();
    await confirmPrompt();
    await agree();
    await step("deny the technician the screen", async () => {
      await openPrompt(TECHNICIAN_WAIT_MS);
      await answerPrompt("prompt-deny");
      const viewing = await page.locator(byId("viewing")).getAttribute("data-viewing");
      check(viewing === "no", `data-viewing is "${viewing}" after "deny"`);
    });
    await step("the session goes on", async () => {
      await waitChat("technician", technicianChat, TECHNICIAN_WAIT_MS);
      check((await state()) === "session", `the page is "${await state()}"`);
      const viewing = await page.locator(byId("viewing")).getAttribute("data-viewing");
      check(viewing === "no", `data-viewing is "${viewing}" though the customer said no`);
      // The technician ends the session once the answer arrived.
      await sendChat(customerChat);
      await waitChat("customer", customerChat, WAIT_MS, "attached");
    });
    await step("the technician ends the session", async () => {
      await waitEnded(TECHNICIAN_WAIT_MS);
    });
    break;
  }
  case "tamper-out": {
    await typeCode();
    await confirmPrompt();
    await agree();
    await step("a record from the page is altered on the way", async () => {
      middle.flipNextToRelay = true;
      await sendChat("this message is altered on the way");
      await waitEnded(TECHNICIAN_WAIT_MS);
      check(!middle.flipNextToRelay, "the page sent no record to alter");
    });
    break;
  }
  case "tamper-in": {
    await typeCode();
    await confirmPrompt();
    await agree();
    await step("an earlier record is replayed to the page", async () => {
      check(middle.toPage && middle.firstRecordToPage, "no record from the technician went through the route");
      middle.toPage.send(middle.firstRecordToPage);
      tell("REPLAYED", `the technician's first record (${middle.firstRecordToPage.length} bytes) to the page`);
      await waitEnded(WAIT_MS);
    });
    break;
  }
  case "offer-flood": {
    // The technician offers files by the hundred: one prompt at a time, a
    // few waiting, the rest refused without a prompt or a row each; a
    // prompt's "Accept" cannot be clicked the moment it appears.
    const technicianChat = env("TECHNICIAN_CHAT");
    const firstName = env("FIRST_NAME");
    const secondName = env("SECOND_NAME");
    await typeCode();
    await confirmPrompt();
    await agree();
    await step("watch every prompt as it appears", async () => {
      await page.evaluate(() => {
        window.promptsSeen = [];
        new MutationObserver(() => {
          const box = document.querySelector('[data-testid="prompt"]');
          if (!box || window.promptsSeen.some((p) => p.box === box)) return;
          const allow = box.querySelector('[data-testid="prompt-allow"]');
          window.promptsSeen.push({ box, allowClickable: !!allow && !allow.disabled });
        }).observe(document.body, { childList: true, subtree: true });
      });
      tell("WATCHING", "prompts");
    });
    await step("a flood of file offers opens one prompt", async () => {
      const text = await openPrompt(TECHNICIAN_WAIT_MS);
      check(text.includes(firstName), `the first prompt does not name ${firstName}: "${text}"`);
      check(!/[\u202a-\u202e\u2066-\u2069]/.test(text), `the prompt shows a bidi control character: ${JSON.stringify(text)}`);
      // The chat comes after the flood, on the same ordered channel.
      await waitChat("technician", technicianChat, TECHNICIAN_WAIT_MS);
      check(await page.locator(byId("prompt")).count() === 1, "more than one prompt is open");
      const rows = await page.locator(`${byId("transfers")} ${byId("transfer")}`).count();
      tell("TRANSFERS", rows);
      check(rows <= 10, `${rows} transfer rows after the flood`);
      const seen = await page.evaluate(() => window.promptsSeen.map((p) => p.allowClickable));
      check(seen.length === 1 && !seen[0], `prompts seen: ${JSON.stringify(seen)} ("true": Accept clickable at once)`);
    });
    await step("a click meant for one prompt does not answer the next", async () => {
      // "Don't accept" on the first prompt, and in the same moment a click
      // where the next prompt's "Accept file" now is (a double click, a
      // click the technician timed).
      const stray = await page.evaluate(() => {
        document.querySelector('[data-testid="prompt-deny"]').click();
        const allow = document.querySelector('[data-testid="prompt-allow"]');
        if (allow) allow.click();
        return document.querySelector('[data-testid="prompt-text"]')?.textContent ?? "";
      });
      check(stray.includes(secondName), `the next prompt is not about ${secondName}: "${stray}"`);
      tell("STRAY-CLICK", secondName);
      await waitTransfer("in", firstName, "cancelled", WAIT_MS);
      const open = await page.locator(byId("prompt-text")).innerText();
      check(open.includes(secondName), `the prompt about ${secondName} closed after a stray click: "${open}"`);
      const seen = await page.evaluate(() => window.promptsSeen.map((p) => p.allowClickable));
      check(seen.length === 2 && !seen[1], `prompts seen: ${JSON.stringify(seen)}`);
      // The next prompt opens behind it: no waiting for "no prompt".
      await page.click(byId("prompt-deny"));
      await waitTransfer("in", secondName, "cancelled", WAIT_MS);
    });
    await step("STOP", async () => {
      await page.click(byId("stop"));
      await waitEnded(WAIT_MS);
      const receipt = await visibleText("receipt");
      tell("RECEIPT", receipt);
      check(receipt.split("\n").length < 60, `the receipt has ${receipt.split("\n").length} lines`);
    });
    break;
  }
  case "wrong-code": {
    await typeCode();
    await step("the wrong code is refused in plain words", async () => {
      const error = await visibleText("error", 30_000);
      check(error.length > 0, "the error is empty");
      tell("ERROR", error);
      await waitState("start");
      check(await page.locator(byId("code")).isEditable(), "the code cannot be typed again");
      await shoot("wrong-code");
    });
    break;
  }
}

await step("close Chromium", async () => {
  await browser.close();
});

pass();
