// The debrief form saves itself as a draft while its author types (htmx posts
// it to the draft address). This says so when a save fails, keeps the text on
// the page, and asks before leaving a page whose last words are not saved.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = document.getElementById("draft-status");
  var unsaved = false;

  function notSaved(why) {
    status.textContent = "Not saved: " + why + " Your text is still here: it saves as soon as you type again, or press Save draft.";
  }

  form.addEventListener("input", function () { unsaved = true; });
  form.addEventListener("change", function () { unsaved = true; });
  form.addEventListener("submit", function () { unsaved = false; });

  // Only the draft address's own answer goes into the status line: a sign-in
  // page (the session ended while typing) must not.
  form.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 200 && event.detail.serverResponse.indexOf("data-draft-status") === -1) {
      event.detail.shouldSwap = false;
      notSaved("you have been signed out. Sign in again in another tab, then come back here.");
    }
  });

  form.addEventListener("htmx:afterRequest", function (event) {
    var answer = event.detail.xhr ? event.detail.xhr.responseText || "" : "";
    if (event.detail.successful && answer.indexOf("data-draft-status") !== -1) {
      unsaved = false;
    } else if (!event.detail.successful) {
      notSaved("the connection failed.");
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
