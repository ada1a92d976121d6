/* Contacts logged on this phone without a connection, and sending them once
   it is back. Loaded by the pages and by the service worker (no DOM here), so
   that a page and Background Sync send the same way.

   Each contact is kept in IndexedDB under its submission key, the form's own.
   The server makes one engagement per key, so a contact sent twice (the
   answer lost on the way back, two tabs sending at once) is still one.
   The CSRF token the form carried may be stale by the time it is sent (a new
   sign-in rotates it): each sending first asks the log form for a fresh one,
   which also says who is signed in. A contact goes only as the person who
   saved it; while nobody is signed in it stays, and the pages say so. */
(function (scope) {
  "use strict";

  var DB_NAME = "groundwork";
  var QUEUE = "log-queue";
  var META = "meta";
  var SYNC_TAG = "groundwork-log-queue";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function open() {
    return new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(QUEUE, { keyPath: "key" });
        request.result.createObjectStore(META, { keyPath: "name" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(store, mode);
        var result = work(transaction.objectStore(store));
        transaction.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : undefined); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
        transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function all() { return run(QUEUE, "readonly", function (store) { return store.getAll(); }); }
  function put(item) { return run(QUEUE, "readwrite", function (store) { store.put(item); }); }
  function remove(key) { return run(QUEUE, "readwrite", function (store) { store.delete(key); }); }
  function meta(name) {
    return run(META, "readonly", function (store) { return store.get(name); }).then(function (row) {
      return row ? row.value : null;
    });
  }
  function setMeta(name, value) {
    return run(META, "readwrite", function (store) { store.put({ name: name, value: value }); });
  }

  /* One sending at a time across the pages and the worker. */
  function exclusively(work) {
    var locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request(SYNC_TAG, work) : work();
  }

  function dayText(iso) {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return parts ? Number(parts[3]) + " " + MONTHS[Number(parts[2]) - 1] + " " + parts[1] : iso;
  }

  function decode(text) {
    return text.replace(/<[^>]*>/g, " ").replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/\s+/g, " ").trim();
  }

  /* The form's messages, from the page it answered with (no DOM in a worker). */
  function formErrors(html) {
    var found = [];
    var pattern = /<(div|span|p)[^>]*class="[^"]*(?:invalid-feedback|alert-danger)[^"]*"[^>]*>([\s\S]*?)<\/\1>/g;
    var match;
    while ((match = pattern.exec(html)) !== null) {
      var text = decode(match[2]);
      if (text && found.indexOf(text) < 0) found.push(text);
    }
    return found.length ? found : ["The form was not accepted."];
  }

  function pathOf(url) { return new URL(url, scope.location.href).pathname; }
  function signInPage(response) { return pathOf(response.url).indexOf("/auth/") === 0; }

  /* Who is signed in, and a CSRF token for them; null when nobody is. */
  function session(logPage) {
    return fetch(logPage, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (signInPage(response) || !response.ok) return null;
      return response.text().then(function (html) {
        var owner = /<body[^>]*data-signed-in="([^"]+)"/.exec(html);
        var token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
        return owner && token ? { owner: owner[1], token: token[1] } : null;
      });
    });
  }

  function sendOne(item, logPage, token) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) {
      if (pair[0] !== "csrfmiddlewaretoken") body.append(pair[0], pair[1]);
    });
    body.append("csrfmiddlewaretoken", token);
    return fetch(logPage, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      if (signInPage(response)) { item.state = "sign-in"; return put(item); }
      if (response.ok && pathOf(response.url) !== pathOf(logPage)) {
        item.state = "sent";
        item.sentAt = new Date().toISOString();
        return put(item);
      }
      if (response.ok) {
        return response.text().then(function (html) {
          item.state = "refused";
          item.errors = formErrors(html);
          return put(item);
        });
      }
      // Refused for now (a server error, too many requests): it stays, and is sent again later.
      throw new Error("the server answered " + response.status);
    });
  }

  /* Send every contact waiting on this phone for the person signed in. A
     failure to reach the server rejects, so that Background Sync tries again. */
  function send(logPage) {
    return exclusively(function () {
      return all().then(function (items) {
        var waiting = items.filter(function (item) { return item.state === "queued" || item.state === "sign-in"; });
        if (!waiting.length) return false;
        return session(logPage).then(function (signedIn) {
          if (signedIn === null) {
            return Promise.all(waiting.map(function (item) { item.state = "sign-in"; return put(item); }))
              .then(function () { return true; });
          }
          var mine = waiting.filter(function (item) { return item.owner === signedIn.owner; });
          return mine.reduce(function (previous, item) {
            return previous.then(function () {
              item.state = "queued";
              return sendOne(item, logPage, signedIn.token);
            });
          }, Promise.resolve()).then(function () { return mine.length > 0; });
        });
      });
    });
  }

  scope.GroundworkQueue = {
    SYNC_TAG: SYNC_TAG,
    all: all,
    put: put,
    remove: remove,
    meta: meta,
    setMeta: setMeta,
    send: send,
    dayText: dayText,
  };
})(self);
