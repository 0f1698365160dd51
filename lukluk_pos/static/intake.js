// Fast intake: the price follows the category and condition (from the guide and recent sales) — but only
// into a price the volunteer has not typed: a suggestion never overwrites what a person wrote.
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) return;
  var url = form.getAttribute("data-suggest");
  var category = form.querySelector("[name=category_id]");
  var condition = form.querySelector("[name=condition]");
  var price = form.querySelector("[name=price]");
  var hint = document.getElementById("guide-hint");
  // A form sent back with an error keeps what was typed: treat it as typed.
  var typed = form.querySelector(".error-text") !== null;
  var latest = 0;   // only the answer to the newest question counts (arrow keys ask once per key)
  var timer = null;

  price.addEventListener("input", function () { typed = price.value.trim() !== ""; });

  function suggest() {
    var asked = ++latest;
    var query = "?category_id=" + encodeURIComponent(category.value) + "&condition=" + encodeURIComponent(condition.value);
    fetch(url + query, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || asked !== latest) return;  // a late answer to an earlier choice
        if (!typed) price.value = data.display.price;
        hint.textContent = data.display.low + " – " + data.display.high;
      })
      .catch(function () {});
  }
  function soon() {  // one question after the choice settles, not one per arrow key
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  }
  category.addEventListener("change", soon);
  condition.addEventListener("change", soon);
})();
