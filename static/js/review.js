// Comments on shots and takes: pins on the picture (and a time range on a clip), the
// thread a pin belongs to, @mention suggestions of the project's members, and the pushed
// threads (the same HTML for everyone: what this person may not do is hidden here).
// Without this file a comment posts unpinned and a page shows what it loaded.
(function () {
  function panels(root) {
    var found = Array.prototype.slice.call((root || document).querySelectorAll("[data-comment-panel]"));
    if (root && root.matches && root.matches("[data-comment-panel]")) found.push(root);
    return found;
  }

  function panelOf(el) { return el && el.closest("[data-comment-panel]"); }
  function composerOf(panel) { return panel.querySelector("[data-comment-composer]"); }
  function field(composer, name) { return composer && composer.querySelector('[data-field="' + name + '"]'); }
  function seconds(value) { return (Math.round(value * 10) / 10).toFixed(1); }

  function shownStage(panel) {
    return panel.querySelector("[data-pin-stage]:not([hidden])");
  }

  // The take the composer writes about: the "On" choice, or the page's only take.
  function chosenGeneration(panel) {
    var select = panel.querySelector("[data-comment-on-select]");
    if (!select) {
      var stage = panel.querySelector("[data-pin-stage]");
      return stage ? stage.getAttribute("data-generation") : "";
    }
    var option = select.options[select.selectedIndex];
    return option ? option.getAttribute("data-generation") || "" : "";
  }

  function showStage(panel, generation) {
    if (!generation) return;
    panel.querySelectorAll("[data-pin-stage]").forEach(function (stage) {
      stage.hidden = stage.getAttribute("data-generation") !== generation;
    });
  }

  // --- what this person may do -------------------------------------------------------------
  function applyPermissions(panel) {
    if (panel.getAttribute("data-may-resolve-all") === "true") return;
    var viewer = panel.getAttribute("data-viewer");
    panel.querySelectorAll("[data-comment-thread]").forEach(function (thread) {
      var own = thread.getAttribute("data-author") === viewer;
      thread.querySelectorAll("[data-resolve-control]").forEach(function (control) { control.hidden = !own; });
    });
  }

  // --- pins --------------------------------------------------------------------------------
  function place(el, x, y) {
    el.style.left = (x * 100) + "%";
    el.style.top = (y * 100) + "%";
  }

  function drawPins(panel) {
    panel.querySelectorAll("[data-pin-stage]").forEach(function (stage) {
      var layer = stage.querySelector("[data-pin-layer]");
      var generation = stage.getAttribute("data-generation");
      layer.querySelectorAll(".pin:not(.is-pending)").forEach(function (pin) { pin.remove(); });
      panel.querySelectorAll('[data-comment-thread][data-on-generation="' + generation + '"][data-pin-x]').forEach(function (thread) {
        var pin = document.createElement("button");
        pin.type = "button";
        pin.className = "pin" + (thread.classList.contains("is-resolved") ? " is-resolved" : "");
        pin.textContent = thread.getAttribute("data-pin-number");
        pin.setAttribute("data-pin-for", thread.id);
        pin.setAttribute("aria-label", "Pin " + pin.textContent + ": show its comment");
        place(pin, parseFloat(thread.getAttribute("data-pin-x")), parseFloat(thread.getAttribute("data-pin-y")));
        layer.appendChild(pin);
      });
    });
    var composer = composerOf(panel);
    if (composer && !field(composer, "pin_x").value) clearPending(panel);
  }

  function clearPending(panel) {
    panel.querySelectorAll(".pin.is-pending").forEach(function (pin) { pin.remove(); });
    var composer = composerOf(panel);
    if (!composer) return;
    ["pin_x", "pin_y", "time_start", "time_end"].forEach(function (name) { field(composer, name).value = ""; });
    var controls = composer.querySelector("[data-pin-controls]");
    if (controls) controls.hidden = true;
    var hint = composer.querySelector("[data-pin-hint]");
    if (hint) hint.hidden = false;
  }

  function nextNumber(panel, generation) {
    return panel.querySelectorAll('[data-comment-thread][data-on-generation="' + generation + '"][data-pin-x]').length + 1;
  }

  // A clip comment starts where the playhead was when the comment was begun.
  function startTime(panel, stage) {
    var composer = composerOf(panel);
    var video = stage && stage.querySelector("video");
    if (!composer || !video || field(composer, "time_start").value) return;
    video.pause();
    var duration = parseFloat(stage.getAttribute("data-duration")) || video.duration || 0;
    var start = Math.min(video.currentTime || 0, duration);
    field(composer, "time_start").value = start.toFixed(2);
    field(composer, "time_end").value = Math.min(start + 2, duration).toFixed(2);
    showPinLabel(panel);
  }

  function showPinLabel(panel) {
    var composer = composerOf(panel);
    var controls = composer.querySelector("[data-pin-controls]");
    if (!controls) return;
    var x = field(composer, "pin_x").value, start = field(composer, "time_start").value;
    var end = field(composer, "time_end").value;
    var pending = panel.querySelector(".pin.is-pending");
    var words = pending ? "Pin " + pending.textContent : "";
    if (start !== "") words = (x ? words + " · " : "") + "Pin to " + seconds(+start) + " s – " + seconds(+end) + " s";
    else if (x) words += " on the picture";
    controls.querySelector("[data-pin-label]").textContent = words;
    var until = controls.querySelector("[data-pin-until]");
    until.hidden = start === "";
    var input = controls.querySelector("[data-pin-end]");
    if (start !== "" && document.activeElement !== input) {
      input.min = (+start).toFixed(1);
      var stage = shownStage(panel);
      input.max = stage ? stage.getAttribute("data-duration") || "" : "";
      input.value = seconds(+end);
    }
    controls.hidden = !words;
    var hint = composer.querySelector("[data-pin-hint]");
    if (hint) hint.hidden = !!x;
  }

  document.addEventListener("click", function (event) {
    var layer = event.target.closest("[data-pin-layer]");
    var panel = panelOf(event.target);
    if (!panel) return;
    var pin = event.target.closest(".pin[data-pin-for]");
    if (pin) { focusThread(panel, document.getElementById(pin.getAttribute("data-pin-for")), true); return; }
    if (layer && !event.target.closest(".pin")) { placePending(panel, layer, event); return; }
    if (event.target.closest("[data-pin-clear]")) { clearPending(panel); return; }
    var thread = event.target.closest("[data-comment-thread]");
    if (thread && !event.target.closest("form, summary, button, a, textarea")) focusThread(panel, thread, false);
  });

  function placePending(panel, layer, event) {
    var composer = composerOf(panel);
    var stage = layer.closest("[data-pin-stage]");
    if (!composer || !stage) return;
    var generation = stage.getAttribute("data-generation");
    var select = panel.querySelector("[data-comment-on-select]");
    if (select && chosenGeneration(panel) !== generation) {
      Array.prototype.forEach.call(select.options, function (option, index) {
        if (option.getAttribute("data-generation") === generation) select.selectedIndex = index;
      });
    }
    var box = layer.getBoundingClientRect();
    var x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    var y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    var pending = panel.querySelector(".pin.is-pending");
    if (!pending || pending.parentNode !== layer) {
      if (pending) pending.remove();
      pending = document.createElement("span");
      pending.className = "pin is-pending";
      pending.textContent = nextNumber(panel, generation);
      layer.appendChild(pending);
    }
    place(pending, x, y);
    field(composer, "pin_x").value = x.toFixed(4);
    field(composer, "pin_y").value = y.toFixed(4);
    startTime(panel, stage);
    showPinLabel(panel);
    composer.querySelector("textarea[data-comment-body]").focus();
  }

  function focusThread(panel, thread, scroll) {
    if (!thread) return;
    panel.querySelectorAll(".pin.is-active, [data-comment-thread].is-active").forEach(function (el) { el.classList.remove("is-active"); });
    thread.classList.add("is-active");
    var generation = thread.getAttribute("data-on-generation");
    if (generation) showStage(panel, generation);
    var pin = panel.querySelector('.pin[data-pin-for="' + thread.id + '"]');
    if (pin) pin.classList.add("is-active");
    var start = thread.getAttribute("data-time-start");
    var stage = shownStage(panel);
    var video = stage && stage.querySelector("video");
    if (video && start !== null) {
      video.pause();
      video.currentTime = parseFloat(start);
    }
    if (scroll) thread.scrollIntoView({ block: "nearest" });
  }

  function highlight(event, on) {
    var thread = event.target.closest && event.target.closest("[data-comment-thread]");
    var panel = thread && panelOf(thread);
    if (!panel) return;
    var pin = panel.querySelector('.pin[data-pin-for="' + thread.id + '"]');
    if (pin) pin.classList.toggle("is-hovered", on);
  }
  document.addEventListener("mouseover", function (event) { highlight(event, true); });
  document.addEventListener("mouseout", function (event) { highlight(event, false); });

  document.addEventListener("change", function (event) {
    var panel = panelOf(event.target);
    if (!panel) return;
    if (event.target.matches("[data-comment-on-select]")) {
      clearPending(panel);
      showStage(panel, chosenGeneration(panel));
    }
  });

  document.addEventListener("input", function (event) {
    if (!event.target.matches("[data-pin-end]")) return;
    var panel = panelOf(event.target);
    var composer = composerOf(panel);
    var start = parseFloat(field(composer, "time_start").value);
    var stage = shownStage(panel);
    var duration = stage ? parseFloat(stage.getAttribute("data-duration")) : NaN;
    var end = parseFloat(event.target.value);
    if (isNaN(end)) return;
    end = Math.max(start, isNaN(duration) ? end : Math.min(end, duration));
    field(composer, "time_end").value = end.toFixed(2);
    showPinLabel(panel);
  });

  document.addEventListener("focusin", function (event) {
    if (!event.target.matches("[data-comment-composer] textarea[data-comment-body]")) return;
    var panel = panelOf(event.target);
    if (panel && chosenGeneration(panel)) startTime(panel, shownStage(panel));
  });

  // --- @mentions of members ----------------------------------------------------------------
  var MENTION = /(^|[^\w@])@([\w.@+-]*)$/;

  function members(panel) {
    var script = panel.querySelector('script[type="application/json"]');
    try { return script ? JSON.parse(script.textContent) : []; } catch (e) { return []; }
  }

  function suggestions(textarea) {
    var box = textarea.parentNode.querySelector(".mention-suggestions");
    if (box) return box;
    // A reply's textarea has no list of its own: one is made beside it.
    box = document.createElement("ul");
    box.className = "mention-suggestions";
    box.setAttribute("role", "listbox");
    box.setAttribute("aria-label", "Members");
    box.id = textarea.id + "-mentions";
    box.hidden = true;
    textarea.insertAdjacentElement("afterend", box);
    textarea.setAttribute("aria-controls", box.id);
    return box;
  }

  function closeSuggestions(textarea) {
    var box = textarea.parentNode.querySelector(".mention-suggestions");
    if (box) { box.hidden = true; box.textContent = ""; }
    textarea.setAttribute("aria-expanded", "false");
  }

  function suggest(textarea) {
    var panel = panelOf(textarea);
    var match = MENTION.exec(textarea.value.slice(0, textarea.selectionStart));
    if (!panel || !match) { closeSuggestions(textarea); return; }
    var typed = match[2].toLowerCase();
    var names = members(panel).filter(function (name) { return name.toLowerCase().indexOf(typed) === 0; }).slice(0, 6);
    if (!names.length) { closeSuggestions(textarea); return; }
    var box = suggestions(textarea);
    box.textContent = "";
    names.forEach(function (name, index) {
      var item = document.createElement("li");
      item.setAttribute("role", "option");
      item.id = box.id + "-" + index;
      item.setAttribute("aria-selected", index === 0 ? "true" : "false");
      item.setAttribute("data-name", name);
      item.textContent = "@" + name;
      box.appendChild(item);
    });
    box.hidden = false;
    textarea.setAttribute("aria-expanded", "true");
  }

  function choose(textarea, name) {
    var caret = textarea.selectionStart;
    var before = textarea.value.slice(0, caret).replace(/@[\w.@+-]*$/, "@" + name + " ");
    textarea.value = before + textarea.value.slice(caret);
    textarea.setSelectionRange(before.length, before.length);
    closeSuggestions(textarea);
    textarea.focus();
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-comment-body]")) suggest(event.target);
  });

  document.addEventListener("keydown", function (event) {
    var textarea = event.target;
    if (!textarea.matches || !textarea.matches("textarea[data-comment-body]")) return;
    var box = textarea.parentNode.querySelector(".mention-suggestions");
    if (!box || box.hidden) return;
    var options = Array.prototype.slice.call(box.querySelectorAll("[role=option]"));
    var current = options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = (current + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      options.forEach(function (o, i) { o.setAttribute("aria-selected", i === next ? "true" : "false"); });
      textarea.setAttribute("aria-activedescendant", options[next].id);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      choose(textarea, options[Math.max(0, current)].getAttribute("data-name"));
    } else if (event.key === "Escape") {
      closeSuggestions(textarea);
    }
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest(".mention-suggestions [role=option]");
    if (!option) return;
    event.preventDefault();  // keep the caret in the textarea
    choose(option.closest(".mention-suggestions").parentNode.querySelector("textarea[data-comment-body]"), option.getAttribute("data-name"));
  });

  // --- pushed threads --------------------------------------------------------------------------
  // A thread this page already has (its own post answered it, then the push repeated it)
  // is replaced rather than added twice; a reply being typed survives its thread's update.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    if (!target || !target.hasAttribute || !fragment) return;
    if (target.hasAttribute("data-comment-threads")) {
      Array.prototype.slice.call(fragment.querySelectorAll("[data-comment-thread]")).forEach(function (thread) {
        var existing = document.getElementById(thread.id);
        if (existing) {
          keepReply(existing, thread);
          existing.replaceWith(thread);
          htmx.process(thread);
        }
      });
    } else if (target.hasAttribute("data-comment-thread")) {
      var fresh = fragment.matches && fragment.matches("[data-comment-thread]") ? fragment : fragment.querySelector && fragment.querySelector("[data-comment-thread]");
      if (fresh) keepReply(target, fresh);
    }
  });

  function keepReply(old, fresh) {
    var typing = old.querySelector("textarea[data-comment-body]");
    if (!typing || document.activeElement !== typing || !typing.value) return;
    var box = fresh.querySelector(".reply-box");
    var textarea = fresh.querySelector("textarea[data-comment-body]");
    if (box && textarea) { box.open = true; textarea.value = typing.value; }
  }

  function refresh() {
    panels().forEach(function (panel) {
      applyPermissions(panel);
      drawPins(panel);
    });
  }

  document.addEventListener("htmx:load", refresh);
  document.addEventListener("htmx:oobAfterSwap", refresh);
  document.addEventListener("htmx:afterSwap", refresh);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", refresh);
  else refresh();
})();
