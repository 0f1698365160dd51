"""A closed day's report never moves: what was stored at closing is what every reading shows —
the HTML page, the JSON API, the CSV and XLSX files, the journal and a reprinted Z report — whatever
happens afterwards (items taken in, sign-ins at the till, corrections, refunds of its sales, renamed
categories)."""
import io
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from lukluk_pos.auth import service as auth
from lukluk_pos.auth.models import LoginSession, Role, SignInMethod, User
from lukluk_pos.cash import service as cash
from lukluk_pos.cash import zreport
from lukluk_pos.cash.models import DENOMINATIONS
from lukluk_pos.catalog import service as catalog
from lukluk_pos.catalog.models import Category, Item, ItemKind
from lukluk_pos.core.errors import DomainError
from lukluk_pos.extensions import db
from lukluk_pos.printing.models import JobKind, PrintJob
from lukluk_pos.reports import exports
from lukluk_pos.till import refunds
from lukluk_pos.till import service as till
from lukluk_pos.till.models import PaymentMethod
from tests.conftest import PINS, in_app, shop_today
from tests.test_end_of_day import _post_form, run_two_till_day

WARSAW = ZoneInfo("Europe/Warsaw")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _readings(app, client, day: str) -> dict:
    """Everything a person or the bookkeeper can read about the day."""
    html = client.get(f"/reports/days/{day}").get_data(as_text=True)
    main = html[html.index('<main id="main">'):html.index("</main>")]
    main = re.sub(r'<p class="flash[^"]*">.*?</p>', "", re.sub(r'name="csrf_token"[^>]*', "", main))
    main = " ".join(re.sub(r'<div class="flashes"[^>]*>\s*</div>', "", main).split())  # the last action's words
    out = {"html": main, "json": client.get(f"/api/v1/days/{day}").json}
    for what in ("report", "journal"):
        out[f"{what}.csv"] = client.get(f"/reports/days/{day}/{what}.csv").data
        book = load_workbook(io.BytesIO(client.get(f"/reports/days/{day}/{what}.xlsx").data))
        out[f"{what}.xlsx"] = [[(c.value, c.number_format) for c in row] for sheet in book for row in sheet.iter_rows()]
    month = client.get(f"/reports/months/{day[:7]}/report.csv").data.decode("utf-8-sig").splitlines()
    out["month row"] = [line for line in month if line.startswith(day)]
    before = _report_jobs(app)
    assert client.post(f"/reports/days/{day}/print", data={}).status_code == 302
    with in_app(app):
        job = db.session.scalar(select(PrintJob).where(PrintJob.kind == JobKind.REPORT, PrintJob.id.not_in(before)))
        out["reprint"] = job.document
    return out


def _report_jobs(app) -> list[int]:
    with in_app(app):
        return list(db.session.scalars(select(PrintJob.id).where(PrintJob.kind == JobKind.REPORT)))


def _closed_two_till_day(app, client, sign_in, make_item, shop):
    """The end-of-day test's two-till day, both tills counted, closed by the manager; Kasa 2's client."""
    client2, _till2, _e1, _e2 = run_two_till_day(app, client, sign_in, make_item, shop)
    _post_form(client, "/cash/count", {"d10000": "2", "d2000": "1", "d200": "2", "d50": "1", "d1": "1",
                                       "kept": "200", "card_terminal": "10,00"})
    _post_form(client2, "/cash/count", {"d10000": "2", "d2000": "1", "d500": "1", "d200": "2", "d50": "1",
                                        "kept": "180", "card_terminal": "6"})
    sign_in("Marek", password=True)
    _post_form(client, f"/cash/day/{shop_today().isoformat()}", {"confirm": "y"})
    return client2


def test_a_closed_two_till_day_reads_the_same_after_more_happens(app, client, sign_in, make_item, shop, clock):
    client2 = _closed_two_till_day(app, client, sign_in, make_item, shop)
    day = shop_today().isoformat()
    with in_app(app):
        closing = db.session.scalar(select(PrintJob).where(PrintJob.kind == JobKind.REPORT)).document
    before = _readings(app, client, day)
    assert before["reprint"] == closing  # the reprint is the Z report as it was printed at closing
    assert before["json"]["items_taken_in"] == 2 and before["json"]["net_minor"] == 4900 + 1250 - 300 + 600 + 15000
    assert set(before["json"]["on_duty"]) == {"Magda", "Marek", "Ania"}

    # The same evening: more goods are taken in, someone new signs in at a till, a category is renamed.
    make_item(price_minor=2200, description="Kurtka", category="Odzież męska")
    with in_app(app):
        kasia = auth.create_user(name="Kasia", role=Role.VOLUNTEER, pin="4545", password=None,
                                 by=db.session.get(User, shop["Magda"]))
        db.session.add(LoginSession(token_hash="f" * 64, user_id=kasia.id, method=SignInMethod.PIN, till_id=1))
        db.session.get(Category, 10).name = "Inne rzeczy"
        db.session.commit()
    assert client2.post(f"/sign-in/{shop['Ania']}", data={"pin": PINS["Ania"], "till_id": 1}).status_code == 302
    # The next day: a correction of the closed day and a refund of one of its sales.
    clock.shift(timedelta(days=1))
    sign_in("Marek", password=True)
    _post_form(client, "/reports/adjustments", {"affects_day": day, "method": "cash", "amount": "-2,50",
                                                "reason": "Pomyłka w wydawaniu reszty"})
    after = _readings(app, client, day)
    for key in before:
        assert after[key] == before[key], key
    with in_app(app):
        live = zreport.build(date.fromisoformat(day))
        assert live["items_taken_in"] == 3  # the records moved; the closed day's report did not


# --- the same, over generated days -----------------------------------------------------------------------

def _in_notes_and_coins(minor: int) -> dict[str, int]:
    """An amount as a drawer holds it (at most 10 000 pieces of any one denomination are ever counted)."""
    counts = {}
    for value in DENOMINATIONS:
        if minor // value:
            counts[str(value)], minor = minor // value, minor % value
    return counts


sale = st.tuples(st.integers(1, 20_000), st.booleans(), st.booleans())  # price, by card, refunded later
later = st.lists(st.sampled_from(["intake", "sign_in", "correction", "refund", "rename", "sale"]), min_size=1,
                 max_size=6)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sales=st.lists(sale, min_size=0, max_size=4), events=later)
def test_closed_day_figures_never_move(ctx, shop, sales, events):
    magda = db.session.get(User, shop["Magda"])
    categories = list(db.session.scalars(select(Category).order_by(Category.id)))[:3]
    today = shop_today()
    day = today - timedelta(days=1)
    try:
        cash.close_session(1, magda, counts={"10000": 2})  # today's till; the closed day is yesterday
        cash.open_session(1, magda, counts={}, at=_at(day, 9))
        done = []
        for n, (price, card, _refund) in enumerate(sales):
            till.add_open_price(1, magda, category_id=categories[n % 3].id, price=price)
            method = PaymentMethod.CARD if card else PaymentMethod.CASH
            done.append(till.complete(1, magda, key=f"closed-day-{n}-{len(sales)}", payments=[till.PaymentIn(method)]))
        db.session.add(LoginSession(token_hash="a" * 64, user_id=magda.id, method=SignInMethod.PIN, till_id=1,
                                    created_at=_at(day, 9)))
        catalog.create_item(description="Wazon", category_id=categories[0].id, price=900, kind=ItemKind.UNIQUE,
                            quantity=1, by=magda)
        db.session.flush()
        db.session.execute(db.update(Item).values(created_at=_at(day, 10)))
        drawer = cash.expected(cash.current_session(1))["expected_minor"]
        cash.close_session(1, magda, counts=_in_notes_and_coins(drawer), at=_at(day, 18))
        zreport.close_day(day, magda, at=_at(day, 19))
        stored = zreport.for_day(day)
        tables = (exports.day_table(stored).rows, exports.journal(stored))

        cash.open_session(1, magda, counts={}, at=_at(today, 9))
        for n, event in enumerate(events):
            if event == "intake":  # an item whose intake time falls inside the closed day
                made = catalog.create_item(description="Talerz", category_id=categories[1].id, price=500,
                                           kind=ItemKind.UNIQUE, quantity=1, by=magda)
                db.session.flush()
                made.created_at = _at(day, 15)
            elif event == "sign_in":  # a till sign-in stamped inside the closed day
                db.session.add(LoginSession(token_hash=f"{n:064d}", user_id=shop["Ania"], method=SignInMethod.PIN,
                                            till_id=1, created_at=_at(day, 12)))
            elif event == "correction":
                cash.add_adjustment(magda, affects_day=day, method="cash", amount=-100, reason="Korekta",
                                    at=_at(today, 10))
            elif event == "refund" and done:
                first = done[0]
                if not first.total_minor:
                    continue
                try:
                    with db.session.begin_nested():
                        refunds.refund(user=magda, till_id=1, sale_id=first.id, lines=[
                            refunds.RefundLineIn(first.lines[0].id, 1)], method=first.payments[0].method,
                            reason="Zwrot", approval=None, key=f"closed-day-refund-{n}")
                except DomainError:  # refunded in full by an earlier event already
                    pass
            elif event == "rename":
                categories[n % 3].name = f"{categories[n % 3].name[:40]} {n}"
            elif event == "sale":
                till.add_open_price(1, magda, category_id=categories[0].id, price=1000)
                till.complete(1, magda, key=f"closed-day-later-{n}", payments=[till.PaymentIn(PaymentMethod.CARD)])
            db.session.flush()
            assert zreport.for_day(day) == stored, event
            assert (exports.day_table(zreport.for_day(day)).rows, exports.journal(zreport.for_day(day))) == tables
    finally:
        db.session.rollback()


# --- the bookkeeper's files -------------------------------------------------------------------------------

def test_the_bookkeepers_files_add_up_read_back_exactly_and_speak_polish(app, client, sign_in, make_item, shop,
                                                                           clock):
    import csv
    import zipfile
    from decimal import Decimal

    _closed_two_till_day(app, client, sign_in, make_item, shop)
    day = shop_today()
    clock.shift(timedelta(days=1))
    sign_in("Marek", password=True)
    _post_form(client, "/reports/adjustments", {"affects_day": day.isoformat(), "method": "card", "amount": "-2,50",
                                                "reason": "Zwrot na kartę poza kasą"})
    month = day.isoformat()[:7]

    # The month file: every column of the total row is the sum of the days above it, corrections too.
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/months/{month}/report.csv").data.decode("utf-8-sig")),
                           delimiter=";"))
    header, days, total = rows[0], rows[1:-1], rows[-1]
    assert total[0] == "Razem" and len(total) == len(header) == 12
    assert header[-1] == "Korekty" and [r[0] for r in days] == [day.isoformat(), (day + timedelta(days=1)).isoformat()]

    def grosze(text):
        return int(text.replace(",", "").replace("-", "").replace("−", "")) * (-1 if text.startswith("-") else 1)

    for column in range(4, 12):
        assert grosze(total[column]) == sum(grosze(r[column]) for r in days), header[column]
    assert grosze(total[11]) == -250 and grosze(total[7]) == 4900 + 1250 - 300 + 600 + 15000

    # XLSX: dates are dates; every amount is written as its exact decimal and reads back to the grosz.
    for url in (f"/reports/months/{month}/report.xlsx", f"/reports/months/{month}/journal.xlsx",
                f"/reports/days/{day.isoformat()}/report.xlsx", f"/reports/days/{day.isoformat()}/journal.xlsx"):
        body = client.get(url).data
        sheet_xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
        assert "99999" not in sheet_xml and "00000000" not in sheet_xml, url
        sheet = load_workbook(io.BytesIO(body)).active
        money = [c for row in sheet.iter_rows(min_row=2) for c in row if c.number_format == "#,##0.00"]
        assert money, url
        for cell in money:
            assert Decimal(repr(cell.value)).as_tuple().exponent >= -2, (url, cell.value)
        if "months" in url or "journal" in url:
            dates = [row[0].value for row in sheet.iter_rows(min_row=2) if row[0].value != "Razem"]
            assert dates and all(isinstance(v, datetime) for v in dates), (url, dates)
    month_sheet = load_workbook(io.BytesIO(client.get(f"/reports/months/{month}/report.xlsx").data)).active
    read_back = [[c.value for c in row] for row in month_sheet.iter_rows(min_row=2)]
    for csv_row, xlsx_row in zip(days + [total], read_back, strict=True):
        for column in range(4, 12):
            assert round(Decimal(repr(xlsx_row[column])) * 100) == grosze(csv_row[column])
    assert read_back[0][0] == datetime.combine(day, time())

    # Polish words, Polish decimal commas.
    report = client.get(f"/reports/days/{(day + timedelta(days=1)).isoformat()}/report.csv").data.decode("utf-8-sig")
    assert "cash" not in report and "card" not in report
    assert f"{day.isoformat()}, karta: Zwrot na kartę poza kasą" in report
    first = client.get(f"/reports/days/{day.isoformat()}/report.csv").data.decode("utf-8-sig")
    assert "Według formy płatności;Gotówka;" in first and "Według formy płatności;Karta;" in first
    sales = client.get(f"/reports/period/sales.csv?start={day.isoformat()}&end={day.isoformat()}&grain=day")
    sales_rows = list(csv.reader(io.StringIO(sales.data.decode("utf-8-sig")), delimiter=";"))
    per_sale = sales_rows[1][-1]
    assert "." not in per_sale and "," in per_sale, sales_rows  # 8 pieces in 4 sales… as "2,0"-style, not "2.0"


def test_closing_refreshes_the_stock_figures_and_the_reports_say_as_at_when(app, client, sign_in, make_item, shop):
    from lukluk_pos.stock.models import StockFigure

    sign_in("Marek", password=True)
    assert 'id="stock-as-at"' not in client.get("/reports/period").get_data(as_text=True)
    _closed_two_till_day(app, client, sign_in, make_item, shop)
    with in_app(app):
        assert db.session.scalar(select(db.func.count()).select_from(StockFigure)) > 0
    for page in ("/reports/period", "/reports/impact"):
        html = client.get(page).get_data(as_text=True)
        assert 'id="stock-as-at"' in html and "stan z ostatniego zamknięcia dnia" in html
