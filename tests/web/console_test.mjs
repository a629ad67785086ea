// The relay's web console in a real browser: Debian's Chromium, driven by
// playwright-core, against a real tether-relay with a live support session.
// Run by tether_customer_tests (ITEndsTheSessionFromTheWebConsoleInABrowser)
// from tests/, which then checks that both apps were told "IT ended it".
//
//   RELAY_URL          https://127.0.0.1:PORT
//   RELAY_FINGERPRINT  sha256:<64 hex>, SHA-256 of the relay certificate's
//                      SubjectPublicKeyInfo: the browser pins it
//   ADMIN_USER, ADMIN_PASSWORD, ADMIN_TOTP_SECRET (base32)
//   TECHNICIAN         the technician whose session is running
//   SCREENSHOTS        a folder for web-<step>.png
//   ORGANISATION       optional, "Test IT" unless set
//
// Exits 0 when every step passed, 1 naming the step that failed. Besides each
// step's own checks, the whole run fails on any console error, page error or
// CSP violation, and on any request that leaves the relay's origin.

import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  WAIT_MS, check, env, launchChromium, pass, relayContext, startWatchdog, step, watch,
} from "./harness.mjs";

const TOTAL_TIMEOUT_MS = 120_000; // the harness gives us 180 s

let browser = null;

const RELAY_URL = env("RELAY_URL").replace(/\/+$/, "");
const FINGERPRINT = env("RELAY_FINGERPRINT");
const ADMIN_USER = env("ADMIN_USER");
const ADMIN_PASSWORD = env("ADMIN_PASSWORD");
const ADMIN_TOTP_SECRET = env("ADMIN_TOTP_SECRET");
const TECHNICIAN = env("TECHNICIAN");
const SCREENSHOTS = env("SCREENSHOTS");
const ORGANISATION = env("ORGANISATION", "Test IT");
const ORIGIN = new URL(RELAY_URL).origin;

// ---------------------------------------------------------------------------
// TOTP (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits) from an RFC 4648 secret
// ---------------------------------------------------------------------------

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.toUpperCase().replace(/=+$/, "")) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

function totp(secret, now = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

// A code that stays valid while it travels: near the end of a 30 s step,
// wait for the next one.
async function freshTotp() {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < 3_000) await new Promise((resolve) => setTimeout(resolve, left + 200));
  return totp(ADMIN_TOTP_SECRET);
}

// The 401s the console expects and handles (no session at load, the TOTP
// question, the check after sign-out) are logged by Chromium as resource
// errors; they are the only console errors allowed.
function expectedConsoleError(message) {
  const url = message.location()?.url ?? "";
  return (
    /^Failed to load resource: the server responded with a status of 401\b/.test(message.text()) &&
    url === `${ORIGIN}/api/session`
  );
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// Waits until the element is visible and its text contains `expected` (a
// string or a RegExp); returns the text.
async function waitText(page, selector, expected, timeout = WAIT_MS) {
  const locator = page.locator(selector).first();
  await locator.waitFor({ state: "visible", timeout });
  const deadline = Date.now() + timeout;
  let text = "";
  for (;;) {
    text = (await locator.textContent()) ?? "";
    const ok = expected instanceof RegExp ? expected.test(text) : text.includes(expected);
    if (ok) return text;
    if (Date.now() > deadline) throw new Error(`${selector} shows "${text.trim()}", not ${expected}`);
    await page.waitForTimeout(200);
  }
}

async function shoot(page, name) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `web-${name}.png`), fullPage: true, animations: "disabled" });
}

async function openTab(page, tab) {
  await page.click(`.tabs a[data-tab="${tab}"]`);
  await page.locator(`#panel-${tab}`).waitFor({ state: "visible", timeout: WAIT_MS });
}

// Clicks a download link; returns the downloaded file's text.
async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent("download", { timeout: WAIT_MS }), page.click(selector)]);
  const failure = await file.failure();
  check(!failure, `the download from ${selector} failed: ${failure}`);
  return readFileSync(await file.path(), "utf8");
}

// The response of the next request for `pathname` with `method`.
function nextResponse(page, method, pathname) {
  return page.waitForResponse(
    (r) => r.request().method() === method && new URL(r.url()).pathname === pathname,
    { timeout: WAIT_MS },
  );
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

startWatchdog(TOTAL_TIMEOUT_MS);

let page;

await step("start Chromium", async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launchChromium({ fingerprint: FINGERPRINT, headless: true, timeout: 30_000 });
  const context = await relayContext(browser, ORIGIN, {
    acceptDownloads: true, viewport: { width: 1280, height: 800 },
  });
  page = await context.newPage();
  watch(page, expectedConsoleError);
});

await step("a. customer page", async () => {
  const answer = await page.goto(`${RELAY_URL}/`);
  check(answer?.status() === 200, `GET / answered ${answer?.status()}`);
  check(/default-src 'self'/.test(answer.headers()["content-security-policy"] ?? ""), "GET / has no strict Content-Security-Policy");
  await waitText(page, "#organisation", ORGANISATION);
  await waitText(page, "#fingerprint", FINGERPRINT);
  // What IT put in web.downloads, each with its signature beside it.
  await waitText(page, "#downloads", "tether-customer");
  await shoot(page, "customer-page");
});

await step("b. sign in with password and TOTP", async () => {
  await page.goto(`${RELAY_URL}/console`);
  await page.locator("#signin-form").waitFor({ state: "visible" });
  await page.fill("#signin-user", ADMIN_USER);
  await page.fill("#signin-password", ADMIN_PASSWORD);
  const first = nextResponse(page, "POST", "/api/session");
  await page.click("#signin-submit");
  const answer = await first;
  const body = await answer.json().catch(() => null);
  check(answer.status() === 401 && body?.code === "totp_required",
    `user and password answered ${answer.status()} ${JSON.stringify(body)}, not 401 totp_required`);
  await page.locator("#signin-totp").waitFor({ state: "visible" });
  await shoot(page, "signin");

  await page.fill("#signin-totp", await freshTotp());
  const second = nextResponse(page, "POST", "/api/session");
  await page.click("#signin-submit");
  const signedIn = await second;
  check(signedIn.status() === 200, `the TOTP code answered ${signedIn.status()} ${await signedIn.text().catch(() => "")}`);
  await page.locator("#app-view").waitFor({ state: "visible" });
  await waitText(page, "#who-role", "Admin");
});

await step("c. overview", async () => {
  await page.locator("#panel-overview").waitFor({ state: "visible" });
  await waitText(page, "#overview-audit", /verified/i);
  await waitText(page, "#overview-version", /mbedTLS \d+\.\d+/);
  await waitText(page, "#overview-fingerprint", FINGERPRINT);
  await shoot(page, "overview");
});

await step("d. accounts: create tom, enrol TOTP", async () => {
  await openTab(page, "accounts");
  await page.locator(`#accounts-body tr[data-user="${ADMIN_USER}"]`).waitFor({ state: "visible" });

  await page.fill("#account-new-user", "tom");
  await page.fill("#account-new-display", "Tom Tester");
  await page.selectOption("#account-new-role", "technician");
  const created = nextResponse(page, "POST", "/api/accounts");
  await page.click("#account-new-submit");
  check((await created).status() === 201, `creating tom answered ${(await created).status()}`);
  const password = await waitText(page, "#one-time-password", /\S/);
  check(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/.test(password.trim()),
    `the one-time password does not look like xxxxx-xxxxx-xxxxx-xxxxx: "${password}"`);
  const tom = page.locator('#accounts-body tr[data-user="tom"]');
  await tom.waitFor({ state: "visible" });
  await shoot(page, "accounts-new");

  await page.click("#secret-dismiss");
  await page.locator("#secret-box").waitFor({ state: "hidden" });
  await waitText(page, '#accounts-body tr[data-user="tom"]', "Tom Tester");
  await waitText(page, '#accounts-body tr[data-user="tom"]', "must change password");
  check((await tom.locator("select").inputValue()) === "technician", "tom's role is not technician");
  await shoot(page, "accounts");

  const enrolled = nextResponse(page, "POST", "/api/accounts/tom/totp");
  await tom.locator('button[data-action="enrol-totp"]').click();
  check((await enrolled).status() === 200, `enrolling tom's TOTP answered ${(await enrolled).status()}`);
  await page.locator("#totp-qr").waitFor({ state: "visible" });
  const qr = await page.locator("#totp-qr").evaluate((img) => ({ src: img.src, width: img.naturalWidth }));
  check(qr.src.startsWith("data:image/svg+xml;base64,") && qr.width > 0, "the TOTP QR code is not shown");
  await waitText(page, "#totp-secret", /^[A-Z2-7]{16,}$/);
  await shoot(page, "accounts-totp");
  await page.click("#secret-dismiss");
  await page.locator("#secret-box").waitFor({ state: "hidden" });
  await waitText(page, '#accounts-body tr[data-user="tom"] td:nth-child(4)', "yes");
});

await step("e. live sessions: end the technician's session", async () => {
  await openTab(page, "sessions");
  const row = page.locator("#sessions-body tr", { hasText: "pc-042" });
  await row.waitFor({ state: "visible" });
  const text = await row.textContent();
  check(text.includes(TECHNICIAN) && text.includes("maria"),
    `the session row does not name ${TECHNICIAN} and maria: "${text}"`);
  await shoot(page, "sessions");

  const id = await row.getAttribute("data-id");
  const ended = nextResponse(page, "POST", `/api/sessions/${id}/end`);
  await row.locator('button[data-action="end-session"]').click(); // confirm() is accepted by watch()
  check((await ended).status() === 204, `ending session ${id} answered ${(await ended).status()}`);
  // The relay drops the session when both sides are gone; the page polls every 5 s.
  await waitText(page, "#sessions-empty", "No sessions right now.", 20_000);
  await shoot(page, "sessions-ended");
});

await step("f. events and their CSV", async () => {
  await openTab(page, "events");
  // The ended session's connections are written when they close: show them
  // when they are there, but an empty list is no failure.
  const deadline = Date.now() + 8_000;
  while ((await page.locator("#events-body tr").count()) === 0 && Date.now() < deadline) {
    await page.waitForTimeout(1_000);
    await page.click("#events-apply");
  }
  await page.locator("#events-table, #events-empty").first().waitFor({ state: "visible" });
  console.log(`       ${await page.locator("#events-body tr").count()} event rows`);
  await shoot(page, "events");
  const csv = await download(page, "#events-csv");
  const header = csv.split(/\r?\n/, 1)[0];
  check(header.startsWith("started_at,duration_ms,account,role"), `the events CSV starts "${header}"`);
});

await step("g. audit log and its CSV", async () => {
  await openTab(page, "audit");
  // This admin's own changes, from this run: the sign-in, tom, the session end.
  await page.fill("#audit-actor", `web:${ADMIN_USER}`);
  await page.click("#audit-apply");
  const row = page.locator("#audit-body tr", { hasText: "session.end" });
  await row.first().waitFor({ state: "visible" });
  const cells = await row.first().locator("td").allTextContents();
  check(cells[2] === `web:${ADMIN_USER}` && cells[3] === "session.end",
    `the session.end row reads ${JSON.stringify(cells)}`);
  await shoot(page, "audit");
  const csv = await download(page, "#audit-csv");
  const lines = csv.split(/\r?\n/);
  check(lines[0].startsWith("id,time,actor,action"), `the audit CSV starts "${lines[0]}"`);
  check(lines.some((line) => line.includes(`web:${ADMIN_USER},session.end`)), "the audit CSV has no session.end row by the admin");
});

await step("h. configuration and my account", async () => {
  await openTab(page, "config");
  await waitText(page, "#config-text", "[server]");
  await shoot(page, "config");
  await openTab(page, "me");
  await waitText(page, "#me-user", ADMIN_USER);
  await shoot(page, "my-account");
});

await step("i. sign out", async () => {
  const out = nextResponse(page, "DELETE", "/api/session");
  await page.click("#signout");
  check((await out).status() === 204, `sign-out answered ${(await out).status()}`);
  await page.locator("#signin-form").waitFor({ state: "visible" });
  check(await page.locator("#app-view").isHidden(), "the console is still shown after sign-out");
  // The cookie is gone and the relay forgot the session: ask it from the page
  // (the browser trusts the pinned certificate; Node would not).
  const status = await page.evaluate(async () => (await fetch("/api/session", { cache: "no-store" })).status);
  check(status === 401, `GET /api/session after sign-out answered ${status}, not 401`);
});

await step("close Chromium", async () => {
  await browser.close();
});

pass();
