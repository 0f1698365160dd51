"""What the invoicing tests share: a sale through the till's API, a buyer and an invoice for it, KSeF
pointed at a fake server."""
from lukluk_pos.auth.models import User
from lukluk_pos.extensions import db
from lukluk_pos.invoicing import ksef, service
from lukluk_pos.invoicing.models import Invoice
from tests.conftest import in_app, shop_today
from tests.fiscal_support import sell

#: A private person asking for an invoice (an address is needed).
PERSON = {"kind": "person", "name": "Jan Kowalski", "address1": "ul. Polna 3", "address2": "81-750 Sopot"}
#: A parish buying for its hall: a real-looking NIP with a valid checksum.
PARISH = {"kind": "business", "nip": "526-000-12-46", "name": "Parafia św. Jerzego",
          "address1": "ul. Kościuszki 1", "address2": "81-704 Sopot"}


def sale(client, key, lines=(("1", "12,50"),), payments=None, buyer_nip=None) -> dict:
    if buyer_nip is None:
        return sell(client, key, lines, payments)
    for category_id, price in lines:
        assert client.post("/api/v1/till/basket/lines",
                           json={"category_id": int(category_id), "price": price}).status_code == 201
    response = client.post("/api/v1/till/basket/complete", json={
        "key": key, "payments": payments or [{"method": "cash", "tendered": "50"}], "buyer_nip": buyer_nip})
    assert response.status_code == 200, response.json
    return response.json


def issue(app, shop, sale_id, buyer=None, *, user="Ania", today=None) -> int:
    with in_app(app):
        person = db.session.get(User, shop[user])
        saved = service.save_buyer(**(buyer or PARISH), user=person)
        invoice = service.issue(sale_id=sale_id, buyer_id=saved.id, user=person, today=today or shop_today())
        db.session.commit()
        return invoice.id


def use_ksef(app, fake, *, environment="test") -> None:
    app.config["KSEF_URL"] = fake.url
    with in_app(app):
        config = service.settings()
        config.ksef_environment, config.ksef_token = environment, fake.token
        db.session.commit()
    ksef.close_connections()


def work_queue(app, rounds=10) -> None:
    """Run the KSeF worker's rounds until nothing moves."""
    with in_app(app):
        for _ in range(rounds):
            if not ksef.process_due():
                break


def invoice(app, invoice_id) -> Invoice:
    with in_app(app):
        found = db.session.get(Invoice, invoice_id)
        db.session.expunge(found)
        return found


def settle(app, clock, rounds=6, step=None) -> None:
    """Let the KSeF worker run its rounds, the clock moving past each back-off (6 minutes by default)."""
    from datetime import timedelta

    for _ in range(rounds):
        work_queue(app)
        clock.shift(step or timedelta(minutes=6))
