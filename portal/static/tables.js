// Every wide table scrolls inside its own box, not the page: wrap each table of <main> in
// <div class="table-scroll" tabindex="0" role="region" aria-label="…"> (reachable and scrollable with
// the keyboard, named after the table's caption or the heading above it). Without JavaScript
// portal.css lets <main> scroll instead, so the page itself still never scrolls sideways.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var fallback = document.body.getAttribute("data-table-label") || "Table";
  document.querySelectorAll("main table").forEach(function (table) {
    if (table.closest(".table-scroll")) { return; }
    var label = table.caption ? table.caption.textContent : "";
    for (var node = table; !label && node && node.tagName !== "MAIN"; node = node.parentElement) {
      for (var prev = node.previousElementSibling; prev && !label; prev = prev.previousElementSibling) {
        if (/^H[1-6]$/.test(prev.tagName)) { label = prev.textContent; }
      }
    }
    var box = document.createElement("div");
    box.className = "table-scroll";
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", (label || fallback).trim());
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });
  document.documentElement.classList.add("js");
});
