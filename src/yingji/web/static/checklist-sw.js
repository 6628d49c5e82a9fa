// The offline checklist's service worker (served as /enforcement/checklist-sw.js, scope /enforcement/): the
// checklist pages and the platform's static files are taken from the network when it answers and kept, and
// from the kept copy when it does not, so an inspector can open the checklist again at the enterprise. Only
// GET requests of those paths are touched; the API and every other page go to the network as before.
"use strict";
var CACHE = "yingji-checklist-v1";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var path = new URL(request.url).pathname;
  if (!/\/enforcement\/inspections\/\d+\/checklist$/.test(path) && !/\/static\//.test(path)) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (kept) { return kept || Response.error(); });
  }));
});
