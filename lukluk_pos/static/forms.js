// After a refused form, the focus goes to the first field in error, so a keyboard or screen-reader
// user lands on what to fix (its message is tied to it by aria-describedby).
(function () {
  "use strict";
  var bad = document.querySelector(
    '[aria-invalid="true"], .field.invalid input, .field.invalid select, .field.invalid textarea');
  if (bad) bad.focus();
})();

// The header's menus (<details>): one open at a time; a click elsewhere or Escape closes them, and Escape
// gives the focus back to the menu's name.
(function () {
  "use strict";
  var menus = document.querySelectorAll(".top .menu details");
  function closeAll(except) {
    Array.prototype.forEach.call(menus, function (menu) { if (menu !== except) menu.open = false; });
  }
  Array.prototype.forEach.call(menus, function (menu) {
    menu.addEventListener("toggle", function () { if (menu.open) closeAll(menu); });
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".top .menu")) closeAll(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector(".top .menu details[open]");
    if (open) { open.open = false; open.querySelector("summary").focus(); }
  });
})();
