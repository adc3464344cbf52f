// Live generation cards over the project's websocket (htmx's ws extension swaps them by id).
// This file adds what the extension does not: the re-sync on (re)connect, a connection
// indicator, a gentler reconnect schedule, elapsed times, hover previews and notifications.
(function () {
  if (!window.htmx) return;

  // Equal jitter, from 0.5 s doubling to a 5 s ceiling: after a restart, browsers come back
  // within seconds but spread out (the extension's default waits up to 64 s).
  htmx.config.wsReconnectDelay = function (retry) {
    var ceiling = Math.min(5000, 500 * Math.pow(2, retry));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  };

  var TERMINAL = ["ready", "failed", "cancelled"];
  var LABELS = { connecting: "Connecting…", connected: "Live", reconnecting: "Reconnecting…", offline: "Offline" };
  var sockets = new Map(); // socket element -> the extension's socket wrapper

  function shownIds(root) {
    return Array.prototype.map.call(root.querySelectorAll("article[data-generation]"), function (card) {
      return parseInt(card.getAttribute("data-generation"), 10);
    }).filter(function (id) { return !isNaN(id); });
  }

  function setStatus(root, status) {
    root.setAttribute("data-live", status);
    root.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.setAttribute("data-live-status", status);
      el.textContent = LABELS[status];
    });
  }

  document.addEventListener("htmx:wsConnecting", function (event) {
    var root = event.target;
    setStatus(root, root.hasAttribute("data-was-live") ? "reconnecting" : "connecting");
  });

  // On every (re)connect the page says what it shows; the server answers those cards as
  // they are now, plus any created meanwhile (pushes missed while away are not replayed).
  document.addEventListener("htmx:wsOpen", function (event) {
    var root = event.target;
    sockets.set(root, event.detail.socketWrapper);
    root.setAttribute("data-was-live", "");
    event.detail.socketWrapper.send(JSON.stringify({
      type: "sync",
      ids: shownIds(root),
      newest: parseInt(root.getAttribute("data-newest") || "0", 10),
      live: !!root.querySelector("[data-live-cards]"),
      feed: !!root.querySelector("#activity-list")
    }));
  });

  // The server ends its answer to a sync with a control frame, not HTML: from then on
  // the page shows the cards as they are, and the indicator says "Live".
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message;
    if (typeof message !== "string" || message.charAt(0) !== "{") return;
    event.preventDefault();
    var frame = null;
    try { frame = JSON.parse(message); } catch (e) { return; }
    if (frame && frame.type === "synced") setStatus(event.target, "connected");
  });

  // A project's pushes reach all its open pages; one for parts this page does not show (a
  // shot's review status on the gallery, say) is dropped here, where htmx would report
  // each missing target as an error.
  function oobTarget(element) {
    var swap = element.getAttribute("hx-swap-oob");
    var colon = swap.indexOf(":");
    try {
      if (colon >= 0) return document.querySelector(swap.slice(colon + 1));
    } catch (e) { return true; }  // not a selector this script knows: htmx decides
    return element.id ? document.getElementById(element.id) : null;
  }
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message;
    if (typeof message !== "string" || message.charAt(0) === "{") return;
    var template = document.createElement("template");
    template.innerHTML = message;
    var parts = Array.prototype.filter.call(template.content.children, function (element) {
      return element.hasAttribute("hx-swap-oob");
    });
    if (parts.length && parts.length === template.content.children.length && !parts.some(oobTarget)) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:wsClose", function (event) {
    var code = event.detail.event.code;
    sockets.delete(event.target);
    // 4403: not allowed (the extension does not retry); 1000: closed on purpose.
    setStatus(event.target, code >= 4000 || code === 1000 ? "offline" : "reconnecting");
  });

  // Cards loaded by infinite scroll: ask for their updates too.
  document.addEventListener("htmx:afterSettle", function () {
    sockets.forEach(function (socket, root) {
      if (document.body.contains(root)) socket.send(JSON.stringify({ type: "watch", ids: shownIds(root) }));
    });
  });

  // A "new" card that is already on the page (the composer's reply put it there, or a
  // re-sync repeated it) replaces the old one instead of appearing twice.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target.hasAttribute || !target.hasAttribute("data-live-cards")) return;
    var fragment = event.detail.fragment;
    Array.prototype.slice.call(fragment.querySelectorAll("article[data-generation]")).forEach(function (card) {
      var existing = document.getElementById(card.id);
      if (existing) {
        existing.replaceWith(card);
        htmx.process(card);
      } else {
        card.classList.add("is-new");
      }
    });
  });

  // --- finished while the tab is hidden: a notification and a short beep (opt-in) ---------
  var finished = [];
  var flushTimer = null;
  var audio = null;

  function notifyEnabled() {
    try { return localStorage.getItem("studio-notify") === "on"; } catch (e) { return false; }
  }

  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var template = document.createElement("template");
    template.innerHTML = event.detail.message;
    template.content.querySelectorAll("article[data-generation]").forEach(function (card) {
      var old = document.getElementById(card.id);
      var before = old && old.getAttribute("data-state");
      var after = card.getAttribute("data-state");
      if (before && TERMINAL.indexOf(before) < 0 && TERMINAL.indexOf(after) >= 0) {
        finished.push({ id: card.getAttribute("data-generation"), state: after });
      }
    });
    if (finished.length && !flushTimer) flushTimer = setTimeout(flushFinished, 600);
  });

  function flushFinished() {
    var done = finished;
    finished = [];
    flushTimer = null;
    if (!document.hidden || !notifyEnabled() || !done.length) return;
    var active = Array.prototype.filter.call(document.querySelectorAll("article[data-generation]"), function (card) {
      return TERMINAL.indexOf(card.getAttribute("data-state")) < 0;
    }).length;
    var failed = done.filter(function (d) { return d.state !== "ready"; }).length;
    var title = done.length === 1 ? "Generation #" + done[0].id + (failed ? " " + done[0].state : " is ready")
      : done.length + " generations finished";
    var body = active ? active + " still running" : "The whole batch is done" + (failed ? " (" + failed + " not ready)" : "");
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification(title, { body: body, tag: "studio-generations" });
    }
  }

  function beep() {
    if (!audio) return;
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.25);
  }

  function paintToggle() {
    document.querySelectorAll("[data-notify-toggle]").forEach(function (button) {
      var on = notifyEnabled();
      button.setAttribute("aria-pressed", on ? "true" : "false");
      var label = button.querySelector("[data-notify-label]") || button;
      label.textContent = on ? "Notifying" : "Notify me";
    });
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-notify-toggle]");
    if (!toggle) return;
    var on = !notifyEnabled();
    try { localStorage.setItem("studio-notify", on ? "on" : "off"); } catch (e) {}
    if (on) {
      // Both need a click: the permission prompt and an audio context that may play.
      if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
      var Context = window.AudioContext || window.webkitAudioContext;
      if (Context && !audio) audio = new Context();
    }
    paintToggle();
  });

  // --- elapsed time and hover previews -----------------------------------------------------
  function formatSeconds(total) {
    total = Math.max(0, Math.round(total));
    if (total < 60) return total + " s";
    var minutes = Math.floor(total / 60), seconds = total % 60;
    if (minutes < 60) return minutes + " min " + (seconds < 10 ? "0" : "") + seconds + " s";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  // The same words as generations/cards.py `eta_text`, kept current between pushes.
  function etaText(expected, elapsed) {
    var left = expected - elapsed;
    if (left >= 1) return left < 60 ? "~" + Math.ceil(left) + " s left" : "~" + Math.ceil(left / 60) + " min left";
    return elapsed < expected * 2 + 10 ? "almost done" : "taking longer than usual";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-elapsed-from]").forEach(function (el) {
      var from = Date.parse(el.getAttribute("data-elapsed-from"));
      var until = el.getAttribute("data-elapsed-until");
      var end = until ? Date.parse(until) : now;
      if (!isNaN(from)) el.textContent = formatSeconds((end - from) / 1000);
    });
    document.querySelectorAll("[data-eta], [data-eta-bar]").forEach(function (el) {
      var from = Date.parse(el.getAttribute("data-eta-from"));
      var expected = parseFloat(el.getAttribute("data-expected"));
      if (isNaN(from) || !(expected > 0)) return;
      var elapsed = Math.max(0, (now - from) / 1000);
      if (el.hasAttribute("data-eta")) {
        el.textContent = etaText(expected, elapsed);
        el.classList.toggle("late", elapsed >= expected * 2 + 10);
      } else {
        el.style.setProperty("--progress", Math.min(elapsed / expected, 1).toFixed(3));
        el.classList.toggle("over", elapsed >= expected);
      }
    });
  }
  setInterval(tick, 1000);

  document.addEventListener("mouseover", function (event) {
    var video = event.target.closest && event.target.closest("video[data-hover-play]");
    if (video) video.play().catch(function () {});
  });
  document.addEventListener("mouseout", function (event) {
    var video = event.target.closest && event.target.closest("video[data-hover-play]");
    if (video) video.pause();
  });

  document.addEventListener("DOMContentLoaded", function () { tick(); paintToggle(); });
})();
