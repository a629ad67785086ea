// SPDX-License-Identifier: AGPL-3.0-or-later
// The customer page (/): fills in the organisation, the downloads and the
// relay's fingerprint from GET /api/public. No framework; every server string
// goes into the page through textContent, never as HTML.
"use strict";

(function () {
  const CONFIG_FILE = "tether-customer.toml";

  const { $, el } = Page;

  function humanSize(bytes) {
    return Page.byteSize(bytes, ["bytes", "KB", "MB", "GB", "TB"]);
  }

  function downloadHref(name) {
    return "/downloads/" + encodeURIComponent(name);
  }

  function describe(name, organisation) {
    const lower = name.toLowerCase();
    if (lower === CONFIG_FILE) {
      return "Settings for " + organisation + ". Save this file in the same folder as the app.";
    }
    if (lower.endsWith(".deb")) return "Installer for Debian and Ubuntu computers.";
    if (lower.endsWith(".rpm")) return "Installer for Fedora, Red Hat and SUSE computers.";
    if (lower.endsWith(".msi") || lower.endsWith(".exe")) return "For Windows computers.";
    if (lower.endsWith(".dmg") || lower.endsWith(".pkg")) return "For Mac computers.";
    if (lower.endsWith(".sig") || lower.endsWith(".asc")) return "A signature, for IT to check a file.";
    if (lower.startsWith("tether-customer") && lower.indexOf(".") === -1) {
      return "The app on its own: nothing to install.";
    }
    return "";
  }

  function showDownloads(downloads, organisation) {
    const list = $("downloads");
    list.textContent = "";
    // A signature file that belongs to another download is linked from that
    // download, not listed again on its own.
    const signatures = new Set();
    for (const d of downloads) {
      if (d && d.signature) signatures.add(String(d.signature));
    }
    let shown = 0;
    for (const d of downloads) {
      if (!d || typeof d.name !== "string" || d.name === "") continue;
      if (signatures.has(d.name)) continue;
      const item = el("li");
      item.dataset.name = d.name;

      const head = el("div");
      const link = el("a", "download-link", d.name);
      link.href = downloadHref(d.name);
      link.setAttribute("download", d.name);
      head.appendChild(link);
      const size = humanSize(d.size);
      if (size) {
        head.appendChild(document.createTextNode(" "));
        head.appendChild(el("span", "download-size", "(" + size + ")"));
      }
      item.appendChild(head);

      const what = describe(d.name, organisation);
      if (what) item.appendChild(el("p", "download-what", what));

      if (d.sha256 || d.signature) {
        const check = el("p", "download-check");
        if (d.sha256) {
          check.appendChild(document.createTextNode("For IT: SHA-256 "));
          check.appendChild(el("span", "sha", d.sha256));
        }
        if (d.signature) {
          if (d.sha256) check.appendChild(document.createTextNode(" · "));
          const sig = el("a", "", "signature");
          sig.href = downloadHref(String(d.signature));
          sig.setAttribute("download", String(d.signature));
          check.appendChild(sig);
        }
        item.appendChild(check);
      }
      list.appendChild(item);
      shown++;
    }
    $("downloads-none").hidden = shown !== 0;
    $("downloads-intro").hidden = shown === 0;
    list.hidden = shown === 0;
  }

  function show(info) {
    const organisation =
      typeof info.organisation === "string" && info.organisation.trim() !== ""
        ? info.organisation.trim()
        : "your organisation";
    if (organisation !== "your organisation") {
      $("organisation").textContent = organisation;
      document.title = "Get help – " + organisation;
    }

    if (info.logo === true) {
      const logo = $("organisation-logo");
      logo.addEventListener("error", function () {
        logo.hidden = true;
      });
      logo.alt = organisation + " logo";
      logo.src = "/logo";
      logo.hidden = false;
    }

    const downloads = Array.isArray(info.downloads) ? info.downloads : [];
    showDownloads(downloads, organisation);

    const hasConfig = downloads.some(function (d) {
      return d && typeof d.name === "string" && d.name.toLowerCase() === CONFIG_FILE;
    });
    const ready = $("config-ready");
    if (hasConfig) {
      ready.textContent = "";
      ready.appendChild(document.createTextNode(
        "The app from this page is already set up for " + organisation + " when the file "));
      ready.appendChild(el("strong", "filename", CONFIG_FILE));
      ready.appendChild(document.createTextNode(
        " is in the same folder as the app (your Downloads folder, if you downloaded both there)."));
      ready.hidden = false;
    } else {
      ready.hidden = true;
    }

    $("fingerprint").textContent =
      typeof info.fingerprint === "string" && info.fingerprint !== "" ? info.fingerprint : "(not known)";
  }

  function failed() {
    $("load-error").hidden = false;
    $("downloads-loading").hidden = true;
    $("downloads").hidden = true;
    $("downloads-intro").hidden = true;
    $("downloads-none").hidden = false;
    $("fingerprint").textContent = "(not known)";
  }

  function load() {
    fetch("/api/public", {
      method: "GET",
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (info) {
        if (!info || typeof info !== "object") throw new Error("not an object");
        $("downloads-loading").hidden = true;
        show(info);
      })
      .catch(failed);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", load);
  } else {
    load();
  }
})();
