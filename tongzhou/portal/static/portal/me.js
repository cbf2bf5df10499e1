// The elder's QR code changes every minute: fetch the new one in time. A result (booked,
// cancelled, refused) is brought into view and focused, so it is seen and read out.
(function () {
  var result = document.getElementById("result");
  if (result) { window.scrollTo(0, 0); result.focus({ preventScroll: true }); }
  var qr = document.getElementById("qr");
  if (!qr || !qr.dataset.refreshUrl) return;
  setInterval(function () {
    fetch(qr.dataset.refreshUrl).then(function (r) { return r.json(); }).then(function (data) {
      if (data.svg) qr.innerHTML = data.svg;
    });
  }, Number(qr.dataset.refreshMs));
})();
