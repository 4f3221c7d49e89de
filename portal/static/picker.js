// Picking cities: a <select multiple data-picker> becomes a search box, a list of matches and the
// chosen cities as removable chips. The select stays in the form (hidden), its options selected as
// the chips say, so the form posts exactly what it posts without JavaScript. Matching ignores case
// and accents ("hame" finds Hämeenlinna) and also reads the code ("091"). Texts come from the
// select's data-picker-* attributes, translated by the page; no inline script (the CSP forbids it).
"use strict";
(function () {
  var LIMIT = 12;  // matches shown at once: type more to narrow

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }

  function enhance(select) {
    var id = select.id, texts = select.dataset;
    var options = Array.prototype.slice.call(select.options).map(function (option) {
      return {option: option, key: fold(option.text + " " + option.value)};
    });
    var box = make("div", {"class": "picker", "data-testid": id + "-picker"});
    var search = make("input", {type: "search", id: id + "-search", autocomplete: "off", spellcheck: "false",
                                "aria-describedby": id + "-hint " + id + "-status", "aria-controls": id + "-matches"});
    var hint = make("small", {id: id + "-hint", "class": "muted"}, texts.pickerHint);
    var status = make("p", {id: id + "-status", "class": "picker-status muted", "aria-live": "polite", role: "status"});
    var matches = make("ul", {id: id + "-matches", "class": "picker-matches", "aria-label": texts.pickerMatches});
    var chosenLabel = make("p", {id: id + "-chosen-label", "class": "picker-chosen-label"}, texts.pickerChosen);
    var chips = make("ul", {"class": "chips", "aria-labelledby": id + "-chosen-label", "data-testid": id + "-chosen"});
    var label = document.querySelector('label[for="' + id + '"]');
    if (label) { label.htmlFor = search.id; }
    [search, hint, status, matches, chosenLabel, chips].forEach(function (node) { box.appendChild(node); });
    select.parentNode.insertBefore(box, select);
    select.hidden = true;
    select.tabIndex = -1;
    var found = [];

    function render() {
      var query = fold(search.value.trim());
      found = query ? options.filter(function (o) { return !o.option.selected && o.key.indexOf(query) !== -1; }) : [];
      matches.replaceChildren();
      found.slice(0, LIMIT).forEach(function (o) {
        var button = make("button", {type: "button", "class": "picker-match", "data-value": o.option.value}, o.option.text);
        button.addEventListener("click", function () { choose(o.option); });
        var item = make("li");
        item.appendChild(button);
        matches.appendChild(item);
      });
      chips.replaceChildren();
      var chosen = options.filter(function (o) { return o.option.selected; });
      chosen.forEach(function (o) {
        var chip = make("li", {"class": "chip", "data-value": o.option.value});
        chip.appendChild(make("span", {}, o.option.text));
        var remove = make("button", {type: "button", "class": "chip-remove",
                                     "aria-label": say(texts.pickerRemove, {city: o.option.text})}, "×");
        remove.addEventListener("click", function () { unchoose(o.option); });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      chosenLabel.hidden = chips.hidden = chosen.length === 0;
      status.textContent = say(query ? texts.pickerStatus : texts.pickerIdle,
                               {matches: found.length, chosen: chosen.length, total: options.length});
    }

    function choose(option) {
      option.selected = true;
      search.value = "";
      render();
      search.focus();
    }

    function unchoose(option) {
      option.selected = false;
      render();
      search.focus();
    }

    search.addEventListener("input", render);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();  // Enter picks the first match; it never sends the form half-filled
        if (found.length) { choose(found[0].option); }
      } else if (event.key === "ArrowDown" && matches.firstElementChild) {
        event.preventDefault();
        matches.firstElementChild.firstElementChild.focus();
      }
    });
    matches.addEventListener("keydown", function (event) {
      var item = event.target.parentElement;
      var next = event.key === "ArrowDown" ? item.nextElementSibling : event.key === "ArrowUp" ? item.previousElementSibling : null;
      if (event.key === "Escape" || (event.key === "ArrowUp" && !next)) {
        event.preventDefault();
        search.focus();
      } else if (next) {
        event.preventDefault();
        next.firstElementChild.focus();
      }
    });
    render();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[multiple][data-picker]").forEach(enhance);
  });
})();
