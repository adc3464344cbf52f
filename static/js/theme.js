// Applied before first paint so a dark-theme user never sees a white flash.
(function () {
  var saved = null;
  try { saved = localStorage.getItem("studio-theme"); } catch (e) {}
  if (saved === "light" || saved === "dark") {
    document.documentElement.setAttribute("data-theme", saved);
  }
})();
