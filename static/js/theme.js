// Applied before first paint so a dark-theme user never sees a white flash, and so the
// stylesheet knows scripts run (the phone menu folds the navigation only then).
(function () {
  document.documentElement.classList.add("js");
  var saved = null;
  try { saved = localStorage.getItem("studio-theme"); } catch (e) {}
  if (saved === "light" || saved === "dark") {
    document.documentElement.setAttribute("data-theme", saved);
  }
})();
