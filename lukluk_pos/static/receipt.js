// The receipt page's "print in the browser" button (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var button = document.getElementById("browser-print");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
