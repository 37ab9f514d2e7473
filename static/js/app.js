// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // The menu is a <details>: folded on phones, always open on wide screens.
  var wide = window.matchMedia("(min-width: 768px)");
  function syncMenu() {
    document.querySelectorAll("details.menu").forEach(function (menu) {
      if (wide.matches) { menu.setAttribute("open", ""); }
    });
  }
  document.addEventListener("DOMContentLoaded", syncMenu);
  wide.addEventListener("change", syncMenu);
})();
