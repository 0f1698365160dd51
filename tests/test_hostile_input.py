"""No 5xx from input, on any route: every page and form of the app is sent what a fuzzer or a bored
visitor sends — ids past PostgreSQL's integer and SQLite's 64 bits, Unicode digits ("²", "①", "٣"),
NUL bytes, days in year 1 and 9999, a page number with 20 digits, huge amounts, a ``next`` with a
newline — as the admin (who may open everything), on SQLite and on PostgreSQL.
The API's own fuzzing is ``test_api_fuzz.py``; this walks the HTML routes the document does not cover.
"""
from __future__ import annotations

import pytest

HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999"]
ODD_TEXT = ["²", "①", "٣", "0001-01-01", "9999-12-31", "2026-13-45", "0000-01", "10000-01", "x" * 3000, "a\x00b"]
QUERY = {
    "page": "99999999999999999999", "q": "²", "day": "0001-01-01", "start": "0001-01-01",
    "end": "9999-12-31", "month": "9999-12", "category_id": "99999999999999999999", "batch": "²",
    "repeat": "9223372036854775808", "last": "①", "next": "/\n//evil.example/", "min_price": "99999999999999",
    "max_price": "²", "age": "٣", "status": "①", "sort": "²", "number": "99999999999999999999",
}
FORM = {
    "price": "99999999999999", "quantity": "99999999999999999999", "category_id": "99999999999999999999",
    "description": "Kubek ②", "name": "Ala ①", "pin": "²²²²", "password": "x" * 5000, "user_id": "9223372036854775808",
    "till_id": "²", "batch_id": "99999999999999999999", "day": "0001-01-01", "affects_day": "9999-12-31",
    "amount": "99999999999999,99", "reason": "x" * 5000, "manager_id": "①", "item_id": "99999999999999999999",
    "item_ids": "1,²,99999999999999999999", "receipts": "99999999999999999999", "lang": "²",
    "next": "/\t/evil.example/", "count_10000": "99999999999999999999", "count_50000": "²",
    "weight_g": "99999999999999999999", "discount_limit_percent": "²", "value": "99999999999999",
    "kind": "percent", "method": "cash", "tendered": "99999999999999", "confirm": "y", "key": "x" * 100,
}

#: The same field names, each holding a NUL.
NUL = {name: "x\x00" for name in {*QUERY, *FORM}}


def _urls(rule) -> list[str]:
    """The rule's path with each parameter in turn given a hostile value, the others a plain one."""
    names = list(rule.arguments)
    if not names:
        return [rule.rule]
    urls = []
    for hostile in names:
        for bad in (HUGE_IDS if f"<int:{hostile}>" in rule.rule else ODD_TEXT):
            path = rule.rule
            for name in names:
                value = bad if name == hostile else "1"
                path = path.replace(f"<int:{name}>", value).replace(f"<{name}>", value)
                path = path.replace(f"<path:{name}>", value)
            urls.append(path)
    return urls


@pytest.mark.now("2026-11-24T19:30:00+00:00")
def test_no_route_answers_5xx_to_hostile_input(app, client, sign_in, make_item):
    make_item()
    sign_in("Magda", password=True)
    checked, failures = 0, []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in ("static", "auth.sign_out"):
            continue
        for url in _urls(rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                # Once with numbers and text that are wrong, once with a NUL in every field (refused first).
                for fields in (QUERY if method == "GET" else FORM, NUL):
                    if method == "GET":
                        response = client.get(url, query_string=fields)
                    else:
                        response = client.open(url, method=method, data=fields)
                    checked += 1
                    if response.status_code >= 500:
                        failures.append(f"{method} {url[:80]!r}: {response.status_code}")
                    if response.status_code in (302, 303) and "/sign-in" in (response.location or ""):
                        sign_in("Magda", password=True)  # a form that ends the sign-in (a reset PIN…)
    assert not failures, "\n".join(failures)
    assert checked > 300


@pytest.mark.parametrize("method, url, body, status, message", [
    ("GET", "/api/v1/sales/by-number/²", None, 404, "Nie ma sprzedaży z paragonem nr ?."),
    ("GET", "/api/v1/sales/by-number/99999999999", None, 404, None),
    ("POST", "/api/v1/sales/9223372036854775808/refunds", {}, 404, None),
    ("POST", "/api/v1/sales/2147483648/reprint", {}, 404, None),
    ("POST", "/api/v1/till/basket/discount", {"kind": "percent", "value": "²", "reason": "x"}, 422,
     "Rabat musi wynosić od 0 do 100 procent."),
    ("POST", "/api/v1/till/basket/lines", {"category_id": 7, "price": "100000", "quantity": 999}, 409,
     "Koszyk nie może przekroczyć 100\u00a0000,00\u00a0zł."),
    ("POST", "/api/v1/till/basket/lines", {"category_id": 7, "price": "٣"}, 422, "Wpisz kwotę, np. 12,50."),
    ("POST", "/api/v1/till/basket/lines", {"category_id": 2**31, "price": "3"}, 422, None),
    ("POST", "/api/v1/till/basket/lines", {"category_id": 7, "price": "3", "description": "Kubek \u0000"}, 422,
     "Przesłane dane zawierają niedozwolony znak (NUL)."),
    ("GET", "/api/v1/items/search?q=a%00b", None, 422, "Przesłane dane zawierają niedozwolony znak (NUL)."),
])
def test_what_the_fuzzers_sent_is_refused_in_words(client, sign_in, method, url, body, status, message):
    sign_in("Ania")
    response = client.open(url, method=method, json=body)
    assert response.status_code == status, response.json
    if message:
        assert response.json["message"] == message


def test_no_basket_passes_the_largest_amount(client, sign_in, make_item):
    sign_in("Ania")
    for _ in range(9):
        assert client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "10000"}).status_code == 201
    line = client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "10000"}).json["line"]
    assert client.get("/api/v1/till/basket").json["total_minor"] == 100_000_00
    more = client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "0,01"})
    assert more.status_code == 409 and more.json["field"] == "price" and more.json["error"] == "too_much"
    assert client.patch(f"/api/v1/till/basket/lines/{line['id']}", json={"quantity": 2}).status_code == 409
    assert client.get("/api/v1/till/basket").json["total_minor"] == 100_000_00  # nothing half-written
