// Storyboards: the board's comforts. Without this script every part still works (move
// buttons, links to the shot form, a page that shows what is true on load). With it:
// drag and drop to reorder, fields edited in place with the keyboard, the live poll asked
// at once when a take finishes, and the chosen shot's panel brought into view on a phone.
(function () {
  "use strict";

  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  // --- reorder by drag and drop -------------------------------------------------------------

  var CARD = ".shot-grid li[data-shot]";

  function say(grid, text) {
    var message = grid.parentElement.querySelector(".reorder-message");
    if (!message) return;
    message.textContent = text;
    message.hidden = !text;
  }

  function clearMarks(grid) {
    grid.querySelectorAll(".drop-before, .drop-after").forEach(function (card) {
      card.classList.remove("drop-before", "drop-after");
    });
  }

  function sendOrder(grid) {
    var body = new URLSearchParams();
    grid.querySelectorAll("li[data-shot]").forEach(function (card) { body.append("shot", card.dataset.shot); });
    body.append("selected", grid.dataset.selected || "");
    fetch(grid.dataset.reorderUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.ok) {
          // The whole board (numbers change in the panel too) and the summary, out of band.
          htmx.swap("#storyboard-board", html, { swapStyle: "outerHTML" });
        } else {
          say(grid, html || "The order could not be saved; reload the page.");
        }
      });
    });
  }

  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(CARD);
    if (!card || !card.closest(".shot-grid").dataset.reorderUrl) return;
    if (event.target.closest("[data-inline-editor]")) return; // selecting text in a field
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.shot);
  });

  document.addEventListener("dragover", function (event) {
    var card = dragged && event.target.closest && event.target.closest(CARD);
    if (!card || card.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    clearMarks(card.parentElement);
    if (card === dragged) return;
    var box = card.getBoundingClientRect();
    card.classList.add(event.clientX < box.left + box.width / 2 ? "drop-before" : "drop-after");
  });

  document.addEventListener("drop", function (event) {
    var card = dragged && event.target.closest && event.target.closest(CARD);
    if (!card || card.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    var grid = card.parentElement;
    var before = card.classList.contains("drop-before");
    clearMarks(grid);
    if (card !== dragged) {
      grid.insertBefore(dragged, before ? card : card.nextSibling);
      sendOrder(grid);
    }
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("is-dragging");
      clearMarks(dragged.parentElement);
    }
    dragged = null;
  });

  // --- fields edited in place ---------------------------------------------------------------
  // Enter (or Ctrl+Enter, which studio.js sends) saves, Shift+Enter makes a new line in a
  // prompt, Escape cancels, and leaving the field saves what changed. The composer's @
  // suggestions (composer.js) take Enter, Tab and Escape first while they are open.

  function editorOf(node) {
    return node && node.closest ? node.closest("form[data-inline-editor]") : null;
  }

  function fieldOf(form) {
    return form.querySelector("textarea, input[type=number]");
  }

  function changed(form) {
    var field = fieldOf(form);
    return field && field.value !== field.defaultValue;
  }

  function save(form, leaving) {
    if (form.classList.contains("htmx-request") || form.hasAttribute("data-closing")) return;
    var refused = form.querySelector("[aria-invalid=true]");
    if (!changed(form)) {
      if (!refused) return cancel(form);
      if (leaving) return; // the error stays beside the field until it is fixed or cancelled
    }
    form.setAttribute("data-closing", "");
    form.requestSubmit();
  }

  function cancel(form) {
    if (form.hasAttribute("data-cancelled")) return;
    form.setAttribute("data-cancelled", "");
    var button = form.querySelector("[data-inline-cancel]");
    if (button) htmx.trigger(button, "click");
  }

  document.addEventListener("keydown", function (event) {
    var form = editorOf(event.target);
    if (!form || event.defaultPrevented || event.isComposing) return;
    if (event.key === "Escape") {
      event.preventDefault();
      cancel(form);
    } else if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      save(form);
    }
  });

  // Leaving the editor (not for its own buttons or the suggestions) saves it.
  document.addEventListener("focusout", function (event) {
    var form = editorOf(event.target);
    if (!form) return;
    var next = event.relatedTarget;
    if (next && form.contains(next)) return;
    setTimeout(function () {
      if (!document.body.contains(form) || form.contains(document.activeElement)) return;
      if (form.hasAttribute("data-cancelled")) return;
      save(form, true);
    }, 120);
  });

  // A submit that failed (refused with the error by the field) stays open to be fixed.
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = editorOf(event.target) || (event.target.querySelector && event.target.querySelector("form[data-inline-editor]"));
    if (!form) return;
    var field = fieldOf(form);
    if (!field) return;
    field.focus();
    if (field.setSelectionRange && field.type !== "number") {
      var end = field.value.length;
      field.setSelectionRange(end, end);
    }
    if (field.hasAttribute("data-prompt")) field.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // A card being edited is not dragged: the mouse selects text in its field instead.
  document.addEventListener("focusin", function (event) {
    var form = editorOf(event.target);
    var card = form && form.closest(CARD);
    if (card && card.hasAttribute("draggable")) card.setAttribute("draggable", "false");
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var card = event.target.closest && event.target.closest(CARD);
    if (card && !card.querySelector("form[data-inline-editor]") && card.closest("[data-reorder-url]")) {
      card.setAttribute("draggable", "true");
    }
  });

  // --- live -------------------------------------------------------------------------------
  // A take's card pushed in a final state: ask the board's poll now rather than in a while.
  var TERMINAL = /data-state="(ready|failed|cancelled|needs_attention)"/;
  document.addEventListener("htmx:wsAfterMessage", function (event) {
    var poll = document.getElementById("board-live");
    if (!poll || !poll.hasAttribute("data-running")) return;
    if (!TERMINAL.test(event.detail.message || "")) return;
    htmx.trigger(poll, "refresh");
  });

  // A poll answered after the board was redrawn (its poll element replaced) may be older
  // than what the board shows now: drop it; the new board polls for itself.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (elt && elt.id === "board-live" && !document.body.contains(elt)) event.detail.shouldSwap = false;
  });

  // --- the chosen shot's panel --------------------------------------------------------------
  // Choosing a card swaps the board in place; on a narrow screen the panel is below the
  // cards, so it is brought into view.
  var choosing = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    choosing = !!(event.detail.elt && event.detail.elt.hasAttribute && event.detail.elt.hasAttribute("data-select-shot"));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!choosing || !event.target || event.target.id !== "storyboard-board") return;
    choosing = false;
    var panel = document.getElementById("shot-panel");
    if (!panel) return;
    var box = panel.getBoundingClientRect();
    if (box.top > window.innerHeight * 0.6 || box.bottom < 0) panel.scrollIntoView({ block: "start", behavior: "smooth" });
  });
})();
