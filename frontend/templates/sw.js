// Minsheng's service worker. The app shell comes from a cache named after this release; pages
// come from the network first, then from the cache, then the offline page.
"use strict";
const CACHE = "minsheng-" + {{ version | tojson }};
const PRECACHE = {{ precache | tojson }};
const SHELL_PAGES = new Set({{ shell_pages | tojson }});
const OFFLINE_PAGE = {{ offline_page | tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("minsheng-") && name !== CACHE).map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

function pageFromNetwork(request, path) {
  return fetch(request).then((response) => {
    // Only the shell's own pages are kept, and only complete answers: never anyone's case.
    if (SHELL_PAGES.has(path) && response.ok && !response.redirected) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(path, copy));
    }
    return response;
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      pageFromNetwork(request, url.pathname).catch(() =>
        caches.match(SHELL_PAGES.has(url.pathname) ? url.pathname : OFFLINE_PAGE, { ignoreSearch: true })
          .then((page) => page || caches.match(OFFLINE_PAGE))
      )
    );
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});

// Reports kept on the device while offline (outbox-store.js) are sent from here when the
// connection returns, whether or not a page is open; open pages are then told, to show how it
// went. While any still waits, the browser tries again later.
importScripts({{ outbox_store | tojson }});

self.addEventListener("sync", (event) => {
  if (event.tag !== "minsheng-outbox") return;
  event.waitUntil(
    self.minshengOutbox.sendWaiting().then((waiting) =>
      self.clients.matchAll({ type: "window" }).then((windows) => {
        windows.forEach((client) => client.postMessage({ type: "outbox-changed" }));
        if (waiting) throw new Error(waiting + " reports still wait for the network");
      })
    )
  );
});

// News of a case (the follow page's "on this device"): the server's push carries a title, a
// line and the case's link; a tap opens the case, in a window already showing it if there is one.
self.addEventListener("push", (event) => {
  let news = {};
  try {
    news = event.data ? event.data.json() : {};
  } catch (error) {
    news = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(news.title || "Minsheng", {
      body: news.body || "",
      icon: {{ icon | tojson }},
      data: { url: news.url || "/" },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data.url, self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((windows) => {
      const open = windows.find((client) => client.url.split("#")[0] === url.href.split("#")[0]);
      return open ? open.navigate(url.href).then((client) => (client || open).focus()) : self.clients.openWindow(url.href);
    })
  );
});
