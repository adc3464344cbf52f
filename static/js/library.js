// Reference image uploads: drag-and-drop or the file picker, several files at once, each
// sent in its own request so it gets its own progress bar and its own answer. Without
// this script the same form posts all files at once and the page lists any refusals.
(function () {
  "use strict";

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

  function setUp(zone) {
    var form = zone.closest("form");
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector("[data-upload-list]");
    var pending = [];
    var busy = false;

    zone.setAttribute("data-enhanced", "");
    form.classList.add("js-uploads");
    // From now on this script sends the files; the form itself posts only its fields.
    input.removeAttribute("name");

    function addFiles(files) {
      Array.prototype.forEach.call(files, function (file) {
        var item = element("li", "upload-item waiting");
        var name = element("span", "upload-name", file.name);
        var size = element("span", "upload-size muted small", formatSize(file.size));
        var progress = element("progress", "upload-progress");
        progress.max = 100;
        progress.value = 0;
        progress.setAttribute("aria-label", "Upload progress of " + file.name);
        var remove = element("button", "link-button small upload-remove", "Remove");
        remove.type = "button";
        remove.setAttribute("aria-label", "Remove " + file.name);
        var entry = { file: file, item: item, progress: progress };
        remove.addEventListener("click", function () {
          pending = pending.filter(function (other) { return other !== entry; });
          item.remove();
        });
        if (/^image\/(png|jpeg|webp)$/.test(file.type)) {
          // A preview from the file itself; the server still checks what it really is.
          var preview = element("img", "upload-preview");
          preview.alt = "";
          preview.src = URL.createObjectURL(file);
          preview.addEventListener("error", function () { preview.remove(); item.classList.remove("with-preview"); });
          item.classList.add("with-preview");
          item.append(preview);
        }
        item.append(name, size, progress, remove);
        list.append(item);
        pending.push(entry);
      });
      if (zone.dataset.uploadUrl) uploadAll();
    }

    function finish(entry, state, message) {
      entry.item.classList.remove("waiting", "uploading");
      entry.item.classList.add(state);
      var remove = entry.item.querySelector(".upload-remove");
      if (remove) remove.remove();
      var note = element("p", "upload-message", message);
      if (state === "rejected") note.setAttribute("role", "alert");
      entry.item.append(note);
    }

    function uploadOne(entry) {
      return new Promise(function (resolve) {
        var xhr = new XMLHttpRequest();
        entry.item.classList.remove("waiting");
        entry.item.classList.add("uploading");
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
            finish(entry, "rejected", answer.rejected[0].message);
          } else if (xhr.status === 200 && answer) {
            finish(entry, "done", "Added");
          } else if (xhr.status === 403) {
            finish(entry, "rejected", "You may look at this library but not add images to it.");
          } else if (xhr.status === 413) {
            finish(entry, "rejected", "The file is too large; images can be at most 50 MB.");
          } else {
            finish(entry, "rejected", "The upload failed (" + xhr.status + "). Try again.");
          }
          resolve(entry.item.classList.contains("done"));
        });
        xhr.addEventListener("error", function () {
          finish(entry, "rejected", "The connection dropped before the file arrived. Try again.");
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
      if (busy) return Promise.resolve();
      busy = true;
      var results = [];
      function next() {
        var entry = pending.shift();
        if (!entry) {
          busy = false;
          return Promise.resolve(results);
        }
        return uploadOne(entry).then(function (ok) { results.push(ok); return next(); });
      }
      return next().then(function (done) {
        if (zone.dataset.refreshUrl && window.htmx) {
          htmx.ajax("GET", zone.dataset.refreshUrl, { target: "#subject-images", swap: "outerHTML" });
        }
        zone.dispatchEvent(new CustomEvent("uploads-finished", { bubbles: true, detail: done }));
        return done;
      });
    }

    input.addEventListener("change", function () {
      addFiles(input.files);
      input.value = "";
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

    // New subject: the fields are saved first (htmx), then the picked files follow.
    form.addEventListener("subject-created", function (event) {
      var detail = event.detail;
      zone.dataset.uploadUrl = detail.uploadUrl;
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      if (!pending.length) {
        window.location.assign(detail.url);
        return;
      }
      uploadAll().then(function (results) {
        if (results.every(Boolean)) {
          window.location.assign(detail.url);
          return;
        }
        var actions = form.querySelector(".form-actions");
        actions.replaceChildren();
        var open = element("a", "button primary", "Open the subject");
        open.href = detail.url;
        actions.append(element("p", "muted small grow", "Saved. Files marked in red were not added."), open);
        open.focus();
      });
    });
  }

  function setUpAll(root) {
    root.querySelectorAll("[data-dropzone]:not([data-enhanced])").forEach(setUp);
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

  document.addEventListener("DOMContentLoaded", function () { setUpAll(document); });
  document.addEventListener("htmx:load", function (event) { setUpAll(event.target); });
})();
