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
