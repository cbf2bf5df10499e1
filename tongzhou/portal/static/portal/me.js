// The elder's QR code changes every minute: fetch the new one in time.
(function () {
  var qr = document.getElementById("qr");
  if (!qr || !qr.dataset.refreshUrl) return;
  setInterval(function () {
    fetch(qr.dataset.refreshUrl).then(function (r) { return r.json(); }).then(function (data) {
      if (data.svg) qr.innerHTML = data.svg;
    });
  }, Number(qr.dataset.refreshMs));
})();
