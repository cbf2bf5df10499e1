{% load static %}// The counter's service worker: the page and its files are kept, so a counter reloaded
// while the network is down still opens and sells offline (its menu, the offline pack and
// the queue live in localStorage). The API is never cached: counter.js decides offline.
"use strict";
const CACHE = "tongzhou-counter-{{ version }}";
const SHELL = ["{% url 'counter' %}", "{% static 'meals/counter.css' %}", "{% static 'meals/counter.js' %}"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("tongzhou-counter-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    // The page: the network first (a new version when there is one), the kept copy offline.
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok) caches.open(CACHE).then((cache) => cache.put(SHELL[0], response.clone()));
        return response;
      }).catch(() => caches.match(SHELL[0]))
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    // The files: the kept copy at once, refreshed in the background for the next start.
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request).then((kept) => {
      const fresh = fetch(request).then((response) => {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
      return kept ? (fresh.catch(() => kept), kept) : fresh;
    })));
  }
});
