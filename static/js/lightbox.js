// The gallery's lightbox and compare. A result opens at full size (its id in the URL as
// ?open=<id>, so a link opens it too); ← → move between results, Esc closes, S stars,
// 1–5 rate (editors only: the buttons exist only for them). Compare shows up to six
// results side by side, or two under a slider; videos share one playhead.
// gallery.js (the grid: sizes, selection, filters) opens the lightbox through
// window.studioLightbox.
(function () {
  function gallery() { return document.querySelector("[data-gallery]"); }
  function dialog() { return document.getElementById("lightbox"); }
  var current = null;

  function cards() {
    var root = gallery();
    return root ? Array.prototype.slice.call(root.querySelectorAll("#gallery-grid article[data-generation]")) : [];
  }

  // The open result lives in the URL; replaceState keeps the history entries htmx made
  // for the filters (their state object included) as they are.
  function rememberOpen(id) {
    if (!gallery()) return;
    var url = new URL(window.location.href);
    if (id) url.searchParams.set("open", id); else url.searchParams.delete("open");
    if (url.href !== window.location.href) history.replaceState(history.state, "", url.href);
  }

  function open(id) {
    var root = gallery(), box = dialog();
    if (!root || !box) return;
    current = String(id);
    var url = root.getAttribute("data-lightbox-url").replace(/\/0\/$/, "/" + current + "/");
    htmx.ajax("GET", url, { target: "#lightbox-body", swap: "innerHTML" });
    if (!box.open) box.showModal();
    rememberOpen(current);
  }

  function step(delta) {
    var list = cards();
    var index = list.findIndex(function (card) { return card.getAttribute("data-generation") === current; });
    if (index < 0) return;
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

  // --- the compare set (kept per project for this tab) -------------------------------------
  var MAX_COMPARE = 6;
  function storageKey() { var root = gallery(); return "studio-compare-" + (root ? root.getAttribute("data-project") : ""); }
  function compareSet() {
    try { return JSON.parse(sessionStorage.getItem(storageKey()) || "[]"); } catch (e) { return []; }
  }
  function saveCompareSet(ids) {
    try { sessionStorage.setItem(storageKey(), JSON.stringify(ids.slice(-MAX_COMPARE))); } catch (e) {}
    paintCompare();
  }
  function toggleCompare(id) {
    var ids = compareSet();
    var at = ids.indexOf(String(id));
    if (at >= 0) ids.splice(at, 1); else ids.push(String(id));
    saveCompareSet(ids);
  }
  function addToCompare(list) {
    var ids = compareSet().filter(function (id) { return list.indexOf(id) < 0; });
    saveCompareSet(ids.concat(list.map(String)));
  }
  function paintCompare() {
    var ids = compareSet();
    cards().forEach(function (card) {
      card.classList.toggle("in-compare", ids.indexOf(card.getAttribute("data-generation")) >= 0);
    });
    document.querySelectorAll("[data-compare-toggle]").forEach(function (button) {
      var on = ids.indexOf(button.getAttribute("data-compare-toggle")) >= 0;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "In compare ✓" : "Add to compare";
    });
    var tray = document.querySelector("[data-compare-tray]");
    if (tray) {
      tray.hidden = ids.length === 0;
      tray.querySelector("[data-compare-count]").textContent = ids.length + " to compare";
      tray.querySelector("[data-compare-open]").disabled = ids.length < 2;
    }
  }
  function openCompare(ids) {
    var root = gallery(), box = dialog();
    ids = ids || compareSet();
    if (!root || ids.length < 2) return;
    current = null;
    rememberOpen(null);
    var query = ids.map(function (id) { return "ids=" + encodeURIComponent(id); }).join("&");
    htmx.ajax("GET", root.getAttribute("data-compare-url") + "?" + query, { target: "#lightbox-body", swap: "innerHTML" });
    if (!box.open) box.showModal();
  }

  // --- compare: one playhead for every video --------------------------------------------
  // The first video leads; the others follow its clock: a nudge of their playback rate
  // for small drift, a seek for a large one (a loop's wrap, a stall). Pausing, stepping
  // and scrubbing set every video to the leader's time exactly.
  var frame = 1 / 24; // until a played frame tells the clip's own rate
  var following = false;

  function compareVideos() {
    return Array.prototype.slice.call(document.querySelectorAll(".cmp video[data-compare-video]"));
  }
  function seekAll(list, time) {
    list.forEach(function (video) {
      var t = Math.min(time, video.duration || time);
      if (Math.abs(video.currentTime - t) > 0.0005) video.currentTime = t;
      video.playbackRate = 1;
    });
  }
  function formatTime(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = (seconds - minutes * 60).toFixed(2);
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }
  function paintTransport() {
    var list = compareVideos();
    var lead = list[0];
    var transport = document.querySelector("[data-compare-transport]");
    if (!lead || !transport) return;
    var play = transport.querySelector("[data-compare-play]");
    play.setAttribute("aria-label", lead.paused ? "Play" : "Pause");
    play.setAttribute("aria-pressed", lead.paused ? "false" : "true");
    var scrub = transport.querySelector("[data-compare-scrub]");
    if (lead.duration && document.activeElement !== scrub) scrub.value = Math.round(1000 * lead.currentTime / lead.duration);
    transport.querySelector("[data-compare-time]").textContent = formatTime(lead.currentTime);
  }
  function follow() {
    var list = compareVideos();
    var lead = list[0];
    if (!lead || lead.paused) { following = false; paintTransport(); return; }
    list.slice(1).forEach(function (video) {
      var drift = lead.currentTime - video.currentTime;
      if (Math.abs(drift) > 0.25) { video.currentTime = lead.currentTime; video.playbackRate = 1; }
      else if (Math.abs(drift) < frame / 4) video.playbackRate = 1;
      else video.playbackRate = 1 + Math.max(-0.5, Math.min(0.5, drift * 4));
      if (video.paused) video.play().catch(function () {});
    });
    paintTransport();
    window.requestAnimationFrame(follow);
  }
  function measureFrame(video) {
    if (!video.requestVideoFrameCallback) return;
    var last = null;
    video.requestVideoFrameCallback(function seen(now, meta) {
      if (last && meta.presentedFrames - last.presentedFrames === 1) {
        var delta = meta.mediaTime - last.mediaTime;
        if (delta > 0.005 && delta < 0.25) frame = delta;
      }
      last = meta;
      if (!video.paused) video.requestVideoFrameCallback(seen);
    });
  }
  function playAll() { compareVideos().forEach(function (video) { video.play().catch(function () {}); }); }
  function pauseAll() {
    var list = compareVideos();
    list.forEach(function (video) { video.pause(); });
    if (list.length) seekAll(list, list[0].currentTime);
    paintTransport();
  }
  function stepFrames(count) {
    var list = compareVideos();
    if (!list.length) return;
    list.forEach(function (video) { video.pause(); });
    var lead = list[0];
    var t = Math.max(0, Math.min(lead.currentTime + count * frame, (lead.duration || 0) - frame / 2));
    seekAll(list, t);
    paintTransport();
  }

  // Media events do not bubble: listen while they go down.
  document.addEventListener("play", function (event) {
    if (!event.target.matches || !event.target.matches(".cmp video[data-compare-video]")) return;
    playAll();
    var lead = compareVideos()[0];
    if (lead && !following) { following = true; measureFrame(lead); window.requestAnimationFrame(follow); }
  }, true);
  document.addEventListener("pause", function (event) {
    if (!event.target.matches || !event.target.matches(".cmp video[data-compare-video]")) return;
    pauseAll();
  }, true);
  ["timeupdate", "seeked", "loadedmetadata"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (event.target.matches && event.target.matches(".cmp video[data-compare-video]")) paintTransport();
    }, true);
  });

  function toggleMute(button) {
    var id = button.getAttribute("data-compare-mute");
    var video = document.querySelector('.cmp video[data-compare-video="' + id + '"]');
    if (!video) return;
    video.muted = !video.muted;
    button.setAttribute("aria-pressed", video.muted ? "true" : "false");
  }

  // --- events --------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-lightbox-close]")) return close();
    if (target.closest("[data-lightbox-prev]")) return step(-1);
    if (target.closest("[data-lightbox-next]")) return step(1);
    var toggle = target.closest("[data-compare-toggle]");
    if (toggle) return toggleCompare(toggle.getAttribute("data-compare-toggle"));
    if (target.closest("[data-compare-open]")) return openCompare();
    if (target.closest("[data-compare-clear]")) return saveCompareSet([]);
    if (target.closest("[data-compare-play]")) {
      var lead = compareVideos()[0];
      return lead && lead.paused ? playAll() : pauseAll();
    }
    var stepper = target.closest("[data-compare-step]");
    if (stepper) return stepFrames(parseInt(stepper.getAttribute("data-compare-step"), 10));
    var mute = target.closest("[data-compare-mute]");
    if (mute) return toggleMute(mute);
    var box = dialog();
    if (box && target === box) return close(); // a click on the backdrop
  });

  document.addEventListener("keydown", function (event) {
    var box = dialog();
    if (!box || !box.open) return;
    var typing = event.target.closest && event.target.closest("input:not([type=range]), textarea, select, [contenteditable]");
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (box.querySelector(".cmp")) {
      if (event.key === " " && compareVideos().length) {
        event.preventDefault();
        var lead = compareVideos()[0];
        if (lead.paused) playAll(); else pauseAll();
      } else if (event.key === "," || event.key === ".") {
        event.preventDefault();
        stepFrames(event.key === "," ? -1 : 1);
      }
      return;
    }
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
    rememberOpen(null);
    var card = current && document.getElementById("generation-" + current);
    var link = card && card.querySelector("h3 a");
    if (link) link.focus();
    current = null;
  }, true);

  document.addEventListener("input", function (event) {
    var range = event.target.closest("[data-compare-range]");
    if (range) range.closest("[data-compare-slider]").style.setProperty("--pos", range.value + "%");
    var scrub = event.target.closest("[data-compare-scrub]");
    if (scrub) {
      var list = compareVideos();
      if (list.length && list[0].duration) {
        list.forEach(function (video) { video.pause(); });
        seekAll(list, list[0].duration * scrub.value / 1000);
      }
    }
  });

  // Choosing for one side what the other shows swaps the two (before htmx sends the pair).
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest(".cmp-pair select");
    if (!select) return;
    var other = select.form.querySelector('select:not([name="' + select.name + '"])');
    if (other && other.value === select.value) other.value = select.getAttribute("data-was");
  }, true);

  // A link with ?open=<id> opens that result (the page's first load, or Back to it).
  function openFromURL() {
    var box = dialog();
    var id = new URLSearchParams(window.location.search).get("open");
    if (!box || !gallery()) return;
    if (id && /^\d+$/.test(id) && !(box.open && current === id)) open(id);
    else if (!id && box.open && current) close();
  }

  document.addEventListener("htmx:afterSettle", paintCompare);
  document.addEventListener("htmx:historyRestore", openFromURL);
  document.addEventListener("DOMContentLoaded", function () { paintCompare(); openFromURL(); });

  window.studioLightbox = { open: open, addToCompare: addToCompare, openCompare: openCompare, refresh: paintCompare };
})();
