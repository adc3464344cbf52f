// Storyboards: reorder the shot strip by drag and drop, posting the full new order.
// The move buttons (and the keyboard) do the same without JavaScript.
(function () {
  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function say(strip, text) {
    var message = strip.parentElement.querySelector(".reorder-message");
    if (!message) return;
    message.textContent = text;
    message.hidden = !text;
  }

  function clearMarks(strip) {
    strip.querySelectorAll(".drop-before, .drop-after").forEach(function (tile) {
      tile.classList.remove("drop-before", "drop-after");
    });
  }

  function sendOrder(strip) {
    var body = new URLSearchParams();
    strip.querySelectorAll("li[data-shot]").forEach(function (tile) { body.append("shot", tile.dataset.shot); });
    body.append("selected", strip.dataset.selected || "");
    fetch(strip.dataset.reorderUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.ok) {
          // The whole board: shot numbers change in the panel too.
          var board = document.getElementById("storyboard-board");
          board.outerHTML = html;
          htmx.process(document.getElementById("storyboard-board"));
        } else {
          say(strip, html || "The order could not be saved; reload the page.");
        }
      });
    });
  }

  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var tile = event.target.closest && event.target.closest(".shot-strip li[data-shot]");
    if (!tile || !tile.closest(".shot-strip").dataset.reorderUrl) return;
    dragged = tile;
    tile.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", tile.dataset.shot);
  });

  document.addEventListener("dragover", function (event) {
    var tile = dragged && event.target.closest && event.target.closest(".shot-strip li[data-shot]");
    if (!tile || tile.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    clearMarks(tile.parentElement);
    if (tile === dragged) return;
    var box = tile.getBoundingClientRect();
    tile.classList.add(event.clientX < box.left + box.width / 2 ? "drop-before" : "drop-after");
  });

  document.addEventListener("drop", function (event) {
    var tile = dragged && event.target.closest && event.target.closest(".shot-strip li[data-shot]");
    if (!tile || tile.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    var strip = tile.parentElement;
    var before = tile.classList.contains("drop-before");
    clearMarks(strip);
    if (tile !== dragged) {
      strip.insertBefore(dragged, before ? tile : tile.nextSibling);
      sendOrder(strip);
    }
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("is-dragging");
      clearMarks(dragged.parentElement);
    }
    dragged = null;
  });

  // A take's card pushed in a final state: refresh the strip (statuses, keeper thumbnails).
  document.addEventListener("htmx:wsAfterMessage", function (event) {
    var strip = document.getElementById("shot-strip");
    if (!strip || !event.target.closest || !event.target.closest("#shot-panel")) return;
    if (!/data-state="(ready|failed|cancelled)"/.test(event.detail.message || "")) return;
    htmx.ajax("GET", strip.dataset.stripUrl, { target: ".shot-strip-wrap", swap: "outerHTML" });
  });
})();
