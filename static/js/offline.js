/* Every page: installs the service worker, says what waits on this phone, and
   sends it once there is a connection. On the log form: with no connection,
   the contact is kept on this phone instead of being lost to a failed send. */
(function () {
  "use strict";

  var Queue = window.GroundworkQueue;
  var body = document.body;
  var notices = document.getElementById("phone-notices");
  var form = document.querySelector("form[data-offline-log]");
  var logPage = body.dataset.logPage;
  // The offline page is kept without cookies: it cannot say who is signed in.
  var live = !document.querySelector("[data-offline-page]");
  var signedIn = live ? body.dataset.signedIn || null : undefined;

  if ("serviceWorker" in navigator && body.dataset.serviceWorker) {
    navigator.serviceWorker.register(body.dataset.serviceWorker, { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "log-queue-changed") render();
    });
  }
  if (!Queue || !window.indexedDB) return;

  function owner() {
    return signedIn !== undefined ? Promise.resolve(signedIn) : Queue.meta("owner");
  }

  function notice(kind, text) {
    var alert = document.createElement("div");
    alert.className = "alert alert-" + kind;
    alert.textContent = text;
    notices.appendChild(alert);
    return alert;
  }

  function refusedNotice(item) {
    var alert = notice("danger", describe(item) + " was not logged: " + item.errors.join(" ") + " ");
    var params = new URLSearchParams();
    item.fields.forEach(function (pair) {
      if (["account", "contacts", "colleagues"].indexOf(pair[0]) >= 0) params.append(pair[0], pair[1]);
    });
    var open = document.createElement("a");
    open.href = logPage + "?" + params.toString() + "#restore=" + item.key;
    open.className = "alert-link me-3";
    open.textContent = "Open it in the form";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "btn btn-sm btn-outline-dark";
    discard.textContent = "Discard it";
    discard.addEventListener("click", function () { Queue.remove(item.key).then(render); });
    alert.append(open, discard);
  }

  function describe(item) {
    return "Your contact of " + Queue.dayText(item.on) + (item.account ? " with " + item.account : "");
  }

  var sentHere = {};

  function render() {
    if (!notices) return Promise.resolve();
    return Promise.all([Queue.all(), owner()]).then(function (found) {
      var items = found[0];
      var who = found[1];
      notices.replaceChildren();
      items.forEach(function (item) {
        if (item.owner !== who || item.state !== "sent") return;
        // Said once, and kept on this page whichever sending (the page's, the worker's) finished it.
        sentHere[item.key] = describe(item) + " was sent: it counts toward your cadence now.";
        Queue.remove(item.key);
      });
      Object.keys(sentHere).forEach(function (key) { notice("success", sentHere[key]); });
      if (!who) {
        if (items.some(function (item) { return item.state !== "sent"; })) {
          notice("warning", "A contact saved on this phone waits to be sent: sign in to send it.");
        }
        return;
      }
      items.filter(function (item) { return item.owner === who && item.state !== "sent"; }).forEach(function (item) {
        if (item.state === "refused") {
          refusedNotice(item);
        } else {
          notice("info", "Saved on this phone: " + describe(item).replace(/^Your/, "your") +
            " will be sent when you are back online.");
        }
      });
    });
  }

  var retries = 0;

  function send() {
    if (!signedIn || !navigator.onLine) return render();
    return Queue.send(logPage).then(function () {
      retries = 0;
      return render();
    }, function () {
      // Online, yet the server did not answer: the connection is still coming back.
      if (retries < 5) window.setTimeout(send, 1000 * ++retries);
      return render();
    });
  }

  function askForSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.getRegistration().then(function (registration) {
      // Where there is no Background Sync, the next page online sends it.
      if (registration && registration.sync) return registration.sync.register(Queue.SYNC_TAG);
    }).catch(function () {});
  }

  function newKey() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (byte) { return (byte + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function accountName(radio) {
    var label = radio.closest("label") || document.querySelector('label[for="' + radio.id + '"]');
    var name = label && (label.querySelector(".fw-semibold") || label);
    return name ? name.textContent.trim() : "";
  }

  function keep(event) {
    var key = form.elements.submission_key.value;
    if (navigator.onLine) {
      // Sent the ordinary way: a contact put back in the form from this phone is no longer waiting.
      Queue.remove(key);
      return;
    }
    event.preventDefault();
    notices.replaceChildren();
    if (event.submitter && event.submitter.name === "search") {
      notice("warning", "Searching needs a connection: choose one of your recent accounts, or search once you are back online.");
      return;
    }
    var account = form.querySelector("input[name=account]:checked");
    if (!account) {
      notice("danger", "Choose the account before saving: without a connection, one of your recent accounts.");
      return;
    }
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "account_query" && name !== "colleague_query") fields.push([name, String(value)]);
    });
    var button = event.submitter;
    if (button) button.disabled = true;
    Queue.put({
      key: key,
      owner: signedIn,
      fields: fields,
      on: form.elements.on.value,
      account: accountName(account),
      state: "queued",
      savedAt: new Date().toISOString(),
    }).then(function () {
      form.reset();
      // The next contact is another one: it gets a key of its own.
      form.elements.submission_key.value = newKey();
      askForSync();
      return render();
    }, function () {
      // Kept nowhere (storage full or refused): the form still holds all that was typed.
      notice("danger", "This phone could not keep the contact. Everything you typed is still in the form: " +
        "send it once you are back online.");
    }).then(function () {
      if (button) button.disabled = false;
      notices.scrollIntoView({ block: "center" });
    });
  }

  /* Without a connection the form's searches and the account's people cannot
     load: say so where they would appear, instead of failing quietly. */
  function offlineLookup(event) {
    if (navigator.onLine) return;
    event.preventDefault();
    var target = event.detail.target;
    if (!target || !form.contains(target)) return;
    var people = target.id === "contact-choices";
    var note = document.createElement("p");
    note.className = "form-text";
    note.dataset.offlineNote = "";
    note.textContent = people
      ? "The account's people can be listed once you are back online; the contact is saved without them."
      : "Searching needs a connection: choose one of your recent accounts, or search once you are back online.";
    if (people) {
      target.replaceChildren(note);
    } else {
      var said = target.parentNode.querySelector("[data-offline-note]");
      if (said) said.remove();
      target.parentNode.insertBefore(note, target);
    }
  }

  /* Back from "Open it in the form": what was typed, in the form again. */
  function restore() {
    var match = /^#restore=([0-9a-f-]+)$/.exec(window.location.hash);
    if (!match) return;
    Queue.all().then(function (items) {
      var item = items.filter(function (each) { return each.key === match[1] && each.owner === signedIn; })[0];
      if (!item) return;
      item.fields.forEach(function (pair) {
        var field = form.elements[pair[0]];
        if (field && ["type", "on", "duration_minutes", "note", "submission_key"].indexOf(pair[0]) >= 0) {
          field.value = pair[1];
        }
      });
    });
  }

  if (live) {
    Queue.setMeta("owner", signedIn).catch(function () {});
    // Signed out: the copy of the log form kept for offline use goes too.
    if (!signedIn && window.caches) window.caches.delete("groundwork-pages");
  }
  if (form && signedIn) {
    form.addEventListener("submit", keep);
    document.body.addEventListener("htmx:beforeRequest", offlineLookup);
    restore();
  }
  window.addEventListener("online", function () { retries = 0; send(); });
  send();
})();
