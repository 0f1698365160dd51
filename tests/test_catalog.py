"""The manager's category and item pages, in-store codes and price history."""
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from lukluk_pos.catalog.codes import check_digit, ean13, is_valid_ean13
from lukluk_pos.catalog.models import Item, PriceChange
from lukluk_pos.core.models import AuditEvent
from lukluk_pos.extensions import db


def test_known_ean13_check_digits():
    assert check_digit("590123412345") == "7"  # GS1's worked example
    assert ean13(1) == "2000000000015"
    assert is_valid_ean13("5901234123457") and not is_valid_ean13("5901234123458")


@given(st.integers(min_value=1, max_value=10**10 - 1))
def test_every_in_store_code_is_a_valid_restricted_ean13(sequence):
    code = ean13(sequence)
    assert code.startswith("20") and len(code) == 13 and is_valid_ean13(code)


@pytest.fixture
def manager(client, sign_in):
    sign_in("Marek", password=True)
    return client


def test_manager_adds_an_item_which_gets_its_code(app, manager):
    response = manager.post("/manage/items/new", data={"kind": "unique", "description": "Płaszcz wełniany",
                                                        "category_id": 2, "price": "45,00", "quantity": 1})
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(Item))
        assert (item.code, item.price_minor, item.description) == ("2000000000015", 4500, "Płaszcz wełniany")
    page = manager.get(response.location).get_data(as_text=True)
    assert "2000000000015" in page and "Zapisano z kodem 2000000000015." in page


@pytest.mark.parametrize("field, value, message", [
    ("price", "dużo", "Wpisz kwotę, np. 12,50."),
    ("price", "200000", "Kwota nie może przekraczać 100\u00a0000,00\u00a0zł."),
    ("description", "", "To pole jest wymagane."),
    ("description", "x" * 300, "Najwyżej 200 znaków."),
    ("category_id", "999", "Nieznana kategoria."),
])
def test_bad_item_input_is_refused_and_nothing_saved(app, manager, field, value, message):
    data = {"kind": "unique", "description": "Wazon", "category_id": 10, "price": "12"} | {field: value}
    response = manager.post("/manage/items/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Item)) is None


def test_a_price_change_needs_a_reason_and_is_kept(app, manager, make_item, shop):
    item = make_item(price_minor=1500)
    data = {"description": "Sukienka lniana", "category_id": 1, "price": "12,00", "reason": ""}
    refused = manager.post(f"/manage/items/{item['id']}", data=data)
    assert refused.status_code == 422 and "To pole jest wymagane." in refused.get_data(as_text=True)
    response = manager.post(f"/manage/items/{item['id']}", data=data | {"reason": "Mała plama"})
    assert response.status_code == 302
    with app.app_context():
        change = db.session.scalar(select(PriceChange))
        assert (change.old_price_minor, change.new_price_minor, change.user_id, change.reason) == (
            1500, 1200, shop["Marek"], "Mała plama")
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "item.price_change")) is not None
    page = manager.get(f"/manage/items/{item['id']}").get_data(as_text=True)
    assert "Mała plama" in page and "15,00\u00a0zł" in page


def test_categories_can_be_added_and_changed(app, manager):
    response = manager.post("/manage/categories/new", data={"name": "Instrumenty", "default_price": "50",
                                                             "vat_code": "23", "active": "y"})
    assert response.status_code == 302
    duplicate = manager.post("/manage/categories/new", data={"name": "instrumenty", "default_price": "5",
                                                              "vat_code": "zw", "active": "y"})
    assert duplicate.status_code == 422
    assert "Kategoria o tej nazwie już istnieje." in duplicate.get_data(as_text=True)
    assert "Instrumenty" in manager.get("/manage/categories").get_data(as_text=True)


def test_bulk_stock_counts_down_when_sold(app, client, sign_in, make_item):
    books = make_item(price_minor=300, description="Książka kieszonkowa", category="Książki", kind="bulk", quantity=5)
    sign_in("Ania")
    client.post("/api/v1/till/basket/lines", json={"code": books["code"], "quantity": 2})
    client.post("/api/v1/till/basket/lines", json={"code": books["code"]})
    basket = client.get("/api/v1/till/basket").json
    assert [(line["quantity"], line["total_minor"]) for line in basket["lines"]] == [(3, 900)]
    client.post("/api/v1/till/basket/complete", json={"key": "bulk-sale-1", "payments": [{"method": "cash"}]})
    with app.app_context():
        assert db.session.get(Item, books["id"]).quantity_on_hand == 2
