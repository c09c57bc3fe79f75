// Forms with photos: photos made smaller in the browser before upload, and the report form
// kept on the device (outbox-store.js, listed by outbox.js) when there is no connection, or put
// back into the form, with what was wrong, when the server refuses it.
(function () {
  "use strict";

  var outbox = window.minshengOutbox;
  var text = outbox.text;
  var render = outbox.render;

  // Keep a report form's content on the device; photos chosen offline come with it as files.
  function keep(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (value instanceof File) {
        if (value.name) fields.push([name, value, value.name]);
      } else {
        fields.push([name, value]);
      }
    });
    (pendingPhotos.get(form) || []).forEach(function (file) { fields.push(["photos", file, file.name]); });
    var keyField = fields.find(function (field) { return field[0] === "submission_key"; });
    return outbox.all().then(function (reports) {
      // A form from the cached report page carries the key of an earlier report: a new one gets its own.
      // (A refused report being corrected on this page keeps its key, and its entry is replaced.)
      if (!keyField || reports.some(function (r) { return r.key === keyField[1] && !correcting.has(r.key); })) {
        var fresh = Array.from(crypto.getRandomValues(new Uint8Array(24)), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
        if (keyField) keyField[1] = fresh; else fields.push(["submission_key", fresh]);
        keyField = ["submission_key", fresh];
      }
      var title = (fields.find(function (field) { return field[0] === "title"; }) || [])[1];
      // Photos uploaded before the connection went: the server's own markup of each, to show
      // them again if the report has to be corrected.
      var photos = Array.from(form.querySelectorAll(".photo-item"), function (item) { return item.outerHTML; });
      return outbox.put({ key: keyField[1], fields: fields, photos: photos, title: title, state: "waiting", savedAt: Date.now() });
    }).then(function () {
      if (navigator.serviceWorker && window.SyncManager) {
        navigator.serviceWorker.ready.then(function (registration) { return registration.sync.register("minsheng-outbox"); }).catch(function () {});
      }
      var saved = document.createElement("p");
      saved.setAttribute("role", "status");
      saved.tabIndex = -1;
      saved.textContent = text("saved");
      form.replaceWith(saved);
      saved.focus();
      return render();
    });
  }

  // Offline, a report form is kept instead of sent; a connection lost while sending too.
  var pendingPhotos = new WeakMap();
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (navigator.onLine || !window.indexedDB) return;
    if (element.id === "report-form") {
      event.preventDefault();
      keep(element);
    } else if (element.matches("[data-photo-input]") && element.form && element.form.id === "report-form") {
      event.preventDefault();
      var kept = (pendingPhotos.get(element.form) || []).concat(Array.from(element.files));
      pendingPhotos.set(element.form, kept);
      var list = element.closest(".photo-picker").querySelector(".photo-list");
      Array.from(element.files).forEach(function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + " — " + text("photo-kept");
        list.append(item);
      });
      element.value = "";
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    var element = event.detail.elt;
    if (element.id === "report-form" && window.indexedDB) keep(element);
  });

  // Photos larger than the server keeps are made smaller here first, to save the citizen's
  // data; never below the server's display size, and the map point is read before the
  // re-encoding drops the photo's metadata.
  var resizing = new WeakSet();
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-photo-input][data-max-side]") || resizing.has(input)) return;
    if (!window.createImageBitmap || !window.DataTransfer || !input.files.length) return;
    event.stopImmediatePropagation();
    var maxSide = Number(input.getAttribute("data-max-side"));
    var files = Array.from(input.files);
    Promise.all(files.map(function (file) { return smaller(file, maxSide, input.form); })).then(function (results) {
      var transfer = new DataTransfer();
      results.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      resizing.add(input);
      input.dispatchEvent(new Event("change", { bubbles: true }));
      resizing.delete(input);
    });
  }, true);

  function smaller(file, maxSide, form) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return Promise.resolve(file);
    var located = window.exifr && form ? window.exifr.gps(file).then(function (gps) { fillLocation(form, gps); }, function () {}) : Promise.resolve();
    return located.then(function () { return createImageBitmap(file); }).then(function (bitmap) {
      var scale = maxSide / Math.max(bitmap.width, bitmap.height);
      if (scale >= 1) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob && blob.size < file.size ? new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.9);
      });
    }).catch(function () { return file; }); // undecodable here (HEIC…): the server copes
  }

  function fillLocation(form, gps) {
    var latitude = form.querySelector("[data-latitude]");
    var longitude = form.querySelector("[data-longitude]");
    if (!gps || !latitude || !longitude || latitude.value || longitude.value) return;
    // As the server writes them: six places at most, no trailing zeros.
    latitude.value = String(Number(gps.latitude.toFixed(6)));
    longitude.value = String(Number(gps.longitude.toFixed(6)));
    var status = form.querySelector("[data-location-status]");
    if (status) status.textContent = form.getAttribute("data-from-photo-text") || "";
  }

  // A refused report back in the form (/report?restore=key): what was typed, its photos and
  // what the server said, to correct and send again. The device keeps it ("correcting") until
  // the form is filed, so a tab closed meanwhile loses nothing.
  var NOT_RESTORED = new Set(["submission_key", "photo_key", "photos"]);
  function restore(form, report) {
    var values = {};
    report.fields.forEach(function (field) {
      if (!NOT_RESTORED.has(field[0])) (values[field[0]] = values[field[0]] || []).push(field[1]);
    });
    Array.from(form.elements).forEach(function (element) {
      if (!(element.name in values) || element.type === "file") return;
      if (element.type === "radio" || element.type === "checkbox") element.checked = values[element.name].indexOf(element.value) >= 0;
      else if (element.multiple) Array.from(element.options).forEach(function (option) { option.selected = values[element.name].indexOf(option.value) >= 0; });
      else element.value = values[element.name][0];
    });
    var category = form.querySelector("#field-category_id");
    if (category) category.dispatchEvent(new Event("change", { bubbles: true })); // its questions
    // Photos uploaded before the connection went, as the server showed them (their keys inside).
    form.querySelector(".photo-list").insertAdjacentHTML("beforeend", (report.photos || []).join(""));
    var files = report.fields.filter(function (field) { return field[0] === "photos" && field[2]; });
    var input = form.querySelector("[data-photo-input]");
    if (files.length && input && window.DataTransfer) {
      var transfer = new DataTransfer();
      files.forEach(function (field) { transfer.items.add(new File([field[1]], field[2], { type: field[1].type })); });
      input.files = transfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true })); // uploaded (or kept) as if chosen now
    }
    // The server's words, as its own error summary would show them: each a link to its field.
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    var heading = document.createElement("h2");
    heading.textContent = text("restored");
    var problems = document.createElement("ul");
    var errors = Object.entries(report.errors || {}).concat((report.photoErrors || []).map(function (message) { return ["photos", message]; }));
    errors.forEach(function (error) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#field-" + error[0];
      link.textContent = error[1];
      item.append(link);
      problems.append(item);
      var field = form.querySelector("#field-" + error[0]);
      if (field && field.matches("input, select, textarea")) field.setAttribute("aria-invalid", "true");
    });
    summary.append(heading, problems);
    form.prepend(summary);
    summary.focus();
    form.querySelector("[name=submission_key]").value = report.key; // never filed: still unused
    correcting.add(report.key);
    report.state = "correcting";
    return outbox.put(report).then(render);
  }

  // Filed: the server answers the form with a redirect to the follow page. (The form may have
  // come back with errors in between, as a new element: the submission key stays the same.)
  var correcting = new Set();
  document.addEventListener("htmx:beforeOnLoad", function (event) { // before htmx follows the redirect
    var key = event.detail.elt.id === "report-form" && event.detail.elt.querySelector("[name=submission_key]").value;
    if (correcting.has(key) && event.detail.xhr.status < 300 && event.detail.xhr.getResponseHeader("HX-Redirect")) outbox.remove(key);
  });

  function restoreFromAddress() {
    var key = new URLSearchParams(location.search).get("restore");
    var form = document.getElementById("report-form");
    if (!key || !form || !window.indexedDB) return Promise.resolve();
    return outbox.get(key).then(function (report) {
      if (report && (report.state === "refused" || report.state === "correcting")) return restore(form, report);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { restoreFromAddress().catch(function () {}); });
})();
