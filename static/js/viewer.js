// The evidence viewer: a photo or PDF opens in a <dialog> on the page instead of leaving it.
// Without this file every thumbnail is a plain link to the file. Esc closes (the dialog's own
// behaviour), focus goes back to the link that opened it, the arrow keys and buttons move between
// the files of the same list. The dialog's words come from a <template> the server translated.
(function () {
  "use strict";
  if (window.evidenceViewer) { return; }
  window.evidenceViewer = true;

  var dialog = null;
  var links = [];
  var index = 0;
  var opener = null;

  function build() {
    var template = document.getElementById("evidence-viewer-template");
    if (!template || typeof HTMLDialogElement === "undefined") { return null; }
    var made = template.content.firstElementChild.cloneNode(true);
    document.body.appendChild(made);
    made.querySelector(".viewer-close").addEventListener("click", function () { made.close(); });
    made.querySelector(".viewer-prev").addEventListener("click", function () { move(-1); });
    made.querySelector(".viewer-next").addEventListener("click", function () { move(1); });
    made.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") { move(-1); event.preventDefault(); }
      if (event.key === "ArrowRight") { move(1); event.preventDefault(); }
    });
    // A click on the backdrop (outside the box) closes, as people expect of a picture viewer.
    made.addEventListener("click", function (event) { if (event.target === made) { made.close(); } });
    made.addEventListener("close", function () {
      made.querySelector(".viewer-body").replaceChildren();
      if (opener) { opener.focus(); }
    });
    return made;
  }

  function show() {
    var link = links[index];
    var body = dialog.querySelector(".viewer-body");
    var name = link.getAttribute("data-name") || link.textContent.trim();
    var shown;
    if (link.getAttribute("data-viewer") === "pdf") {
      shown = document.createElement("iframe");
      shown.title = name;
    } else {
      shown = document.createElement("img");
      shown.alt = name;
    }
    shown.src = link.href;
    shown.className = "viewer-content";
    body.replaceChildren(shown);
    dialog.querySelector(".viewer-title").textContent = name;
    dialog.querySelector(".viewer-open").href = link.href;
    var count = dialog.querySelector(".viewer-count");
    var several = links.length > 1;
    count.textContent = several
      ? count.getAttribute("data-pattern").replace("{index}", index + 1).replace("{total}", links.length)
      : "";
    dialog.querySelector(".viewer-prev").hidden = !several;
    dialog.querySelector(".viewer-next").hidden = !several;
  }

  function move(step) {
    if (links.length < 2) { return; }
    index = (index + step + links.length) % links.length;
    show();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-viewer]");
    // A click with a modifier key (new tab, download) keeps its usual meaning.
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button !== 0) { return; }
    dialog = dialog || build();
    if (!dialog) { return; }
    event.preventDefault();
    var group = link.closest("[data-evidence-group]");
    links = Array.prototype.slice.call((group || document).querySelectorAll("a[data-viewer]"));
    index = Math.max(0, links.indexOf(link));
    opener = link;
    show();
    dialog.showModal();
    dialog.querySelector(".viewer-close").focus();
  });
})();
