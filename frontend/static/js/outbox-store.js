// The device's outbox: reports kept in IndexedDB until they are sent, photos included. Shared
// by the pages (outbox.js) and the service worker, which sends them when no page is open.
// Each report keeps the submission key of its form, so sending it twice files it once.
(function (scope) {
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
    get: function (key) { return transact("readonly", function (store) { return store.get(key); }); },
    put: function (report) { return transact("readwrite", function (store) { store.put(report); }); },
    remove: function (key) { return transact("readwrite", function (store) { store.delete(key); }); },
  };

  // One report to /report, from a page or the service worker alike (same origin: the browser
  // says so in Sec-Fetch-Site, which is all the server checks).
  outbox.send = function (report) {
    var body = new FormData();
    report.fields.forEach(function (field) {
      if (field[2]) body.append(field[0], field[1], field[2]);
      else body.append(field[0], field[1]);
    });
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
          report.photos = [];
        } else if (response.status === 422) {
          report.state = "refused";
          report.errors = answer.errors || {};
          report.photoErrors = answer.photo_errors || [];
          report.problem = Object.values(report.errors).concat(report.photoErrors).join(" ");
        } else {
          return; // a server in trouble: try again later
        }
        return outbox.put(report);
      });
    });
  };

  // Every waiting report, one after the other; answers how many still wait. A page and the
  // service worker may both start this: the lock lets one send at a time, and the other then
  // finds what is left.
  outbox.sendWaiting = function () {
    function sendEach() {
      return outbox.all().then(function (reports) {
        return reports.filter(function (r) { return r.state === "waiting"; }).reduce(function (done, report) {
          return done.then(function () { return outbox.send(report).catch(function () {}); });
        }, Promise.resolve());
      }).then(outbox.all).then(function (reports) {
        return reports.filter(function (r) { return r.state === "waiting"; }).length;
      });
    }
    return scope.navigator.locks ? scope.navigator.locks.request("minsheng-outbox", sendEach) : sendEach();
  };

  scope.minshengOutbox = outbox;
})(self);
