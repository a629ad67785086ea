// SPDX-License-Identifier: AGPL-3.0-or-later
// What both pages share: finding and making elements (server text goes in
// through textContent only, never as HTML) and sizes a person reads.
// Loaded before customer.js and console.js.
"use strict";

const Page = Object.freeze({
  $(id) {
    return document.getElementById(id);
  },

  el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  },

  clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  },

  // `bytes` in the largest of `units` (each 1024 times the one before;
  // units[0] names bytes) that keeps the number at 1 or more.
  byteSize(bytes, units) {
    const n = Number(bytes);
    if (!Number.isFinite(n) || n < 0) return "";
    let value = n;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    const digits = value >= 100 || unit === 0 ? 0 : 1;
    return value.toFixed(digits) + " " + units[unit];
  },
});
