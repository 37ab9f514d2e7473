// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // The menu is a <details>: folded on phones, always open as the sidebar from 1024 px (static/css/app.css).
  var wide = window.matchMedia("(min-width: 1024px)");
  function syncMenu() {
    document.querySelectorAll("details.menu").forEach(function (menu) {
      if (wide.matches) { menu.setAttribute("open", ""); }
    });
  }
  document.addEventListener("DOMContentLoaded", syncMenu);
  wide.addEventListener("change", syncMenu);
})();

// 民主测评: the printed QR code carries the ballot code after "#", which the browser never sends to
// the server. Fill it in, drop it from the address bar and the history, and open the ballot.
(function () {
  "use strict";
  function openBallotFromFragment() {
    var form = document.getElementById("vote-code-form");
    var code = decodeURIComponent(window.location.hash.replace(/^#/, "")).trim();
    if (!form || !code || !/^[A-Za-z0-9 ]{4,32}$/.test(code)) { return; }
    window.history.replaceState(null, "", window.location.pathname);
    form.querySelector("input[name=code]").value = code;
    form.submit();
  }
  document.addEventListener("DOMContentLoaded", openBallotFromFragment);
})();

// A table or chart wider than the screen scrolls inside its box; someone on a keyboard reaches that box
// with Tab to scroll it (WCAG 2.1.1). Only boxes that really overflow become tab stops, named after their
// section's heading or their table's caption when there is one.
(function () {
  "use strict";
  function nameOf(box) {
    var section = box.closest("section[aria-labelledby]");
    if (section) { return section.getAttribute("aria-labelledby"); }
    var caption = box.querySelector("caption");
    if (caption) {
      if (!caption.id) { caption.id = "scroll-caption-" + Math.random().toString(36).slice(2); }
      return caption.id;
    }
    return "";
  }
  function syncScrollBoxes() {
    document.querySelectorAll(".table-scroll, .dashboard-chart").forEach(function (box) {
      var overflows = box.scrollWidth > box.clientWidth + 1;
      if (overflows && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-box", "");
        var labelledBy = box.tagName === "FIGURE" ? "" : nameOf(box);
        if (labelledBy) {
          box.setAttribute("role", "group");
          box.setAttribute("aria-labelledby", labelledBy);
        }
      } else if (!overflows && box.hasAttribute("data-scroll-box")) {
        ["tabindex", "data-scroll-box", "role", "aria-labelledby"].forEach(function (name) {
          box.removeAttribute(name);
        });
      }
    });
  }
  var pending = false;
  function onResize() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; syncScrollBoxes(); });
  }
  document.addEventListener("DOMContentLoaded", syncScrollBoxes);
  window.addEventListener("load", syncScrollBoxes);
  window.addEventListener("resize", onResize);
})();
