"""The manager's view: reports cross-checked against raw sales over generated histories, the stock
list's filters, aging, write-offs, stock takes, impact and hours, downloads and the dashboard."""
import csv
import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from lukluk_pos.auth.models import LoginSession, SignInMethod, User
from lukluk_pos.cash import service as cash
from lukluk_pos.cash import zreport
from lukluk_pos.catalog.models import Category, Item, ItemStatus
from lukluk_pos.core.models import utcnow
from lukluk_pos.extensions import db
from lukluk_pos.intake.models import Cause, ItemRemoval
from lukluk_pos.reports import period
from lukluk_pos.stock import service as stock
from lukluk_pos.till import refunds
from lukluk_pos.till import service as till
from lukluk_pos.till.models import PaymentMethod
from tests.conftest import in_app, shop_today

WARSAW = ZoneInfo("Europe/Warsaw")



def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A naive UTC timestamp for the shop's local hour on ``day``."""
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


# --- reports against raw sales ------------------------------------------------------------------------

line = st.tuples(st.integers(0, 4), st.integers(1, 20_000), st.integers(1, 3))  # category, price, quantity
sale = st.fixed_dictionaries({
    "lines": st.lists(line, min_size=1, max_size=3),
    "card": st.booleans(),
    "discount": st.sampled_from([None, 10, 20]),
    "refund_first_line": st.booleans(),
})
history = st.lists(st.lists(sale, min_size=0, max_size=4), min_size=1, max_size=3)  # days back 1..3
#: Which history days are closed before the reports are read again: their sums are then the ones stored
#: at closing (``cash.totals``), and a reopened day is summed from its sales again.
closing = st.sampled_from(["none", "all", "every other", "reopened", "closed twice"])


def _every_report(p: period.Period) -> dict:
    from lukluk_pos.fiscal import service as fiscal

    out = {r.name: r.build(p).rows for r in period.REPORTS + period.IMPACT_REPORTS}
    out["impact"] = period.impact(p)
    out["exemption"] = fiscal.exemption(p.end)  # the year's turnover without a buyer's NIP
    return out


def _close_history(plan: str, days: list[date], magda: User) -> None:
    from lukluk_pos.core.models import Shop

    db.session.scalar(select(Shop)).cash_tolerance_minor = 10**8  # the history's counts are not the point here
    for n, day in enumerate(sorted(days)):
        if plan == "every other" and n % 2:
            continue
        zreport.close_day(day, magda)
    if plan in ("reopened", "closed twice"):
        cash.reopen_day(min(days), magda, reason="Sprawdzenie")
    if plan == "closed twice":
        zreport.close_day(min(days), magda)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=history, plan=closing)
def test_reports_equal_the_raw_sales_and_the_day_reports(ctx, shop, days, plan):
    magda = db.session.get(User, shop["Magda"])
    categories = list(db.session.scalars(select(Category).order_by(Category.id)))[:5]
    try:
        cash.close_session(1, magda, counts={"10000": 2})  # today's till; the history runs on earlier days
        expected_days: dict[date, dict] = {}
        for back, sales in enumerate(days, start=1):
            day = shop_today() - timedelta(days=back)
            cash.open_session(1, magda, counts={}, at=_at(day, 9))
            raw = expected_days.setdefault(day, {"net": 0, "count": 0, "items": 0, "by_category": {}, "card": 0})
            for n, spec in enumerate(sales):
                for cat, price, qty in spec["lines"]:
                    till.add_open_price(1, magda, category_id=categories[cat].id, price=price, quantity=qty)
                if spec["discount"]:
                    till.set_basket_discount(1, magda, kind="percent", value=spec["discount"], reason="Test")
                basket = till.open_basket(1)
                total = till.totals(basket).total_minor
                method = PaymentMethod.CARD if spec["card"] else PaymentMethod.CASH
                done = till.complete(1, magda, key=f"hyp-{back}-{n}-{len(sales)}",
                                     payments=[till.PaymentIn(method)] if total else [])
                raw["net"] += done.total_minor
                raw["count"] += 1
                raw["items"] += sum(q for _c, _p, q in spec["lines"])
                if spec["card"]:
                    raw["card"] += done.total_minor
                for sold in done.lines:
                    name = sold.category.name
                    raw["by_category"][name] = raw["by_category"].get(name, 0) + sold.total_minor
                if spec["refund_first_line"] and done.total_minor:
                    first = done.lines[0]
                    back_doc = refunds.refund(user=magda, till_id=1, sale_id=done.id, lines=[
                        refunds.RefundLineIn(first.id, first.quantity)], method=method, reason="Zwrot", approval=None,
                        key=f"hyp-r-{back}-{n}-{len(sales)}")
                    raw["net"] -= back_doc.total_minor
                    if spec["card"]:
                        raw["card"] -= back_doc.total_minor
                    name = first.category.name
                    raw["by_category"][name] -= back_doc.total_minor
            cash.close_session(1, magda, counts={}, at=_at(day, 18))
        first_day, last_day = min(expected_days), max(expected_days)
        p = period.Period(first_day, last_day, "day")
        over_time = {row[0]: row for row in period.sales_over_time(p).rows}
        for day, raw in expected_days.items():
            report = zreport.build(day)
            assert report["net_minor"] == raw["net"]
            if raw["count"]:
                row = over_time[day]
                assert (row[1], int(row[4])) == (raw["count"], raw["net"])
                assert int(row[5]) == (int(row[2]) + row[1] // 2) // row[1]  # average sale, rounded half up
            else:
                assert day.isoformat() not in over_time
        total_net = sum(raw["net"] for raw in expected_days.values())
        by_category = {row[0]: int(row[2]) for row in period.by_category(p).rows}
        expected_categories: dict[str, int] = {}
        for raw in expected_days.values():
            for name, amount in raw["by_category"].items():
                expected_categories[name] = expected_categories.get(name, 0) + amount
        assert by_category == {k: v for k, v in expected_categories.items() if k in by_category}
        assert sum(by_category.values()) == total_net
        payments = {row[0]: int(row[3]) for row in period.by_payment(p).rows}
        assert sum(payments.values()) == total_net
        assert payments.get("Karta", 0) == sum(raw["card"] for raw in expected_days.values())
        people = period.by_person(p).rows
        assert sum(int(row[2]) for row in people) == total_net
        weekly = period.sales_over_time(period.Period(first_day, last_day, "week")).rows
        assert sum(int(row[4]) for row in weekly) == total_net
        assert period.impact(p)["raised_minor"] == total_net
        if first_day.year == last_day.year:  # nothing else sold this year: the exemption's turnover
            assert _every_report(p)["exemption"]["turnover_minor"] == total_net
        # The same reports once days are closed: read from the sums stored at closing, not one figure moves.
        summed_now = _every_report(p)
        _close_history(plan, list(expected_days), magda)
        assert _every_report(p) == summed_now
    finally:
        db.session.rollback()


# --- the stock list --------------------------------------------------------------------------------------

def _aged(make_item, app, weeks, **kw):
    made = make_item(**kw)
    with in_app(app):
        item = db.session.get(Item, made["id"])
        item.created_at = utcnow() - timedelta(weeks=weeks, hours=1)
        item.tag_colour = kw.get("description", "")[:5] and ("zielony" if weeks >= 6 else "żółty")
        db.session.commit()
    return made


def test_the_stock_list_filters_sorts_and_pages(app, client, sign_in, make_item, shop):
    old_books = [_aged(make_item, app, 7 + n, price_minor=300 + n, description=f"Stara książka {n}",
                       category="Książki") for n in range(3)]
    _aged(make_item, app, 1, price_minor=2500, description="Nowa książka", category="Książki")
    _aged(make_item, app, 9, price_minor=4000, description="Stary płaszcz")
    sign_in("Marek", password=True)
    with in_app(app):
        books = db.session.scalar(select(Category.id).where(Category.name == "Książki"))
    page = client.get(f"/stock/?category_id={books}&min_weeks=6&sort=oldest")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Znaleziono 3 towary." in html
    assert html.index("Stara książka 2") < html.index("Stara książka 0")  # oldest first
    assert "Nowa książka" not in html and "Stary płaszcz" not in html
    assert "Nowa książka" in client.get(f"/stock/?category_id={books}&max_weeks=2").get_data(as_text=True)
    cheap = client.get("/stock/?band=0").get_data(as_text=True)
    assert "Stara książka 1" in cheap and "Stary płaszcz" not in cheap
    assert "Stary płaszcz" in client.get("/stock/?tag_colour=zielony&q=płaszcz").get_data(as_text=True)
    bad = client.get("/stock/?min_weeks=minus")
    assert bad.status_code == 422 and "Sprawdź" in bad.get_data(as_text=True)
    with in_app(app):
        result = stock.list_stock(stock.StockFilter(category_id=books, min_weeks=6), page=1)
        assert result.total == 3 and [i.id for i in result.items] == [i["id"] for i in old_books]  # newest first
        row = next(r for r in stock.aging() if r["category"] == "Książki")
        assert row["buckets"] == [1, 0, 1, 2] and row["total"] == 4  # 1, 7, 8 and 9 weeks old


def test_pages_are_paginated_in_sql(app, ctx, shop, make_item):
    for n in range(stock.PER_PAGE + 5):
        db.session.add(Item(code=f"2{n:012d}"[:13], description=f"Rzecz {n}", search_text=f"rzecz {n}",
                            category_id=1, price_minor=100, created_at=utcnow()))
    db.session.commit()
    first = stock.list_stock(stock.StockFilter(), page=1)
    second = stock.list_stock(stock.StockFilter(), page=2)
    assert first.total == stock.PER_PAGE + 5 and len(first.items) == stock.PER_PAGE and len(second.items) == 5


def test_write_off_by_ticking_and_by_scanning_counts_apart(app, client, sign_in, make_item, shop):
    a, b, c = (make_item(description=f"Kubek {n}", category="Porcelana i szkło") for n in range(3))
    sign_in("Marek", password=True)
    response = client.post("/stock/write-off", data={"item_id": [a["id"], b["id"]], "cause": "damaged",
                                                     "destination": "waste", "reason": "Pęknięte"})
    assert response.status_code == 302
    response = client.post("/stock/write-off", data={"code": c["code"], "cause": "unsellable",
                                                      "destination": "partner", "reason": "Dla schroniska"})
    assert response.status_code == 302
    again = client.post("/stock/write-off", data={"code": c["code"], "cause": "damaged", "destination": "waste",
                                                  "reason": "x"}, follow_redirects=True)
    assert "Kubek 2: nie ma go na sali" in again.get_data(as_text=True)
    with in_app(app):
        assert {i.status for i in db.session.scalars(select(Item))} == {ItemStatus.WRITTEN_OFF}
        removals = {r.item_id: r.cause for r in db.session.scalars(select(ItemRemoval))}
        assert removals == {a["id"]: Cause.DAMAGED, b["id"]: Cause.DAMAGED, c["id"]: Cause.UNSELLABLE}
        table = period.removals_table(period.Period(shop_today(), shop_today()))
        assert sorted((r[0], r[1], r[2]) for r in table.rows) == [
            ("Nie do sprzedania", "Przekazane organizacji partnerskiej", 1), ("Uszkodzone", "Wyrzucone", 2)]
        assert period.impact(period.Period(shop_today(), shop_today()))["items_passed_on"] == 1


def test_a_stock_take_marks_the_missing_as_lost_after_confirmation(app, client, sign_in, make_item, shop):
    found = [make_item(description=f"Płyta {n}", category="Płyty i winyle") for n in range(3)]
    other = make_item(description="Sukienka")
    sign_in("Marek", password=True)
    with in_app(app):
        records = db.session.scalar(select(Category.id).where(Category.name == "Płyty i winyle"))
        for made in found:
            db.session.get(Item, made["id"]).created_at = utcnow() - timedelta(days=1)
        db.session.commit()
    response = client.post("/stock/takes", data={"category_id": records})
    take_url = response.headers["Location"]
    for made in found[:2]:
        assert client.post(take_url, data={"code": made["code"]}).status_code == 302
    assert client.post(take_url, data={"code": found[0]["code"]}).status_code == 302  # twice counts once
    wrong = client.post(take_url, data={"code": other["code"]})
    assert wrong.status_code == 422 and "Odzież damska" in wrong.get_data(as_text=True)
    page = client.get(take_url).get_data(as_text=True)
    assert "Płyta 2" in page and "Płyta 0" not in page.split("Jeszcze nie znalezione")[1]
    client.post(take_url + "/finish", data={"mark_lost": "y"})
    with in_app(app):
        assert db.session.get(Item, found[2]["id"]).status is ItemStatus.IN_STOCK  # not confirmed: nothing lost
    client.post(take_url + "/finish", data={"mark_lost": "y", "confirm": "y"})
    with in_app(app):
        assert db.session.get(Item, found[2]["id"]).status is ItemStatus.WRITTEN_OFF
        assert db.session.scalar(select(ItemRemoval.cause)) is Cause.LOST
        assert db.session.get(Item, found[0]["id"]).status is ItemStatus.IN_STOCK


def test_impact_weights_and_hours(app, ctx, shop, make_item, clock):
    magda = db.session.get(User, shop["Magda"])
    books = db.session.scalar(select(Category).where(Category.name == "Książki"))
    books.weight_g = 350
    till.add_open_price(1, magda, category_id=books.id, price=500, quantity=4)
    till.complete(1, magda, key="impact-0001", payments=[till.PaymentIn(PaymentMethod.CARD)])
    ania = shop["Ania"]
    day = shop_today()
    # Ania at Kasa 1 from 9:00 to 13:00 (signed out), Marek from 13:00 until Ania signs in again at 15:30;
    # Ania does not sign out: her sign-in ends when the till is counted and closed at 17:00.
    for user_id, start, end in ((ania, _at(day, 9), _at(day, 13)), (shop["Marek"], _at(day, 13), None),
                                (ania, _at(day, 15) + timedelta(minutes=30), None)):
        db.session.add(LoginSession(token_hash=f"{user_id}-{start}", user_id=user_id, method=SignInMethod.PIN,
                                    till_id=1, created_at=start, ended_at=end))
    cash.close_session(1, magda, counts={"10000": 2}, at=_at(day, 17))
    db.session.commit()
    clock.move_to(datetime.combine(day, time(18), tzinfo=WARSAW))  # the report is read that evening
    p = period.Period(day, day)
    found = period.impact(p)
    assert found["items_sold"] == 4 and found["kg"] == 1.4 and found["raised_minor"] == 2000
    rows = {(r[0], r[1]): r[2] for r in period.hours(p).rows}
    month = f"{day:%Y-%m}"
    assert rows[("Ania", month)] == 5.5 and rows[("Marek", month)] == 2.5


def test_an_open_sign_in_counts_until_now_and_only_till_sign_ins_are_on_duty(app, ctx, shop, clock):
    day = shop_today()
    clock.move_to(datetime.combine(day, time(10, 40), tzinfo=WARSAW))
    # Ania signed in at the till 40 minutes ago and is still there; Marek looked at the back office by
    # password from the same computer; the till is open.
    db.session.add(LoginSession(token_hash="open-ania", user_id=shop["Ania"], method=SignInMethod.PIN, till_id=1,
                                created_at=_at(day, 10)))
    db.session.add(LoginSession(token_hash="office-marek", user_id=shop["Marek"], method=SignInMethod.PASSWORD,
                                till_id=1, created_at=_at(day, 10, 20)))
    db.session.commit()
    rows = {(r[0], r[1]): r[2] for r in period.hours(period.Period(day, day)).rows}
    assert rows == {("Ania", f"{day:%Y-%m}"): 0.7}  # 40 minutes, not the 14-hour limit
    report = zreport.build(day)
    assert "Marek" not in report["on_duty"] and "Ania" in report["on_duty"]
    assert [s["name"] for s in report["till_sign_ins"]] == ["Ania"]


def test_reports_download_as_csv_xlsx_and_svg_for_managers_only(app, client, sign_in, make_item, shop):
    sign_in("Ania")
    item = make_item(price_minor=1234)
    client.post("/api/v1/till/basket/lines", json={"code": item["code"]})
    client.post("/api/v1/till/basket/complete", json={"key": "dl-000001", "payments": [{"method": "cash"}]})
    day = shop_today().isoformat()
    assert client.get(f"/reports/period/sales.csv?start={day}&end={day}").status_code == 403
    assert client.get("/reports/").status_code in (302, 403)
    sign_in("Marek", password=True)
    for report in period.REPORTS + period.IMPACT_REPORTS:
        for fmt in ("csv", "xlsx", "svg"):
            response = client.get(f"/reports/period/{report.name}.{fmt}?start={day}&end={day}")
            assert response.status_code == 200, (report.name, fmt)
    svg = client.get(f"/reports/period/sales.svg?start={day}&end={day}")
    assert svg.mimetype == "image/svg+xml" and b"<script" not in svg.data and b"<svg" in svg.data
    assert "default-src 'none'" in svg.headers["Content-Security-Policy"]
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/period/sales.csv?start={day}&end={day}")
                                       .data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == day and rows[1][4] == "12,34"
    book = load_workbook(io.BytesIO(client.get(f"/reports/period/categories.xlsx?start={day}&end={day}").data))
    assert [list(r) for r in book.active.iter_rows(min_row=2, values_only=True)] == [["Odzież damska", 1, 12.34]]
    for path in ("/reports/", f"/reports/period?start={day}&end={day}", f"/reports/impact?start={day}&end={day}",
                 "/stock/", "/stock/aging", "/stock/takes"):
        page = client.get(path)
        assert page.status_code == 200, path
    assert "12,34" in client.get("/reports/").get_data(as_text=True)
    bad = client.get("/reports/period?start=2026-13-01")
    assert bad.status_code == 422 and "RRRR-MM-DD" in bad.get_data(as_text=True)
    assert client.get("/reports/period/nothing.csv").status_code == 404


def test_charts_leave_imports_alone():
    """pygal's legacy import hook is taken off: a missing optional module is a plain ImportError."""
    import importlib

    from lukluk_pos.reports import charts

    assert charts.svg is not None
    with pytest.raises(ImportError):
        importlib.import_module("lukluk_no_such_module")


def test_stock_figures_are_as_at_the_last_close_and_money_is_up_to_the_minute(app, ctx, shop, clock):
    """Sell-through and the donations' items read the figures summed after the last close (plus items
    taken in since); what the goods sold for is always summed to the minute."""
    from lukluk_pos.intake import service as intake
    from lukluk_pos.stock import figures as stock_figures

    magda = db.session.get(User, shop["Magda"])
    books = db.session.scalar(select(Category.id).where(Category.name == "Książki"))
    batch = intake.create_batch(by=magda, source="individual")
    items = [intake.add_item(batch, by=magda, category_id=books, condition_value="good", description=f"Książka {n}",
                             price=300 + 700 * n, confirm=True) for n in range(4)]

    def sell(item, key):
        till.add_item(1, magda, item, 1)
        till.complete(1, magda, key=key, payments=[till.PaymentIn(PaymentMethod.CASH)])
        db.session.commit()

    db.session.commit()
    clock.shift(timedelta(hours=1))
    sell(items[0], "stock-sale-0001")
    p = period.Period(shop_today(), shop_today(), "day")
    counted_from_items = _every_report(p)
    assert counted_from_items["sell_through"] == [["Książki", 4, 1, 25.0, 0.0]]
    clock.shift(timedelta(hours=1))
    assert stock_figures.refresh() == 4  # a cohort row per price band (3 zł, 10 and 17 zł, 24 zł) + the batch
    db.session.commit()
    assert stock_figures.taken_at() is not None
    assert _every_report(p) == counted_from_items  # the stored sums say what the items said

    clock.shift(timedelta(hours=1))
    sell(items[1], "stock-sale-0002")  # after the figures: sold is as at the close, the money is not
    later = intake.add_item(batch, by=magda, category_id=books, condition_value="good", description="Książka nowa",
                            price=900, confirm=True)
    db.session.commit()
    assert period.sell_through_category(p).rows == [["Książki", 5, 1, 20.0, 0.0]]
    source = period.intake_table(p).rows[0]
    assert source[1:] == [1, 5, 300 + 1000 + 1700 + 2400 + 900, 300 + 1000]
    assert period.value_by_batch(p).rows[0][3:] == [5, 1300]
    stock_figures.refresh()
    db.session.commit()
    assert period.sell_through_category(p).rows == [["Książki", 5, 2, 40.0, 0.1]]  # sold after 1 h and 3 h
    assert later.id
