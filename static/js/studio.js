// Small behaviours shared by every page. Pages work without it; it only adds comfort.
(function () {
  function currentTheme() {
    var set = document.documentElement.getAttribute("data-theme");
    if (set === "light" || set === "dark") return set;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      var next = currentTheme() === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      try { localStorage.setItem("studio-theme", next); } catch (e) {}
    }
    // Close an open menu when clicking elsewhere.
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // The phone menu: a button that shows and hides the main navigation.
  function setNav(open) {
    document.querySelectorAll("[data-nav-toggle]").forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      var header = button.closest(".topbar");
      if (header) header.classList.toggle("nav-open", open);
    });
  }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      setNav(toggle.getAttribute("aria-expanded") !== "true");
    } else if (!event.target.closest("#main-nav")) {
      setNav(false);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
      });
      setNav(false);
    }
    // Ctrl+Enter (Cmd+Enter on a Mac) sends the form being written in: the composer,
    // a shot, a comment. Plain Enter keeps making new lines in a prompt.
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.defaultPrevented) {
      var field = event.target.closest && event.target.closest("textarea, input, select");
      var form = field && field.form;
      if (form && form.method.toLowerCase() === "post") {
        event.preventDefault();
        form.requestSubmit();
      }
    }
  });

  // An upload still on its way (library.js marks it) is lost if the page goes: ask first.
  window.addEventListener("beforeunload", function (event) {
    if (!document.querySelector("[data-uploading]")) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
