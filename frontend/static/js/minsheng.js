// Minsheng's small behaviours on top of htmx. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  // Upload progress for photos, which htmx posts as soon as they are chosen.
  function progressOf(input) {
    var picker = input.closest(".photo-picker");
    return picker && picker.querySelector("progress");
  }
  document.addEventListener("htmx:xhr:progress", function (event) {
    if (!event.target.matches("[data-photo-input]") || !event.detail.lengthComputable) return;
    var progress = progressOf(event.target);
    if (progress) progress.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var input = event.detail.elt;
    if (input && input.matches("[data-photo-input]")) {
      var failed = input.closest(".photo-picker").querySelector("[data-upload-failed]");
      // The connection failed: the files stay chosen, to be sent again with one tap.
      if (failed) failed.hidden = event.detail.xhr.status !== 0;
      if (event.detail.xhr.status === 0) return;
      // The files are stored now; clear the input so the form does not send them again.
      input.value = "";
      var progress = progressOf(input);
      if (progress) progress.value = 0;
      fillLocationFromPhoto(input.form);
    }
  });

  // Move focus to the error summary when a form comes back with errors.
  function focusErrors(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && (target.id === "report-form" || target.id === "rating-form")) focusErrors(document);
  });

  function fillLocationFromPhoto(form) {
    if (!form) return;
    var latitude = form.querySelector("[data-latitude]");
    var longitude = form.querySelector("[data-longitude]");
    var withGps = form.querySelector(".photo-item[data-gps-latitude]");
    if (!latitude || !longitude || !withGps || latitude.value || longitude.value) return;
    latitude.value = withGps.getAttribute("data-gps-latitude");
    longitude.value = withGps.getAttribute("data-gps-longitude");
    pointChanged(latitude);
    setLocationStatus(form, form.getAttribute("data-from-photo-text") || "");
  }

  // A map point set by script: what listens for a typed one (nearby cases) hears of it too.
  function pointChanged(field) {
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function setLocationStatus(form, text) {
    var status = form.querySelector("[data-location-status]");
    if (status) status.textContent = text;
  }

  document.addEventListener("click", function (event) {
    var retry = event.target.closest("[data-upload-retry]");
    if (retry) {
      var photos = retry.closest(".photo-picker").querySelector("[data-photo-input]");
      retry.closest("[data-upload-failed]").hidden = true;
      htmx.trigger(photos, "change");
      return;
    }
    var remove = event.target.closest("[data-remove-photo]");
    if (remove) {
      var item = remove.closest("li");
      var picker = remove.closest(".photo-picker");
      var input = picker && picker.querySelector("[data-photo-input]");
      if (item) item.remove();
      if (input) input.focus();
      return;
    }
    var locate = event.target.closest("[data-locate]");
    if (locate && navigator.geolocation) {
      var form = locate.form;
      setLocationStatus(form, locate.getAttribute("data-locating-text") || "…");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.querySelector("[data-latitude]").value = position.coords.latitude.toFixed(6);
          form.querySelector("[data-longitude]").value = position.coords.longitude.toFixed(6);
          pointChanged(form.querySelector("[data-latitude]"));
          setLocationStatus(form, locate.getAttribute("data-located-text") || "");
        },
        function () {
          setLocationStatus(form, locate.getAttribute("data-locate-failed-text") || "");
        },
        { enableHighAccuracy: true, timeout: 15000 }
      );
      return;
    }
    // The action bar's shortcuts open the action they name, ready to type into.
    var shortcut = event.target.closest("[data-open-action]");
    if (shortcut) {
      var action = document.getElementById(shortcut.getAttribute("href").slice(1));
      if (action) {
        event.preventDefault();  // a jump to the fragment would take the focus back
        action.open = true;
        action.scrollIntoView({ block: "start" });
        // The text first: it is what every action with text is about.
        var first = action.querySelector("textarea") || action.querySelector("select, input:not([type=hidden])");
        if (first) first.focus({ preventScroll: true });
      }
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var field = document.getElementById(copy.getAttribute("data-copy"));
      var status = document.querySelector("[data-copy-status]");
      field.select();
      var done = function () { if (status) status.textContent = status.getAttribute("data-copied-text"); };
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () {});
      else if (document.execCommand("copy")) done();
    }
  });

  // Live progress (backend.live). A timeline takes each entry once: its stream URL carries the
  // last entry shown, for when the extension opens a new connection after an error (that one
  // does not send the browser's Last-Event-ID).
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var message = event.detail;
    var source = event.target.closest("[sse-connect]");
    if (message.type === "entry" && source && message.lastEventId) {
      var url = new URL(source.getAttribute("sse-connect"), window.location.href);
      var id = Number(message.lastEventId);
      if (id <= Number(url.searchParams.get("after") || 0)) {
        event.preventDefault();
        return;
      }
      url.searchParams.set("after", String(id));
      source.setAttribute("sse-connect", url.pathname + url.search);
    }
    if (event.target.hasAttribute("data-live-queue")) event.target.__itemsBefore = itemsIn(event.target);
  });

  // A staff queue arrives whole and is morphed into the page (idiomorph, hx-swap="morph:innerHTML"):
  // elements are kept by id, so focus stays where it was. When an item that was not there before
  // comes in, the queue says so quietly.
  function itemsIn(container) {
    return Array.prototype.map.call(container.querySelectorAll("[data-item]"), function (item) {
      return item.getAttribute("data-item");
    });
  }
  document.addEventListener("htmx:sseMessage", function (event) {
    var queue = event.target;
    if (!queue.hasAttribute("data-live-queue") || !queue.__itemsBefore) return;
    var before = queue.__itemsBefore;
    var arrived = itemsIn(queue).some(function (key) { return before.indexOf(key) === -1; });
    var notice = arrived && queue.closest("[sse-connect]").querySelector("[data-live-notice]");
    if (notice) notice.textContent = notice.getAttribute("data-live-notice");
  });

  function keepTypedText() {
    if (!window.Idiomorph) return;
    // Text typed into a field (focused or not) is the person's, not the server's: a morph leaves it.
    Idiomorph.defaults.ignoreActiveValue = true;
    Idiomorph.defaults.callbacks.beforeAttributeUpdated = function (name, element) {
      if (name === "value" && "defaultValue" in element && element.value !== element.defaultValue) return false;
      // So is a box ticked for a bulk action: new work arriving does not untick it.
      if (name === "checked" && element.type === "checkbox" && element.checked !== element.defaultChecked) return false;
    };
  }

  // A bulk run's outcome replaces the busy line: focus moves to it, so it is read out and in view.
  document.addEventListener("htmx:afterSwap", function (event) {
    var outcome = event.target.id === "bulk-result" && event.target.querySelector("[data-bulk-outcome]");
    if (outcome) outcome.focus();
  });

  // The staff case page's action bar stays on screen while it takes at most a third of it; with
  // large text or a short screen it scrolls away instead of covering the page. While it stays,
  // the page scrolls what gets focus (or is jumped to) out from under it.
  function keepActionBar() {
    var bar = document.querySelector(".action-bar");
    if (!bar) return;
    var fit = function () {
      var stays = bar.offsetHeight <= window.innerHeight / 3;
      bar.classList.toggle("stays", stays);
      document.documentElement.style.scrollPaddingTop = stays ? bar.offsetHeight + "px" : "";
    };
    fit();
    new ResizeObserver(fit).observe(bar);
    window.addEventListener("resize", fit);
  }

  function reveal() {
    // Buttons that only work with script stay hidden without it.
    if (navigator.geolocation) document.querySelectorAll("[data-locate]").forEach(function (b) { b.hidden = false; });
    document.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { reveal(); focusErrors(document); keepTypedText(); keepActionBar(); });
  document.addEventListener("htmx:load", reveal);
})();
