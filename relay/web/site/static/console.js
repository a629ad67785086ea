// SPDX-License-Identifier: AGPL-3.0-or-later
// Tether relay web console (/console): one page, plain DOM, no framework.
//
// Rules this file keeps (the relay sends a strict Content-Security-Policy):
// no inline handlers, no eval, and every string from the server goes into the
// page through textContent or an attribute, never as HTML. The session cookie
// is HttpOnly; the CSRF token lives only in memory (state.csrf).
"use strict";

(function () {
  // -------------------------------------------------------------------------
  // Small helpers
  // -------------------------------------------------------------------------

  const { $, el, clear } = Page;

  function pad2(n) {
    return String(n).padStart(2, "0");
  }

  // ISO 8601 UTC from the server -> "2026-12-06 23:10:00"; the local time goes
  // into a tooltip by the callers that want it.
  function parseTime(iso) {
    if (typeof iso !== "string" || iso === "") return null;
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : new Date(t);
  }

  function fmtUtc(iso) {
    const d = parseTime(iso);
    if (!d) return iso ? String(iso) : "";
    return (
      d.getUTCFullYear() + "-" + pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate()) + " " +
      pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + ":" + pad2(d.getUTCSeconds())
    );
  }

  function fmtLocal(iso) {
    const d = parseTime(iso);
    if (!d) return "";
    return d.toLocaleString() + " (your time)";
  }

  // A table cell with a UTC time: date and time in two spans, which narrow
  // screens stack (console.css), and the local time as a tooltip.
  function timeCell(iso) {
    const td = el("td", "time");
    const text = fmtUtc(iso);
    const space = text.indexOf(" ");
    if (space > 0) {
      td.appendChild(el("span", "d", text.slice(0, space)));
      td.appendChild(document.createTextNode(" "));
      td.appendChild(el("span", "t", text.slice(space + 1)));
    } else {
      td.textContent = text;
    }
    const local = fmtLocal(iso);
    if (local) td.title = local;
    return td;
  }

  // Whole seconds -> "3 d 4 h", "2 h 05 min", "4 min 12 s", "12 s".
  function fmtDuration(seconds) {
    let s = Math.max(0, Math.floor(Number(seconds) || 0));
    const d = Math.floor(s / 86400);
    s -= d * 86400;
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    if (d > 0) return d + " d " + h + " h";
    if (h > 0) return h + " h " + pad2(m) + " min";
    if (m > 0) return m + " min " + pad2(s) + " s";
    return s + " s";
  }

  function fmtDurationMs(ms) {
    const n = Number(ms);
    if (!Number.isFinite(n)) return "";
    if (n < 1000) return Math.round(n) + " ms";
    if (n < 10000) return (n / 1000).toFixed(1) + " s";
    return fmtDuration(n / 1000);
  }

  function fmtBytes(bytes) {
    return Page.byteSize(bytes, ["B", "KiB", "MiB", "GiB", "TiB"]);
  }

  function fmtCount(n) {
    const v = Number(n);
    return Number.isFinite(v) ? v.toLocaleString("en-US") : "–";
  }

  const ROLE_LABELS = { admin: "Admin", technician: "Technician", auditor: "Auditor" };

  function roleLabel(role) {
    return ROLE_LABELS[role] || String(role || "");
  }

  function badge(text, kind) {
    return el("span", "badge " + (kind || "neutral"), text);
  }

  function seg(user) {
    return encodeURIComponent(String(user));
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const key of Object.keys(params)) {
      const v = params[key];
      if (v === undefined || v === null || v === "") continue;
      q.set(key, String(v));
    }
    const s = q.toString();
    return s ? "?" + s : "";
  }

  // A shown-once SVG (the TOTP QR code) as an <img> source. The string is
  // UTF-8 encoded, then base64; an SVG in an <img> cannot run scripts.
  function svgDataUrl(svg) {
    const bytes = new TextEncoder().encode(String(svg || ""));
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return "data:image/svg+xml;base64," + btoa(binary);
  }

  // A notice area: kind is "error", "ok", "warn" or "info"; parts are strings
  // or nodes.
  function say(box, kind, parts) {
    clear(box);
    box.className = "notice " + kind;
    const list = Array.isArray(parts) ? parts : [parts];
    const p = el("p");
    for (const part of list) {
      if (part instanceof Node) p.appendChild(part);
      else p.appendChild(document.createTextNode(String(part)));
    }
    box.appendChild(p);
    box.hidden = false;
  }

  function unsay(box) {
    clear(box);
    box.hidden = true;
  }

  function errorText(err) {
    if (!err) return "Something went wrong.";
    let text = err.message || "Something went wrong.";
    if (err.status === 429 && err.retryAfter) {
      text += " Try again in " + err.retryAfter + " second" + (err.retryAfter === 1 ? "" : "s") + ".";
    }
    return text;
  }

  function busy(button, on) {
    if (!button) return;
    button.disabled = !!on;
    if (on) button.setAttribute("aria-busy", "true");
    else button.removeAttribute("aria-busy");
  }

  // -------------------------------------------------------------------------
  // State
  // -------------------------------------------------------------------------

  const state = {
    session: null, // {user, display_name, role, csrf_token, expires_at, idle_timeout}
    csrf: null,
    tab: null,
    signin: { mode: "signin", totp: false, changeToken: null }, // mode: "signin" | "change"
    lastInput: Date.now(),
    pollTimer: null,
    tickTimer: null,
    retryTimer: null,
    sessions: { fetchedAt: 0, rows: new Map() },
    events: { offset: 0, limit: 50, filters: {} },
    audit: { offset: 0, limit: 50, filters: {} },
  };

  const TABS = [
    { id: "overview", roles: ["admin", "auditor"], load: loadOverview, every: 15000 },
    { id: "sessions", roles: ["admin", "technician", "auditor"], load: loadSessions, every: 5000 },
    { id: "accounts", roles: ["admin"], load: loadAccounts },
    { id: "events", roles: ["admin", "technician", "auditor"], load: loadEvents },
    { id: "audit", roles: ["admin", "auditor"], load: loadAudit },
    { id: "config", roles: ["admin", "auditor"], load: loadConfig },
    { id: "me", roles: ["admin", "technician", "auditor"], load: showMe },
  ];

  function tabAllowed(id) {
    const tab = TABS.find(function (t) {
      return t.id === id;
    });
    return !!(tab && state.session && tab.roles.indexOf(state.session.role) !== -1);
  }

  function defaultTab() {
    if (!state.session) return "sessions";
    return state.session.role === "technician" ? "sessions" : "overview";
  }

  // -------------------------------------------------------------------------
  // The one fetch helper
  // -------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, data) {
      super(message);
      this.status = status;
      this.code = code;
      this.data = data || null;
      this.retryAfter = 0;
      this.handled = false;
    }
  }

  // api("GET", "/api/overview") -> the JSON answer (null for 204).
  // opts.signin: a sign-in call, whose 401s are answers, not "session ended".
  async function api(method, path, body, opts) {
    opts = opts || {};
    const headers = { Accept: "application/json" };
    const init = {
      method: method,
      headers: headers,
      credentials: "same-origin",
      cache: "no-store",
      mode: "same-origin",
      redirect: "error",
    };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if ((method === "POST" || method === "DELETE") && state.csrf) {
      headers["X-CSRF-Token"] = state.csrf;
    }

    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new ApiError(
        0,
        "network",
        "The relay did not answer. Check the network connection and try again."
      );
    }

    let data = null;
    if (response.status !== 204) {
      const type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== -1) {
        try {
          data = await response.json();
        } catch (e) {
          data = null;
        }
      }
    }
    if (response.ok) return data;

    const code = data && typeof data.code === "string" ? data.code : "http";
    const message =
      data && typeof data.error === "string" && data.error !== ""
        ? data.error
        : "The relay answered with HTTP " + response.status + ".";
    const err = new ApiError(response.status, code, message, data);
    if (response.status === 429) {
      let retry = data && Number(data.retry_after);
      if (!retry) retry = Number(response.headers.get("Retry-After"));
      err.retryAfter = Number.isFinite(retry) && retry > 0 ? Math.ceil(retry) : 0;
    }
    if (response.status === 401 && code === "signed_out" && !opts.signin) {
      err.handled = true;
      sessionEnded("Your session ended, please sign in again.", "warn");
    }
    throw err;
  }

  // -------------------------------------------------------------------------
  // Sign-in
  // -------------------------------------------------------------------------

  function showView(name) {
    $("loading-view").hidden = name !== "loading";
    $("signin-view").hidden = name !== "signin";
    $("app-view").hidden = name !== "app";
  }

  function resetSigninForm(keepUser) {
    state.signin = { mode: "signin", totp: false, changeToken: null };
    if (!keepUser) $("signin-user").value = "";
    $("signin-password").value = "";
    $("signin-totp").value = "";
    $("new-password").value = "";
    $("new-password-repeat").value = "";
    $("signin-totp-row").hidden = true;
    $("signin-newpw").hidden = true;
    $("signin-restart").hidden = true;
    $("signin-user").readOnly = false;
    $("signin-submit").textContent = "Sign in";
    $("signin-intro").textContent = "Sign in with your Tether account.";
  }

  function showSignin(message, kind) {
    stopTimers();
    resetSigninForm(true);
    const box = $("signin-message");
    if (message) say(box, kind || "info", message);
    else unsay(box);
    showView("signin");
    document.title = "Sign in – Tether relay console";
    const user = $("signin-user");
    (user.value ? $("signin-password") : user).focus();
  }

  // The session is over (signed out, expired, password changed): forget
  // everything the page holds and go back to the sign-in form.
  function sessionEnded(message, kind) {
    const user = state.session ? state.session.user : $("signin-user").value;
    state.session = null;
    state.csrf = null;
    wipeData();
    $("signin-user").value = user || "";
    showSignin(message, kind);
  }

  function wipeData() {
    hideSecrets();
    hideMyTotp();
    for (const id of ["sessions-body", "accounts-body", "events-body", "audit-body", "overview-site-files-body"]) {
      clear($(id));
    }
    state.sessions.rows = new Map();
    for (const st of [state.events, state.audit]) {
      st.offset = 0;
      st.filters = {};
    }
    for (const id of ["events-since", "events-until", "events-account", "audit-since", "audit-until", "audit-actor", "audit-action"]) {
      $(id).value = "";
    }
    $("config-text").textContent = "";
    for (const id of ["me-password-user", "me-password-current", "me-password-new", "me-password-repeat", "me-totp-code"]) {
      $(id).value = "";
    }
    for (const id of [
      "overview-message", "sessions-message", "accounts-message", "events-message", "audit-message",
      "config-message", "me-password-message", "me-totp-message",
    ]) {
      unsay($(id));
    }
  }

  function startRetryCountdown(seconds) {
    const button = $("signin-submit");
    let left = seconds;
    clearInterval(state.retryTimer);
    const label = button.textContent;
    button.disabled = true;
    button.textContent = label + " (" + left + " s)";
    state.retryTimer = setInterval(function () {
      left--;
      if (left <= 0) {
        clearInterval(state.retryTimer);
        state.retryTimer = null;
        button.disabled = false;
        button.textContent = label;
      } else {
        button.textContent = label + " (" + left + " s)";
      }
    }, 1000);
  }

  function showTotpEnrolmentRequired(user) {
    const box = $("signin-message");
    clear(box);
    box.className = "notice warn";
    box.appendChild(el("p", null, "This admin account has no TOTP yet, and admins must use TOTP " +
      "(a 6-digit code from an authenticator app) to sign in to the web console."));
    const p = el("p");
    p.appendChild(document.createTextNode("IT enrols it on the relay's machine with"));
    p.appendChild(el("code", "command", "sudo -u tether tether-relay user totp-enroll " + (user || "NAME")));
    p.appendChild(document.createTextNode(
      "or another admin does it in this console, under Accounts. Then sign in again with the code."));
    box.appendChild(p);
    box.hidden = false;
  }

  async function submitSignin(event) {
    event.preventDefault();
    const box = $("signin-message");
    const user = $("signin-user").value.trim();
    const password = $("signin-password").value;
    const totp = $("signin-totp").value.replace(/\s+/g, "");

    if (!user || !password) {
      say(box, "error", "Enter your user name and password.");
      (user ? $("signin-password") : $("signin-user")).focus();
      return;
    }
    if (state.signin.totp && !totp) {
      say(box, "error", "Enter the code from your authenticator app.");
      $("signin-totp").focus();
      return;
    }

    let path = "/api/session";
    const body = { user: user, password: password };
    if (state.signin.mode === "change") {
      const next = $("new-password").value;
      const repeat = $("new-password-repeat").value;
      if (!next) {
        say(box, "error", "Choose a new password.");
        $("new-password").focus();
        return;
      }
      if (next !== repeat) {
        say(box, "error", "The two new passwords are not the same. Type them again.");
        $("new-password-repeat").value = "";
        $("new-password-repeat").focus();
        return;
      }
      if (next === password) {
        say(box, "error", "The new password must differ from the one you were given.");
        $("new-password").focus();
        return;
      }
      path = "/api/session/password";
      body.new_password = next;
    }
    if (state.signin.totp && totp) body.totp = totp;

    const button = $("signin-submit");
    busy(button, true);
    try {
      if (state.signin.mode === "change") {
        enterConsole(await changeFirstPassword(body));
      } else {
        enterConsole(await api("POST", path, body, { signin: true }));
      }
    } catch (err) {
      handleSigninError(err, user);
    } finally {
      if (!state.retryTimer) busy(button, false);
      else button.removeAttribute("aria-busy");
    }
  }

  // The first password change shows the relay the change_token that the
  // sign-in's 403 password_change_required carried. A token works once (and
  // not for long): when it is spent or too old, a new one comes from signing
  // in again with the same password (and code).
  async function fetchChangeToken(body) {
    const again = { user: body.user, password: body.password };
    if (body.totp) again.totp = body.totp;
    try {
      const session = await api("POST", "/api/session", again, { signin: true });
      return { session: session };
    } catch (err) {
      if (err.code === "password_change_required" && err.data && err.data.change_token) {
        return { token: String(err.data.change_token) };
      }
      if (err.code === "bad_credentials" && body.totp) {
        err.message = "Enter a new code from your authenticator app: each code works only once.";
      }
      throw err;
    }
  }

  async function changeFirstPassword(body) {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!state.signin.changeToken) {
        const got = await fetchChangeToken(body);
        if (got.session) return got.session; // the password was changed meanwhile
        state.signin.changeToken = got.token;
      }
      const token = state.signin.changeToken;
      state.signin.changeToken = null; // spent, whatever the answer
      try {
        return await api("POST", "/api/session/password", Object.assign({}, body, { change_token: token }),
          { signin: true });
      } catch (err) {
        if (err.code !== "signed_out" || attempt > 0) throw err;
        // Too old: fetch a fresh token once and try again.
      }
    }
    throw new ApiError(401, "signed_out", "That sign-in is too old. Sign in again.");
  }

  function handleSigninError(err, user) {
    const box = $("signin-message");
    switch (err.code) {
      case "totp_required":
        state.signin.totp = true;
        $("signin-totp-row").hidden = false;
        $("signin-restart").hidden = false;
        say(box, "info", "This account uses TOTP. Enter the 6-digit code your authenticator app shows now.");
        $("signin-totp").focus();
        return;
      case "password_change_required":
        state.signin.changeToken = err.data && err.data.change_token ? String(err.data.change_token) : null;
        state.signin.mode = "change";
        $("signin-newpw").hidden = false;
        $("signin-restart").hidden = false;
        $("signin-user").readOnly = true;
        $("signin-submit").textContent = "Change password and sign in";
        $("signin-intro").textContent = "Your password was right. Now choose your own.";
        unsay(box);
        $("new-password").focus();
        return;
      case "totp_enrolment_required":
        showTotpEnrolmentRequired(user);
        return;
      case "bad_credentials":
        $("signin-totp").value = "";
        say(box, "error", errorText(err));
        (state.signin.totp ? $("signin-totp") : $("signin-password")).focus();
        return;
      case "signed_out":
        // Only the first password change answers this here: its sign-in is
        // too old. Start again from the password.
        resetSigninForm(true);
        say(box, "error", errorText(err));
        $("signin-password").focus();
        return;
      default:
        say(box, "error", errorText(err));
        if (err.status === 429 && err.retryAfter) startRetryCountdown(err.retryAfter);
    }
  }

  function enterConsole(session) {
    if (!session || typeof session !== "object" || !session.role) {
      showSignin("The relay's answer was not understood. Try again.", "error");
      return;
    }
    state.session = session;
    state.csrf = session.csrf_token || null;
    state.lastInput = Date.now();
    resetSigninForm(true);
    unsay($("signin-message"));

    $("who-name").textContent = session.display_name || session.user;
    $("who-user").textContent = session.display_name && session.display_name !== session.user ? "(" + session.user + ")" : "";
    $("who-role").textContent = roleLabel(session.role);

    for (const link of document.querySelectorAll(".tabs a[data-tab]")) {
      link.hidden = !tabAllowed(link.dataset.tab);
    }
    const tech = session.role === "technician";
    $("events-downloads").hidden = tech;
    $("events-account-field").hidden = tech;
    $("events-scope").textContent = tech
      ? "Your own connections, one row each, written when it ends. Times are UTC."
      : "One row per connection, written when it ends. Times are UTC.";
    $("sessions-scope").textContent = tech
      ? "Your sessions that are running now. Refreshes every 5 seconds."
      : "Support sessions running now. Refreshes every 5 seconds.";
    $("accounts-message").hidden = true;

    showView("app");
    route();
  }

  async function signOut() {
    const button = $("signout");
    busy(button, true);
    try {
      await api("DELETE", "/api/session", undefined, { signin: true });
    } catch (err) {
      // Signed out either way: the page forgets the session.
    } finally {
      busy(button, false);
    }
    sessionEnded("You are signed out.", "ok");
  }

  async function resume() {
    showView("loading");
    try {
      const session = await api("GET", "/api/session", undefined, { signin: true });
      enterConsole(session);
    } catch (err) {
      if (err.status === 401 || err.status === 403) showSignin(null);
      else showSignin(errorText(err), "error");
    }
  }

  // -------------------------------------------------------------------------
  // Routing and refresh
  // -------------------------------------------------------------------------

  function stopTimers() {
    clearInterval(state.pollTimer);
    clearInterval(state.tickTimer);
    state.pollTimer = null;
    state.tickTimer = null;
  }

  // A page nobody touches stops refreshing after half the relay's idle
  // timeout, so the idle timeout still signs out a forgotten console.
  function idlePauseMs() {
    const idle = state.session && Number(state.session.idle_timeout);
    return (Number.isFinite(idle) && idle > 0 ? idle : 900) * 500;
  }

  function userAway() {
    return Date.now() - state.lastInput > idlePauseMs();
  }

  function route() {
    if (!state.session) return;
    let id = (location.hash || "").replace(/^#/, "");
    if (!tabAllowed(id)) {
      id = defaultTab();
      history.replaceState(null, "", "#" + id);
    }
    const tab = TABS.find(function (t) {
      return t.id === id;
    });
    state.tab = id;
    stopTimers();

    for (const link of document.querySelectorAll(".tabs a[data-tab]")) {
      if (link.dataset.tab === id) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    for (const panel of document.querySelectorAll("[data-panel]")) {
      panel.hidden = panel.dataset.panel !== id;
    }
    const link = document.querySelector('.tabs a[data-tab="' + id + '"]');
    document.title = (link ? link.textContent + " – " : "") + "Tether relay console";

    tab.load();
    if (tab.every) {
      state.pollTimer = setInterval(function () {
        if (state.tab !== id || !state.session || document.hidden) return;
        if (userAway()) {
          markPaused(id);
          return;
        }
        tab.load({ quiet: true });
      }, tab.every);
    }
    if (id === "sessions") {
      state.tickTimer = setInterval(tickDurations, 1000);
    }
  }

  function markPaused(id) {
    const stamp = $(id + "-updated");
    if (stamp) stamp.textContent = "Paused while you are away. Press Refresh.";
  }

  function markUpdated(id) {
    const stamp = $(id + "-updated");
    if (stamp) {
      const now = new Date();
      stamp.textContent = "Updated " + pad2(now.getHours()) + ":" + pad2(now.getMinutes()) + ":" + pad2(now.getSeconds());
    }
  }

  // -------------------------------------------------------------------------
  // Overview
  // -------------------------------------------------------------------------

  async function loadOverview() {
    const box = $("overview-message");
    let data;
    try {
      data = await api("GET", "/api/overview");
    } catch (err) {
      if (!err.handled) say(box, "error", errorText(err));
      return;
    }
    unsay(box);
    if (!data) return;
    markUpdated("overview");

    $("overview-version").textContent =
      "Tether relay " + (data.version || "?") + " · mbedTLS " + (data.mbedtls_version || "?");
    const up = $("overview-uptime");
    up.textContent = fmtDuration(data.uptime) + (data.started_at ? " (since " + fmtUtc(data.started_at) + " UTC)" : "");
    up.title = fmtLocal(data.started_at);

    const cert = data.certificate || {};
    $("overview-fingerprint").textContent = cert.fingerprint || "–";
    const notAfter = $("overview-not-after");
    clear(notAfter);
    const until = parseTime(cert.not_after);
    notAfter.appendChild(document.createTextNode(cert.not_after ? fmtUtc(cert.not_after) + " UTC " : "–"));
    if (until) {
      const days = Math.floor((until.getTime() - Date.now()) / 86400000);
      if (days < 0) notAfter.appendChild(badge("expired", "bad"));
      else if (days < 30) notAfter.appendChild(badge("expires in " + days + " day" + (days === 1 ? "" : "s"), "warn"));
      else notAfter.appendChild(badge("in " + days + " days", "ok"));
    }

    $("overview-connections").textContent = fmtCount(data.connections);
    $("overview-codes-waiting").textContent = fmtCount(data.codes_waiting);
    $("overview-sessions-active").textContent = fmtCount(data.sessions_active);
    const slow = $("overview-slow-lane");
    clear(slow);
    if (data.slow_lane) {
      slow.appendChild(badge("ON", "warn"));
      $("overview-slow-lane-note").textContent = "Many wrong codes were tried: joins are slowed down.";
    } else {
      slow.appendChild(badge("off", "ok"));
      $("overview-slow-lane-note").textContent = "Turns on when many wrong codes are tried.";
    }

    const audit = data.audit || {};
    const status = $("overview-audit");
    clear(status);
    const text = el("div");
    if (audit.ok) {
      status.className = "audit-status ok";
      text.appendChild(el("p", "title", "Audit chain verified, " + fmtCount(audit.rows) + " rows"));
      text.appendChild(el("p", "small", "Every row's hash matches the row before it."));
    } else {
      status.className = "audit-status bad";
      text.appendChild(el("p", "title",
        "Audit chain BROKEN at row " + (audit.first_bad_id === null || audit.first_bad_id === undefined ? "?" : audit.first_bad_id) +
        (audit.problem ? ": " + audit.problem : "")));
      const hint = el("p", "small");
      hint.appendChild(document.createTextNode("Rows were changed, removed or reordered. Run "));
      hint.appendChild(el("code", null, "tether-relay audit verify"));
      hint.appendChild(document.createTextNode(" on the relay's machine and compare with your backups."));
      text.appendChild(hint);
    }
    status.appendChild(text);
    status.hidden = false;

    const files = Array.isArray(data.site_files) ? data.site_files : [];
    $("overview-site-files-count").textContent = "(" + files.length + ")";
    const body = $("overview-site-files-body");
    clear(body);
    for (const f of files) {
      const tr = el("tr");
      tr.appendChild(el("td", "mono nowrap", f.path));
      tr.appendChild(el("td", "mono wrap", f.sha256));
      body.appendChild(tr);
    }
  }

  // -------------------------------------------------------------------------
  // Live sessions
  // -------------------------------------------------------------------------

  async function loadSessions() {
    const box = $("sessions-message");
    let data;
    try {
      data = await api("GET", "/api/sessions");
    } catch (err) {
      if (!err.handled) say(box, "error", errorText(err));
      return;
    }
    if (data && data.note) say(box, "warn", data.note);
    else if (box.classList.contains("error") || box.dataset.note) unsay(box);
    box.dataset.note = data && data.note ? "1" : "";
    markUpdated("sessions");
    renderSessions((data && Array.isArray(data.sessions)) ? data.sessions : []);
  }

  // Rows are kept by session id and updated in place, so a refresh does not
  // pull a button away from under the pointer.
  function renderSessions(list) {
    const body = $("sessions-body");
    const rows = state.sessions.rows;
    state.sessions.fetchedAt = Date.now();
    const seen = new Set();
    let previous = null;
    for (const s of list) {
      const id = String(s.id);
      seen.add(id);
      let row = rows.get(id);
      if (!row) {
        row = makeSessionRow(id);
        rows.set(id, row);
      }
      fillSessionRow(row, s);
      const expected = previous ? previous.tr.nextSibling : body.firstChild;
      if (expected !== row.tr) body.insertBefore(row.tr, expected);
      previous = row;
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    const empty = list.length === 0;
    $("sessions-empty").hidden = !empty;
    $("sessions-table").hidden = empty;
  }

  function makeSessionRow(id) {
    const tr = el("tr");
    tr.dataset.id = id;
    const tech = el("td");
    const techName = el("strong");
    const techUser = el("span", "sub");
    const techAddr = el("span", "sub mono");
    tech.append(techName, techUser, techAddr);
    const cust = el("td");
    const custHost = el("strong");
    const custUser = el("span", "sub");
    const custAddr = el("span", "sub mono");
    cust.append(custHost, custUser, custAddr);
    const started = el("td", "nowrap");
    const duration = el("td", "num");
    const bytes = el("td", "num");
    const actions = el("td", "actions");
    const end = el("button", "danger", "End session");
    end.type = "button";
    end.dataset.action = "end-session";
    end.dataset.id = id;
    // Auditors change nothing: the relay would refuse (403), so no button.
    if (state.session && state.session.role !== "auditor") actions.appendChild(end);
    tr.append(tech, cust, started, duration, bytes, actions);
    return {
      tr: tr, techName: techName, techUser: techUser, techAddr: techAddr, custHost: custHost,
      custUser: custUser, custAddr: custAddr, started: started, duration: duration, bytes: bytes,
      end: end, base: 0,
    };
  }

  function setText(node, text) {
    const t = text === undefined || text === null ? "" : String(text);
    if (node.textContent !== t) node.textContent = t;
  }

  function fillSessionRow(row, s) {
    setText(row.techName, s.technician_name || s.technician || "–");
    setText(row.techUser, s.technician_name && s.technician ? s.technician : "");
    // In a cluster: which relay the technician is connected to.
    setText(row.techAddr, (s.technician_address || "") + (s.relay ? " · on " + s.relay : ""));
    setText(row.custHost, s.customer_host || "(host not known)");
    setText(row.custUser, s.customer_user ? "user " + s.customer_user : "");
    setText(row.custAddr, s.customer_address || "");
    setText(row.started, fmtUtc(s.started_at));
    row.started.title = fmtLocal(s.started_at);
    row.base = Number(s.duration) || 0;
    setText(row.duration, fmtDuration(row.base));
    setText(row.bytes, fmtBytes(s.bytes));
    row.bytes.title = fmtCount(s.bytes) + " bytes";
    row.end.setAttribute("aria-label", "End the session of " + (s.technician_name || s.technician || "technician") +
      " with " + (s.customer_host || "customer"));
  }

  function tickDurations() {
    const elapsed = Math.floor((Date.now() - state.sessions.fetchedAt) / 1000);
    for (const row of state.sessions.rows.values()) {
      setText(row.duration, fmtDuration(row.base + elapsed));
    }
  }

  async function endSession(button) {
    const id = button.dataset.id;
    if (!window.confirm("End this session? Both the technician and the customer will be told that IT ended it.")) {
      return;
    }
    const box = $("sessions-message");
    busy(button, true);
    try {
      await api("POST", "/api/sessions/" + seg(id) + "/end");
      say(box, "ok", "The session was ended. Both sides were told that IT ended it.");
    } catch (err) {
      if (err.handled) return;
      say(box, "error", errorText(err));
    } finally {
      busy(button, false);
    }
    loadSessions();
  }

  // -------------------------------------------------------------------------
  // Accounts (admin)
  // -------------------------------------------------------------------------

  const STATUS_BADGES = {
    disabled: ["disabled", "neutral"],
    locked: ["locked", "bad"],
    throttled: ["throttled", "warn"],
    "must-change": ["must change password", "info"],
  };

  async function loadAccounts() {
    const box = $("accounts-message");
    let data;
    try {
      data = await api("GET", "/api/accounts");
    } catch (err) {
      if (!err.handled) say(box, "error", errorText(err));
      return;
    }
    renderAccounts((data && Array.isArray(data.accounts)) ? data.accounts : []);
  }

  function actionButton(label, action, user, kind) {
    const b = el("button", kind || "secondary", label);
    b.type = "button";
    b.dataset.action = action;
    b.dataset.user = user;
    return b;
  }

  function renderAccounts(accounts) {
    const body = $("accounts-body");
    clear(body);
    for (const a of accounts) {
      const user = String(a.user);
      const status = Array.isArray(a.status) ? a.status : [];
      const tr = el("tr");
      tr.dataset.user = user;

      const userCell = el("td", "who-cell");
      userCell.appendChild(el("strong", null, a.display_name || user));
      const userLine = el("span", "sub mono", user);
      if (state.session && user === state.session.user) userLine.appendChild(el("span", "you", " (you)"));
      userCell.appendChild(userLine);
      tr.appendChild(userCell);

      const roleCell = el("td");
      const roleEdit = el("div", "role-edit");
      const select = el("select");
      select.dataset.user = user;
      select.dataset.role = a.role;
      select.setAttribute("aria-label", "Role of " + user);
      for (const r of ["technician", "auditor", "admin"]) {
        const opt = el("option", null, roleLabel(r));
        opt.value = r;
        if (r === a.role) opt.selected = true;
        select.appendChild(opt);
      }
      const save = actionButton("Save", "role", user);
      save.disabled = true;
      save.setAttribute("aria-label", "Save the role of " + user);
      select.addEventListener("change", function () {
        save.disabled = select.value === select.dataset.role;
      });
      roleEdit.append(select, save);
      roleCell.appendChild(roleEdit);
      tr.appendChild(roleCell);

      const statusCell = el("td", "status-cell");
      if (status.length === 0) statusCell.appendChild(badge("active", "ok"));
      for (const s of status) {
        const spec = STATUS_BADGES[s] || [s, "neutral"];
        statusCell.appendChild(badge(spec[0], spec[1]));
      }
      tr.appendChild(statusCell);

      const totpCell = el("td");
      totpCell.appendChild(a.totp ? badge("yes", "ok") : badge("no", "neutral"));
      tr.appendChild(totpCell);

      const last = a.last_login ? timeCell(a.last_login) : el("td", "muted", "never");
      tr.appendChild(last);

      const actions = el("td", "actions wide");
      const wrap = el("div", "row-actions");
      if (status.indexOf("disabled") !== -1) wrap.appendChild(actionButton("Enable", "enable", user));
      else wrap.appendChild(actionButton("Disable", "disable", user, "danger"));
      if (status.indexOf("locked") !== -1 || status.indexOf("throttled") !== -1) {
        wrap.appendChild(actionButton("Unlock", "unlock", user));
      }
      wrap.appendChild(actionButton("Reset password", "reset-password", user));
      wrap.appendChild(actionButton(a.totp ? "New TOTP" : "Enrol TOTP", "enrol-totp", user));
      if (a.totp) wrap.appendChild(actionButton("Remove TOTP", "remove-totp", user, "danger"));
      actions.appendChild(wrap);
      tr.appendChild(actions);

      body.appendChild(tr);
    }
    $("accounts-empty").hidden = accounts.length !== 0;
  }

  function hideSecrets() {
    $("secret-box").hidden = true;
    $("otp-part").hidden = true;
    $("totp-part").hidden = true;
    $("one-time-password").textContent = "";
    $("otp-user").textContent = "";
    $("totp-secret").textContent = "";
    $("totp-uri").textContent = "";
    $("totp-user").textContent = "";
    $("totp-qr").removeAttribute("src");
  }

  function showOneTimePassword(user, password, created) {
    hideSecrets();
    $("secret-title").textContent = created
      ? "Account " + user + " created: its one-time password"
      : "New one-time password for " + user;
    $("otp-user").textContent = user;
    $("one-time-password").textContent = password || "";
    $("otp-part").hidden = false;
    $("secret-box").hidden = false;
    $("secret-box").scrollIntoView({ block: "nearest" });
    $("one-time-password-copy").focus();
  }

  function showTotpEnrolment(user, enrolment) {
    hideSecrets();
    $("secret-title").textContent = "TOTP for " + user + ": shown only this once";
    $("totp-user").textContent = user;
    $("totp-secret").textContent = enrolment.secret || "";
    $("totp-uri").textContent = enrolment.uri || "";
    if (enrolment.qr_svg) {
      $("totp-qr").src = svgDataUrl(enrolment.qr_svg);
      $("totp-qr").hidden = false;
    } else {
      $("totp-qr").hidden = true;
    }
    $("totp-part").hidden = false;
    $("secret-box").hidden = false;
    $("secret-box").scrollIntoView({ block: "nearest" });
  }

  async function createAccount(event) {
    event.preventDefault();
    const box = $("accounts-message");
    const userInput = $("account-new-user");
    const user = userInput.value.trim();
    const display = $("account-new-display").value.trim();
    const role = $("account-new-role").value;
    if (!user) {
      say(box, "error", "Enter a user name for the new account.");
      userInput.focus();
      return;
    }
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user)) {
      say(box, "error", "User names are letters, digits and . _ - @, up to 64 characters.");
      userInput.setAttribute("aria-invalid", "true");
      userInput.focus();
      return;
    }
    userInput.removeAttribute("aria-invalid");
    const button = $("account-new-submit");
    busy(button, true);
    try {
      const answer = await api("POST", "/api/accounts", { user: user, display_name: display, role: role });
      say(box, "ok", "Account " + ((answer && answer.user) || user) + " created as " + roleLabel(role).toLowerCase() + ".");
      showOneTimePassword((answer && answer.user) || user, answer && answer.one_time_password, true);
      $("account-new-form").reset();
      loadAccounts();
    } catch (err) {
      if (!err.handled) say(box, "error", errorText(err));
    } finally {
      busy(button, false);
    }
  }

  async function accountAction(button) {
    const action = button.dataset.action;
    const user = button.dataset.user;
    const box = $("accounts-message");
    const base = "/api/accounts/" + seg(user);
    let done = null;

    try {
      switch (action) {
        case "disable":
          if (!window.confirm("Disable " + user + "? Their web console sessions end now, and the apps refuse them at their next sign-in.")) return;
          busy(button, true);
          await api("POST", base + "/disable");
          done = user + " is disabled.";
          break;
        case "enable":
          busy(button, true);
          await api("POST", base + "/enable");
          done = user + " is enabled.";
          break;
        case "unlock":
          busy(button, true);
          await api("POST", base + "/unlock");
          done = user + " is unlocked.";
          break;
        case "reset-password": {
          if (!window.confirm("Reset the password of " + user + "? The relay makes up a one-time password; their web console sessions end.")) return;
          busy(button, true);
          const answer = await api("POST", base + "/reset-password");
          showOneTimePassword(user, answer && answer.one_time_password, false);
          done = "The password of " + user + " was reset.";
          break;
        }
        case "role": {
          const select = button.parentNode.querySelector("select");
          const role = select.value;
          if (!window.confirm("Make " + user + " " + roleLabel(role).toLowerCase() + "? Their web console sessions end.")) return;
          busy(button, true);
          await api("POST", base + "/role", { role: role });
          done = user + " is now " + roleLabel(role).toLowerCase() + ".";
          break;
        }
        case "enrol-totp": {
          const row = button.closest("tr");
          const has = row && row.querySelector('[data-action="remove-totp"]');
          if (has && !window.confirm("Give " + user + " a new TOTP secret? Their current authenticator entry stops working.")) return;
          busy(button, true);
          const enrolment = await api("POST", base + "/totp");
          showTotpEnrolment(user, enrolment || {});
          done = "TOTP for " + user + " is stored" + (enrolment && enrolment.replaced ? ", in place of the old one" : "") +
            ". Hand the QR code or secret to them privately.";
          break;
        }
        case "remove-totp":
          if (!window.confirm("Remove TOTP from " + user + "? Their sign-ins then need only the password (an admin cannot sign in here without TOTP).")) return;
          busy(button, true);
          await api("DELETE", base + "/totp");
          done = "TOTP of " + user + " is removed.";
          break;
        default:
          return;
      }
    } catch (err) {
      if (err.handled) return;
      say(box, "error", errorText(err));
      busy(button, false);
      return;
    }
    busy(button, false);
    if (done) say(box, "ok", done);
    if (state.session && state.tab === "accounts") loadAccounts();
  }

  // -------------------------------------------------------------------------
  // Events and the audit log: filters, paging, downloads
  // -------------------------------------------------------------------------

  function readFilters(prefix, names) {
    const filters = {};
    for (const name of names) {
      const input = $(prefix + "-" + name);
      if (input && !input.closest("[hidden]")) filters[name] = input.value.trim();
    }
    return filters;
  }

  function setDownloads(prefix, path, filters) {
    const q = query(filters);
    $(prefix + "-csv").href = path + ".csv" + q;
    $(prefix + "-jsonl").href = path + ".jsonl" + q;
  }

  function renderPager(prefix, data, count) {
    const offset = Number(data && data.offset) || 0;
    $(prefix + "-prev").disabled = offset <= 0;
    $(prefix + "-next").disabled = !(data && data.more);
    $(prefix + "-range").textContent = count === 0
      ? (offset > 0 ? "No rows from " + (offset + 1) + " on" : "")
      : "Rows " + (offset + 1) + "–" + (offset + count) + (data && data.more ? "" : " (the last)");
  }

  const EVENT_COLUMNS = [
    function (r) { return timeCell(r.started_at); },
    function (r) {
      const td = el("td", "num", fmtDurationMs(r.duration_ms));
      td.title = fmtCount(r.duration_ms) + " ms";
      return td;
    },
    function (r) {
      const td = el("td");
      if (r.account) td.appendChild(el("span", "mono", r.account));
      td.appendChild(el("span", r.account ? "sub" : "", r.role || ""));
      return td;
    },
    function (r) { return el("td", "mono addr", r.source_address || ""); },
    function (r) {
      const full = r.code_hmac || "";
      const td = el("td", "mono nowrap", full.length > 10 ? full.slice(0, 10) + "…" : full);
      if (full) td.title = full;
      return td;
    },
    function (r) {
      const td = el("td", "num", fmtBytes(r.bytes_in));
      td.title = fmtCount(r.bytes_in) + " bytes";
      return td;
    },
    function (r) {
      const td = el("td", "num", fmtBytes(r.bytes_out));
      td.title = fmtCount(r.bytes_out) + " bytes";
      return td;
    },
    function (r) { return el("td", "wrap-sm", r.end_reason || ""); },
  ];

  const AUDIT_COLUMNS = [
    function (r) { return el("td", "num", r.id); },
    function (r) { return timeCell(r.time); },
    function (r) { return el("td", "mono", r.actor || ""); },
    function (r) { return el("td", "mono nowrap", r.action || ""); },
    function (r) { return el("td", "wrap-sm", r.subject || ""); },
    function (r) { return el("td", "wrap", r.detail || ""); },
  ];

  function renderTable(bodyId, rows, columns, decorate) {
    const body = $(bodyId);
    clear(body);
    for (const r of rows) {
      const tr = el("tr");
      for (const make of columns) tr.appendChild(make(r));
      if (decorate) decorate(tr, r);
      body.appendChild(tr);
    }
  }

  async function loadEvents() {
    const st = state.events;
    const box = $("events-message");
    const filters = st.filters;
    if (state.session && state.session.role !== "technician") setDownloads("events", "/api/events", filters);
    let data;
    try {
      data = await api("GET", "/api/events" + query(Object.assign({}, filters, { limit: st.limit, offset: st.offset })));
    } catch (err) {
      if (!err.handled) say(box, "error", errorText(err));
      return;
    }
    unsay(box);
    const rows = (data && Array.isArray(data.rows)) ? data.rows : [];
    renderTable("events-body", rows, EVENT_COLUMNS);
    $("events-empty").hidden = rows.length !== 0;
    $("events-table").hidden = rows.length === 0;
    renderPager("events", data || { offset: st.offset }, rows.length);
  }

  async function loadAudit() {
    const st = state.audit;
    const box = $("audit-message");
    const filters = st.filters;
    setDownloads("audit", "/api/audit", filters);
    let data;
    try {
      data = await api("GET", "/api/audit" + query(Object.assign({}, filters, { limit: st.limit, offset: st.offset })));
    } catch (err) {
      if (!err.handled) say(box, "error", errorText(err));
      return;
    }
    unsay(box);
    const rows = (data && Array.isArray(data.rows)) ? data.rows : [];
    renderTable("audit-body", rows, AUDIT_COLUMNS, function (tr, r) {
      tr.dataset.id = String(r.id);
      if (r.prev_hash || r.hash) tr.title = "prev_hash " + (r.prev_hash || "") + "\nhash " + (r.hash || "");
    });
    $("audit-empty").hidden = rows.length !== 0;
    $("audit-table").hidden = rows.length === 0;
    renderPager("audit", data || { offset: st.offset }, rows.length);
  }

  function wireLog(prefix, names, st, load) {
    $(prefix + "-filter").addEventListener("submit", function (event) {
      event.preventDefault();
      st.filters = readFilters(prefix, names);
      st.offset = 0;
      load();
    });
    $(prefix + "-clear").addEventListener("click", function () {
      for (const name of names) $(prefix + "-" + name).value = "";
      st.filters = {};
      st.offset = 0;
      load();
    });
    $(prefix + "-prev").addEventListener("click", function () {
      st.offset = Math.max(0, st.offset - st.limit);
      load();
    });
    $(prefix + "-next").addEventListener("click", function () {
      st.offset += st.limit;
      load();
    });
    // The download links follow what the fields say now, even before "Show".
    for (const name of names) {
      $(prefix + "-" + name).addEventListener("input", function () {
        setDownloads(prefix, "/api/" + prefix, readFilters(prefix, names));
      });
    }
  }

  // -------------------------------------------------------------------------
  // Configuration
  // -------------------------------------------------------------------------

  async function loadConfig() {
    const box = $("config-message");
    try {
      const data = await api("GET", "/api/config");
      unsay(box);
      $("config-text").textContent = (data && typeof data.text === "string") ? data.text : "";
    } catch (err) {
      if (!err.handled) say(box, "error", errorText(err));
    }
  }

  // -------------------------------------------------------------------------
  // My account
  // -------------------------------------------------------------------------

  function showMe() {
    const s = state.session;
    if (!s) return;
    $("me-user").textContent = s.user;
    $("me-password-user").value = s.user;
    $("me-display").textContent = s.display_name || "–";
    $("me-role").textContent = roleLabel(s.role);
    $("me-expires").textContent = s.expires_at
      ? fmtUtc(s.expires_at) + " UTC, or after " + Math.max(1, Math.round((Number(s.idle_timeout) || 900) / 60)) +
        " minutes without use"
      : "–";
    $("me-expires").title = fmtLocal(s.expires_at);
    // Whether this account already signs in with a code.
    $("me-totp-start").textContent = s.totp ? "Replace TOTP" : "Set up TOTP";
  }

  async function changeMyPassword(event) {
    event.preventDefault();
    const box = $("me-password-message");
    const current = $("me-password-current").value;
    const next = $("me-password-new").value;
    const repeat = $("me-password-repeat").value;
    if (!current || !next) {
      say(box, "error", "Enter your current password and a new one.");
      (current ? $("me-password-new") : $("me-password-current")).focus();
      return;
    }
    if (next !== repeat) {
      say(box, "error", "The two new passwords are not the same. Type them again.");
      $("me-password-repeat").value = "";
      $("me-password-repeat").focus();
      return;
    }
    const button = $("me-password-submit");
    busy(button, true);
    try {
      await api("POST", "/api/me/password", { password: current, new_password: next });
    } catch (err) {
      if (!err.handled) say(box, "error", errorText(err));
      busy(button, false);
      return;
    }
    busy(button, false);
    sessionEnded("Your password is changed. Every session of your account has ended: sign in again with the new password.", "ok");
  }

  function hideMyTotp() {
    $("me-totp-enrol").hidden = true;
    $("me-totp-secret").textContent = "";
    $("me-totp-uri").textContent = "";
    $("me-totp-qr").removeAttribute("src");
    $("me-totp-code").value = "";
    $("me-totp-start").hidden = false;
  }

  async function startMyTotp() {
    const box = $("me-totp-message");
    const button = $("me-totp-start");
    busy(button, true);
    let enrolment;
    try {
      enrolment = await api("POST", "/api/me/totp");
    } catch (err) {
      if (!err.handled) say(box, "error", errorText(err));
      busy(button, false);
      return;
    }
    busy(button, false);
    unsay(box);
    enrolment = enrolment || {};
    $("me-totp-secret").textContent = enrolment.secret || "";
    $("me-totp-uri").textContent = enrolment.uri || "";
    if (enrolment.qr_svg) {
      $("me-totp-qr").src = svgDataUrl(enrolment.qr_svg);
      $("me-totp-qr").hidden = false;
    } else {
      $("me-totp-qr").hidden = true;
    }
    $("me-totp-enrol").hidden = false;
    button.hidden = true;
    $("me-totp-code").focus();
  }

  async function confirmMyTotp(event) {
    event.preventDefault();
    const box = $("me-totp-message");
    const code = $("me-totp-code").value.replace(/\s+/g, "");
    if (!code) {
      say(box, "error", "Enter the 6-digit code your authenticator app shows now.");
      $("me-totp-code").focus();
      return;
    }
    const button = $("me-totp-confirm");
    busy(button, true);
    try {
      await api("POST", "/api/me/totp/confirm", { code: code });
    } catch (err) {
      if (!err.handled) {
        say(box, "error", errorText(err));
        $("me-totp-code").value = "";
        $("me-totp-code").focus();
      }
      busy(button, false);
      return;
    }
    busy(button, false);
    hideMyTotp();
    if (state.session) {
      state.session.totp = true;
      showMe();
    }
    say(box, "ok", "TOTP is on. From now on, signing in also asks for a code from your authenticator app.");
  }

  // -------------------------------------------------------------------------
  // Copy buttons
  // -------------------------------------------------------------------------

  function copyFrom(button) {
    const source = $(button.dataset.copy);
    if (!source) return;
    const text = source.textContent;
    const label = button.textContent;
    function flash(msg) {
      button.textContent = msg;
      setTimeout(function () {
        button.textContent = label;
      }, 1500);
    }
    function fallback() {
      const range = document.createRange();
      range.selectNodeContents(source);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      let ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      flash(ok ? "Copied" : "Selected: press Ctrl+C");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        flash("Copied");
      }, fallback);
    } else {
      fallback();
    }
  }

  // -------------------------------------------------------------------------
  // Wiring
  // -------------------------------------------------------------------------

  function init() {
    $("signin-form").addEventListener("submit", submitSignin);
    $("signin-restart").addEventListener("click", function () {
      resetSigninForm(false);
      unsay($("signin-message"));
      $("signin-user").focus();
    });
    $("signin-user").addEventListener("input", function () {
      if (state.signin.totp || state.signin.mode !== "signin") {
        state.signin.totp = false;
        $("signin-totp-row").hidden = true;
        $("signin-totp").value = "";
      }
    });
    $("signout").addEventListener("click", signOut);

    $("overview-refresh").addEventListener("click", function () {
      state.lastInput = Date.now();
      loadOverview();
    });
    $("sessions-refresh").addEventListener("click", function () {
      state.lastInput = Date.now();
      loadSessions();
    });
    $("sessions-body").addEventListener("click", function (event) {
      const button = event.target.closest('button[data-action="end-session"]');
      if (button) endSession(button);
    });

    $("accounts-refresh").addEventListener("click", loadAccounts);
    $("account-new-form").addEventListener("submit", createAccount);
    $("accounts-body").addEventListener("click", function (event) {
      const button = event.target.closest("button[data-action]");
      if (button && !button.disabled) accountAction(button);
    });
    $("secret-dismiss").addEventListener("click", hideSecrets);

    wireLog("events", ["since", "until", "account"], state.events, loadEvents);
    wireLog("audit", ["since", "until", "actor", "action"], state.audit, loadAudit);

    $("config-refresh").addEventListener("click", loadConfig);

    $("me-password-form").addEventListener("submit", changeMyPassword);
    $("me-totp-start").addEventListener("click", startMyTotp);
    $("me-totp-form").addEventListener("submit", confirmMyTotp);
    $("me-totp-cancel").addEventListener("click", function () {
      hideMyTotp();
      unsay($("me-totp-message"));
    });

    document.addEventListener("click", function (event) {
      const button = event.target.closest("button[data-copy]");
      if (button) copyFrom(button);
    });

    for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
      document.addEventListener(type, function () {
        state.lastInput = Date.now();
      }, { passive: true, capture: true });
    }
    document.addEventListener("visibilitychange", function () {
      if (document.hidden || !state.session) return;
      state.lastInput = Date.now();
      if (state.tab === "sessions") loadSessions();
      else if (state.tab === "overview") loadOverview();
    });

    window.addEventListener("hashchange", route);
    resume();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
