// What the browser tests of tests/web share: one run per process, made of
// named steps, that prints "ok <seconds> s  <step>" for each and ends with
// "PASS in <seconds> s" (exit 0) or "FAIL [<step>] ..." (exit 1); a
// watchdog for the whole run; Debian's Chromium started the way this
// machine needs it and pinned to the relay's certificate; and the listeners
// that fail a run on any page error, console error, CSP violation or request
// that leaves the relay.

import { chromium } from "playwright-core";

export const WAIT_MS = 15_000; // any single wait for the page itself

const started = Date.now();
let currentStep = "setup";
const problems = [];
let watchdog = null;
let failureDetails = async () => "";

export const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);

export function fail(step, message) {
  console.error(`FAIL [${step}] after ${elapsed()} s: ${message}`);
  // Playwright kills the browser it started when this process exits.
  process.exit(1);
}

export function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (!value) fail("setup", `the environment variable ${name} is not set`);
  return value;
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Something a listener saw; the step that is running fails with it.
export function problem(text) {
  problems.push(`${text} (during "${currentStep}")`);
}

// The whole run fails after `ms`, whatever step it is in.
export function startWatchdog(ms) {
  watchdog = setTimeout(() => fail(currentStep, `the whole run took over ${ms / 1000} s`), ms);
}

// `details(stepName)` adds to a failed step's message (what the page shows,
// a screenshot); it must not throw.
export function onFailure(details) {
  failureDetails = details;
}

export async function step(name, body) {
  currentStep = name;
  try {
    await body();
  } catch (error) {
    fail(name, `${error?.message ?? String(error)}${await failureDetails(name)}`);
  }
  if (problems.length > 0) fail(name, problems.join("\n  "));
  console.log(`ok ${elapsed().padStart(6)} s  ${name}`);
}

export function pass() {
  clearTimeout(watchdog);
  console.log(`PASS in ${elapsed()} s`);
}

// Chromium's --ignore-certificate-errors-spki-list takes base64 SHA-256
// hashes of SubjectPublicKeyInfo: the relay's fingerprint, re-encoded.
function spkiOf(fingerprint) {
  const hex = /^sha256:([0-9a-f]{64})$/i.exec(fingerprint);
  if (!hex) fail("setup", `RELAY_FINGERPRINT is not "sha256:<64 hex>": ${fingerprint}`);
  return Buffer.from(hex[1], "hex").toString("base64");
}

// Debian's Chromium with a fresh temporary profile (launch() makes one),
// trusting only the relay's key. Without the background-networking flags
// Chromium keeps trying hosts this machine cannot reach.
export function launchChromium({ fingerprint, headless, timeout, args = [] }) {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless,
    timeout,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--ignore-certificate-errors-spki-list=${spkiOf(fingerprint)}`,
      ...args,
    ],
  });
}

// A browser context whose every request stays on the relay (data: and
// blob: are the page's own) and whose CSP violations are console errors.
export async function relayContext(browser, origin, options = {}) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(30_000);
  context.on("request", (request) => {
    const url = new URL(request.url());
    if (!["data:", "blob:"].includes(url.protocol) && url.origin !== origin) {
      problem(`a request left the relay: ${request.method()} ${request.url()}`);
    }
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return context;
}

// Fails the run on the page's errors. `allowed(message)` names console
// errors that are expected here; they are printed, not counted.
export function watch(page, allowed = () => false) {
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = `console error: ${message.text()} at ${message.location()?.url ?? "?"}`;
    if (allowed(message)) console.log(`       (allowed here) ${text}`);
    else problem(text);
  });
  page.on("pageerror", (error) => problem(`page error: ${error.message}`));
  page.on("crash", () => problem("the page crashed"));
  page.on("dialog", (dialog) => {
    console.log(`       dialog: ${dialog.message()}`);
    dialog.accept().catch(() => {});
  });
}
