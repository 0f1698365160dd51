// After a refused form, the focus goes to the first field in error, so a keyboard or screen-reader
// user lands on what to fix (its message is tied to it by aria-describedby).
(function () {
  "use strict";
  var bad = document.querySelector(
    '[aria-invalid="true"], .field.invalid input, .field.invalid select, .field.invalid textarea');
  if (bad) bad.focus();
})();
