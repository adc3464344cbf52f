// The gallery's lightbox and compare tray. Cards open at full size; ← → move between
// them, Esc closes, S stars, 1–5 rate (editors only: the buttons exist only for them).
// In the gallery a click on a card (its links included) opens it here; Shift-click
// selects it for comparing.
(function () {
  function gallery() { return document.querySelector("[data-gallery]"); }
  function dialog() { return document.getElementById("lightbox"); }
  var current = null;

  function cards() {
    var root = gallery();
    return root ? Array.prototype.slice.call(root.querySelectorAll("#gallery-grid article[data-generation]")) : [];
  }

  function open(id) {
    var root = gallery(), box = dialog();
    if (!root || !box) return;
    current = String(id);
    var url = root.getAttribute("data-lightbox-url").replace(/\/0\/$/, "/" + current + "/");
    htmx.ajax("GET", url, { target: "#lightbox-body", swap: "innerHTML" });
    if (!box.open) box.showModal();
  }

  function step(delta) {
    var list = cards();
    var index = list.findIndex(function (card) { return card.getAttribute("data-generation") === current; });
    var next = list[index + delta];
    if (next) {
      open(next.getAttribute("data-generation"));
      next.scrollIntoView({ block: "nearest" });
    }
  }

  function close() {
    var box = dialog();
    if (box && box.open) box.close();
  }

  // --- compare selection (kept per project for this tab) -----------------------------------
  function storageKey() { var root = gallery(); return "studio-compare-" + (root ? root.getAttribute("data-project") : ""); }
  function selection() {
    try { return JSON.parse(sessionStorage.getItem(storageKey()) || "[]"); } catch (e) { return []; }
  }
  function saveSelection(ids) {
    try { sessionStorage.setItem(storageKey(), JSON.stringify(ids)); } catch (e) {}
    paintSelection();
  }
  function toggleSelected(id) {
    var ids = selection();
    var at = ids.indexOf(String(id));
    if (at >= 0) ids.splice(at, 1); else ids.push(String(id));
    saveSelection(ids.slice(-6));
  }
  function paintSelection() {
    var ids = selection();
    cards().forEach(function (card) {
      card.classList.toggle("is-selected", ids.indexOf(card.getAttribute("data-generation")) >= 0);
    });
    document.querySelectorAll("[data-compare-toggle]").forEach(function (button) {
      var on = ids.indexOf(button.getAttribute("data-compare-toggle")) >= 0;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "In compare ✓" : "Add to compare";
    });
    var tray = document.querySelector("[data-compare-tray]");
    if (tray) {
      tray.hidden = ids.length === 0;
      tray.querySelector("[data-compare-count]").textContent = ids.length + " selected";
      tray.querySelector("[data-compare-open]").disabled = ids.length < 2;
    }
  }
  function openCompare() {
    var root = gallery(), box = dialog();
    var ids = selection();
    if (!root || ids.length < 2) return;
    current = null;
    var query = ids.map(function (id) { return "ids=" + encodeURIComponent(id); }).join("&");
    htmx.ajax("GET", root.getAttribute("data-compare-url") + "?" + query, { target: "#lightbox-body", swap: "innerHTML" });
    if (!box.open) box.showModal();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-lightbox-close]")) return close();
    if (target.closest("[data-lightbox-prev]")) return step(-1);
    if (target.closest("[data-lightbox-next]")) return step(1);
    var toggle = target.closest("[data-compare-toggle]");
    if (toggle) return toggleSelected(toggle.getAttribute("data-compare-toggle"));
    if (target.closest("[data-compare-open]")) return openCompare();
    if (target.closest("[data-compare-clear]")) return saveSelection([]);
    var box = dialog();
    if (box && target === box) return close(); // a click on the backdrop
    var card = target.closest("#gallery-grid article[data-generation]");
    if (!card || target.closest("button, input, select, textarea, label, form, a[download]")) return;
    // Ctrl/⌘-click keeps the link's own meaning (the generation's page, in a new tab).
    if (event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    if (event.shiftKey) toggleSelected(card.getAttribute("data-generation"));
    else open(card.getAttribute("data-generation"));
  });

  document.addEventListener("keydown", function (event) {
    var box = dialog();
    var typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
    if (!box || !box.open) {
      var card = event.target.closest && event.target.closest("#gallery-grid article[data-generation]");
      if (card && event.key === "Enter") open(card.getAttribute("data-generation"));
      return;
    }
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowRight") { event.preventDefault(); step(1); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); step(-1); }
    else if (event.key === "s" || event.key === "S") {
      var star = box.querySelector("[data-review-star]");
      if (star) { event.preventDefault(); star.click(); }
    } else if (/^[1-5]$/.test(event.key)) {
      var rate = box.querySelector('[data-review-rate="' + event.key + '"]');
      if (rate) { event.preventDefault(); rate.click(); }
    }
    // Esc: the <dialog> closes itself.
  });

  document.addEventListener("close", function (event) {
    if (event.target !== dialog()) return;
    document.getElementById("lightbox-body").innerHTML = ""; // stops any video
    var card = current && document.getElementById("generation-" + current);
    if (card) card.focus();
  }, true);

  document.addEventListener("input", function (event) {
    var range = event.target.closest("[data-compare-range]");
    if (range) range.closest(".cmp-slider").style.setProperty("--pos", range.value + "%");
  });

  // Filters apply as they change (the button remains for typing and for no JavaScript).
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-auto-submit]");
    if (form && event.target.type !== "search" && event.target.type !== "text") form.requestSubmit();
  });

  document.addEventListener("htmx:afterSettle", paintSelection);
  document.addEventListener("DOMContentLoaded", paintSelection);
})();
