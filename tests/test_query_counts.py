"""The shape of the work, not its speed (speed is ``make bench``): how many SQL statements a request runs
must not grow with the data it shows. Counted with SQLAlchemy's cursor events, on both databases."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from lukluk_pos.extensions import db


@contextmanager
def statements(app):
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_scan_costs_the_same_queries_into_a_long_basket(app, client, sign_in, make_item):
    sign_in("Ania")
    codes = [make_item(description=f"Książka {n}", category="Książki", price_minor=500)["code"] for n in range(62)]

    def scan(code) -> tuple[int, int]:
        with statements(app) as seen:
            response = client.post("/api/v1/till/basket/lines", json={"code": code})
            assert response.status_code == 201
        return len(seen), len(response.data)

    scan(codes[0])
    into_short, short_answer = scan(codes[1])
    for code in codes[2:61]:
        scan(code)
    into_long, long_answer = scan(codes[61])
    assert client.get("/api/v1/till/basket").json["item_count"] == 62
    assert into_long == into_short, (into_short, into_long)
    # The answer is the added line and the figures, not the basket again (a longer number or two at most).
    assert long_answer <= short_answer + 16, (short_answer, long_answer)


def test_a_completion_reads_the_basket_in_one_statement_whatever_its_length(app, client, sign_in, make_item):
    """The basket, its lines and their items come in one query (locked on the basket's row); the lines'
    totals are written in one batched UPDATE, so a 20-line basket costs the statements of a 1-line one."""
    sign_in("Ania")
    codes = [make_item(description=f"Płyta {n}", category="Książki", price_minor=300)["code"] for n in range(22)]

    def complete(key, scanned) -> list[str]:
        for code in scanned:
            assert client.post("/api/v1/till/basket/lines", json={"code": code}).status_code == 201
        with statements(app) as seen:
            response = client.post("/api/v1/till/basket/complete",
                                   json={"key": key, "payments": [{"method": "cash"}]})
            assert response.status_code == 200, response.json
        return [" ".join(s.split()[:4]) for s in seen]

    complete("query-count-0", codes[:1])  # the shop's first receipt number makes its counter's row
    short = complete("query-count-1", codes[1:2])
    long = complete("query-count-2", codes[2:])
    reads = [s for s in short if s.startswith("SELECT")]
    # The sign-in, the key, the basket with its lines and items, the till's session, the shop; a fresh
    # completion does not look for an earlier receipt job.
    assert len(reads) == 5, short
    assert len(short) <= 12, short
    assert len(long) == len(short), (short, long)
    assert sum(s.startswith("UPDATE sale_line") for s in long) == 1


def test_the_dashboard_counts_rotation_without_loading_the_items(app, client, sign_in, make_item):
    from datetime import timedelta

    from lukluk_pos.catalog.models import Item
    from lukluk_pos.core.models import utcnow
    from lukluk_pos.intake import service as intake
    from tests.conftest import in_app

    for n in range(30):
        make_item(description=f"Stara sukienka {n}")
    with in_app(app):
        for item in db.session.scalars(db.select(Item)):
            item.created_at = utcnow() - timedelta(weeks=20)
        db.session.commit()
        counts = intake.rotation_due_counts()
        due = intake.rotation_due()
        assert counts == {"markdown": len(due["markdown"]), "pull": len(due["pull"])} and counts["pull"] == 30
    sign_in("Marek", password=True)
    with statements(app) as seen:
        page = client.get("/reports/")
    assert page.status_code == 200
    assert not [s for s in seen if s.lstrip().upper().startswith("SELECT ITEM.ID, ITEM.CODE")], \
        "the dashboard loads whole item rows"


def test_a_closed_day_is_read_from_its_stored_sums_not_its_sales(app, ctx, shop):
    """The period's sales reports read a closed day's ``day_total`` rows; only days not closed touch the
    sales (here: none, so no statement reads the sale, sale_line or payment tables)."""
    import re
    from datetime import timedelta

    from sqlalchemy import select

    from lukluk_pos.auth.models import User
    from lukluk_pos.cash import service as cash
    from lukluk_pos.cash import zreport
    from lukluk_pos.catalog.models import Category
    from lukluk_pos.core.models import Shop
    from lukluk_pos.reports import period
    from lukluk_pos.till import service as till
    from lukluk_pos.till.models import PaymentMethod
    from tests.conftest import shop_today
    from tests.test_manager_reports import _at

    magda = db.session.get(User, shop["Magda"])
    db.session.scalar(select(Shop)).cash_tolerance_minor = 10**8
    cash.close_session(1, magda, counts={"10000": 2})
    day = shop_today() - timedelta(days=1)
    cash.open_session(1, magda, counts={}, at=_at(day, 9))
    till.add_open_price(1, magda, category_id=db.session.scalar(select(Category.id).where(Category.name == "Książki")), price=1250, quantity=2)
    till.complete(1, magda, key="closed-day-1", payments=[till.PaymentIn(PaymentMethod.CASH)])
    cash.close_session(1, magda, counts={}, at=_at(day, 18))
    zreport.close_day(day, magda)
    p = period.Period(day, day, "day")
    with statements(app) as seen:
        rows = {name: period.BY_NAME[name].build(p).rows for name in ("sales", "categories", "payments", "people",
                                                                       "adjustments")}
        raised = period.impact(p)["raised_minor"]
    assert raised == 2500 and rows["sales"][0][1:5] == [1, 2500, 0, 2500]
    touched = [s for s in seen if re.search(r"\b(FROM|JOIN) (sale|sale_line|payment)\b", s)]
    assert not touched, touched
