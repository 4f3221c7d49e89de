// Tables of rows of inputs (a city and its percentage, a tier's date and price): an "Add row" button
// under each <fieldset data-rows> copies its last row, empty, with the next index in its names
// ("rule-cap_rows-3-city" becomes "rule-cap_rows-4-city"). Without JavaScript the page offers a few
// empty rows and the "Paste as text" box, so nothing depends on this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("fieldset[data-rows]").forEach(function (fieldset) {
    var body = fieldset.querySelector("tbody");
    if (!body || !body.lastElementChild) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "add-row";
    button.textContent = fieldset.getAttribute("data-add-label") || "+";
    button.addEventListener("click", function () {
      var row = body.lastElementChild.cloneNode(true);
      var index = body.children.length;
      row.querySelectorAll("input, select").forEach(function (input) {
        input.name = input.name.replace(/-\d+-(\w+)$/, "-" + index + "-$1");
        input.id = input.name;
        if (input.tagName === "SELECT") { input.selectedIndex = 0; } else { input.value = ""; }
        var aria = input.getAttribute("data-aria");
        if (aria) { input.setAttribute("aria-label", aria.replace("#", String(index + 1))); }
      });
      row.querySelectorAll(".field-error").forEach(function (error) { error.remove(); });
      body.appendChild(row);
      row.querySelector("input, select").focus();
    });
    fieldset.appendChild(button);
  });
});
