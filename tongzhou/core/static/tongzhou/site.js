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

// An export link (data-download) fetches its file while saying how far it has come, then
// saves it under the name the server gave: a city-wide list takes a while to arrive.
function tongzhouDownload(event, link, href) {
  var texts = document.body.dataset;
  var status = link.nextElementSibling;
  if (!status || !status.classList.contains("download-status")) {
    status = document.createElement("span");
    status.className = "download-status";
    status.setAttribute("role", "status");
    link.insertAdjacentElement("afterend", status);
  }
  status.textContent = texts.downloadWorking;
  fetch(href, { credentials: "same-origin" }).then(function (response) {
    if (!response.ok) throw new Error(String(response.status));
    var total = Number(response.headers.get("Content-Length")) || 0;
    var disposition = response.headers.get("Content-Disposition") || "";
    var match = /filename\*=utf-8''([^;]+)/i.exec(disposition) || /filename="?([^";]+)"?/i.exec(disposition);
    var name = match ? decodeURIComponent(match[1]) : "export.xlsx";
    var reader = response.body.getReader();
    var chunks = [], received = 0;
    function pump() {
      return reader.read().then(function (part) {
        if (part.done) return;
        chunks.push(part.value);
        received += part.value.length;
        status.textContent = texts.downloadProgress + " " +
          (total ? Math.round(received * 100 / total) + "%" : Math.round(received / 1024) + " KB");
        return pump();
      });
    }
    return pump().then(function () {
      var url = URL.createObjectURL(new Blob(chunks, { type: response.headers.get("Content-Type") || "" }));
      var save = document.createElement("a");
      save.href = url;
      save.download = name;
      document.body.appendChild(save);
      save.click();
      save.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      status.textContent = texts.downloadDone + " " + name;
    });
  }).catch(function () { status.textContent = texts.downloadFailed; });
}
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-download]");
  if (!link || !window.fetch || !window.ReadableStream || !window.URL) return;
  event.preventDefault();
  tongzhouDownload(event, link, link.href);
});
// An export form's button likewise: the form's choices go in the address.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (!button || !button.hasAttribute("data-download-form") || !window.fetch || !window.ReadableStream) return;
  event.preventDefault();
  var form = event.target;
  var query = new URLSearchParams(new FormData(form)).toString();
  tongzhouDownload(event, button, form.action + (query ? "?" + query : ""));
});

// Until this file has run, a confirmed step cannot be tapped (site.css): pressed earlier, on
// a slow phone, its form would go without the question being asked.
document.documentElement.classList.add("js-ready");
