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
  var latest = 0;   // only the answer to the newest question counts (arrow keys ask once per key)
  var timer = null;
  // The price this script (or the page, from the category's default) last put in the field; a form sent
  // back with an error keeps what the person typed, so its price is theirs.
  var suggested = form.querySelector(".error-text") === null ? price.value.trim() : null;

  // The person's price: anything in the field that is not our own last suggestion (typed before this
  // script started, kept from a refused form, filled by "repeat the last item", or typed just now).
  function personsPrice() {
    var value = price.value.trim();
    return value !== "" && value !== suggested;
  }

  // Typed, even to the very price suggested: it is the person's now.
  price.addEventListener("input", function () { suggested = null; });
  // Going into a field that holds a suggestion selects it, so what is typed replaces it instead of being
  // added to its end ("15,00" + "6,50" was "15,006,50"); the click that focused it keeps the selection.
  var selectedOnFocus = false;
  price.addEventListener("focus", function () {
    if (personsPrice() || price.value === "") return;
    price.select();
    selectedOnFocus = true;
  });
  price.addEventListener("mouseup", function (event) {
    if (selectedOnFocus) event.preventDefault();
    selectedOnFocus = false;
  });

  function suggest() {
    var asked = ++latest;
    var query = "?category_id=" + encodeURIComponent(category.value) + "&condition=" + encodeURIComponent(condition.value);
    fetch(url + query, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || asked !== latest) return;  // a late answer to an earlier choice
        hint.textContent = data.display.low + " – " + data.display.high;
        price.placeholder = data.display.price;
        // Never into a field the person is in or has written in: an answer arriving mid-typing must not
        // replace or add to it ("6,50" stays "6,50"). The suggestion then shows as the field's placeholder.
        if (document.activeElement === price || personsPrice()) return;
        price.value = suggested = data.display.price;
      })
      .catch(function () {});
  }
  function soon() {  // one question after the choice settles, not one per arrow key
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  }
  // A category the till will refuse (exempt mode, fiscal from the first sale) is said as it is chosen.
  var offTill = JSON.parse(form.getAttribute("data-off-till") || "{}");
  var note = document.getElementById("off-till-note");
  category.addEventListener("change", function () { note.textContent = offTill[category.value] || ""; });
  category.addEventListener("change", soon);
  condition.addEventListener("change", soon);
})();
