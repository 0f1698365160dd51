// Fast intake: the price follows the category and condition (from the guide and recent sales).
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) return;
  var url = form.getAttribute("data-suggest");
  var category = form.querySelector("[name=category_id]");
  var condition = form.querySelector("[name=condition]");
  var price = form.querySelector("[name=price]");
  var hint = document.getElementById("guide-hint");

  function suggest() {
    var query = "?category_id=" + encodeURIComponent(category.value) + "&condition=" + encodeURIComponent(condition.value);
    fetch(url + query, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        price.value = data.display.price;
        hint.textContent = data.display.low + " – " + data.display.high;
      })
      .catch(function () {});
  }
  category.addEventListener("change", suggest);
  condition.addEventListener("change", suggest);
})();
