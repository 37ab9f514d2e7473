// 述职报告: a small rich-text editor over each section, autosave, and a copy kept in this browser.
// Progressive: without this file the textareas stay plain and the form saves as it is.
(function () {
  "use strict";

  var AUTOSAVE_DELAY = 3000;
  var RETRY_DELAY = 15000;
  var STASH_PREFIX = "duty-report:";
  // What the server keeps (services.ALLOWED_TAGS); the rest is unwrapped here too, so the page shows what will be saved.
  var ALLOWED = ["P", "BR", "UL", "OL", "LI", "STRONG", "B", "EM", "I", "U", "H3", "H4", "BLOCKQUOTE"];
  var DROPPED = ["SCRIPT", "STYLE", "IFRAME", "OBJECT", "EMBED", "TEMPLATE", "NOSCRIPT", "svg", "math"];
  var COMMANDS = [["formatBlock", "p"], ["bold", null], ["italic", null], ["insertUnorderedList", null], ["insertOrderedList", null]];

  function clean(html) {
    // DOMParser documents run no scripts and load no images, so parsing here is safe.
    var doc = new DOMParser().parseFromString("<body>" + (html || ""), "text/html");
    (function walk(parent) {
      Array.prototype.slice.call(parent.childNodes).forEach(function (node) {
        if (node.nodeType === 3) { return; }
        if (node.nodeType !== 1) { parent.removeChild(node); return; }
        if (DROPPED.indexOf(node.nodeName) !== -1 || DROPPED.indexOf(node.nodeName.toLowerCase()) !== -1) {
          parent.removeChild(node);
          return;
        }
        walk(node);
        if (ALLOWED.indexOf(node.nodeName) === -1) {
          while (node.firstChild) { parent.insertBefore(node.firstChild, node); }
          parent.removeChild(node);
          return;
        }
        while (node.attributes.length) { node.removeAttribute(node.attributes[0].name); }
      });
    })(doc.body);
    return doc.body.innerHTML;
  }

  function storage() {
    try { return window.localStorage; } catch (error) { return null; }
  }

  function setUpReport(form) {
    var reportId = form.getAttribute("data-report");
    var url = form.getAttribute("data-autosave-url");
    var status = form.querySelector("[data-autosave-status]");
    var revisionInput = form.querySelector("input[name=revision]");
    var csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
    var toolbarLabels = (form.getAttribute("data-labels-toolbar") || "").split("|");
    var editors = [];
    var dirty = false;
    var saving = false;
    var stopped = false;
    var timer = null;
    var submitAfterSave = null;
    var touched = {};
    var store = storage();

    try { document.execCommand("defaultParagraphSeparator", false, "p"); } catch (error) { /* older browsers */ }

    Array.prototype.forEach.call(form.querySelectorAll("textarea[data-rich]"), function (area) {
      var label = form.querySelector("label[for='" + area.id + "']");
      var toolbar = document.createElement("div");
      var editor = document.createElement("div");
      toolbar.className = "editor-toolbar";
      toolbar.setAttribute("role", "toolbar");
      editor.className = "editor";
      editor.contentEditable = "true";
      editor.setAttribute("role", "textbox");
      editor.setAttribute("aria-multiline", "true");
      if (label) {
        toolbar.setAttribute("aria-label", label.textContent);
        editor.setAttribute("aria-label", label.textContent);
        label.addEventListener("click", function (event) { event.preventDefault(); editor.focus(); });
      }
      editor.innerHTML = clean(area.value);
      COMMANDS.forEach(function (command, index) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = toolbarLabels[index] || command[0];
        button.setAttribute("data-command", command[0]);
        // Keep the selection in the editor when the button is pressed.
        button.addEventListener("mousedown", function (event) { event.preventDefault(); });
        button.addEventListener("click", function () {
          editor.focus();
          document.execCommand(command[0], false, command[1]);
          touched[area.name] = true;
          changed();
        });
        toolbar.appendChild(button);
      });
      area.hidden = true;
      area.parentNode.insertBefore(toolbar, area);
      area.parentNode.insertBefore(editor, area);
      editor.addEventListener("input", function () { touched[area.name] = true; changed(); });
      editors.push({ area: area, editor: editor });
    });
    if (!editors.length) { return; }

    function mirror() {
      editors.forEach(function (pair) {
        var text = pair.editor.textContent.replace(/\s+/g, "");
        pair.area.value = text ? pair.editor.innerHTML : "";
      });
    }

    function current(onlyTouched) {
      var sections = {};
      editors.forEach(function (pair) {
        if (!onlyTouched || touched[pair.area.name]) { sections[pair.area.name] = pair.area.value; }
      });
      return sections;
    }

    function stashKey(revision) { return STASH_PREFIX + reportId + ":" + revision; }

    function stash() {
      if (!store) { return; }
      try {
        // Only the sections typed in here: restoring never overwrites what others saved in the rest.
        store.setItem(stashKey(revisionInput.value), JSON.stringify({ at: Date.now(), sections: current(true) }));
      } catch (error) { /* storage full or disabled: the server copy still counts */ }
    }

    function forget(revision) {
      if (store) { try { store.removeItem(stashKey(revision)); } catch (error) { /* ignore */ } }
    }

    function show(text, kind) {
      if (!status) { return; }
      status.textContent = text;
      status.className = "autosave-status " + (kind || "muted");
    }

    function schedule(delay) {
      if (stopped || timer) { return; }
      timer = window.setTimeout(function () { timer = null; save(false); }, delay || AUTOSAVE_DELAY);
    }

    function changed() {
      mirror();
      dirty = true;
      stash();
      schedule();
    }

    function finishPendingSubmit() {
      if (!submitAfterSave) { return; }
      var submitter = submitAfterSave;
      submitAfterSave = null;
      if (form.requestSubmit) { form.requestSubmit(submitter.name ? submitter : undefined); } else { form.submit(); }
    }

    function save(leaving) {
      if (stopped || !dirty) { return; }
      if (saving) { schedule(); return; }
      mirror();
      var sentRevision = revisionInput.value;
      var body = new FormData(form);
      var options = {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfInput ? csrfInput.value : "", Accept: "application/json" },
      };
      saving = true;
      dirty = false;
      show(form.getAttribute("data-label-saving"));
      var request;
      try {
        request = window.fetch(url, leaving ? Object.assign({ keepalive: true }, options) : options);
      } catch (error) {
        // keepalive refuses bodies over 64 KB: send normally (the stash keeps the text either way).
        request = window.fetch(url, options);
      }
      request.then(function (response) {
        return response.json().then(
          function (data) { return { ok: response.ok, code: response.status, data: data }; },
          function () { return { ok: false, code: response.status, data: {} }; }
        );
      }).then(function (result) {
        saving = false;
        if (result.ok) {
          revisionInput.value = String(result.data.revision);
          forget(sentRevision);
          if (dirty) { stash(); schedule(); }
          form.setAttribute("data-edited-at", String(Date.now()));
          show(form.getAttribute("data-label-saved") + " " + result.data.saved_at, "saved");
          finishPendingSubmit();
        } else if (result.code >= 400 && result.code < 500) {
          // Stale page (someone else saved), a submitted report, or no permission: stop and keep the text.
          stopped = true;
          dirty = true;
          stash();
          show((result.data.error ? result.data.error + " " : "") + form.getAttribute("data-label-stopped"), "alert error");
          submitAfterSave = null;
        } else {
          dirty = true;
          show(form.getAttribute("data-label-failed"), "alert error");
          schedule(RETRY_DELAY);
          submitAfterSave = null;
        }
      }).catch(function () {
        saving = false;
        dirty = true;
        show(form.getAttribute("data-label-failed"), "alert error");
        schedule(RETRY_DELAY);
        submitAfterSave = null;
      });
    }

    form.addEventListener("submit", function (event) {
      mirror();
      stash();
      if (saving) {
        // Wait for the autosave in flight: it changes the revision the form must carry.
        event.preventDefault();
        submitAfterSave = event.submitter || {};
        return;
      }
      stopped = true;
      if (timer) { window.clearTimeout(timer); timer = null; }
    });

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { save(true); }
    });
    window.addEventListener("pagehide", function () { save(true); });

    offerRestore();

    function offerRestore() {
      if (!store) { return; }
      var editedAt = Number(form.getAttribute("data-edited-at") || 0);
      var prefix = STASH_PREFIX + reportId + ":";
      var newest = null;
      var stale = [];
      for (var index = 0; index < store.length; index += 1) {
        var key = store.key(index);
        if (!key || key.indexOf(prefix) !== 0) { continue; }
        var entry = null;
        try { entry = JSON.parse(store.getItem(key)); } catch (error) { entry = null; }
        if (!entry || !entry.sections || entry.at <= editedAt) { stale.push(key); continue; }
        if (!newest || entry.at > newest.at) { newest = entry; }
      }
      stale.forEach(function (key) { store.removeItem(key); });
      if (!newest) { return; }
      mirror();
      var saved = current();
      var differs = Object.keys(newest.sections).some(function (name) {
        return name in saved && clean(newest.sections[name]) !== clean(saved[name]);
      });
      if (!differs) { return; }
      var banner = document.createElement("div");
      banner.className = "alert restore-draft";
      banner.setAttribute("role", "alert");
      var text = document.createElement("p");
      text.textContent = form.getAttribute("data-label-restore");
      var yes = document.createElement("button");
      yes.type = "button";
      yes.className = "primary";
      yes.textContent = form.getAttribute("data-label-restore-yes");
      var no = document.createElement("button");
      no.type = "button";
      no.textContent = form.getAttribute("data-label-restore-no");
      var actions = document.createElement("p");
      actions.className = "actions";
      actions.appendChild(yes);
      actions.appendChild(no);
      banner.appendChild(text);
      banner.appendChild(actions);
      form.insertBefore(banner, form.firstChild);
      yes.addEventListener("click", function () {
        editors.forEach(function (pair) {
          if (pair.area.name in newest.sections) {
            pair.editor.innerHTML = clean(newest.sections[pair.area.name]);
            touched[pair.area.name] = true;
          }
        });
        banner.parentNode.removeChild(banner);
        changed();
      });
      no.addEventListener("click", function () {
        banner.parentNode.removeChild(banner);
        Object.keys(store).forEach(function (key) { if (key.indexOf(prefix) === 0) { store.removeItem(key); } });
      });
    }
  }

  // The self-assessment page: filter the listed duty records as one types (the 筛选 button filters on the server).
  function setUpRecordFilter(input) {
    var items = document.querySelectorAll("[data-record-text]");
    input.addEventListener("input", function () {
      var query = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(items, function (item) {
        var text = (item.getAttribute("data-record-text") || "").toLowerCase();
        item.hidden = Boolean(query) && text.indexOf(query) === -1;
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave-url]"), setUpReport);
    Array.prototype.forEach.call(document.querySelectorAll("[data-record-filter]"), setUpRecordFilter);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
