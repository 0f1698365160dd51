"""The JSON API the till uses: a whole sale, refunds, bad input refused whole, and the OpenAPI document."""
import pytest
from sqlalchemy import func, select

from lukluk_pos.extensions import db
from lukluk_pos.till.models import Sale, SaleLine


@pytest.fixture
def till(client, sign_in):
    sign_in("Ania")
    return client


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_sale_through_the_api(app, till, make_item):
    item = make_item(price_minor=2500)
    response = till.post("/api/v1/till/basket/lines", json={"code": item["code"]})
    assert response.status_code == 201
    assert response.json["total_minor"] == 2500 and response.json["display"]["total"] == "25,00\u00a0zł"
    response = till.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "4,50", "quantity": 2})
    assert response.json["total_minor"] == 3400
    # The answer to an added line is that line and the basket's figures, not every line again.
    assert "lines" not in response.json and (response.json["line_count"], response.json["item_count"]) == (2, 3)
    assert response.json["line"]["description"] == "Książki" and response.json["line"]["total_minor"] == 900
    line_id = response.json["line"]["id"]
    assert till.get("/api/v1/till/basket").json["lines"][1] == response.json["line"]
    response = till.patch(f"/api/v1/till/basket/lines/{line_id}", json={"quantity": 1})
    assert response.json["total_minor"] == 2950
    # The basket survives a reload: it lives on the server.
    assert till.get("/api/v1/till/basket").json["total_minor"] == 2950
    sale = till.post("/api/v1/till/basket/complete",
                     json={"key": "api-sale-0001", "payments": [{"method": "cash", "tendered": "50"}]})
    assert sale.status_code == 200
    assert (sale.json["number"], sale.json["change_minor"], sale.json["display"]["change"]) == (1, 2050, "20,50\u00a0zł")
    repeat = till.post("/api/v1/till/basket/complete",
                       json={"key": "api-sale-0001", "payments": [{"method": "cash", "tendered": "50"}]})
    assert repeat.json["id"] == sale.json["id"]
    assert _count(app, Sale) == 1
    assert till.get("/api/v1/till/basket").json["lines"] == []


BAD_LINES = [
    ({"category_id": 7, "price": "abc"}, "price", "Wpisz kwotę, np. 12,50."),
    ({"category_id": 7, "price": "-5"}, "price", "Kwota nie może być ujemna."),
    ({"category_id": 7, "price": "100000,01"}, "price", "Kwota nie może przekraczać 100\u00a0000,00\u00a0zł."),
    ({"category_id": 7, "price": 0}, "price", "Kwota musi być większa od zera."),
    ({"category_id": 7, "price": "5", "quantity": 0}, "quantity", "Ilość: Co najmniej 1."),
    ({"category_id": 7, "price": "5", "quantity": 10000}, "quantity", "Ilość: Najwyżej 999."),
    ({"category_id": 7, "price": "5", "quantity": "2"}, "quantity", "Ilość: Wpisz liczbę całkowitą."),
    ({"category_id": 7, "price": "5", "description": "x" * 10_000}, "description", "Opis: Najwyżej 200 znaków."),
    ({"category_id": 7, "price": 5.5}, "price", "Cena: Wpisz kwotę, np. 12,50."),
    ({"category_id": 7, "price": True}, "price", "Cena: Wpisz kwotę, np. 12,50."),
    ({"category_id": 999, "price": "5"}, "category_id", "Nieznana kategoria."),
    ({"code": "2000000099999"}, "code", "Żaden towar nie ma kodu 2000000099999."),
    ({"code": "abc"}, "code", "Żaden towar nie ma kodu abc."),
    ({"code": "1", "category_id": 7}, "body", "Żądanie: Podaj dokładnie jedno: kod, towar albo kategorię."),
    ({"category_id": 7}, "body", "Żądanie: Wpisz cenę."),
    ({"category_id": "7", "price": "5"}, "category_id", "Kategoria: Wpisz liczbę całkowitą."),
    ({"category_id": 7, "price": "5", "extra": 1}, "extra", "extra: To pole jest tu zbędne."),
]


@pytest.mark.parametrize("body, field, message", BAD_LINES)
def test_bad_input_is_refused_with_a_polish_message_and_nothing_written(app, till, body, field, message):
    response = till.post("/api/v1/till/basket/lines", json=body)
    assert 400 <= response.status_code < 500
    assert response.json["message"] == message
    assert response.json.get("field") == field
    assert _count(app, SaleLine) == 0


@pytest.mark.parametrize("raw, content_type", [
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b"price=5", "application/x-www-form-urlencoded"),
    (b"x" * 70_000, "application/json"),
])
def test_malformed_requests_get_a_4xx_not_a_500(till, raw, content_type):
    response = till.post("/api/v1/till/basket/lines", data=raw, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response.json["message"]


def test_english_messages_for_an_english_till(till):
    till.set_cookie("lukluk_lang", "en")
    response = till.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "abc"})
    assert response.json["message"] == "Enter an amount like 12,50."


def test_discount_over_the_limit_asks_for_a_manager(app, till, make_item, shop):
    till.post("/api/v1/till/basket/lines", json={"code": make_item(price_minor=10_000)["code"]})
    response = till.post("/api/v1/till/basket/discount", json={"kind": "percent", "value": 50, "reason": "Plama"})
    assert response.status_code == 403 and response.json["error"] == "approval_required"
    response = till.post("/api/v1/till/basket/discount", json={
        "kind": "percent", "value": 50, "reason": "Plama", "approval": {"manager_id": shop["Marek"], "pin": "2222"}})
    assert response.status_code == 200 and response.json["total_minor"] == 5000


def test_refund_through_the_api_needs_the_manager_pin(app, till, make_item, shop):
    till.post("/api/v1/till/basket/lines", json={"code": make_item(price_minor=2000)["code"]})
    sale = till.post("/api/v1/till/basket/complete", json={"key": "to-refund-api", "payments": [{"method": "card"}]}).json
    found = till.get(f"/api/v1/sales/by-number/{sale['number']}").json
    line_id = found["lines"][0]["id"]
    assert found["refundable"] == {str(line_id): 1}
    body = {"key": "refund-api-01", "lines": [{"line_id": line_id}], "method": "card", "reason": "Nie pasuje"}
    assert till.post(f"/api/v1/sales/{sale['id']}/refunds", json=body).status_code == 403
    body["approval"] = {"manager_id": shop["Marek"], "pin": "2222"}
    refund = till.post(f"/api/v1/sales/{sale['id']}/refunds", json=body)
    assert refund.status_code == 201
    assert (refund.json["kind"], refund.json["number"], refund.json["total_minor"]) == ("refund", 2, 2000)
    assert till.get(f"/api/v1/sales/by-number/{sale['number']}").json["refundable"] == {str(line_id): 0}
    assert till.get("/api/v1/sales/by-number/2").status_code == 404  # a refund is not refunded again


def test_search_finds_items_on_sale_by_words_or_code(till, make_item):
    dress = make_item(description="Sukienka lniana w kwiaty")
    make_item(description="Płaszcz wełniany")
    found = till.get("/api/v1/items/search", query_string={"q": "lniana kwiaty"}).json["items"]
    assert [i["code"] for i in found] == [dress["code"]]
    by_prefix = till.get("/api/v1/items/search", query_string={"q": dress["code"][:8]}).json["items"]
    assert len(by_prefix) == 2 and by_prefix[1]["id"] == dress["id"]
    assert till.get("/api/v1/items/search", query_string={"q": "100%_"}).json["items"] == []
    skates = make_item(description="Łyżwy figurowe ŻÓŁTE", category="Sport i rekreacja")
    found = till.get("/api/v1/items/search", query_string={"q": "łyżwy żółte"}).json["items"]
    assert [i["id"] for i in found] == [skates["id"]]


def test_openapi_document_describes_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented
    add = doc["paths"]["/api/v1/till/basket/lines"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = doc["components"]["schemas"][add["$ref"].rsplit("/", 1)[1]]
    shapes = [doc["components"]["schemas"][one["$ref"].rsplit("/", 1)[1]] for one in schema["oneOf"]]
    assert [sorted(shape["required"]) for shape in shapes] == [["code"], ["item_id"], ["category_id", "price"]]
    for shape in shapes:  # exactly one of the three: each shape takes nothing of the others
        assert shape["properties"]["quantity"]["maximum"] == 999 and shape["additionalProperties"] is False


def test_a_scan_without_the_script_still_adds_the_item(app, till, make_item):
    item = make_item(price_minor=700)
    response = till.post("/till/scan", data={"scan": item["code"]})
    assert response.status_code == 302 and response.location.endswith("/till")
    assert till.get("/api/v1/till/basket").json["total_minor"] == 700
    unknown = till.post("/till/scan", data={"scan": "2999999999999"}, follow_redirects=True)
    assert "Żaden towar nie ma kodu 2999999999999." in unknown.get_data(as_text=True)
