// A review link's page: when the studio closes the link's socket for good (the link was
// revoked or has expired), say so, and stop offering actions that would now answer 404.
(function () {
  var CLOSED = 4404;
  document.addEventListener("htmx:wsClose", function (event) {
    if (event.detail.event.code !== CLOSED) return;
    var root = event.target;
    if (root.querySelector("[data-link-closed]")) return;
    var note = document.createElement("p");
    note.className = "guest-closed";
    note.setAttribute("role", "alert");
    note.setAttribute("data-link-closed", "");
    note.textContent = "This review link is no longer open. Ask the studio for a new one.";
    root.insertBefore(note, root.firstChild);
    root.querySelectorAll("form button, .guest-download, a[download]").forEach(function (el) {
      el.setAttribute("aria-disabled", "true");
      if (el.tagName === "BUTTON") el.disabled = true;
    });
  });
})();
