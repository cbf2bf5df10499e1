// Behaviour the pages share, from a file: the Content-Security-Policy runs no inline script.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) window.print();
});

// A form (or its button) with data-confirm asks before it is sent: a step that costs money, fixes figures
// or raises an alarm is confirmed in words, and "Cancel" leaves everything as it was.
(function () {
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || !dialog.showModal) return;
  var pending = null;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = (event.submitter && event.submitter.dataset.confirm) || form.dataset.confirm;
    if (!question || form.dataset.confirmed === "1") return;
    event.preventDefault();
    pending = { form: form, submitter: event.submitter };
    document.getElementById("confirm-text").textContent = question;
    dialog.showModal();
  });
  dialog.addEventListener("click", function (event) {
    if (event.target.closest("[data-confirm-yes]") && pending) {
      var chosen = pending;
      pending = null;
      dialog.close();
      chosen.form.dataset.confirmed = "1";
      chosen.form.requestSubmit(chosen.submitter || undefined);
    } else if (event.target.closest("[data-confirm-no]")) {
      pending = null;
      dialog.close();
    }
  });
  dialog.addEventListener("close", function () { pending = null; });
})();
