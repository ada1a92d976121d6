/* Groundwork's service worker (loaded by /sw.js, which sets self.GROUNDWORK).

   Pages come from the network first, always. Without a connection a page
   falls back to the copy of the log form this phone last opened (so that a
   contact can be logged with no signal), or else to the offline page. A log
   form sent while the network fails is kept on the phone, like one the page
   kept itself, and sent by Background Sync or at the next page online. */
/* global GroundworkQueue */
(function () {
  "use strict";

  var config = self.GROUNDWORK;
  var SHELL_CACHE = "groundwork-shell-" + config.version;
  // Signed-in pages are kept only here, only the log form, and dropped at sign-out.
  var PAGES_CACHE = "groundwork-pages";

  self.addEventListener("install", function (event) {
    event.waitUntil(
      caches.open(SHELL_CACHE).then(function (cache) {
        // Without cookies: the offline page is the same for everyone.
        return cache.addAll(config.shell.map(function (url) { return new Request(url, { credentials: "omit" }); }));
      }).then(function () {
        return self.skipWaiting();
      })
    );
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("groundwork-shell-") === 0 && name !== SHELL_CACHE;
        }).map(function (name) { return caches.delete(name); }));
      }).then(function () { return self.clients.claim(); })
    );
  });

  function isLogPage(url) {
    return url.origin === self.location.origin && url.pathname === config.logPage;
  }

  function offlinePage() {
    return caches.match(config.offlinePage, { cacheName: SHELL_CACHE });
  }

  function page(request) {
    var url = new URL(request.url);
    return fetch(request).then(function (response) {
      if (isLogPage(url) && !url.search && response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(PAGES_CACHE).then(function (cache) { return cache.put(config.logPage, copy); });
      }
      return response;
    }, function () {
      if (!isLogPage(url)) return offlinePage();
      return caches.match(config.logPage, { cacheName: PAGES_CACHE }).then(function (kept) {
        return kept || offlinePage();
      });
    });
  }

  /* A log form sent as the network failed: kept on the phone like one the page kept. */
  function logForm(request) {
    var kept = request.clone();
    return fetch(request).catch(function () {
      return Promise.all([kept.formData(), GroundworkQueue.meta("owner")]).then(function (found) {
        var fields = [];
        found[0].forEach(function (value, name) { fields.push([name, String(value)]); });
        var key = found[0].get("submission_key");
        if (!key || !found[1]) return offlinePage();  // Not a contact to keep, or nobody to send it as.
        return GroundworkQueue.put({
          key: String(key),
          owner: found[1],
          fields: fields,
          on: String(found[0].get("on") || ""),
          account: "",
          state: "queued",
          savedAt: new Date().toISOString(),
        }).then(function () {
          if (self.registration.sync) self.registration.sync.register(GroundworkQueue.SYNC_TAG).catch(function () {});
          // Away from the form's address, so that reloading does not send the form again.
          return Response.redirect(config.offlinePage, 303);
        });
      });
    });
  }

  /* The styles and scripts of the pages kept for offline use, from the network while there is one. */
  function shellFile(request) {
    return fetch(request).catch(function () {
      return caches.match(request.url, { cacheName: SHELL_CACHE }).then(function (kept) {
        return kept || Response.error();
      });
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.mode !== "navigate") {
      if (request.method === "GET" && config.shell.indexOf(new URL(request.url).pathname) >= 0) {
        event.respondWith(shellFile(request));
      }
      return;
    }
    if (request.method === "GET") {
      event.respondWith(page(request));
    } else if (request.method === "POST" && isLogPage(new URL(request.url))) {
      event.respondWith(logForm(request));
    }
  });

  function tellPages() {
    return self.clients.matchAll({ type: "window" }).then(function (clients) {
      clients.forEach(function (client) { client.postMessage({ type: "log-queue-changed" }); });
    });
  }

  self.addEventListener("sync", function (event) {
    if (event.tag !== GroundworkQueue.SYNC_TAG) return;
    // A rejection (still no connection) makes the browser try again later.
    event.waitUntil(GroundworkQueue.send(config.logPage).then(tellPages));
  });

  self.addEventListener("message", function (event) {
    if (event.data && event.data.type === "signed-out") {
      event.waitUntil(caches.delete(PAGES_CACHE));
    }
  });
})();
