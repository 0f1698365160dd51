"""A payment's key is bound to its till and basket: a lost answer never completes the wrong sale (#12)."""
from lukluk_pos.cash import service as cash
from lukluk_pos.extensions import db
from lukluk_pos.till.models import Till
from tests.conftest import PINS, in_app


def _line(client, price="10"):
    response = client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": price})
    assert response.status_code == 201, response.json
    return response.json


def _pay(client, key, **extra):
    return client.post("/api/v1/till/basket/complete", json={"key": key, "payments": [{"method": "card"}], **extra})


def test_a_lost_answer_then_a_new_customer_never_gets_the_earlier_sale(client, sign_in):
    sign_in("Ania")
    first_basket = _line(client, "10")["id"]
    first = _pay(client, "lost-answer-0001", basket_id=first_basket)
    assert first.status_code == 200
    # The answer never reached the till; the volunteer scans the next customer's book and presses pay with
    # the kept key. The server refuses: that key made another sale.
    _line(client, "7")
    again = _pay(client, "lost-answer-0001")
    assert again.status_code == 409 and again.json["error"] == "key_used"
    assert client.get("/api/v1/till/basket").json["lines"][0]["total_minor"] == 700  # still open, unsold
    # The till asks what became of the key: the earlier sale.
    fate = client.get("/api/v1/till/completions/lost-answer-0001")
    assert fate.status_code == 200 and fate.json["id"] == first.json["id"] and fate.json["total_minor"] == 1000
    # Paying for the new basket with a new key makes a new sale of 7 zł.
    new_basket = client.get("/api/v1/till/basket").json["id"]
    second = _pay(client, "lost-answer-0002", basket_id=new_basket)
    assert second.status_code == 200 and second.json["total_minor"] == 700 and second.json["id"] != first.json["id"]
    # The plain retry of a lost answer, with nothing new in the basket, still returns its own sale.
    assert _pay(client, "lost-answer-0002").json["id"] == second.json["id"]
    assert _pay(client, "lost-answer-0002", basket_id=new_basket).json["id"] == second.json["id"]
    # A key that made no sale: 404, the basket is as it was.
    assert client.get("/api/v1/till/completions/never-paid-0001").status_code == 404


def test_a_key_from_another_till_or_for_another_basket_is_refused(app, client, sign_in, shop):
    sign_in("Ania")
    basket = _line(client)["id"]
    assert _pay(client, "till-one-key-0001").status_code == 200
    till2 = _second_till(app, shop)  # Kasa 2 on another counter PC, open for the day
    other = app.test_client()
    assert other.post(f"/sign-in/{shop['Marek']}", data={"pin": PINS["Marek"], "till_id": till2}).status_code == 302
    _line(other, "3")
    stolen = _pay(other, "till-one-key-0001")
    assert stolen.status_code == 409 and stolen.json["error"] == "key_used"
    assert other.get("/api/v1/till/completions/till-one-key-0001").status_code == 409
    # A basket id that is not the open basket: refused, nothing completed.
    wrong = _pay(other, "till-two-key-0001", basket_id=basket)
    assert wrong.status_code == 409 and other.get("/api/v1/till/basket").json["lines"]
    assert _pay(other, "till-two-key-0002").json["total_minor"] == 300


def _second_till(app, shop) -> int:
    with in_app(app):
        from lukluk_pos.auth.models import User

        second = Till(name="Kasa 2")
        db.session.add(second)
        db.session.flush()
        cash.open_session(second.id, db.session.get(User, shop["Magda"]), counts={"10000": 1})
        db.session.commit()
        return second.id


def test_a_twin_at_another_till_that_committed_first_is_not_returned(app, client, sign_in, shop, monkeypatch):
    """Two tills post the same key, each with its own basket; the other till's sale commits between this
    request's look for the key and its own write (the unique key then refuses the write). The fallback is
    bound like the first look: 409, this basket stays open and unpaid."""
    from lukluk_pos.till import service as till_service

    sign_in("Ania")
    _line(client, "10")
    assert _pay(client, "twin-key-000001").status_code == 200
    other = app.test_client()
    till2 = _second_till(app, shop)
    assert other.post(f"/sign-in/{shop['Marek']}", data={"pin": PINS["Marek"], "till_id": till2}).status_code == 302
    basket = _line(other, "3")["id"]
    real = till_service._by_key
    looks = []

    def not_yet_committed(key, *args):  # the first look happens before the twin's commit
        looks.append(key)
        return None if len(looks) == 1 else real(key, *args)

    monkeypatch.setattr(till_service, "_by_key", not_yet_committed)
    twin = _pay(other, "twin-key-000001", basket_id=basket)
    monkeypatch.undo()
    assert len(looks) == 2, "the write did not meet the twin's key"
    assert twin.status_code == 409 and twin.json["error"] == "key_used"
    still = other.get("/api/v1/till/basket").json
    assert still["id"] == basket and still["lines"][0]["total_minor"] == 300


def _refund(client, sale, key, quantity=1):
    return client.post(f"/api/v1/sales/{sale['id']}/refunds", json={
        "key": key, "lines": [{"line_id": sale["lines"][0]["id"], "quantity": quantity}], "method": "card",
        "reason": "Nie pasuje"})


def test_a_refund_key_is_bound_to_its_sale_lines_and_till(app, client, sign_in, shop):
    sign_in("Marek")  # a manager at the till approves their own refunds
    _line(client, "10")
    client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "4"})
    a = _pay(client, "refund-sale-a-01").json
    _line(client, "20")
    b = _pay(client, "refund-sale-b-01").json
    first = _refund(client, a, "refund-key-0001")
    assert first.status_code == 201, first.json
    # The same key, the same refund: the stored document, once.
    again = _refund(client, a, "refund-key-0001")
    assert again.status_code == 201 and again.json["id"] == first.json["id"]
    # The same key for another sale, or other lines: 409, and sale B is not refunded.
    other_sale = _refund(client, b, "refund-key-0001")
    assert other_sale.status_code == 409 and other_sale.json["error"] == "key_used"
    assert "zwrot" in other_sale.json["message"].lower()
    assert client.get(f"/api/v1/sales/{b['id']}").json.get("refunds", []) == []
    other_lines = client.post(f"/api/v1/sales/{a['id']}/refunds", json={
        "key": "refund-key-0001", "lines": [{"line_id": a["lines"][1]["id"], "quantity": 1}], "method": "card",
        "reason": "Nie pasuje"})
    assert other_lines.status_code == 409
    # From another till: 409.
    till2 = _second_till(app, shop)
    other = app.test_client()
    assert other.post(f"/sign-in/{shop['Marek']}", data={"pin": PINS["Marek"], "till_id": till2}).status_code == 302
    assert _refund(other, a, "refund-key-0001").status_code == 409
    # A sale's completion key is not a refund key: it makes B's refund, never returns sale B itself.
    own = _refund(client, b, "refund-sale-b-01")
    assert own.status_code == 201 and own.json["id"] != b["id"] and own.json["kind"] == "refund"
    assert own.json["total_minor"] == 2000
