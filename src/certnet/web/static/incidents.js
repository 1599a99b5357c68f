// certnet incidents: progressive enhancement of the queue. Every page works without it.
//   x            tick or untick the current row (for bulk actions)
//   the header box ticks every row on the page; the count of ticked rows is kept up to date
"use strict";

(function () {
  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("table.queue input[name='ids']"));
  }

  function refresh() {
    var ticked = 0;
    boxes().forEach(function (box) {
      var row = box.closest("tr");
      if (row) row.classList.toggle("selected", box.checked);
      if (box.checked) ticked += 1;
    });
    var shown = document.querySelector("[data-selected]");
    if (shown) shown.textContent = String(ticked);
    var all = document.querySelector("[data-select-all]");
    if (all) {
      var total = boxes().length;
      all.checked = total > 0 && ticked === total;
      all.indeterminate = ticked > 0 && ticked < total;
    }
  }

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-all]")) {
      boxes().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches && (target.matches("[data-select-all]") || target.matches("table.queue input[name='ids']"))) {
      refresh();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (event.key !== "x") return;
    var row = document.querySelector("table.queue tr.current");
    var box = row ? row.querySelector("input[name='ids']") : null;
    if (!box) return;
    event.preventDefault();
    box.checked = !box.checked;
    refresh();
  });

  // A bulk action needs ticked rows: say so instead of sending an empty form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "bulk") return;
    if (!boxes().some(function (box) { return box.checked; })) {
      event.preventDefault();
      var shown = document.querySelector("[data-selected]");
      if (shown) shown.parentElement.classList.add("field-error");
    }
  });

  document.addEventListener("DOMContentLoaded", refresh);
})();
