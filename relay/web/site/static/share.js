// SPDX-License-Identifier: AGPL-3.0-or-later
// The customer page in the browser (/share): what the customer sees and
// clicks. It renders the session's events (customer_session.js) and hands
// the clicks back; the rules live there. Every server or technician string
// goes into the page through textContent, never as HTML.
//
// document.body.dataset.state is one of start, unsupported, connecting,
// waiting, confirm, session, ended (the browser test reads it), and the
// elements it checks carry data-testid attributes (share.html).

import { isSupported as e2eSupported } from "./e2e.js";
import {
  BROWSER_FILE_LIMIT,
  CustomerSession,
  displayFileName,
  displayText,
  formatFileSize,
  formatTime,
  normalizeCode,
} from "./customer_session.js";
import { ScreenShare, screenShareSupported } from "./screen_share.js";
import * as wire from "./wire.js";

// page.js (a classic script, run before this module) declares Page.
const { $, el, clear } = Page; // eslint-disable-line no-undef

let session = null;
let organisationName = "";
let receiptUrl = "";
const transferRows = new Map(); // a transfer's key -> <li>

// "Allow", "Accept file" and "Yes, it matches" work only this long after
// their prompt appeared (the native app's prompt_arm_delay): a click meant
// for something else (a double click on the prompt before, a button the
// prompt pushed aside) never says yes. "No" works at once.
const ARM_DELAY_MS = 800;
// Messages kept on the page, as the native panel (kMaxChatItems).
const MAX_CHAT_ITEMS = 100;
let armTimer = 0;
const armed = new WeakSet(); // buttons past their ARM_DELAY_MS

// Enables `button` after ARM_DELAY_MS, unless `answered()` by then.
function armLater(button, answered) {
  button.disabled = true;
  armed.delete(button);
  return setTimeout(() => {
    if (answered()) return;
    button.disabled = false;
    armed.add(button);
  }, ARM_DELAY_MS);
}

// ---------------------------------------------------------------------------
// States and views
// ---------------------------------------------------------------------------

const VIEWS = {
  start: "view-start",
  unsupported: "view-unsupported",
  connecting: "view-connecting",
  waiting: "view-connecting",
  confirm: "view-confirm",
  session: "view-session",
  ended: "view-ended",
};

function setState(state) {
  document.body.dataset.state = state;
  $("checking").hidden = true;
  for (const id of new Set(Object.values(VIEWS))) $(id).hidden = VIEWS[state] !== id;
  $("panel").hidden = state !== "confirm" && state !== "session";
  updateFilesCard();
  if (state === "connecting" || state === "waiting") {
    const waiting = state === "waiting";
    $("status-title").textContent = waiting ? "Waiting for your technician…" : "Connecting…";
    $("status-text").textContent = waiting
      ? "Your technician now accepts the connection on their side. This takes a few seconds."
      : "Connecting to the support server.";
  }
}

function updateFilesCard() {
  const state = document.body.dataset.state;
  $("files-card").hidden = !(state === "session" || (state === "ended" && transferRows.size > 0));
}

function showError(title, text, details) {
  const box = $("error");
  clear(box);
  if (title) box.appendChild(el("p", "error-title", title));
  if (text) box.appendChild(el("p", "", text));
  if (details) box.appendChild(el("p", "error-details", details));
  box.hidden = !title && !text && !details;
}

// ---------------------------------------------------------------------------
// The start: organisation, feature check, the code
// ---------------------------------------------------------------------------

function loadPublicInfo() {
  fetch("/api/public", {
    method: "GET",
    credentials: "same-origin",
    cache: "no-store",
    headers: { Accept: "application/json" },
  })
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then((info) => {
      if (!info || typeof info !== "object") throw new Error("not an object");
      if (typeof info.organisation === "string" && info.organisation.trim() !== "") {
        showOrganisation(info.organisation.trim());
      }
      if (info.logo === true) {
        const logo = $("organisation-logo");
        logo.addEventListener("error", () => {
          logo.hidden = true;
        });
        logo.alt = (organisationName || "Organisation") + " logo";
        logo.src = "/logo";
        logo.hidden = false;
      }
      $("fingerprint").textContent =
        typeof info.fingerprint === "string" && info.fingerprint !== "" ? info.fingerprint : "(not known)";
    })
    .catch(() => {
      $("fingerprint").textContent = "(not known)";
    });
}

function showOrganisation(raw) {
  const name = displayText(raw, 80).trim();
  if (!name) return;
  organisationName = name;
  $("organisation").textContent = name;
  document.title = "Get help in this browser – " + name;
}

// What this browser lacks, in plain words; "" when it has everything.
async function missingFeature() {
  if (!window.isSecureContext || !globalThis.crypto || !globalThis.crypto.subtle) {
    return "This page must be opened over a secure connection (https).";
  }
  if (typeof WebSocket !== "function" || !wire.available()) {
    return "This browser is too old for this page.";
  }
  if (!screenShareSupported()) {
    return "This browser cannot share the screen from a web page.";
  }
  if (!(await e2eSupported())) {
    return "This browser does not have the encryption this page needs.";
  }
  return "";
}

// What the technician sees before accepting: which browser on which system.
function browserDescription() {
  const ua = navigator.userAgent || "";
  const browser = /Edg\//.test(ua) ? "Edge"
    : /OPR\//.test(ua) ? "Opera"
    : /Firefox\//.test(ua) ? "Firefox"
    : /Chrome\/|Chromium\//.test(ua) ? "Chrome"
    : /Safari\//.test(ua) ? "Safari" : "";
  const system = /Windows/.test(ua) ? "Windows"
    : /Mac OS X|Macintosh/.test(ua) ? "macOS"
    : /CrOS/.test(ua) ? "ChromeOS"
    : /Android/.test(ua) ? "Android"
    : /iPhone|iPad/.test(ua) ? "iOS"
    : /Linux/.test(ua) ? "Linux" : "";
  const what = [browser, system].filter(Boolean).join(" on ");
  return "web browser" + (what ? " (" + what + ")" : "");
}

function onCodeInput() {
  const input = $("code");
  // Digits, and spaces or dashes between them while typing; full-width
  // digits become plain ones.
  const cleaned = input.value
    .replace(/[\uff10-\uff19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xff10 + 0x30))
    .replace(/[^0-9 \-]/g, "");
  if (cleaned !== input.value) input.value = cleaned;
}

function onConnect(event) {
  event.preventDefault();
  if (session && session.phase !== "ended") return;
  const checked = normalizeCode($("code").value);
  if (checked.error) {
    showError("", checked.error, "");
    $("code").focus();
    return;
  }
  showError("", "", "");
  startSession(checked.code);
}

function startSession(code) {
  resetSessionView();
  session = new CustomerSession({
    url: "wss://" + location.host + "/ws",
    hostName: browserDescription(),
    createScreenShare: (hooks) => new ScreenShare(hooks),
  });
  listen(session);
  setState("connecting");
  session.connect(code);
}

function resetSessionView() {
  clear($("chat-log"));
  $("chat-empty").hidden = false;
  clear($("transfers"));
  transferRows.clear();
  clear($("prompt-slot"));
  $("technician").textContent = "";
  $("panel-organisation").textContent = "";
  $("panel-recording").hidden = true;
  $("panel-notice").hidden = true;
  setViewing(false, false);
}

// ---------------------------------------------------------------------------
// Session events
// ---------------------------------------------------------------------------

function listen(s) {
  const on = (type, handler) =>
    s.addEventListener(type, (event) => {
      if (s === session) handler(event.detail);
    });
  on("phase", ({ phase }) => {
    if (phase === "connecting" || phase === "waiting" || phase === "session") setState(phase);
  });
  on("relay", ({ organisation }) => {
    if (!organisationName) showOrganisation(organisation);
  });
  on("technician", ({ name, organisation }) => showTechnician(name, organisation));
  on("confirm", showConfirm);
  on("prompt", showPrompt);
  on("prompt-closed", ({ serial }) => closePrompt(serial));
  on("grants", ({ viewing, asking }) => setViewing(viewing, asking));
  on("chat", addChat);
  on("transfer", showTransfer);
  on("notice", ({ text }) => showNotice(text));
  on("failed", showFailed);
  on("ended", showEnded);
}

function showTechnician(name, organisation) {
  $("technician").textContent = name || "your technician";
  $("panel-organisation").textContent = organisation ? " (" + organisation + ")" : "";
}

function showConfirm(d) {
  const who = d.technician || "Your technician";
  showTechnician(d.technician, d.organisation);
  $("confirm-lead").textContent = who + " will read you this code:";
  const sas = $("sas");
  clear(sas);
  // Two groups for the eye; the element's text stays the six digits.
  sas.appendChild(el("span", "sas-group", d.sas.slice(0, 3)));
  sas.appendChild(el("span", "sas-group", d.sas.slice(3)));
  $("terms-heading").textContent = d.organisation
    ? "The support terms of " + d.organisation + ":"
    : "The support terms:";
  const terms = d.terms && d.terms.trim() !== "" ? d.terms : "(No terms were given.)";
  $("terms").textContent = terms;
  $("confirm-recording").hidden = !d.recording;
  $("confirm-recording-text").textContent = "This session will be recorded: " +
    (d.technician || "your technician") + " keeps a video of what they see.";
  $("panel-recording").hidden = !d.recording;
  $("confirm-footnote").textContent = "Yes means the code matches and you agree to these terms. " +
    who + " still has to ask you before seeing your screen.";
  $("disagree").disabled = false;
  clearTimeout(armTimer);
  armTimer = armLater($("agree"), () => $("disagree").disabled);
  setState("confirm");
  $("confirm-title").focus();
}

function answerTerms(accepted) {
  if (!session || (accepted && !armed.has($("agree")))) return;
  clearTimeout(armTimer);
  $("agree").disabled = true;
  $("disagree").disabled = true;
  session.answerTerms(accepted);
}

function setViewing(viewing, asking) {
  const v = $("viewing");
  v.textContent = viewing ? "yes" : "no";
  v.dataset.viewing = viewing ? "yes" : "no";
  v.classList.toggle("on", viewing);
  $("stop-sharing").hidden = !viewing;
  $("viewing-asking").hidden = !asking;
}

function showNotice(text) {
  const notice = $("panel-notice");
  notice.textContent = text;
  notice.hidden = !text;
}

// ---- consent prompts: one at a time, our own before the browser's ----------

function showPrompt(d) {
  const slot = $("prompt-slot");
  clear(slot);
  const who = d.technician || "Your technician";
  const box = el("div", "prompt");
  box.dataset.testid = "prompt";
  box.dataset.serial = String(d.serial);
  box.setAttribute("role", "alertdialog");
  box.setAttribute("aria-labelledby", "prompt-title");
  box.setAttribute("aria-describedby", "prompt-text");

  const title = el("h2", "prompt-title");
  title.id = "prompt-title";
  title.tabIndex = -1;
  const text = el("div", "prompt-text");
  text.id = "prompt-text";
  text.dataset.testid = "prompt-text";
  let allowLabel;
  let denyLabel;
  if (d.kind === "view") {
    title.textContent = "Let " + who + " see your screen?";
    text.appendChild(el("p", "prompt-main",
      who + " asks to see your screen. Next, your browser asks which screen or window to " +
      "share: pick one and press Share."));
    text.appendChild(el("p", "",
      who + " would see everything shown there, including open documents and messages. " +
      "Seeing only: they cannot click or type."));
    allowLabel = "Allow viewing";
    denyLabel = "Don't allow";
  } else {
    title.textContent = "Accept a file from " + who + "?";
    text.appendChild(el("p", "prompt-main", who + " wants to send you this file:"));
    const facts = el("dl", "prompt-facts");
    facts.appendChild(el("dt", "", "File"));
    facts.appendChild(el("dd", "prompt-file", displayFileName(d.fileName) || "(no name)"));
    facts.appendChild(el("dt", "", "Size"));
    facts.appendChild(el("dd", "", formatFileSize(d.fileSize)));
    text.appendChild(facts);
    text.appendChild(el("p", "",
      "Only accept files you expect. This page keeps the file until you save it; it does not " +
      "open it."));
    allowLabel = "Accept file";
    denyLabel = "Don't accept";
  }
  if (d.reason) {
    text.appendChild(el("p", "prompt-quote", who + " says: \u201C" + d.reason + "\u201D"));
  }
  text.appendChild(el("p", "prompt-footnote",
    "You can stop everything at any time with the red STOP button."));

  const buttons = el("div", "answer-row");
  const allow = el("button", "big", allowLabel);
  allow.type = "button";
  allow.dataset.testid = "prompt-allow";
  const deny = el("button", "big secondary", denyLabel);
  deny.type = "button";
  deny.dataset.testid = "prompt-deny";
  let answered = false;
  const answer = (granted) => {
    if (answered || (granted && !armed.has(allow))) return;
    answered = true;
    allow.disabled = true;
    deny.disabled = true;
    // Synchronously, inside the click: the browser's picker needs it.
    session.answerPrompt(d.serial, granted);
  };
  armLater(allow, () => answered);
  allow.addEventListener("click", () => answer(true));
  deny.addEventListener("click", () => answer(false));
  buttons.appendChild(allow);
  buttons.appendChild(deny);

  box.appendChild(title);
  box.appendChild(text);
  box.appendChild(buttons);
  slot.appendChild(box);
  box.scrollIntoView({ block: "nearest" });
  title.focus({ preventScroll: true });
}

function closePrompt(serial) {
  const slot = $("prompt-slot");
  const box = slot.firstElementChild;
  if (box && box.dataset.serial === String(serial)) clear(slot);
}

// ---- chat ---------------------------------------------------------------------

function addChat(d) {
  const item = el("li", "chat-message " + d.from);
  item.dataset.testid = "chat-message";
  item.dataset.from = d.from;
  const head = el("p", "chat-head");
  head.appendChild(el("span", "chat-who",
    d.from === "customer" ? "You" : ($("technician").textContent || "Technician")));
  head.appendChild(el("span", "chat-time", formatTime(d.at).slice(11, 16)));
  item.appendChild(head);
  item.appendChild(el("p", "chat-text", d.text));
  const log = $("chat-log");
  log.appendChild(item);
  while (log.children.length > MAX_CHAT_ITEMS) log.removeChild(log.firstElementChild);
  $("chat-empty").hidden = true;
  log.scrollTop = log.scrollHeight;
}

function onChatSend(event) {
  event.preventDefault();
  const input = $("chat-input");
  const text = input.value.trim();
  if (!text || !session) return;
  if (session.sendChat(text)) input.value = "";
}

// ---- files ----------------------------------------------------------------------

const STATE_WORDS = {
  offered: "Waiting for your answer",
  waiting: "Waiting",
  sending: "Sending",
  receiving: "Receiving",
  done: "Done",
  cancelled: "Stopped",
  failed: "Failed",
};

function showTransfer(d) {
  let row = transferRows.get(d.key);
  if (!row) {
    row = el("li", "transfer");
    row.dataset.testid = "transfer";
    const head = el("div", "transfer-head");
    head.appendChild(el("span", "transfer-direction",
      d.direction === "in" ? "From your technician" : "To your technician"));
    const name = el("strong", "transfer-name", displayFileName(d.name));
    name.title = d.name;
    head.appendChild(name);
    head.appendChild(el("span", "transfer-size", formatFileSize(d.size)));
    row.appendChild(head);
    const progress = el("progress", "transfer-progress");
    progress.max = Math.max(1, d.size);
    progress.value = 0;
    row.appendChild(progress);
    row.appendChild(el("p", "transfer-status"));
    const actions = el("div", "transfer-actions");
    const cancel = el("button", "secondary transfer-cancel", "Cancel");
    cancel.type = "button";
    cancel.addEventListener("click", () => {
      if (session) session.cancelTransfer(d.fileId);
    });
    actions.appendChild(cancel);
    row.appendChild(actions);
    $("transfers").prepend(row);
    transferRows.set(d.key, row);
    updateFilesCard();
  }
  row.dataset.name = d.name;
  row.dataset.direction = d.direction;
  row.dataset.state = d.state;
  const progress = row.querySelector(".transfer-progress");
  progress.value = Math.min(d.done, d.size);
  const percent = d.size > 0 ? Math.floor((100 * d.done) / d.size) : 100;
  const going = d.state === "sending" || d.state === "receiving";
  progress.hidden = !(going || (d.state === "done" && d.size > 0));
  const words = STATE_WORDS[d.state] || d.state;
  row.querySelector(".transfer-status").textContent = going
    ? words + "… " + percent + "%"
    : d.message || words + ".";
  const active = going || d.state === "waiting";
  row.querySelector(".transfer-cancel").hidden = !active;
  if (d.progressOnly) return;

  const actions = row.querySelector(".transfer-actions");
  if (d.state === "done" && d.direction === "in" && d.url && !row.querySelector("a.file-download")) {
    const link = el("a", "button file-download", "Save \u201C" + displayFileName(d.name, 60) + "\u201D");
    link.dataset.testid = "file-download";
    link.href = d.url;
    link.setAttribute("download", d.name);
    actions.prepend(link);
    if (d.sha256) row.appendChild(el("p", "transfer-sha", "SHA-256 " + d.sha256));
  }
}

function onFileSend() {
  const input = $("file-input");
  const file = input.files && input.files[0];
  const error = $("file-error");
  if (!session) return;
  if (!file) {
    error.textContent = "Choose a file first.";
    error.hidden = false;
    return;
  }
  const result = session.sendFile(file);
  if (result.error) {
    error.textContent = result.error;
    error.hidden = false;
    return;
  }
  error.hidden = true;
  input.value = "";
}

// ---- the end -------------------------------------------------------------------

function showFailed(d) {
  session = null;
  setState("start");
  $("connect").disabled = false;
  const retry = d.retryAfterSeconds > 0
    ? "You can try again after " + new Date(Date.now() + d.retryAfterSeconds * 1000)
      .toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + "."
    : "";
  showError(d.title, d.text, [d.details, retry].filter(Boolean).join(" "));
  $("code").focus();
}

function showEnded(d) {
  clear($("prompt-slot"));
  $("end-title").textContent = d.view.title;
  $("end-text").textContent = d.view.text;
  $("end-details").textContent = d.view.details;
  $("end-details").hidden = !d.view.details;
  $("end-reason").className = "end-reason " + d.view.tone;
  $("receipt").textContent = d.receipt;
  if (receiptUrl) URL.revokeObjectURL(receiptUrl);
  receiptUrl = URL.createObjectURL(new Blob([d.receipt], { type: "text/plain;charset=utf-8" }));
  const link = $("receipt-download");
  link.href = receiptUrl;
  const now = new Date();
  const stamp = formatTime(now).slice(0, 16).replace(" ", "-").replace(":", "");
  link.setAttribute("download", "tether-receipt-" + stamp + ".txt");
  setViewing(false, false);
  for (const row of transferRows.values()) row.querySelector(".transfer-cancel").hidden = true;
  setState("ended");
  $("end-title").tabIndex = -1;
  $("end-title").focus();
}

// ---------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------

async function init() {
  loadPublicInfo();
  $("code").addEventListener("input", onCodeInput);
  $("code-form").addEventListener("submit", onConnect);
  $("cancel").addEventListener("click", () => {
    if (session) session.cancel();
  });
  $("agree").addEventListener("click", () => answerTerms(true));
  $("disagree").addEventListener("click", () => answerTerms(false));
  // STOP: the screen stops inside this click, before anything else.
  $("stop").addEventListener("click", () => {
    if (session) session.emergencyStop();
  });
  $("stop-sharing").addEventListener("click", () => {
    if (session) session.stopSharing();
  });
  $("chat-form").addEventListener("submit", onChatSend);
  $("chat-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) onChatSend(event);
  });
  $("file-send").addEventListener("click", onFileSend);
  $("file-input").addEventListener("change", () => {
    $("file-error").hidden = true;
  });
  $("file-input").title = "Files up to " + formatFileSize(BROWSER_FILE_LIMIT);
  window.addEventListener("pagehide", () => {
    if (session) session.pageClosing();
  });

  let missing;
  try {
    missing = await missingFeature();
  } catch {
    missing = "This browser is too old for this page.";
  }
  if (missing) {
    $("unsupported-reason").textContent = missing;
    setState("unsupported");
    return;
  }
  $("connect").disabled = false;
  setState("start");
  $("code").focus();
}

init();
