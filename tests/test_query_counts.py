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

    def scan(code) -> int:
        with statements(app) as seen:
            assert client.post("/api/v1/till/basket/lines", json={"code": code}).status_code == 201
        return len(seen)

    scan(codes[0])
    into_short = scan(codes[1])
    for code in codes[2:61]:
        scan(code)
    into_long = scan(codes[61])
    assert client.get("/api/v1/till/basket").json["item_count"] == 62
    assert into_long == into_short, (into_short, into_long)


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
