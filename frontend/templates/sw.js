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
