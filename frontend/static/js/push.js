// Push on this device (the follow page's notifications): asks the person's permission on their
// click, subscribes this browser through the service worker with the platform's VAPID key, and
// gives the subscription to the server. Without push support the page says to use email or SMS.
"use strict";
(function () {
  var box = document.querySelector("[data-push-subscribe]");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
  var status = document.querySelector("[data-push-status]");
  document.querySelector("[data-push-unsupported]").hidden = true;
  box.hidden = false;

  function keyBytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    return Uint8Array.from(text, function (c) { return c.charCodeAt(0); });
  }

  box.querySelector("[data-push-button]").addEventListener("click", function () {
    status.textContent = "";
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") throw new Error(box.dataset.denied);
        return navigator.serviceWorker.register("/sw.js").then(function () { return navigator.serviceWorker.ready; });
      })
      .then(function (registration) {
        return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.key) });
      })
      .then(function (subscription) {
        return fetch(box.dataset.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { "content-type": "application/json" },  // same-origin: the browser marks it (backend/web/csrf.py)
          body: JSON.stringify(subscription.toJSON()),
        });
      })
      .then(function (response) {
        return response.json().then(function (answer) { status.textContent = answer.message; });
      })
      .catch(function (error) {
        status.textContent = error.message || box.dataset.failed;
      });
  });
})();
