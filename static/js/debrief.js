// The debrief form saves itself as a draft while its author types (htmx posts
// it to the draft address). This says so when a save fails, keeps the text on
// the page, and asks before leaving a page whose last words are not saved.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = document.getElementById("draft-status");
  var unsaved = false;

  form.addEventListener("input", function () { unsaved = true; });
  form.addEventListener("change", function () { unsaved = true; });
  form.addEventListener("submit", function () { unsaved = false; });

  form.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) {
      unsaved = false;
      return;
    }
    status.textContent = "Not saved: the connection failed. Your text is still here and saves as soon as you type again, or press Save draft.";
  });

  window.addEventListener("beforeunload", function (event) {
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
