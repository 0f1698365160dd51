"""The till's rules, tested on the services directly, on SQLite and PostgreSQL."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lukluk_pos.auth.models import User
from lukluk_pos.auth.service import WrongApprovalPin
from lukluk_pos.catalog.models import Category, Item, ItemStatus
from lukluk_pos.core import events
from lukluk_pos.core.errors import ApprovalRequired, InvalidInput
from lukluk_pos.core.models import AuditEvent
from lukluk_pos.extensions import db
from lukluk_pos.till import refunds
from lukluk_pos.till import service as till
from lukluk_pos.till.models import (
    TRANSITIONS,
    IllegalTransition,
    PaymentMethod,
    Sale,
    SaleKind,
    SaleStatus,
    Till,
    transition,
)

TILL = 1
CASH, CARD = PaymentMethod.CASH, PaymentMethod.CARD


def person(name):
    return db.session.scalar(select(User).where(User.name == name))


def category(name="Książki"):
    return db.session.scalar(select(Category).where(Category.name == name))


@pytest.fixture
def ania(ctx, shop):
    return person("Ania")


def test_a_scanned_item_and_an_open_price_book_sold_for_cash(ania, make_item):
    dress = make_item(price_minor=2500)
    till.add_code(TILL, ania, dress["code"])
    till.add_open_price(TILL, ania, category_id=category().id, price="4,50")
    sale = till.complete(TILL, ania, key="k" * 16, payments=[till.PaymentIn(CASH, tendered_minor=5000)])
    db.session.commit()
    assert (sale.status, sale.number, sale.total_minor) == (SaleStatus.COMPLETED, 1, 2950)
    [payment] = sale.payments
    assert (payment.amount_minor, payment.tendered_minor, payment.change_minor) == (2950, 5000, 2050)
    assert db.session.get(Item, dress["id"]).status is ItemStatus.SOLD
    assert [line.total_minor for line in sale.lines] == [2500, 450]


def test_completion_is_idempotent_by_key(ania, make_item):
    till.add_code(TILL, ania, make_item()["code"])
    first = till.complete(TILL, ania, key="same-key-123", payments=[till.PaymentIn(CARD)])
    db.session.commit()
    again = till.complete(TILL, ania, key="same-key-123", payments=[till.PaymentIn(CARD)])
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 1


def test_a_completion_is_announced_each_time_and_fresh_only_by_the_transaction_that_made_it(ania, make_item):
    # The receipt is queued without looking for an earlier one only when fresh; one session (as in a test
    # holding its app context) must not carry it into a later request's repeated key.
    heard = []

    def listener(_sender, **kw):
        heard.append((kw["sale"].id, kw["fresh"], kw["training"], kw["user_id"]))

    till.add_code(TILL, ania, make_item()["code"])
    with events.sale_completed.connected_to(listener):
        first = till.complete(TILL, ania, key="here-key-123", payments=[till.PaymentIn(CARD)])
        db.session.commit()
        again = till.complete(TILL, ania, key="here-key-123", payments=[till.PaymentIn(CARD)])
    assert again is first
    assert heard == [(first.id, True, False, ania.id), (first.id, False, False, ania.id)]


def test_split_payment_card_then_cash_with_change(ania):
    till.add_open_price(TILL, ania, category_id=category().id, price=4000)
    sale = till.complete(TILL, ania, key="split-12345", payments=[
        till.PaymentIn(CARD, amount_minor=1500), till.PaymentIn(CASH, tendered_minor=3000)])
    card, cash = sale.payments
    assert (card.method, card.amount_minor) == (CARD, 1500)
    assert (cash.amount_minor, cash.tendered_minor, cash.change_minor) == (2500, 3000, 500)


@pytest.mark.parametrize("payments, error, params", [
    ([till.PaymentIn(CASH, tendered_minor=999)], till.PaymentShort, {"missing": "0,01\u00a0zł"}),
    ([till.PaymentIn(CARD, amount_minor=5000)], till.TooMuch, {"total": "10,00\u00a0zł"}),
    ([till.PaymentIn(CARD, amount_minor=400)], till.PaymentShort, {"missing": "6,00\u00a0zł"}),
    ([], till.PaymentShort, {}),
])
def test_short_or_wrong_payment_is_refused_and_nothing_is_written(ania, payments, error, params):
    till.add_open_price(TILL, ania, category_id=category().id, price=1000)
    db.session.commit()
    with pytest.raises(error) as info:
        till.complete(TILL, ania, key="short-12345", payments=payments)
    assert info.value.params == params
    db.session.rollback()
    assert till.open_basket(TILL).status is SaleStatus.OPEN
    assert db.session.scalar(select(func.count()).select_from(Sale).where(Sale.number.is_not(None))) == 0


def open_second_till(user) -> None:
    """Kasa 2, opened with an empty float (the fixture opens Kasa 1)."""
    from lukluk_pos.cash import service as cash

    second = Till(name="Kasa 2")
    db.session.add(second)
    db.session.flush()
    cash.open_session(second.id, user, counts={})
    db.session.commit()


def test_a_unique_item_cannot_be_in_two_baskets_or_sold_twice(ania, make_item):
    open_second_till(ania)
    item = make_item()
    till.add_code(TILL, ania, item["code"])
    db.session.commit()
    with pytest.raises(till.ItemUnavailable) as info:
        till.add_code(TILL, ania, item["code"])
    assert "już w tym koszyku" in info.value.describe()
    db.session.rollback()
    with pytest.raises(till.ItemUnavailable) as info:
        till.add_code(2, ania, item["code"])
    assert "w koszyku innej kasy" in info.value.describe()
    db.session.rollback()
    till.complete(TILL, ania, key="sold-once-1", payments=[till.PaymentIn(CARD)])
    db.session.commit()
    with pytest.raises(till.ItemUnavailable) as info:
        till.add_code(2, ania, item["code"])
    assert "już sprzedany" in info.value.describe()


def test_two_tills_racing_for_one_item_get_one_success(app, shop, make_item):
    with app.app_context():
        open_second_till(person("Ania"))
    item = make_item()
    barrier = threading.Barrier(2)
    outcomes = {}

    def race(till_id):
        with app.app_context():
            user = person("Ania")
            db.session.commit()  # end the read, so neither thread holds SQLite's write lock at the barrier
            barrier.wait()
            try:
                till.add_code(till_id, user, item["code"])
                db.session.commit()
                outcomes[till_id] = "ok"
            except till.ItemUnavailable as exc:
                db.session.rollback()
                outcomes[till_id] = exc.describe()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=race, args=(t,)) for t in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert list(outcomes.values()).count("ok") == 1, outcomes
    loser = next(v for v in outcomes.values() if v != "ok")
    assert "w koszyku innej kasy" in loser
    with app.app_context():
        lines = db.session.scalar(select(func.count()).select_from(Sale).where(Sale.status == SaleStatus.OPEN))
        assert lines == 1


def test_two_identical_completions_racing_make_one_sale(app, shop, make_item):
    item = make_item()
    with app.app_context():
        till.add_code(TILL, person("Ania"), item["code"])
        db.session.commit()
    barrier = threading.Barrier(2)
    numbers = []

    def pay():
        with app.app_context():
            barrier.wait()
            sale = till.complete(TILL, person("Ania"), key="twin-key-42", payments=[till.PaymentIn(CARD)])
            db.session.commit()
            numbers.append(sale.number)
            db.session.remove()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert numbers == [1, 1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 1


def test_void_releases_items_and_is_audited(ania, make_item):
    item = make_item()
    till.add_code(TILL, ania, item["code"])
    with pytest.raises(InvalidInput):
        till.void(TILL, ania, "  ")
    sale = till.void(TILL, ania, "Klientka zmieniła zdanie")
    db.session.commit()
    assert sale.status is SaleStatus.VOIDED
    assert db.session.get(Item, item["id"]).status is ItemStatus.IN_STOCK
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sale.void"))
    assert (event.user_id, event.reason, event.details["total"]) == (ania.id, "Klientka zmieniła zdanie", 1500)


@pytest.mark.parametrize("start", list(TRANSITIONS))
@pytest.mark.parametrize("end", list(TRANSITIONS))
def test_sale_status_transition_table(start, end):
    sale = Sale(status=start)
    if end in TRANSITIONS[start]:
        transition(sale, end)
        assert sale.status is end
    else:
        with pytest.raises(IllegalTransition):
            transition(sale, end)
        assert sale.status is start


def test_discount_over_the_limit_needs_a_manager_pin(ania, make_item):
    till.add_code(TILL, ania, make_item(price_minor=10000)["code"])
    line = till.open_basket(TILL).lines[0]
    till.set_line_discount(TILL, ania, line.id, kind="percent", value=20, reason="Mała wada")  # at the limit
    with pytest.raises(ApprovalRequired):
        till.set_line_discount(TILL, ania, line.id, kind="percent", value=50, reason="Plama")
    with pytest.raises(WrongApprovalPin):
        till.set_line_discount(TILL, ania, line.id, kind="percent", value=50, reason="Plama",
                               approval=till.Approval(person("Marek").id, "9999"))
    db.session.rollback()
    till.set_line_discount(TILL, ania, line.id, kind="percent", value=50, reason="Plama",
                           approval=till.Approval(person("Marek").id, "2222"))
    assert till.totals(till.open_basket(TILL)).total_minor == 5000
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sale.discount")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.details["approved_by"] == person("Marek").id
    assert event.reason == "Plama"


def test_basket_discount_is_split_over_lines_at_completion(ania):
    till.add_open_price(TILL, ania, category_id=category().id, price=1000)
    till.add_open_price(TILL, ania, category_id=category("Obuwie").id, price=2000)
    till.set_basket_discount(TILL, ania, kind="amount", value="3,00", reason="Stała klientka")
    sale = till.complete(TILL, ania, key="basket-disc-1", payments=[till.PaymentIn(CASH)])
    assert (sale.subtotal_minor, sale.discount_minor, sale.total_minor) == (3000, 300, 2700)
    assert [line.basket_discount_minor for line in sale.lines] == [100, 200]
    assert sum(line.total_minor for line in sale.lines) == 2700


def test_refund_part_of_a_sale_as_a_new_document(ania, make_item):
    dress = make_item(price_minor=2500)
    books = make_item(price_minor=300, description="Książka kieszonkowa", category="Książki", kind="bulk", quantity=10)
    till.add_code(TILL, ania, dress["code"])
    till.add_code(TILL, ania, books["code"], quantity=3)
    sale = till.complete(TILL, ania, key="to-refund-1", payments=[till.PaymentIn(CASH, tendered_minor=5000)])
    db.session.commit()
    assert db.session.get(Item, books["id"]).quantity_on_hand == 7
    dress_line, books_line = sale.lines
    with pytest.raises(ApprovalRequired):
        refunds.refund(user=ania, till_id=TILL, sale_id=sale.id, lines=[refunds.RefundLineIn(dress_line.id, 1)],
                    method=CASH, reason="Za mała", approval=None, key="refund-key-1")
    db.session.rollback()
    doc = refunds.refund(user=ania, till_id=TILL, sale_id=sale.id, method=CASH, reason="Za mała", key="refund-key-1",
                      approval=till.Approval(person("Marek").id, "2222"),
                      lines=[refunds.RefundLineIn(dress_line.id, 1, restock=True),
                             refunds.RefundLineIn(books_line.id, 2, restock=False)])
    db.session.commit()
    assert (doc.kind, doc.refund_of_id, doc.number, doc.total_minor) == (SaleKind.REFUND, sale.id, 2, 3100)
    assert doc.payments[0].amount_minor == 3100
    assert db.session.get(Item, dress["id"]).status is ItemStatus.IN_STOCK
    assert db.session.get(Item, books["id"]).quantity_on_hand == 7  # written off, not back on the shelf
    original = db.session.get(Sale, sale.id)
    assert (original.status, original.total_minor) == (SaleStatus.COMPLETED, 3400)  # untouched
    again = refunds.refund(user=ania, till_id=TILL, sale_id=sale.id, method=CASH, reason="Za mała", key="refund-key-1",
                        approval=None, lines=[refunds.RefundLineIn(books_line.id, 2, restock=False),
                                              refunds.RefundLineIn(dress_line.id, 1)])
    assert again.id == doc.id  # the same key and the same lines return the same refund
    with pytest.raises(refunds.RefundKeyUsed):  # the same key for other lines is another refund: refused
        refunds.refund(user=ania, till_id=TILL, sale_id=sale.id, method=CASH, reason="Za mała", key="refund-key-1",
                    approval=None, lines=[refunds.RefundLineIn(dress_line.id, 1)])
    with pytest.raises(till.TooMuch) as info:  # more back than was sold: the sale decides (409)
        refunds.refund(user=person("Marek"), till_id=TILL, sale_id=sale.id, method=CARD, reason="x",
                    approval=None, key="refund-key-2", lines=[refunds.RefundLineIn(books_line.id, 2)])
    assert info.value.params["count"] == 1
    db.session.rollback()
    last = refunds.refund(user=person("Marek"), till_id=TILL, sale_id=sale.id, method=CARD, reason="Reszta",
                       approval=None, key="refund-key-3", lines=[refunds.RefundLineIn(books_line.id, 1)])
    assert last.total_minor == 300
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sale.refund")).all()
    assert len(audit) == 2


def test_wrong_pins_make_their_source_wait_longer_and_longer(ania, clock):
    from lukluk_pos.auth import service as auth
    from lukluk_pos.auth.models import SignInMethod, Throttle

    for _attempt in range(4):
        with pytest.raises(auth.WrongCredentials):
            auth.verify(ania, "0000", kind=SignInMethod.PIN)
    with pytest.raises(auth.AccountLocked) as info:
        auth.verify(ania, "0000", kind=SignInMethod.PIN)
    assert info.value.params["seconds"] == 30
    with pytest.raises(auth.AccountLocked):
        auth.verify(ania, "1111", kind=SignInMethod.PIN)  # even the right PIN waits, from this source
    clock.shift(timedelta(seconds=31))
    with pytest.raises(auth.AccountLocked) as info:
        auth.verify(ania, "0000", kind=SignInMethod.PIN)
    assert info.value.params["seconds"] == 60
    # Another source (another till's address) is not slowed by this one's mistakes.
    auth.verify(ania, "1111", kind=SignInMethod.PIN, throttle_key=f"pin:{ania.id}:10.0.0.9")
    failures = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth.failed"))
    assert failures == 6
    refused = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "auth.refused_waiting"))
    assert refused == 1
    for _step in range(20):  # the wait doubles up to a quarter of an hour
        clock.shift(timedelta(minutes=16))
        with pytest.raises(auth.AccountLocked) as info:
            auth.verify(ania, "0000", kind=SignInMethod.PIN)
    assert info.value.params["seconds"] == 15 * 60
    clock.shift(timedelta(minutes=16))
    auth.verify(ania, "1111", kind=SignInMethod.PIN)
    db.session.commit()
    assert db.session.scalars(select(Throttle)).all() == []  # a right PIN clears its source's count
