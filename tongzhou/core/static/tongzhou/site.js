// Behaviour the pages share, from a file: the Content-Security-Policy runs no inline script.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) window.print();
});
