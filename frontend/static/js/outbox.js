// Filing without a connection, and lighter photo uploads.
//
// A report sent while offline (or whose sending fails on the way) is kept on the device in
// IndexedDB, photos included, and sent when the connection returns: on the "online" event, when
// any Minsheng page opens, or when the service worker's background sync wakes a page. Each
// report keeps the submission key of its form, so sending it twice files it once.
(function () {
  "use strict";

  var DATABASE = "minsheng";
  var STORE = "outbox";

  function openStore() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "key" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function transact(mode, work) {
    return openStore().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var result = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }

  var outbox = {
    all: function () { return transact("readonly", function (store) { return store.getAll(); }); },
    put: function (report) { return transact("readwrite", function (store) { store.put(report); }); },
    remove: function (key) { return transact("readwrite", function (store) { store.delete(key); }); },
  };

  function panel() { return document.getElementById("outbox"); }

  function text(name, values) {
    var template = (panel() && panel().getAttribute("data-" + name + "-text")) || "";
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values && key in values ? values[key] : ""; });
  }

  // The list of kept reports, on every page that has the panel.
  function render() {
    var box = panel();
    if (!box || !window.indexedDB) return Promise.resolve();
    return outbox.all().then(function (reports) {
      var list = box.querySelector("ol");
      list.replaceChildren();
      reports.sort(function (a, b) { return a.savedAt - b.savedAt; }).forEach(function (report) {
        var item = document.createElement("li");
        item.setAttribute("data-outbox-state", report.state);
        var title = document.createElement("strong");
        title.textContent = report.title || "…";
        item.append(title, " — ");
        if (report.state === "sent") {
          var link = document.createElement("a");
          link.href = report.followUrl;
          link.textContent = text("sent", { number: report.number });
          var dismiss = document.createElement("button");
          dismiss.type = "button";
          dismiss.className = "secondary outline";
          dismiss.setAttribute("data-outbox-dismiss", report.key);
          dismiss.textContent = text("dismiss");
          item.append(link, " ", dismiss);
        } else if (report.state === "refused") {
          item.append(text("refused"), " ", report.problem || "");
        } else {
          item.append(text(sending ? "sending" : "waiting"));
        }
        list.append(item);
      });
      box.hidden = reports.length === 0;
    });
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
    } catch (error) {
      return "";
    }
  }

  function send(report) {
    var body = new FormData();
    report.fields.forEach(function (field) {
      if (field[0] === "_csrf_token") return; // this page's token replaces the one kept
      if (field[2]) body.append(field[0], field[1], field[2]);
      else body.append(field[0], field[1]);
    });
    body.append("_csrf_token", csrfToken());
    return fetch("/report", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { accept: "application/json" },
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          report.state = "sent";
          report.number = answer.number;
          report.followUrl = answer.follow_url;
          report.fields = []; // sent: the device keeps no more of it than the link
        } else if (response.status === 422) {
          report.state = "refused";
          report.problem = Object.values(answer.errors || {}).concat(answer.photo_errors || []).join(" ");
        } else {
          return; // a stale token or a server in trouble: try again later
        }
        return outbox.put(report);
      });
    });
  }

  var sending = null;
  function sendAll() {
    if (!window.indexedDB || !navigator.onLine) return render();
    if (sending) return sending;
    sending = outbox.all()
      .then(function (reports) {
        return reports.filter(function (r) { return r.state === "waiting"; }).reduce(function (done, report) {
          return done.then(function () { return send(report).catch(function () {}); });
        }, Promise.resolve());
      })
      .catch(function () {})
      .then(function () { sending = null; return render(); });
    render();
    return sending;
  }

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
      if (!keyField || reports.some(function (r) { return r.key === keyField[1]; })) {
        var fresh = Array.from(crypto.getRandomValues(new Uint8Array(24)), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
        if (keyField) keyField[1] = fresh; else fields.push(["submission_key", fresh]);
        keyField = ["submission_key", fresh];
      }
      var title = (fields.find(function (field) { return field[0] === "title"; }) || [])[1];
      return outbox.put({ key: keyField[1], fields: fields, title: title, state: "waiting", savedAt: Date.now() });
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

  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-outbox-dismiss]");
    if (dismiss) outbox.remove(dismiss.getAttribute("data-outbox-dismiss")).then(render);
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

  window.addEventListener("online", sendAll);
  window.addEventListener("offline", render);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "send-outbox") sendAll();
    });
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
  document.addEventListener("DOMContentLoaded", sendAll);
})();
