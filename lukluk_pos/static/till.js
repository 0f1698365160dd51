// LukLuk POS till: the project's own small script (no framework, no build step).
// The basket lives on the server; this page only shows it and sends what the person does.
(function () {
  "use strict";

  var root = document.getElementById("till");
  if (!root) return;
  var API = root.getAttribute("data-api");
  var CSRF = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var data = JSON.parse(document.getElementById("till-data").textContent);
  var T = data.strings;
  var basket = data.basket;
  var payKey = null; // one key per payment attempt: a retry reuses it, so a sale is never doubled
  var $ = function (id) { return document.getElementById(id); };
  var scan = $("scan");

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // A message goes where the volunteer is looking: inside the open dialog if there is one, else right
  // under the scan field. Both are alert regions, so a screen reader says it; the focus stays put.
  function say(text, kind) {
    var open = document.querySelector("dialog[open]");
    var box = open ? open.querySelector(".dialog-message") : null;
    if (box) {
      box.textContent = "";
      box.textContent = text || "";
      if (box.id === "pay-status") box.classList.toggle("dialog-error", kind === "error");
      return;
    }
    box = $("message");
    box.textContent = "";
    box.textContent = text || "";
    box.className = "till-message" + (kind ? " " + kind : "");
  }

  function anyDialogOpen() {
    return document.querySelector("dialog[open]") !== null;
  }

  function refocus() {
    if (!anyDialogOpen()) scan.focus();
  }

  // A payment whose answer never came (network, timeout, server restart) may still have made a sale. Its
  // key is kept across reloads, and before anything else the till asks the server what became of it.
  var UNANSWERED = "lukluk-unanswered-payment:" + API;
  function unanswered() {
    try { return window.localStorage.getItem(UNANSWERED); } catch (e) { return null; }
  }
  function remember(key) {
    try {
      if (key) window.localStorage.setItem(UNANSWERED, key); else window.localStorage.removeItem(UNANSWERED);
    } catch (e) { /* private mode: the key in memory still guards this page */ }
  }
  var asking = null;
  function learnFate() {
    var key = unanswered();
    if (!key) return Promise.resolve(null);
    if (asking) return asking;
    asking = send("GET", "/till/completions/" + encodeURIComponent(key)).then(function (sale) {
      remember(null);
      payKey = null;
      Array.prototype.forEach.call(document.querySelectorAll("dialog[open]"), function (d) { d.close(); });
      showDone(sale);
      say(fmt(T.paidBefore, { number: sale.number }), "error");
      if (sale.fiscal && sale.fiscal.status !== "registered") showFiscalProblem(sale);
      return send("GET", "/till/basket").then(showBasket).then(function () { return sale; });
    }, function (error) {
      if (error.code === "offline" || error.status >= 500) throw error;  // still unknown: ask again later
      remember(null);  // no sale was made with it (404), or not this till's: the basket is as it was
      return null;
    }).then(function (sale) { asking = null; return sale; }, function (error) { asking = null; throw error; });
    return asking;
  }

  // Every call first settles an unanswered payment (see above). If that payment did make a sale, what the
  // volunteer was doing is stopped (the screen changed under it): they see the sale and do it again.
  function call(method, path, body) {
    return learnFate().then(function (sale) {
      if (sale) {
        var error = new Error(fmt(T.paidBefore, { number: sale.number })); error.code = "paid_before";
        throw error;
      }
      return send(method, path, body);
    });
  }

  // JSON in and out, the CSRF header, a time limit, and a translated message on failure.
  function send(method, path, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, 15000);
    var options = { method: method, headers: { "Accept": "application/json", "X-CSRFToken": CSRF },
                    credentials: "same-origin", signal: controller.signal };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(API + path, options).then(function (response) {
      clearTimeout(timer);
      return response.json().catch(function () { return {}; }).then(function (json) {
        // Signed out (session ended or expired): the page reloads to the sign-in. A wrong manager's PIN
        // in an approval is not that: it is answered in the dialog.
        if (response.status === 401 && json.error === "unauthenticated") { window.location.reload(); }
        if (!response.ok) {
          var error = new Error(json.message || T.offline);
          error.code = json.error; error.status = response.status;
          throw error;
        }
        return json;
      });
    }, function () {
      clearTimeout(timer);
      var error = new Error(T.offline); error.code = "offline";
      throw error;
    });
  }

  // Send a change; if a manager must approve, ask for the PIN and send it again with it. A wrong or
  // missing PIN is said inside the approval dialog, which stays open (the basket is untouched).
  function change(method, path, body) {
    return call(method, path, body).catch(function (error) {
      if (error.code !== "approval_required") throw error;
      return askApproval(function (approval) {
        return call(method, path, Object.assign({}, body, { approval: approval }));
      });
    });
  }

  // The rows on screen by line id, with the line they show: a change redraws only the lines it changed
  // (a scan into a long basket adds one row instead of drawing them all again).
  var painted = null;

  function showBasket(next) {
    basket = next;
    var tbody = $("lines");
    if (painted === null) { tbody.textContent = ""; painted = {}; }
    var kept = {};
    var previous = null;
    basket.lines.forEach(function (line) {
      var known = painted[line.id];
      var shown = known && known.line === line ? known.shown : JSON.stringify(line);
      var row = known && known.shown === shown ? known.row : lineRow(line);
      kept[line.id] = { row: row, shown: shown, line: line };
      var wanted = previous ? previous.nextSibling : tbody.firstChild;
      if (row !== wanted) tbody.insertBefore(row, wanted);
      previous = row;
    });
    while (previous ? previous.nextSibling : tbody.firstChild) {  // rows of lines no longer there
      tbody.removeChild(previous ? previous.nextSibling : tbody.firstChild);
    }
    painted = kept;
    $("empty").hidden = basket.lines.length > 0;
    $("total").textContent = basket.display.total;
    $("discount-note").textContent = basket.discount_minor > 0 ?
      fmt(T.discountNote, { amount: basket.display.discount }) : "";
  }

  // Adding a line answers with that line and the basket's figures only: it takes the place of its old
  // copy or goes last, the other lines stay as shown. A basket that is not the one on screen, or whose
  // number of lines differs from ours (someone else changed it), is asked for whole.
  function addLine(body) {
    return call("POST", "/till/basket/lines", body).then(function (change) {
      var lines = basket.id === change.id ? basket.lines.slice() : [];
      var at = lines.findIndex(function (line) { return line.id === change.line.id; });
      if (at >= 0) lines[at] = change.line; else lines.push(change.line);
      if (lines.length !== change.line_count) {
        return call("GET", "/till/basket").then(function (whole) { whole.line = change.line; return whole; });
      }
      var next = Object.assign({}, change, { lines: lines });
      delete next.line_count;
      return next;
    });
  }

  function button(label, className, onClick, aria) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = label;
    if (aria) b.setAttribute("aria-label", aria);
    b.addEventListener("click", onClick);
    return b;
  }

  function lineRow(line) {
    var tr = document.createElement("tr");
    var name = document.createElement("td");
    name.textContent = line.description;
    var meta = document.createElement("span");
    meta.className = "line-meta";
    meta.textContent = " " + line.display.unit_price +
      (line.display.list_price ? " (" + fmt(T.was, { price: line.display.list_price }) + ")" : "") +
      (line.discount_minor > 0 ? " −" + line.display.discount + (line.discount_reason ? " · " + line.discount_reason : "") : "");
    name.appendChild(meta);
    var qty = document.createElement("td");
    qty.className = "num qty";
    if (line.kind !== "unique") {
      qty.appendChild(button("−", "small", function () { setQuantity(line, line.quantity - 1); }, T.less + ": " + line.description));
    }
    var q = document.createElement("span");
    q.textContent = " " + line.quantity + " ";
    qty.appendChild(q);
    if (line.kind !== "unique") {
      qty.appendChild(button("+", "small", function () { setQuantity(line, line.quantity + 1); }, T.more + ": " + line.description));
    }
    var total = document.createElement("td");
    total.className = "num";
    total.textContent = line.display.total;
    var cell = document.createElement("td");
    var actions = document.createElement("div");
    actions.className = "line-actions";
    cell.appendChild(actions);
    actions.appendChild(button(T.discount, "small secondary", function () { openDiscount(line); }, T.discount + ": " + line.description));
    actions.appendChild(button(T.price, "small secondary", function () { openPrice(line); }, T.price + ": " + line.description));
    actions.appendChild(button(T.remove, "small danger", function () { removeLine(line); }, T.remove + ": " + line.description));
    tr.appendChild(name); tr.appendChild(qty); tr.appendChild(total); tr.appendChild(cell);
    return tr;
  }

  // The last basket change still on its way: paying waits for it, so "scan, then pay at once" works.
  var busy = Promise.resolve();

  function act(promise, successText) {
    busy = promise.catch(function () {});
    return promise.then(function (next) {
      hideDone();
      if (next && next.lines) showBasket(next);
      payKey = null;
      if (successText !== null) say(successText || "", "ok");
    }).catch(function (error) {
      say(error.message, "error");
    }).then(refocus);
  }

  function hideDone() { $("done").hidden = true; }

  function setQuantity(line, quantity) {
    if (quantity < 1) return removeLine(line);
    act(call("PATCH", "/till/basket/lines/" + line.id, { quantity: quantity }));
  }

  function removeLine(line) {
    act(call("DELETE", "/till/basket/lines/" + line.id));
  }

  // --- scanning and searching -------------------------------------------------------------------
  // A till that cannot sell (the day closed, the till not opened): its controls are disabled with the reason
  // beside them, and the keys do nothing either.
  var closed = root.hasAttribute("data-closed");
  $("scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (closed) return;
    var text = scan.value.trim();
    if (!text) return;
    scan.value = "";
    $("results").textContent = "";
    if (/^\d+$/.test(text)) {
      act(addLine({ code: text }).then(function (next) {
        say(fmt(T.added, { item: next.line.description }), "ok");
        return next;
      }), null);
    } else {
      call("GET", "/items/search?q=" + encodeURIComponent(text)).then(showResults)
        .catch(function (error) { say(error.message, "error"); });
    }
  });

  function showResults(result) {
    var box = $("results");
    box.textContent = "";
    if (!result.items.length) { say(T.noResults, "error"); return; }
    say("");
    var list = document.createElement("ul");
    result.items.forEach(function (item) {
      var li = document.createElement("li");
      li.appendChild(button(item.description + " · " + item.display.price + " · " + item.code, "result", function () {
        box.textContent = "";
        act(addLine({ item_id: item.id }), fmt(T.added, { item: item.description }));
      }));
      list.appendChild(li);
    });
    box.appendChild(list);
    list.querySelector("button").focus();
  }

  // --- open price (quick buttons) ---------------------------------------------------------------
  var openCategory = null;
  Array.prototype.forEach.call(document.querySelectorAll(".quick-button"), function (b) {
    b.addEventListener("click", function () {
      openCategory = b.getAttribute("data-category");
      $("open-price-title").textContent = b.getAttribute("data-name");
      $("op-price").value = b.getAttribute("data-price-text").replace(/[^\d,]/g, "");
      $("op-qty").value = "1";
      $("op-desc").value = "";
      $("open-price").showModal();
      $("op-price").select();
    });
  });
  $("open-price-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var qty = parseInt($("op-qty").value, 10);
    var body = { category_id: parseInt(openCategory, 10), price: $("op-price").value,
                 quantity: isNaN(qty) ? 0 : qty };
    if ($("op-desc").value.trim()) body.description = $("op-desc").value;
    addLine(body).then(function (next) {
      $("open-price").close();
      act(Promise.resolve(next));
    }).catch(function (error) { say(error.message, "error"); });
  });

  // --- discounts and price overrides ------------------------------------------------------------
  var discountLine = null;
  function openDiscount(line) {
    discountLine = line;
    $("discount-title").textContent = line ? fmt(T.lineDiscount, { item: line.description }) : T.basketDiscount;
    $("d-value").value = "";
    $("d-reason").value = "";
    $("discount").showModal();
    $("d-value").focus();
  }
  $("basket-discount").addEventListener("click", function () { openDiscount(null); });
  $("discount-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var kind = document.querySelector('input[name="dkind"]:checked').value;
    var raw = $("d-value").value.trim();
    var value = kind === "percent" && /^\d+$/.test(raw) ? parseInt(raw, 10) : raw;
    var path = discountLine ? "/till/basket/lines/" + discountLine.id + "/discount" : "/till/basket/discount";
    change("POST", path, { kind: kind, value: value, reason: $("d-reason").value }).then(function (next) {
      $("discount").close();
      act(Promise.resolve(next));
    }).catch(function (error) { say(error.message, "error"); });
  });

  var priceLine = null;
  function openPrice(line) {
    priceLine = line;
    $("p-value").value = "";
    $("p-reason").value = "";
    $("price").showModal();
    $("p-value").focus();
  }
  $("price-form").addEventListener("submit", function (event) {
    event.preventDefault();
    change("POST", "/till/basket/lines/" + priceLine.id + "/price",
           { price: $("p-value").value, reason: $("p-reason").value }).then(function (next) {
      $("price").close();
      act(Promise.resolve(next));
    }).catch(function (error) { say(error.message, "error"); });
  });

  // --- manager approval -------------------------------------------------------------------------
  var approvalWaiter = null;
  var PIN_ERRORS = ["wrong_pin", "locked", "invalid"];
  function askApproval(attempt) {
    return new Promise(function (resolve, reject) {
      approvalWaiter = { resolve: resolve, reject: reject, attempt: attempt };
      $("a-pin").value = "";
      $("a-error").textContent = "";
      $("approval").showModal();
      $("a-pin").focus();
    });
  }
  function approvalError(text) {
    $("a-error").textContent = text;
    $("a-pin").value = "";
    $("a-pin").focus();
  }
  $("approval-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var waiter = approvalWaiter;
    if (!waiter) return;
    var pin = $("a-pin").value.trim();
    if (!pin) { approvalError(T.pinMissing); return; }  // not a wrong PIN: nothing is sent or counted
    var submit = $("approval-submit");
    submit.disabled = true;
    $("a-error").textContent = "";
    waiter.attempt({ manager_id: parseInt($("a-manager").value, 10), pin: pin }).then(function (result) {
      approvalWaiter = null;
      $("approval").close();
      waiter.resolve(result);
    }, function (error) {
      if (PIN_ERRORS.indexOf(error.code) >= 0) { approvalError(error.message); return; }
      approvalWaiter = null;
      $("approval").close();
      waiter.reject(error);
    }).then(function () { submit.disabled = false; });
  });
  $("approval").addEventListener("close", function () {
    if (approvalWaiter) {
      var waiter = approvalWaiter; approvalWaiter = null;
      var error = new Error(""); error.code = "cancelled";
      waiter.reject(error);
    }
  });

  // --- void -------------------------------------------------------------------------------------
  $("void").addEventListener("click", function () {
    if (!basket.lines.length) { say(T.emptyBasket, "error"); refocus(); return; }
    $("v-reason").value = "";
    $("void-dialog").showModal();
    $("v-reason").focus();
  });
  $("void-form").addEventListener("submit", function (event) {
    event.preventDefault();
    call("POST", "/till/basket/void", { reason: $("v-reason").value }).then(function (next) {
      $("void-dialog").close();
      act(Promise.resolve(next), T.voided);
    }).catch(function (error) { say(error.message, "error"); });
  });

  // --- payment ----------------------------------------------------------------------------------
  function openPay(focusCard) {
    if (closed) return;
    busy.then(function () { showPay(focusCard); });
  }

  function showPay(focusCard) {
    if (anyDialogOpen()) return;
    if (!basket.lines.length) { say(T.emptyBasket, "error"); refocus(); return; }
    if (!payKey) payKey = newKey();
    $("pay-total").textContent = basket.display.total;
    $("tendered").value = "";
    $("card-amount").value = "";
    $("pay-status").textContent = "";
    showNip(false);
    $("pay").showModal();
    (focusCard ? $("pay-card-submit") : $("tendered")).focus();
  }
  // The buyer's NIP is asked for only when the customer wants it on the receipt ("Paragon z NIP…").
  function showNip(shown) {
    if (!$("nip-part")) return;
    $("nip-part").hidden = !shown;
    $("nip-open").hidden = shown;
    $("nip-open").setAttribute("aria-expanded", shown ? "true" : "false");
    if (!shown) $("buyer-nip").value = "";
  }
  if ($("nip-open")) {
    $("nip-open").addEventListener("click", function () { showNip(true); $("buyer-nip").focus(); });
  }
  $("pay-cash").addEventListener("click", function () { openPay(false); });
  $("pay-card").addEventListener("click", function () { openPay(true); });

  var fiscalMode = root.hasAttribute("data-fiscal");

  function complete(payments) {
    if (!payKey) payKey = newKey();
    var buttons = document.querySelectorAll("#pay button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    var body = { key: payKey, payments: payments };
    if (basket.id) body.basket_id = basket.id;
    var nip = $("buyer-nip") ? $("buyer-nip").value.trim() : "";
    if (nip) body.buyer_nip = nip;
    $("pay-status").textContent = fiscalMode ? T.fiscalPrinting : "";
    var key = payKey;
    return call("POST", "/till/basket/complete", body).then(function (sale) {
      payKey = null;
      remember(null);
      $("pay").close();
      focusScanAfresh();  // however it was paid (keys or mouse), the scanner's next code lands in the scan field
      if ($("buyer-nip")) $("buyer-nip").value = "";
      showDone(sale);
      setTimeout(checkPrinter, 1500);
      if (sale.fiscal && sale.fiscal.status !== "registered") showFiscalProblem(sale);
      return call("GET", "/till/basket").then(showBasket);
    }).catch(function (error) {
      // No answer: the sale may exist. The key is kept (pressing again cannot make a second sale) and
      // remembered, so the next action, even after a reload, first asks what became of it.
      if (error.code === "offline" || error.status >= 500) remember(key);
      if (error.code === "key_used") {
        remember(key);
        return learnFate().then(function (sale) {
          if (!sale) { payKey = null; say(error.message, "error"); }
        }).catch(function (again) { say(again.message, "error"); });
      }
      say(error.message, "error");
    }).then(function () {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      if (!anyDialogOpen()) refocus();
    });
  }

  // --- the fiscal printer refused: the volunteer fixes it and tries again -----------------------
  var fiscalSale = null;
  function showFiscalProblem(sale) {
    fiscalSale = sale;
    var uncertain = sale.fiscal.status === "uncertain";
    $("fiscal-message").textContent = uncertain ? T.fiscalUncertain : (sale.fiscal.message || "");
    $("fiscal-retry").hidden = uncertain;
    // A lost answer: the receipt may be on the paper already; "Check" lets the printer's counters decide.
    $("fiscal-retry").textContent = sale.fiscal.check ? T.fiscalCheck : T.fiscalRetry;
    $("fiscal-help").textContent = sale.fiscal.check ? T.fiscalCheckHelp : T.fiscalRetryHelp;
    $("fiscal-status").textContent = "";
    if (!$("fiscal-dialog").open) $("fiscal-dialog").showModal();
    (uncertain ? $("fiscal-later") : $("fiscal-retry")).focus();
  }
  $("fiscal-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!fiscalSale) return;
    $("fiscal-retry").disabled = true;
    $("fiscal-status").textContent = T.fiscalPrinting;
    call("POST", "/sales/" + fiscalSale.id + "/fiscal", {}).then(function (sale) {
      if (sale.fiscal && sale.fiscal.status === "registered") {
        $("fiscal-dialog").close();
        showDone(sale);
        say(fmt(T.fiscalDone, { number: sale.fiscal.receipt_number }), "ok");
      } else {
        showFiscalProblem(sale);
      }
    }).catch(function (error) {
      $("fiscal-status").textContent = error.message;
    }).then(function () { $("fiscal-retry").disabled = false; });
  });
  $("fiscal-later").addEventListener("click", function () {
    $("fiscal-dialog").close();
    say(T.fiscalLater, "error");
  });
  $("fiscal-dialog").addEventListener("cancel", function (event) { event.preventDefault(); });

  Array.prototype.forEach.call(document.querySelectorAll(".cash-quick"), function (b) {
    b.addEventListener("click", function () {
      var payment = { method: "cash" };
      if (!b.hasAttribute("data-exact")) payment.tendered = parseInt(b.getAttribute("data-tendered"), 10);
      complete([payment]);
    });
  });
  $("pay-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var tendered = $("tendered").value.trim();
    complete([tendered ? { method: "cash", tendered: tendered } : { method: "cash" }]);
  });
  $("pay-card-submit").addEventListener("click", function () {
    var amount = $("card-amount").value.trim();
    complete([amount ? { method: "card", amount: amount } : { method: "card" }]);
  });
  $("pay-split-submit").addEventListener("click", function () {
    var amount = $("card-amount").value.trim();
    var tendered = $("tendered").value.trim();
    var cash = tendered ? { method: "cash", tendered: tendered } : { method: "cash" };
    complete([{ method: "card", amount: amount || "0" }, cash]);
  });

  var lastSale = null;
  function showDone(sale) {
    lastSale = sale;
    $("done-receipt").href = root.getAttribute("data-receipts") + sale.id;
    $("done-invoice").href = $("done-invoice").getAttribute("data-href") + "?receipt=" + sale.number;
    var cash = sale.payments.filter(function (p) { return p.method === "cash"; })[0];
    $("done-change").textContent = sale.display.change;
    $("done-change").hidden = $("done-label").hidden = !cash;  // a card sale gives no change to show
    $("done-detail").textContent = cash ?
      fmt(T.tendered, { tendered: sale.display.tendered, number: sale.number }) :
      fmt(T.paidCard, { number: sale.number });
    $("done").hidden = false;
    say("");
  }
  $("done-close").addEventListener("click", function () { hideDone(); refocus(); });
  $("done-reprint").addEventListener("click", function () {
    if (!lastSale) return;
    call("POST", "/sales/" + lastSale.id + "/reprint", {}).then(function (job) {
      // No receipt printer (preview): nothing prints, so the till says where the receipt is instead.
      say(job && job.status === "preview" ? T.copyPreview : T.copyQueued, "ok"); checkPrinter();
    })
      .catch(function (error) { say(error.message, "error"); }).then(refocus);
  });

  // --- the cash drawer and the printer ----------------------------------------------------------
  $("drawer").addEventListener("click", function () {
    $("dr-reason").value = "";
    $("drawer-dialog").showModal();
    $("dr-reason").focus();
  });
  $("drawer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    change("POST", "/till/drawer", { reason: $("dr-reason").value }).then(function () {
      $("drawer-dialog").close();
      say(T.drawerOpened, "ok");
    }).catch(function (error) { say(error.message, "error"); });
  });

  // The sale never waits for the printer; this banner says when receipts are waiting for it.
  function checkPrinter() {
    send("GET", "/printer/status").then(function (status) {
      var banner = $("printer-banner");
      banner.hidden = !status.waiting;
      banner.textContent = status.waiting ? fmt(T.printerWaiting, { count: status.waiting }) : "";
    }).catch(function () {});
  }
  setInterval(checkPrinter, 5000);
  checkPrinter();

  // Dialogs' cancel buttons; closing any dialog brings the focus back to the scan field.
  Array.prototype.forEach.call(document.querySelectorAll("[data-close]"), function (b) {
    b.addEventListener("click", function () { b.closest("dialog").close(); });
  });
  // Chromium can leave the field "focused" but not taking keys when a modal dialog closes and gives the
  // focus back (a payment by mouse was followed by a lost scan): blur and focus again to be sure.
  function focusScanAfresh() {
    if (anyDialogOpen()) return;
    scan.blur();
    scan.focus();
  }
  Array.prototype.forEach.call(document.querySelectorAll("dialog"), function (d) {
    d.addEventListener("close", function () { setTimeout(focusScanAfresh, 0); });
  });

  // A scanner types digits and Enter wherever the focus is: keep it in the scan field.
  document.addEventListener("keydown", function (event) {
    if (anyDialogOpen() || event.ctrlKey || event.altKey || event.metaKey) return;
    var target = event.target;
    var typing = target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA";
    if (!typing && /^[0-9]$/.test(event.key)) { scan.focus(); }
    if (event.key === "F2") { event.preventDefault(); openPay(false); }
    if (event.key === "F4") { event.preventDefault(); openPay(true); }
  });

  showBasket(basket);
  refocus();
  learnFate().catch(function (error) { say(error.message, "error"); });
  root.setAttribute("data-ready", "1");  // tests (and curious people) can see the script is running
})();
