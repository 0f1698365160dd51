// Counting notes and coins: the total of what was counted so far, updated as pieces are typed.
// (It shows only what the person counted; the expected figure stays hidden until the count is saved.)
(function () {
  "use strict";
  var output = document.getElementById("count-total");
  if (!output) return;
  var inputs = document.querySelectorAll("input.piece-count");
  function zl(minor) {
    var whole = Math.floor(minor / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
    var frac = (minor % 100).toString();
    return whole + "," + (frac.length < 2 ? "0" + frac : frac) + "\u00a0zł";
  }
  function update() {
    var total = 0;
    inputs.forEach(function (input) {
      var pieces = parseInt(input.value, 10);
      if (pieces > 0) total += pieces * parseInt(input.getAttribute("data-value"), 10);
    });
    output.textContent = zl(total);
  }
  inputs.forEach(function (input) { input.addEventListener("input", update); });
  update();
})();
