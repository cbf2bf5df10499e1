// The carer's check-in and check-out: the phone's position is read when the button is
// pressed and sent with the form; without it the server refuses and says why.
(function () {
  "use strict";
  document.querySelectorAll("form[data-geo]").forEach(function (form) {
    // The buttons come disabled: pressed before this script runs, the form would go without
    // the position and be refused (a slow phone on a weak signal does just that).
    form.querySelectorAll("[data-geo-button]").forEach(function (button) {
      button.disabled = false;
    });
    form.addEventListener("submit", function (event) {
      if (form.dataset.located === "1") return;
      event.preventDefault();
      var status = form.querySelector("[data-geo-status]");
      var say = function (text) { if (status) status.textContent = text; };
      if (!navigator.geolocation) { say(form.dataset.geoUnsupported); return; }
      say(form.dataset.geoWaiting);
      // The browser's own timeout starts only once the position may be read: a permission
      // question left unanswered would wait for ever, so the page says what to do itself.
      var answered = false;
      var unanswered = setTimeout(function () {
        if (!answered) say(form.dataset.geoDenied);
      }, 25000);
      navigator.geolocation.getCurrentPosition(function (pos) {
        answered = true;
        clearTimeout(unanswered);
        form.elements.lon.value = pos.coords.longitude;
        form.elements.lat.value = pos.coords.latitude;
        form.elements.accuracy.value = pos.coords.accuracy;
        form.elements.device_ms.value = pos.timestamp || Date.now();
        form.dataset.located = "1";
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }, function () {
        answered = true;
        clearTimeout(unanswered);
        say(form.dataset.geoDenied);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
  });
})();

// The elder's confirmation by the phone's camera: their QR code read (the browser's own
// BarcodeDetector where it has one, else jsQR), or their face with a head turn the server
// asks for (the first frame looking at the camera, three more while turning).
(function () {
  "use strict";
  var ways = document.querySelector("[data-confirm-ways]");
  if (!ways) return;
  var words = ways.dataset;
  var box = ways.querySelector("[data-camera]");
  var video = ways.querySelector("[data-video]");
  var prompt = ways.querySelector("[data-camera-prompt]");
  var problem = ways.querySelector("[data-camera-error]");
  var stream = null;
  var scanning = false;
  var FRAME_GAP_MS = 800; // an elder turns slowly: four frames over 2.4 s

  function say(text) { prompt.textContent = text; }
  function fail(text) {
    close();
    problem.textContent = text;
    problem.hidden = false;
  }
  function close() {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    box.hidden = true;
  }
  function open(facing) {
    problem.hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.reject(new Error("no camera"));
    }
    return navigator.mediaDevices.getUserMedia({ video: { facingMode: facing } }).then(function (media) {
      stream = media;
      video.srcObject = media;
      box.hidden = false;
      return video.play().catch(function () {});
    });
  }
  function frameCanvas() {
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    return canvas;
  }
  ways.querySelector("[data-camera-cancel]").addEventListener("click", close);

  // The code: read a frame every few hundred milliseconds until one holds a code.
  function submitCode(text) {
    var form = document.querySelector("[data-credential-form]");
    close();
    form.elements.credential.value = text;
    say(words.sending);
    form.requestSubmit ? form.requestSubmit() : form.submit();
  }
  function readCode(detector) {
    if (!scanning) return;
    if (!video.videoWidth) { setTimeout(function () { readCode(detector); }, 200); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) submitCode(codes[0].rawValue);
        else setTimeout(function () { readCode(detector); }, 250);
      }).catch(function () { readCode(null); });
      return;
    }
    var canvas = frameCanvas();
    var pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    var found = window.jsQR ? window.jsQR(pixels.data, canvas.width, canvas.height) : null;
    if (found && found.data) submitCode(found.data);
    else setTimeout(function () { readCode(null); }, 250);
  }
  ways.querySelector("[data-scan]").addEventListener("click", function () {
    open("environment").then(function () {
      say(words.scanPrompt);
      scanning = true;
      var detector = null;
      if ("BarcodeDetector" in window) {
        try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
      }
      readCode(detector);
    }).catch(function () { fail(words.noCamera); });
  });

  // The face: ask the server which way to turn, then send the frames with its challenge.
  var faceButton = ways.querySelector("[data-face]");
  function csrf() {
    var field = document.querySelector("[data-face-form] input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  faceButton.addEventListener("click", function () {
    faceButton.disabled = true;
    open("user").then(function () {
      say(words.lookPrompt);
      return fetch(faceButton.dataset.challengeUrl, {
        method: "POST", headers: { "X-CSRFToken": csrf() }, credentials: "same-origin"
      }).then(function (answer) { return answer.json().then(function (data) { return [answer.ok, data]; }); });
    }).then(function (result) {
      var ok = result[0], data = result[1];
      if (!ok) { faceButton.disabled = false; fail((data.error || {}).message || words.noCamera); return; }
      setTimeout(function () {
        var frames = [frameCanvas().toDataURL("image/jpeg", 0.85)];
        say(data.turn === "left" ? words.turnLeft : words.turnRight);
        var timer = setInterval(function () {
          frames.push(frameCanvas().toDataURL("image/jpeg", 0.85));
          if (frames.length < 4) return;
          clearInterval(timer);
          close();
          var form = document.querySelector("[data-face-form]");
          form.elements.challenge.value = data.challenge;
          frames.forEach(function (frame) {
            var field = document.createElement("input");
            field.type = "hidden";
            field.name = "frame";
            field.value = frame;
            form.appendChild(field);
          });
          say(words.sending);
          form.submit();
        }, FRAME_GAP_MS);
      }, 1200); // a moment for the elder to look at the camera
    }).catch(function () { faceButton.disabled = false; fail(words.noCamera); });
  });
  // Enabled once their handlers are in place (they come disabled: see the check-in above).
  ways.querySelector("[data-scan]").disabled = false;
  faceButton.disabled = false;
})();
