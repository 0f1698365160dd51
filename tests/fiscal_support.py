"""What the fiscal-printer tests share: a shop set to a device, a sale through the till's API, and the one
basket with discounts, split payment and change that every driver must print the same."""
from sqlalchemy import select

from lukluk_pos.core.models import FiscalMode, Shop
from lukluk_pos.extensions import db
from tests.conftest import in_app


def use_printer(app, spec: str) -> None:
    with in_app(app):
        current = db.session.scalar(select(Shop))
        current.fiscal_mode, current.fiscal_printer = FiscalMode.PRINTER, spec
        db.session.commit()


def sell(client, key, lines=(("1", "12,50"),), payments=None):
    for category_id, price in lines:
        added = client.post("/api/v1/till/basket/lines", json={"category_id": int(category_id), "price": price})
        assert added.status_code == 201, added.json
    response = client.post("/api/v1/till/basket/complete",
                           json={"key": key, "payments": payments or [{"method": "cash", "tendered": "50"}]})
    assert response.status_code == 200, response.json
    return response.json


#: Card 10 zł, then 50 zł cash handed over for the rest (22 zł change).
SPLIT_PAYMENTS = [{"method": "card", "amount": "10"}, {"method": "cash", "tendered": "50"}]


def fill_discounted_basket(client) -> None:
    """A dress of 40 zł at 25 % off (a stain), three books of 3 zł, 1 zł off the basket: 38 zł."""
    client.post("/api/v1/till/basket/lines", json={"category_id": 1, "price": "40"})
    client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "3", "quantity": 3})
    line = client.get("/api/v1/till/basket").json["lines"][0]["id"]
    client.post(f"/api/v1/till/basket/lines/{line}/discount", json={"kind": "percent", "value": 25, "reason": "Plama"})
    client.post("/api/v1/till/basket/discount", json={"kind": "amount", "value": "1,00", "reason": "Stały klient"})


_UNREACHABLE = "Drukarka fiskalna nie odpowiada: sprawdź, czy jest włączona i podłączona."
#: What the till shows for each fault of a fake printer, whatever the driver.
#: The receipt came out and its answer was lost: the till offers "Sprawdź" and the counters decide.
ANSWER_LOST = ("Odpowiedź drukarki fiskalnej nie dotarła: paragon mógł się wydrukować. Naciśnij „Sprawdź”: "
               "rozstrzygną liczniki drukarki, nic nie wydrukuje się dwa razy.")
FAULT_MESSAGES = {
    "paper": "Brak papieru: włóż nową rolkę.",
    "drop": ANSWER_LOST,
    "hang": _UNREACHABLE,
    "refuse": _UNREACHABLE,
    "error": "Błąd stawki VAT: ta nazwa towaru była sprzedana w innej stawce i jest zablokowana.",
}


def retry_twice(client, sale_id: int) -> dict:
    """The volunteer presses "Spróbuj ponownie" twice; both answers must agree (returned once)."""
    first = client.post(f"/api/v1/sales/{sale_id}/fiscal").json["fiscal"]
    second = client.post(f"/api/v1/sales/{sale_id}/fiscal").json["fiscal"]
    assert first == second
    return first
