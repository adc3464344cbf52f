// Drop zones for images: drag and drop, paste, or the file picker, with a preview and a
// Remove button per file. Two ways to send them:
// - with `data-upload-url` (a subject's page), each file goes in its own request, with
//   its own progress bar and its own answer;
// - otherwise the files stay in the zone's file input and go with the form (a new
//   subject, the composer's reference images and frames); the form's request shows
//   its progress on them.
// Without this script the same form posts the plain file input.
(function () {
  "use strict";

  var IMAGE_TYPES = /^image\/(png|jpeg|webp)$/;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  function formatSize(bytes) {
    if (bytes < 1024 * 1024) return Math.max(1, Math.round(bytes / 1024)) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // While a file is on its way, leaving the page would lose it: studio.js asks first.
  function busy(node, on) {
    if (on) node.setAttribute("data-uploading", "");
    else node.removeAttribute("data-uploading");
  }

  function setUp(zone) {
    var form = zone.closest("form");
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector("[data-upload-list]");
    var sendsEach = !!zone.dataset.uploadUrl;
    var single = !input.multiple;
    var most = parseInt(zone.dataset.maxFiles || "0", 10);
    var entries = [];   // {file, item, progress}
    var running = false;

    zone.setAttribute("data-enhanced", "");
    zone.studioDropzone = { add: addFiles, clear: clear, entries: function () { return entries; } };
    if (sendsEach) {
      form.classList.add("js-uploads");
      input.removeAttribute("name"); // this script sends the files; the form only its fields
    }

    function item(entry) {
      var file = entry.file;
      var li = element("li", "upload-item waiting");
      var name = element("span", "upload-name", file.name);
      var size = element("span", "upload-size muted small", formatSize(file.size));
      var progress = element("progress", "upload-progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", "Upload progress of " + file.name);
      var remove = element("button", "link-button small upload-remove", "Remove");
      remove.type = "button";
      remove.setAttribute("aria-label", "Remove " + file.name);
      remove.addEventListener("click", function () { removeEntry(entry); });
      if (IMAGE_TYPES.test(file.type)) {
        // A preview from the file itself; the server still checks what it really is.
        var preview = element("img", "upload-preview");
        preview.alt = "";
        preview.src = URL.createObjectURL(file);
        preview.addEventListener("error", function () { preview.remove(); li.classList.remove("with-preview"); });
        li.classList.add("with-preview");
        li.append(preview);
      }
      li.append(name, size, progress, remove);
      entry.item = li;
      entry.progress = progress;
      return li;
    }

    // The files the form will send are the input's own: kept in step with the list.
    function syncInput() {
      if (sendsEach) return;
      var transfer = new DataTransfer();
      entries.forEach(function (entry) { transfer.items.add(entry.file); });
      input.files = transfer.files;
      zone.classList.toggle("has-files", entries.length > 0);
      // The composer counts files for its live budget; `input`, not `change`, so this
      // zone does not take its own files again.
      input.dispatchEvent(new Event("input", { bubbles: true }));
      zone.dispatchEvent(new CustomEvent("dropzone-change", { bubbles: true, detail: { count: entries.length } }));
    }

    function removeEntry(entry) {
      entries = entries.filter(function (other) { return other !== entry; });
      entry.item.remove();
      syncInput();
    }

    function clear() {
      entries.forEach(function (entry) { entry.item.remove(); });
      entries = [];
      list.querySelectorAll(".upload-item.rejected").forEach(function (li) { li.remove(); });
      syncInput();
    }

    function addFiles(files) {
      files = Array.prototype.slice.call(files);
      if (!files.length) return;
      if (single) {
        clear();
        files = files.slice(0, 1);
      }
      // Refusals from an earlier try are about files no longer chosen.
      list.querySelectorAll(".upload-item.rejected").forEach(function (li) { li.remove(); });
      files.forEach(function (file) {
        if (!sendsEach && entries.some(function (e) { return e.file.name === file.name && e.file.size === file.size; })) return;
        var entry = { file: file };
        list.append(item(entry));
        entries.push(entry);
      });
      if (most && !sendsEach && entries.length > most) {
        entries.slice(most).forEach(function (entry) {
          mark(entry, "rejected", "At most " + most + " here: this one will not be sent.");
          var remove = entry.item.querySelector(".upload-remove");
          if (remove) remove.remove();
        });
        entries = entries.slice(0, most);
      }
      if (sendsEach) uploadAll();
      else syncInput();
    }

    function mark(entry, state, message) {
      entry.item.classList.remove("waiting", "uploading", "done", "rejected");
      entry.item.classList.add(state);
      var old = entry.item.querySelector(".upload-message");
      if (old) old.remove();
      if (state !== "waiting") {
        var remove = entry.item.querySelector(".upload-remove");
        if (remove && state === "done") remove.remove();
      }
      if (message) {
        var note = element("p", "upload-message", message);
        if (state === "rejected") note.setAttribute("role", "alert");
        entry.item.append(note);
      }
    }

    // --- each file on its own (the subject page) ---------------------------------------

    function uploadOne(entry) {
      return new Promise(function (resolve) {
        var xhr = new XMLHttpRequest();
        mark(entry, "uploading");
        xhr.open("POST", zone.dataset.uploadUrl);
        xhr.setRequestHeader("X-CSRFToken", csrfToken());
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) entry.progress.value = (event.loaded / event.total) * 100;
        });
        xhr.addEventListener("load", function () {
          entry.progress.value = 100;
          var answer = null;
          try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
          if (xhr.status === 200 && answer && answer.rejected.length) {
            mark(entry, "rejected", answer.rejected[0].message);
          } else if (xhr.status === 200 && answer) {
            mark(entry, "done", "Added");
          } else if (xhr.status === 403) {
            mark(entry, "rejected", "You may look at this library but not add images to it.");
          } else if (xhr.status === 413) {
            mark(entry, "rejected", "The file is too large; images can be at most 50 MB.");
          } else {
            mark(entry, "rejected", "The upload failed (" + xhr.status + "). Try again.");
          }
          var remove = entry.item.querySelector(".upload-remove");
          if (remove) remove.remove();
          resolve(entry.item.classList.contains("done"));
        });
        xhr.addEventListener("error", function () {
          mark(entry, "rejected", "The connection dropped before the file arrived. Try again.");
          resolve(false);
        });
        var data = new FormData();
        data.append("images", entry.file, entry.file.name);
        xhr.send(data);
      });
    }

    // One file at a time: each bar moves in turn and the subject's 3-image cap is
    // applied in the order the files were dropped.
    function uploadAll() {
      if (running) return;
      running = true;
      busy(zone, true);
      function next() {
        var entry = entries.shift();
        if (!entry) {
          running = false;
          busy(zone, false);
          if (zone.dataset.refreshUrl && window.htmx) {
            htmx.ajax("GET", zone.dataset.refreshUrl, { target: "#subject-images", swap: "outerHTML" });
          }
          return;
        }
        uploadOne(entry).then(next);
      }
      next();
    }

    // --- the files go with the form ----------------------------------------------------

    if (!sendsEach && form) {
      form.addEventListener("htmx:xhr:loadstart", function () {
        entries.forEach(function (entry) { mark(entry, "uploading"); entry.progress.value = 0; });
      });
      form.addEventListener("htmx:xhr:progress", function (event) {
        var detail = event.detail;
        if (!detail.lengthComputable || !detail.total) return;
        var percent = (detail.loaded / detail.total) * 100;
        entries.forEach(function (entry) { entry.progress.value = percent; });
      });
      form.addEventListener("htmx:afterRequest", function () {
        entries.forEach(function (entry) {
          if (entry.item.classList.contains("uploading")) mark(entry, "waiting");
        });
      });
      // Nothing was saved: say which files were refused; the others stay chosen.
      form.addEventListener("uploads-refused", function (event) {
        showRefusals(event.detail.value || event.detail);
      });
      // A new subject saved with some files refused: which, and the way on.
      form.addEventListener("subject-saved", function (event) {
        var detail = event.detail.value || event.detail;
        showRefusals(detail.rejected || []);
        entries.forEach(function (entry) { mark(entry, "done", "Added"); });
        zone.querySelectorAll(".upload-remove").forEach(function (button) { button.remove(); });
        input.disabled = true;
        form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
        var actions = form.querySelector(".form-actions");
        actions.replaceChildren();
        var open = element("a", "button primary", "Open the subject");
        open.href = detail.url;
        actions.append(element("p", "muted small grow", "Saved. Files marked in red were not added."));
        if (detail.next) {
          var back = element("a", "button", "Back to the project");
          back.href = detail.next;
          actions.append(back);
        }
        actions.append(open);
        open.focus();
      });
    }

    // A refused file leaves what the form sends (its note stays until files are added).
    function showRefusals(refused) {
      refused.forEach(function (refusal) {
        var entry = entries.filter(function (e) { return e.file.name === refusal.name; })[0];
        if (!entry) return;
        mark(entry, "rejected", refusal.message);
        var remove = entry.item.querySelector(".upload-remove");
        if (remove) remove.remove();
        entries = entries.filter(function (other) { return other !== entry; });
      });
      syncInput();
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      if (sendsEach) input.value = "";
      addFiles(files);
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
    });
    zone.addEventListener("focusin", function () { lastZone = zone; });
    zone.addEventListener("pointerenter", function () { lastZone = zone; });
  }

  // --- paste: into the zone in use, or the first one of the form being typed in -----------
  var lastZone = null;

  function visible(node) { return !!(node && node.isConnected && node.offsetParent !== null); }

  function zoneFor(target) {
    var own = target.closest && target.closest("[data-dropzone][data-enhanced]");
    if (own) return own;
    var form = target.closest && target.closest("form");
    var zones = Array.prototype.slice.call((form || document).querySelectorAll("[data-dropzone][data-enhanced]")).filter(visible);
    if (form && zones.length) {
      // The first zone still waiting for a file (a start frame before the end frame).
      var empty = zones.filter(function (z) { return !z.classList.contains("has-files"); });
      return (empty[0] || zones[0]);
    }
    if (visible(lastZone)) return lastZone;
    zones = Array.prototype.slice.call(document.querySelectorAll("[data-dropzone][data-enhanced]")).filter(visible);
    return zones.length === 1 ? zones[0] : null;
  }

  document.addEventListener("paste", function (event) {
    var files = event.clipboardData ? Array.prototype.filter.call(event.clipboardData.files, function (file) {
      return /^image\//.test(file.type);
    }) : [];
    if (!files.length) return;
    var zone = zoneFor(event.target);
    if (!zone || !zone.studioDropzone) return;
    event.preventDefault();
    zone.studioDropzone.add(files);
  });

  // A form whose request carries files is an upload in flight until its answer is in.
  function hasFiles(form) {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.name && input.files && input.files.length > 0;
    });
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.tagName === "FORM" && event.detail.requestConfig.verb === "post" && hasFiles(elt)) {
      busy(elt, true);
    }
  });
  ["htmx:beforeOnLoad", "htmx:sendError", "htmx:timeout", "htmx:sendAbort"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var elt = event.detail.elt;
      if (elt && elt.tagName === "FORM") busy(elt, false);
    });
  });

  function setUpAll(root) {
    root.querySelectorAll("[data-dropzone]:not([data-enhanced])").forEach(setUp);
    if (root.matches && root.matches("[data-dropzone]:not([data-enhanced])")) setUp(root);
  }

  // Quick edit: Enter saves (browsers do it for single-line fields; the description
  // does it too, Shift+Enter makes a new line) and Escape cancels.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    var form = field.closest && field.closest(".quick-edit");
    if (!form) return;
    if (event.key === "Enter" && !event.shiftKey && field.matches("textarea")) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "Escape") {
      event.preventDefault();
      form.querySelector("[data-cancel]").click();
    }
  });

  window.studioDropzones = { setUpAll: setUpAll };
  document.addEventListener("DOMContentLoaded", function () { setUpAll(document); });
  document.addEventListener("htmx:load", function (event) { setUpAll(event.target); });
})();
