// certnet console: progressive enhancement only. Every page works without this file.
//   "/"          focus the page's filter box
//   j / ArrowDown, k / ArrowUp   move between rows of a navigable table
//   Enter        open the current row
"use strict";

(function () {
  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.nav-table tr[data-href]"));
  }

  function current(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("current")) return i;
    }
    return -1;
  }

  function select(list, index) {
    list.forEach(function (row) {
      row.classList.remove("current");
      row.removeAttribute("aria-selected");
    });
    var row = list[index];
    if (!row) return;
    row.classList.add("current");
    row.setAttribute("aria-selected", "true");
    var link = row.querySelector("a");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.key === "/") {
      var filter = document.querySelector("[data-filter]");
      if (filter) {
        event.preventDefault();
        filter.focus();
        if (filter.select) filter.select();
      }
      return;
    }
    var list = rows();
    if (!list.length) return;
    var at = current(list);
    if (event.key === "j" || event.key === "ArrowDown") {
      event.preventDefault();
      select(list, Math.min(at + 1, list.length - 1));
    } else if (event.key === "k" || event.key === "ArrowUp") {
      event.preventDefault();
      select(list, Math.max(at - 1, 0));
    } else if (event.key === "Enter" && at >= 0) {
      event.preventDefault();
      window.location.assign(list[at].getAttribute("data-href"));
    }
  });

  // A click anywhere on a row opens it, as its first link would.
  document.addEventListener("click", function (event) {
    var row = event.target.closest ? event.target.closest("table.nav-table tr[data-href]") : null;
    if (!row || event.target.closest("a, button, input, select, label")) return;
    window.location.assign(row.getAttribute("data-href"));
  });
})();
