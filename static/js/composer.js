// The composer's comforts. Without this script the form still works: the server resolves
// every @mention and answers with errors by the field. With it: `@` suggests the project's
// subjects (arrow keys, Enter or Tab to choose, Escape to close), chips under the prompt
// show which mentions are recognised and flag the others as you type, and the live
// reference budget learns how many files are chosen (a GET cannot carry the files).
(function () {
  "use strict";

  // The mention rule comes from the server (library/mentions.py), so the chips and the
  // suggestions agree with what it accepts.
  var RULES = null;
  function rules() {
    if (RULES) return RULES;
    var data = document.getElementById("mention-rules");
    if (!data) return null;
    try {
      var sources = JSON.parse(data.textContent);
      RULES = { mentions: new RegExp(sources.mention, "gu"), beforeCaret: new RegExp(sources.at_caret, "u") };
    } catch (e) { return null; }
    return RULES;
  }
  var REFERENCE_MODES = ["reference_to_image", "reference_to_video"];
  var MAX_SUGGESTIONS = 8;

  // The composer's own list; elsewhere (a storyboard's shot prompts) the page's one list.
  function subjectsOf(form) {
    var scope = (form && form.closest("#composer")) || document;
    var data = scope.querySelector("#composer-subjects");
    if (!data) return [];
    try { return JSON.parse(data.textContent) || []; } catch (e) { return []; }
  }

  function modeOf(form) {
    var select = form.querySelector("select[name=mode]") || form.querySelector("input[type=hidden][name=mode]");
    return select ? select.value : "";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // --- chips ----------------------------------------------------------------------------

  function renderChips(textarea) {
    var form = textarea.form;
    var box = form.querySelector("[data-mention-chips]");
    if (!box) return;
    var subjects = subjectsOf(form);
    var referenceMode = REFERENCE_MODES.indexOf(modeOf(form)) >= 0;
    var seen = {};
    box.textContent = "";
    var match, rule = rules();
    if (!rule) return;
    var MENTIONS = rule.mentions;
    MENTIONS.lastIndex = 0;
    while ((match = MENTIONS.exec(textarea.value)) !== null) {
      var name = match[1];
      if (seen[name.toLowerCase()]) continue;
      seen[name.toLowerCase()] = true;
      var found = subjects.filter(function (s) { return s.name.toLowerCase() === name.toLowerCase(); });
      var state = "ok", note = "";
      if (!found.length) { state = "unknown"; note = "not a subject here"; }
      else if (found.length > 1) { state = "ambiguous"; note = "in " + found.map(function (s) { return s.library; }).join(" and "); }
      else if (!found[0].images) { state = "no-images"; note = "no images yet"; }
      else if (!referenceMode) { state = "unknown"; note = "needs a Reference mode"; }
      var chip = element("span", "mention-chip " + state);
      if (state === "ok") chip.classList.add("kind-" + found[0].kind.toLowerCase());
      chip.textContent = "@" + name + (note ? " · " + note : "");
      if (state === "ok") chip.title = found[0].kind + " in " + found[0].library;
      box.appendChild(chip);
    }
  }

  // --- suggestions ----------------------------------------------------------------------

  function listFor(textarea) {
    return document.getElementById(textarea.getAttribute("aria-controls"));
  }

  function queryAt(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var rule = rules();
    var match = rule && rule.beforeCaret.exec(before);
    return match ? match[2] : null;
  }

  function close(textarea) {
    var list = listFor(textarea);
    if (!list) return;
    list.hidden = true;
    list.textContent = "";
    textarea.setAttribute("aria-expanded", "false");
    textarea.removeAttribute("aria-activedescendant");
  }

  function select(textarea, index) {
    var list = listFor(textarea);
    var options = list.querySelectorAll("[role=option]");
    if (!options.length) return;
    index = (index + options.length) % options.length;
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    textarea.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  }

  function selectedIndex(textarea) {
    var options = Array.prototype.slice.call(listFor(textarea).querySelectorAll("[role=option]"));
    return options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
  }

  function suggest(textarea) {
    var list = listFor(textarea);
    var query = queryAt(textarea);
    if (!list || query === null) return close(textarea);
    var q = query.toLowerCase();
    var subjects = subjectsOf(textarea.form);
    var starts = subjects.filter(function (s) { return s.name.toLowerCase().indexOf(q) === 0; });
    var contains = subjects.filter(function (s) {
      return s.name.toLowerCase().indexOf(q) > 0;
    });
    var matches = starts.concat(contains).slice(0, MAX_SUGGESTIONS);
    if (!matches.length) return close(textarea);
    list.textContent = "";
    matches.forEach(function (subject, i) {
      var option = element("li");
      option.id = "mention-option-" + i;
      option.setAttribute("role", "option");
      option.dataset.name = subject.name;
      if (subject.thumb) {
        var img = element("img");
        img.src = subject.thumb;
        img.alt = "";
        option.appendChild(img);
      } else {
        option.appendChild(element("span", "chip-letter", subject.name.charAt(0).toUpperCase()));
      }
      option.appendChild(element("span", "suggestion-name", "@" + subject.name));
      option.appendChild(element("span", "suggestion-meta", subject.kind + " · " + subject.library));
      list.appendChild(option);
    });
    list.hidden = false;
    textarea.setAttribute("aria-expanded", "true");
    select(textarea, 0);
  }

  function choose(textarea, name) {
    var caret = textarea.selectionStart;
    var before = textarea.value.slice(0, caret);
    var query = queryAt(textarea) || "";
    var start = before.length - query.length;
    var after = textarea.value.slice(caret);
    var insert = name + (after.charAt(0) === " " ? "" : " ");
    textarea.value = before.slice(0, start) + insert + after;
    var position = start + insert.length;
    textarea.setSelectionRange(position, position);
    close(textarea);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  document.addEventListener("input", function (event) {
    var textarea = event.target.closest && event.target.closest("textarea[data-prompt]");
    if (textarea) {
      renderChips(textarea);
      suggest(textarea);
    }
    if (event.target.matches && event.target.matches("input[type=file][data-count-files]")) {
      countFiles(event.target.form);
    }
  });

  document.addEventListener("keydown", function (event) {
    var textarea = event.target.closest && event.target.closest("textarea[data-prompt]");
    if (!textarea || textarea.getAttribute("aria-expanded") !== "true") return;
    if (event.ctrlKey || event.metaKey) return close(textarea); // Ctrl+Enter sends the form
    var index = selectedIndex(textarea);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      select(textarea, index + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" || event.key === "Tab") {
      var option = listFor(textarea).querySelectorAll("[role=option]")[Math.max(index, 0)];
      if (option) {
        event.preventDefault();
        choose(textarea, option.dataset.name);
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      close(textarea);
    }
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".mention-suggestions [role=option]");
    if (option) {
      event.preventDefault(); // keep the caret in the prompt
      var textarea = document.querySelector('[aria-controls="' + option.parentNode.id + '"]');
      if (textarea) choose(textarea, option.dataset.name);
      return;
    }
    document.querySelectorAll("textarea[data-prompt][aria-expanded=true]").forEach(function (textarea) {
      if (event.target !== textarea) close(textarea);
    });
  });

  // --- files chosen, for the live budget --------------------------------------------------

  function countFiles(form) {
    if (!form) return;
    var hidden = form.querySelector("[data-files-chosen]");
    if (!hidden) return;
    var parts = [];
    form.querySelectorAll("input[type=file][data-count-files]").forEach(function (input) {
      parts.push(input.dataset.countFiles + ":" + input.files.length);
    });
    hidden.value = parts.join(",");
  }

  // --- options and summary stay in step ---------------------------------------------------
  // A select that redraws the options (mode, model, duration, audio, provider) brings a
  // fresh summary with them: its change need not ask for one too, and a summary request
  // already on its way (from typing) would only answer for the old options.
  function redraws(node) {
    return node && node.closest && node.closest("form[data-composer]") && node.hasAttribute("hx-get");
  }
  document.addEventListener("input", function (event) {
    if (redraws(event.target)) event.stopPropagation();
  }, true);
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!redraws(elt)) return;
    var body = elt.closest(".composer-body");
    if (body) htmx.trigger(body, "htmx:abort");
  });

  // A mode or provider picked while the page was still loading (or put back by the browser
  // on Back) changed before htmx listened: the options for it are asked for once it does.
  htmx.onLoad(function (root) {
    if (root !== document.body) return;
    document.querySelectorAll("form[data-composer] select[hx-get]").forEach(function (select) {
      var shown = select.querySelector("option[selected]") || select.options[0];
      if (shown && !shown.selected) htmx.trigger(select, "change");
    });
  });

  // --- the new card, in view at once ------------------------------------------------------
  // Generate answers with the new cards at the top of the results; where they are out of
  // sight (a phone, or a page scrolled down), the page brings the newest into view.
  var created = null;
  document.addEventListener("generations-created", function (event) {
    created = event.detail.value || event.detail;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!created) return;
    created = null;
    var card = document.querySelector("#recent-generations-list article[data-generation]");
    if (!card) return;
    var box = card.getBoundingClientRect();
    var top = 0;
    var bar = document.querySelector(".topbar");
    if (bar) top = bar.getBoundingClientRect().bottom;
    if (box.top < top || box.bottom > window.innerHeight) card.scrollIntoView({ block: "nearest" });
  });

  // --- files chosen in the drop zones survive a redraw ---------------------------------------
  // A new mode, model or provider redraws the options (or the whole composer), and so does
  // Generate (the same values again, to iterate): the chosen images come along.
  var stash = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || (target.id !== "composer" && target.id !== "composer-options")) return;
    stash = {};
    target.querySelectorAll("[data-dropzone][data-enhanced]").forEach(function (zone) {
      var input = zone.querySelector("input[type=file]");
      if (input && input.name && zone.studioDropzone) {
        stash[input.name] = zone.studioDropzone.entries().map(function (entry) { return entry.file; });
      }
    });
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!stash) return;
    var kept = stash;
    stash = null;
    if (window.studioDropzones) window.studioDropzones.setUpAll(document);
    Object.keys(kept).forEach(function (name) {
      var input = document.querySelector('#composer input[type=file][name="' + name + '"]');
      var zone = input && input.closest("[data-dropzone]");
      if (zone && zone.studioDropzone && kept[name].length && !zone.studioDropzone.entries().length) {
        zone.studioDropzone.add(kept[name]);
      }
    });
  });

  // A frame is an upload or a still, not both: choosing one lets go of the other.
  document.addEventListener("dropzone-change", function (event) {
    var fieldset = event.target.closest("#composer .inputs-fieldset");
    if (!fieldset || !event.detail.count) return;
    var none = fieldset.querySelector('.still-picker input[type=radio][value=""]');
    if (none && !none.checked) none.checked = true;
  });
  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (!radio.matches || !radio.matches("#composer .still-picker input[type=radio]") || !radio.value) return;
    var zone = radio.closest(".inputs-fieldset").querySelector("[data-dropzone]");
    if (zone && zone.studioDropzone && zone.studioDropzone.entries().length) zone.studioDropzone.clear();
  });

  // After htmx swaps in fresh options (say, a new mode), the chips and counts follow.
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-composer]") : null;
    form = form || (event.target.querySelector && event.target.querySelector("form[data-composer]"));
    if (!form) return;
    countFiles(form);
    var textarea = form.querySelector("textarea[data-prompt]");
    if (textarea) renderChips(textarea);
  });
})();
