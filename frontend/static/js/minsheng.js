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
    setLocationStatus(form, form.getAttribute("data-from-photo-text") || "");
  }

  function setLocationStatus(form, text) {
    var status = form.querySelector("[data-location-status]");
    if (status) status.textContent = text;
  }

  document.addEventListener("click", function (event) {
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
          setLocationStatus(form, locate.getAttribute("data-located-text") || "");
        },
        function () {
          setLocationStatus(form, locate.getAttribute("data-locate-failed-text") || "");
        },
        { enableHighAccuracy: true, timeout: 15000 }
      );
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

  function reveal() {
    // Buttons that only work with script stay hidden without it.
    if (navigator.geolocation) document.querySelectorAll("[data-locate]").forEach(function (b) { b.hidden = false; });
    document.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { reveal(); focusErrors(document); });
  document.addEventListener("htmx:load", reveal);
})();
