// The gallery's grid: pictures in justified rows at a chosen size, selection with bulk
// actions, and filters that follow Back and Forward. The lightbox and compare are
// lightbox.js's (window.studioLightbox).
(function () {
  function gallery() { return document.querySelector("[data-gallery]"); }
  function grid() { return document.getElementById("gallery-grid"); }
  function cards() {
    var root = grid();
    return root ? Array.prototype.slice.call(root.querySelectorAll("article[data-generation]")) : [];
  }

  // --- thumbnail size: a row height, remembered (one for phones, one for wider screens) -----
  var narrow = window.matchMedia("(max-width: 700px)");
  function sizeKey() { return narrow.matches ? "studio-thumb-size-narrow" : "studio-thumb-size"; }
  function currentSize() {
    var saved = null;
    try { saved = parseInt(localStorage.getItem(sizeKey()), 10); } catch (e) {}
    return saved >= 64 && saved <= 640 ? saved : (narrow.matches ? 120 : 220);
  }
  function applySize(px) {
    document.documentElement.style.setProperty("--thumb", px + "px");
    document.querySelectorAll("[data-thumb-size]").forEach(function (range) { range.value = px; });
  }

  // Each card is as wide as its picture's shape at the row's height; the rows then
  // stretch to the full width (gallery.css). The shape comes from the media's own
  // width and height attributes; a card with no picture yet is square. It is a rule
  // for the card's id in a stylesheet of our own, not a style attribute: cards are
  // swapped by id, and htmx copies an old card's attributes while it settles the new one
  // (a style attribute that the Content-Security-Policy refuses).
  var shapes = new Map();
  var shapeSheet = null;
  var pending = false;
  function shape(card) {
    var media = card.querySelector(".generation-media img, .generation-media video");
    var w = media ? parseFloat(media.getAttribute("width")) : 0;
    var h = media ? parseFloat(media.getAttribute("height")) : 0;
    var ratio = (w > 0 && h > 0 ? Math.max(0.4, Math.min(2.6, w / h)) : 1).toFixed(4);
    if (!card.id || shapes.get(card.id) === ratio) return;
    shapes.set(card.id, ratio);
    // Once for all the cards of one swap, and before the page is painted.
    if (!pending) { pending = true; window.queueMicrotask(writeShapes); }
  }
  function writeShapes() {
    pending = false;
    if (!shapeSheet) {
      shapeSheet = new CSSStyleSheet();
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([shapeSheet]);
    }
    var rules = [];
    shapes.forEach(function (ratio, id) { rules.push("#" + CSS.escape(id) + "{--r:" + ratio + "}"); });
    shapeSheet.replaceSync(rules.join("\n"));
  }

  // --- selection ---------------------------------------------------------------------------
  var selected = new Set();
  var anchor = null;

  function selecting() { var root = gallery(); return !!root && root.hasAttribute("data-selecting"); }
  function setSelecting(on) {
    var root = gallery();
    if (!root) return;
    root.toggleAttribute("data-selecting", on);
    if (!on) { selected.clear(); anchor = null; }
    paintSelection();
  }
  function toggle(card, on) {
    var id = card.getAttribute("data-generation");
    if (on === undefined) on = !selected.has(id);
    if (on) selected.add(id); else selected.delete(id);
  }
  function selectRange(card) {
    var list = cards();
    var from = list.findIndex(function (c) { return c.getAttribute("data-generation") === anchor; });
    var to = list.indexOf(card);
    if (from < 0) { toggle(card, true); return; }
    list.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (c) { toggle(c, true); });
  }
  function choose(card, shift) {
    if (!selecting()) setSelecting(true);
    if (shift && anchor) selectRange(card); else toggle(card);
    anchor = card.getAttribute("data-generation");
    paintSelection();
  }

  function paintSelection() {
    var root = gallery();
    if (!root) return;
    var present = new Set();
    cards().forEach(function (card) {
      var id = card.getAttribute("data-generation");
      present.add(id);
      var on = selected.has(id);
      card.classList.toggle("is-selected", on);
    });
    selected.forEach(function (id) { if (!present.has(id)) selected.delete(id); });
    var ids = Array.from(selected);
    var toggleButton = root.querySelector("[data-select-toggle]");
    if (toggleButton) toggleButton.setAttribute("aria-pressed", selecting() ? "true" : "false");
    var bar = root.querySelector("[data-bulk-bar]");
    if (!bar) return;
    bar.hidden = !selecting();
    bar.querySelector("[data-bulk-count]").textContent = ids.length + " selected";
    var holder = bar.querySelector("[data-bulk-ids]");
    holder.replaceChildren.apply(holder, ids.map(function (id) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "ids"; input.value = id;
      return input;
    }));
    var zip = bar.querySelector("[data-bulk-zip]");
    var query = ids.map(function (id) { return "ids=" + encodeURIComponent(id); }).join("&");
    zip.setAttribute("href", root.getAttribute("data-download-url") + "?" + query);
    bar.querySelectorAll("button[name=action], [data-bulk-compare], [data-bulk-zip], .bulk-tag summary").forEach(function (el) {
      if (ids.length) el.removeAttribute("aria-disabled"); else el.setAttribute("aria-disabled", "true");
      if (el.tagName === "BUTTON") el.disabled = ids.length === 0;
    });
  }

  // The server answers a bulk action with the cards as they are now (the socket pushes
  // them too) and the ids it deleted.
  function applyBulkReply(status) {
    var cardsTemplate = status.querySelector("template[data-bulk-cards]");
    if (cardsTemplate) {
      Array.prototype.slice.call(cardsTemplate.content.querySelectorAll("article[data-generation]")).forEach(function (fresh) {
        var old = document.getElementById(fresh.id);
        if (!old) return;
        old.replaceWith(fresh);
        htmx.process(fresh);
      });
      cardsTemplate.remove();
    }
    var removed = status.querySelector("template[data-bulk-removed]");
    if (removed) {
      (removed.getAttribute("data-ids") || "").split(" ").forEach(function (id) {
        var card = id && document.getElementById("generation-" + id);
        if (card) card.remove();
        selected.delete(id);
      });
      removed.remove();
    }
    var details = document.querySelector(".bulk-tag[open]");
    if (details) details.removeAttribute("open");
    paintSelection();
  }

  // --- filters: in the URL, and back in the form after Back/Forward -----------------------
  function readFiltersFromURL() {
    var form = document.querySelector("[data-filter-form]");
    if (!form) return;
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name) return;
      if (field.type === "checkbox") field.checked = params.getAll(field.name).indexOf(field.value) >= 0;
      else if (field.tagName === "SELECT" || field.tagName === "INPUT" && field.type !== "submit") {
        field.value = params.get(field.name) || "";
      }
    });
    var more = form.querySelector(".filter-more");
    if (more) {
      more.toggleAttribute("data-active", Array.prototype.some.call(more.querySelectorAll("[name]"), function (field) { return !!field.value; }));
    }
  }

  // Clean URLs: only the filters in use (`?mode=text_to_video`, not every empty field).
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.matches || !event.detail.elt.matches("[data-filter-form]")) return;
    var params = event.detail.parameters;
    Array.from(params.keys ? params.keys() : Object.keys(params)).forEach(function (name) {
      var value = params.get ? params.get(name) : params[name];
      if (value === "" || value === null) {
        if (params.delete) params.delete(name); else delete params[name];
      }
    });
  });

  // Back, Back, Forward in quick succession: each asks the server for its page; an
  // answer for a page already left must not replace the one now shown.
  document.addEventListener("htmx:historyCacheMissLoad", function (event) {
    var detail = event.detail;
    if (detail.path !== window.location.pathname + window.location.search) {
      detail.historyElt = document.createElement("div");
    }
  });

  var focusedFilter = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-filter-form]");
    focusedFilter = form && document.activeElement && form.contains(document.activeElement) ? document.activeElement.name : null;
  });

  // --- events ------------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-select-toggle]")) return setSelecting(!selecting());
    if (target.closest("[data-select-done]")) return setSelecting(false);
    if (target.closest("[data-select-all]")) {
      cards().forEach(function (card) { toggle(card, true); });
      return paintSelection();
    }
    if (target.closest("[data-bulk-compare]")) {
      if (selected.size && window.studioLightbox) window.studioLightbox.addToCompare(Array.from(selected));
      return;
    }
    if (target.closest(".bulk-tag summary[aria-disabled]")) { event.preventDefault(); return; }
    var zip = target.closest("[data-bulk-zip]");
    if (zip && !selected.size) { event.preventDefault(); return; }
    var remove = target.closest("[data-bulk-delete]");
    if (remove) {
      var count = selected.size;
      var question = "Delete " + count + " result" + (count === 1 ? "" : "s") + " and their files? This cannot be undone.";
      if (!count || !window.confirm(question)) event.preventDefault();
      return;
    }
    var card = target.closest("#gallery-grid article[data-generation]");
    if (!card || target.closest("button, input, select, textarea, label, form, a[download]")) return;
    // Ctrl/⌘-click keeps the link's own meaning (the generation's page, in a new tab).
    if (event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    if (selecting() || event.shiftKey) choose(card, event.shiftKey);
    else if (window.studioLightbox) window.studioLightbox.open(card.getAttribute("data-generation"));
  });

  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("lightbox");
    if (box && box.open) return;
    var card = event.target.closest && event.target.closest("#gallery-grid article[data-generation]");
    if (card && event.key === " " && selecting()) {
      event.preventDefault();
      choose(card, event.shiftKey);
    } else if (event.key === "Escape" && selecting()) {
      setSelecting(false);
    } else if ((event.key === "a" || event.key === "A") && (event.ctrlKey || event.metaKey) && selecting()
               && !(event.target.closest && event.target.closest("input, textarea, select"))) {
      event.preventDefault();
      cards().forEach(function (c) { toggle(c, true); });
      paintSelection();
    }
  });

  // Filters apply as they change (the button remains for typing and for no JavaScript).
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-auto-submit]");
    if (form && event.target.type !== "search" && event.target.type !== "text") form.requestSubmit();
  });

  document.addEventListener("input", function (event) {
    var range = event.target.closest("[data-thumb-size]");
    if (!range) return;
    applySize(range.value);
    try { localStorage.setItem(sizeKey(), range.value); } catch (e) {}
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.matches && event.detail.target.matches("[data-bulk-status]")) applyBulkReply(event.detail.target);
  });

  // New content (the first load, a filter's swap, a page of cards, a pushed card).
  function prepare(root) {
    applySize(currentSize());
    // Filters apply as they change: the Filter button is for pages without this script.
    document.querySelectorAll("[data-filter-form]").forEach(function (form) { form.setAttribute("data-enhanced", ""); });
    if (root.matches && root.matches("article[data-generation]")) shape(root);
    if (root.querySelectorAll) root.querySelectorAll("#gallery-grid article[data-generation]").forEach(shape);
    paintSelection();
    if (focusedFilter && root.id === "gallery") {
      var field = root.querySelector('[data-filter-form] [name="' + focusedFilter + '"]');
      if (field) field.focus();
      focusedFilter = null;
    }
  }

  // The toolbar sticks just below the site's top bar, whatever its height.
  function measureTopbar() {
    var bar = document.querySelector(".topbar");
    if (bar) document.documentElement.style.setProperty("--topbar-height", bar.offsetHeight + "px");
  }

  function start() {
    measureTopbar();
    window.addEventListener("resize", measureTopbar);
    narrow.addEventListener("change", function () { applySize(currentSize()); });
    htmx.onLoad(prepare);
    // Cards the socket swaps in by id are new elements: give them their shape and mark.
    var observer = new MutationObserver(function (records) {
      records.forEach(function (record) {
        record.addedNodes.forEach(function (node) {
          if (node.nodeType === 1 && node.matches("#gallery-grid article[data-generation]")) {
            shape(node);
            node.classList.toggle("is-selected", selected.has(node.getAttribute("data-generation")));
          }
        });
      });
    });
    observer.observe(document.body, { childList: true, subtree: true });
    readFiltersFromURL();
  }

  // Back/Forward: htmx puts the page of that URL back; its form is read from the URL so
  // the controls say what the grid shows. (A full page from the browser's cache too.)
  document.addEventListener("htmx:historyRestore", readFiltersFromURL);
  window.addEventListener("pageshow", readFiltersFromURL);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
