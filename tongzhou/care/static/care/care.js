// The carer's check-in and check-out: the phone's position is read when the button is
// pressed and sent with the form; without it the server refuses and says why.
(function () {
  "use strict";
  document.querySelectorAll("form[data-geo]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.located === "1") return;
      event.preventDefault();
      var status = form.querySelector("[data-geo-status]");
      var say = function (text) { if (status) status.textContent = text; };
      if (!navigator.geolocation) { say(form.dataset.geoUnsupported); return; }
      say(form.dataset.geoWaiting);
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lon.value = pos.coords.longitude;
        form.elements.lat.value = pos.coords.latitude;
        form.elements.accuracy.value = pos.coords.accuracy;
        form.elements.device_ms.value = pos.timestamp || Date.now();
        form.dataset.located = "1";
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }, function () {
        say(form.dataset.geoDenied);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
  });
})();
