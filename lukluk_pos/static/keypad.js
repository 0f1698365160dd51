// On-screen PIN keypad for touch screens; the keyboard works as well.
(function () {
  "use strict";
  var pad = document.querySelector(".keypad");
  if (!pad) return;
  var input = document.getElementById(pad.getAttribute("data-target"));
  pad.hidden = false;
  pad.addEventListener("click", function (event) {
    var key = event.target.getAttribute("data-key");
    if (!key) return;
    if (key === "clear") input.value = "";
    else if (key === "back") input.value = input.value.slice(0, -1);
    else if (input.value.length < 6) input.value += key;
    input.focus();
  });
})();
