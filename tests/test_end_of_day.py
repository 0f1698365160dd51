"""End of day: two tills, refunds, paid out, safe drop and a short count that reconcile to the grosz;
the lock on a closed day; sign-off; corrections; fiscal mode; exports and journal equal the report."""
import csv
import io
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lukluk_pos.auth.models import User
from lukluk_pos.cash import service as cash
from lukluk_pos.cash import zreport
from lukluk_pos.cash.models import SessionStatus, TillSession, ZReport
from lukluk_pos.core.models import FiscalMode, Shop
from lukluk_pos.extensions import db
from lukluk_pos.printing.models import JobKind, PrintJob
from lukluk_pos.reports import exports
from lukluk_pos.till import models as till_models
from lukluk_pos.till.models import Till
from tests.conftest import FLOAT_MINOR, MANAGER_PIN, PINS, in_app, shop_today


def _pay(client, key, payments, status=200):
    response = client.post("/api/v1/till/basket/complete", json={"key": key, "payments": payments})
    assert response.status_code == status, response.json
    return response.json


def _add(client, **line):
    response = client.post("/api/v1/till/basket/lines", json=line)
    assert response.status_code in (200, 201), response.json
    return response.json


def _second_till(app, shop, client2):
    """Kasa 2, and a second counter PC signed in at it (Ania, by PIN)."""
    with in_app(app):
        second = Till(name="Kasa 2")
        db.session.add(second)
        db.session.commit()
        till_id = second.id
    response = client2.post(f"/sign-in/{shop['Ania']}", data={"pin": PINS["Ania"], "till_id": till_id})
    assert response.status_code == 302
    return till_id


def _post_form(client, url, data, status=302):
    response = client.post(url, data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def run_two_till_day(app, client, sign_in, make_item, shop):
    """The simulated day. Returns what each till's drawer should hold, worked out by hand."""
    client2 = app.test_client()
    till2 = _second_till(app, shop, client2)
    # Kasa 2 opens with a float counted note by note: 2 × 50 zł, 5 × 10 zł, 10 × 2 zł, 20 × 50 gr = 180 zł.
    _post_form(client2, "/cash/open", {"d5000": "2", "d1000": "5", "d200": "10", "d50": "20"})

    sign_in("Marek")  # Kasa 1, opened by the fixture with 200 zł
    coat = make_item(price_minor=4000, description="Płaszcz wełniany")
    books = make_item(price_minor=300, description="Kieszonkowa", category="Książki", kind="bulk", quantity=20)
    # Kasa 1, sale 1: coat 40,00 + 3 books 9,00 = 49,00, split 10,00 card + cash 50,00 (change 11,00).
    _add(client, code=coat["code"])
    _add(client, code=books["code"], quantity=3)
    first = _pay(client, "eod-k1-0001", [{"method": "card", "amount": "10"}, {"method": "cash", "tendered": "50"}])
    # Kasa 1, sale 2: open price 12,50 in cash, 20,00 handed over (change 7,50).
    _add(client, category_id=10, price="12,50")
    _pay(client, "eod-k1-0002", [{"method": "cash", "tendered": "20"}])
    # Kasa 1: a cash refund of one book (3,00) from sale 1.
    found = client.get(f"/api/v1/sales/by-number/{first['number']}").json
    response = client.post(f"/api/v1/sales/{first['id']}/refunds", json={
        "key": "eod-refund-01", "lines": [{"line_id": found["lines"][1]["id"], "quantity": 1}],
        "method": "cash", "reason": "Podwójna"})
    assert response.status_code == 201, response.json
    # Kasa 1: cleaning supplies paid out, 23,99.
    _post_form(client, "/cash/movements", {"kind": "paid_out", "amount": "23,99", "reason": "Środki czystości"})

    # Kasa 2, sale 3: 2 books 6,00 by card; sale 4: open price 150,00 in cash exactly.
    _add(client2, code=books["code"], quantity=2)
    _pay(client2, "eod-k2-0001", [{"method": "card"}])
    _add(client2, category_id=12, price="150")
    _pay(client2, "eod-k2-0002", [{"method": "cash", "tendered": "150"}])
    # Kasa 2: 100 zł to the safe.
    _post_form(client2, "/cash/movements", {"kind": "drop", "amount": "100", "reason": "Utarg do sejfu"})

    expected_1 = FLOAT_MINOR + (5000 - 1100) + (2000 - 750) - 300 - 2399  # = 22 451
    expected_2 = 18000 + 15000 - 10000  # = 23 000
    return client2, till2, expected_1, expected_2


def test_a_two_till_day_reconciles_to_the_grosz(app, client, sign_in, make_item, shop):
    client2, till2, expected_1, expected_2 = run_two_till_day(app, client, sign_in, make_item, shop)
    assert (expected_1, expected_2) == (22451, 23000)
    # Kasa 1 counted exactly (card terminal agrees); Kasa 2 is 0,50 zł short (within the 5 zł tolerance).
    _post_form(client, "/cash/count", {"d10000": "2", "d2000": "1", "d200": "2", "d50": "1", "d1": "1",
                                       "kept": "200", "card_terminal": "10,00"})
    _post_form(client2, "/cash/count", {"d10000": "2", "d2000": "1", "d500": "1", "d200": "2", "d50": "1",
                                        "kept": "180", "card_terminal": "6"})
    with in_app(app):
        first, second = db.session.scalars(select(TillSession).order_by(TillSession.till_id)).all()
        assert (first.counted_minor, first.expected_minor, first.difference_minor) == (22451, 22451, 0)
        assert (second.counted_minor, second.expected_minor, second.difference_minor) == (22950, 23000, -50)

    sign_in("Marek", password=True)
    day = shop_today().isoformat()
    _post_form(client, f"/cash/day/{day}", {"confirm": "y", **MANAGER_PIN})
    with in_app(app):
        report = db.session.scalar(select(ZReport))
        data = zreport.build(shop_today())
        assert report.number == 1 and data["status"] == "closed" and data["z_number"] == 1
        assert report.figures["net_minor"] == data["net_minor"]  # what was printed is what the day holds
        assert data["net_minor"] == 4900 + 1250 - 300 + 600 + 15000
        assert data["cash"]["expected_minor"] == expected_1 + expected_2
        assert data["cash"]["counted_minor"] == 22451 + 22950
        assert data["cash"]["difference_minor"] == -50 and data["cash"]["short_minor"] == 50
        assert data["cash"]["cash_received_minor"] == 5000 + 2000 + 15000
        assert data["cash"]["change_given_minor"] == 1100 + 750
        assert data["cash"]["paid_out_minor"] == 2399 and data["cash"]["drops_minor"] == 10000
        assert data["card"] == {"system_minor": 1000 + 600, "terminal_minor": 1600, "difference_minor": 0}
        # Cash in the drawers: float + received − change − cash refunds + in − out − drops, per session.
        for row in data["sessions"]:
            assert row["expected_minor"] == (row["float_minor"] + row["cash_received_minor"] - row["change_given_minor"]
                                             - row["cash_refunds_minor"] + row["paid_in_minor"] - row["paid_out_minor"]
                                             - row["drops_minor"])
        for split in ("by_payment_method", "by_category", "by_vat_code"):
            assert sum(v["net_minor"] for v in data[split].values()) == data["net_minor"], split
        assert set(data["on_duty"]) == {"Magda", "Marek", "Ania"}
        _check_exports_agree(app, client, data)
        job = db.session.scalar(select(PrintJob).where(PrintJob.kind == JobKind.REPORT))
        assert job is not None and any("RAPORT DOBOWY Z nr 1" in b.get("text", "") for b in job.document)
        from lukluk_pos.printing import render
        from lukluk_pos.printing import service as printing

        raw = printing.render_job(job, printing.settings())
        assert b"RAPORT DOBOWY Z nr 1" in raw and b"-0,50" in raw and render is not None


def _check_exports_agree(app, client, data):
    """CSV, XLSX, the journal and the JSON all equal the report, to the grosz."""
    day = data["date"]
    api = client.get(f"/api/v1/days/{day}").json
    assert api["net_minor"] == data["net_minor"] and api["cash"] == data["cash"] and api["z_number"] == data["z_number"]

    raw = client.get(f"/reports/days/{day}/report.csv")
    assert raw.status_code == 200 and raw.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Sekcja", "Pozycja", "Wartość"]

    def grosze(text):
        return int(text.replace(",", "").replace("-", "")) * (-1 if text.startswith("-") else 1)

    values = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert grosze(values[("Podsumowanie", "Sprzedaż netto")]) == data["net_minor"]
    assert grosze(values[("Gotówka", "Nadwyżka (+) / niedobór (−)")]) == data["cash"]["difference_minor"]
    by_category = sum(grosze(r[2]) for r in rows[1:] if r[0] == "Według kategorii")
    assert by_category == data["net_minor"]

    book = load_workbook(io.BytesIO(client.get(f"/reports/days/{day}/report.xlsx").data))
    sheet = book.active
    cells = {(r[0], r[1]): r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert round(cells[("Podsumowanie", "Sprzedaż netto")] * 100) == data["net_minor"]
    assert round(cells[("Gotówka", "Policzono")] * 100) == data["cash"]["counted_minor"]

    journal = exports.journal(data)
    assert sum(line["debit_minor"] for line in journal) == sum(line["credit_minor"] for line in journal)
    assert len({line["account"] for line in journal}) == len(journal)  # one line per account
    by_account = {line["account"]: line["debit_minor"] - line["credit_minor"] for line in journal}
    numbers = exports.accounts()
    # Cash account: net cash sales + paid in − paid out − drops + over/short = counted − floats.
    assert by_account[numbers["cash"]] == data["cash"]["counted_minor"] - data["cash"]["float_minor"]
    assert by_account[numbers["card"]] == data["by_payment_method"]["card"]["net_minor"]
    assert -by_account[numbers["revenue"]] == data["net_minor"]
    assert by_account[numbers["over_short"]] == -data["cash"]["difference_minor"]
    assert api["journal"] == journal
    journal_csv = client.get(f"/reports/days/{day}/journal.csv").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(journal_csv), delimiter=";"))[1:]
    assert [(r[1], grosze(r[2]), grosze(r[3])) for r in lines] == [
        (j["account"], j["debit_minor"], j["credit_minor"]) for j in journal]
    month = client.get(f"/reports/months/{day[:7]}/report.csv").data.decode("utf-8-sig")
    total = list(csv.reader(io.StringIO(month), delimiter=";"))[-1]
    assert total[0] == "Razem" and grosze(total[7]) == data["net_minor"]
    month_book = load_workbook(io.BytesIO(client.get(f"/reports/months/{day[:7]}/journal.xlsx").data)).active
    debit = sum(round(r[2] * 100) for r in month_book.iter_rows(min_row=2, values_only=True))
    assert debit == sum(line["debit_minor"] for line in journal)


def test_a_closed_day_refuses_late_writes_until_an_admin_reopens_it(app, client, sign_in, make_item, shop):
    sign_in("Ania")
    coat = make_item(price_minor=2500)
    _add(client, code=coat["code"])
    _pay(client, "late-0001", [{"method": "cash", "tendered": "50"}])
    _post_form(client, "/cash/count", {"d10000": "2", "d2000": "1", "d500": "1"})
    _post_form(client, f"/cash/day/{shop_today().isoformat()}", {"confirm": "y", "manager_id": shop["Marek"],
                                                                 "pin": PINS["Marek"]})
    other = make_item(price_minor=900)
    # The till cannot sell, move cash or open again on the closed day, and says the day is closed.
    response = client.post("/api/v1/till/basket/lines", json={"code": other["code"]})
    assert response.status_code == 409 and response.json["error"] == "till_not_open"
    assert "jest zamknięty" in response.json["message"] and "otwarta" not in response.json["message"]
    page = client.get("/till").get_data(as_text=True)
    assert "jest zamknięty" in page and "nie jest jeszcze otwarta" not in page
    page = client.post("/cash/open", data={"d10000": "1"})
    assert page.status_code == 422 and "jest zamknięty" in page.get_data(as_text=True)
    response = client.post("/cash/movements", data={"kind": "paid_in", "amount": "10", "reason": "x"})
    assert response.status_code == 422
    with in_app(app):
        ania = db.session.get(User, shop["Ania"])
        till_id = db.session.scalar(select(Till.id))
        with pytest.raises(cash.DayClosed):
            cash.open_session(till_id, ania, counts={"100": 1})
        db.session.rollback()
        with pytest.raises(cash.DomainError):
            zreport.close_day(shop_today(), ania)
        db.session.rollback()
        before = db.session.scalar(select(func.count()).select_from(ZReport))
    assert before == 1
    # A manager cannot reopen; an admin can, with a reason. Closing again gives Z report no. 2.
    sign_in("Marek", password=True)
    assert client.post(f"/reports/days/{shop_today().isoformat()}/reopen", data={"reason": "x"}).status_code == 403
    sign_in("Magda", password=True)
    _post_form(client, f"/reports/days/{shop_today().isoformat()}/reopen", {"reason": ""}, status=302)
    with in_app(app):
        assert cash.day_status(shop_today()).value == "closed"  # no reason, no reopening
    _post_form(client, f"/reports/days/{shop_today().isoformat()}/reopen", {"reason": "Klientka wróciła po płaszcz"})
    _post_form(client, "/cash/open", {"carry_over": "y"})
    _add(client, code=other["code"])
    _pay(client, "late-0002", [{"method": "card"}])
    _post_form(client, "/cash/count", {"d10000": "2"})
    _post_form(client, f"/cash/day/{shop_today().isoformat()}", {"confirm": "y", **MANAGER_PIN})
    with in_app(app):
        data = zreport.build(shop_today())
        assert data["z_number"] == 2 and data["earlier_z_numbers"] == [1]
        assert data["net_minor"] == 2500 + 900 and len(data["sessions"]) == 2
        assert data["reopenings"][0]["reason"] == "Klientka wróciła po płaszcz"
        actions = [e.action for e in db.session.scalars(select(cash.audit.AuditEvent).order_by(cash.audit.AuditEvent.id))]
        assert actions.count("day.close") == 2 and "day.reopen" in actions


def test_a_difference_over_the_tolerance_needs_a_manager(app, client, sign_in, make_item, shop):
    sign_in("Ania")
    _post_form(client, "/cash/count", {"d10000": "1", "d5000": "1"})  # 150 zł of a 200 zł float: 50 zł short
    with in_app(app):
        closed = db.session.scalar(select(TillSession))
        assert closed.difference_minor == -5000 and cash.needs_sign_off(closed)
        assert any("podpis" in p or "zatwierdz" in p for p in cash.close_blockers(shop_today())), cash.close_blockers(shop_today())
    page = client.get(f"/cash/sessions/{closed.id}").get_data(as_text=True)
    assert "Niedobór" in page and "-50,00" in page
    refused = client.post(f"/cash/day/{shop_today().isoformat()}", data={"confirm": "y", **MANAGER_PIN})
    assert refused.status_code == 422
    wrong = client.post(f"/cash/sessions/{closed.id}/sign-off",
                        data={"comment": "Reszta z 100 zł", "manager_id": shop["Marek"], "pin": "0000"})
    assert wrong.status_code == 422
    _post_form(client, f"/cash/sessions/{closed.id}/sign-off",
               {"comment": "Reszta wydana z 100 zł zamiast z 50 zł", "manager_id": shop["Marek"], "pin": PINS["Marek"]})
    # A volunteer closes the day only with a manager's PIN, and only once the box is ticked.
    alone = client.post(f"/cash/day/{shop_today().isoformat()}", data={"confirm": "y"})
    assert alone.status_code == 422 and "PIN" in alone.get_data(as_text=True)
    unconfirmed = client.post(f"/cash/day/{shop_today().isoformat()}",
                              data={"manager_id": shop["Marek"], "pin": PINS["Marek"]})
    assert unconfirmed.status_code == 422 and "Zaznacz" in unconfirmed.get_data(as_text=True)
    with in_app(app):
        assert cash.day_status(shop_today()) is cash.DayStatus.OPEN
    _post_form(client, f"/cash/day/{shop_today().isoformat()}", {"confirm": "y", "manager_id": shop["Marek"],
                                                                 "pin": PINS["Marek"]})
    with in_app(app):
        data = zreport.build(shop_today())
        assert data["sessions"][0]["sign_off"]["by"] == "Marek"
        assert data["cash"]["difference_minor"] == -5000
        # Counted stays as counted: nothing was forced to match.
        assert data["sessions"][0]["counted_minor"] == 15000 and data["sessions"][0]["expected_minor"] == 20000


def test_the_count_is_blind(app, client, sign_in, shop):
    sign_in("Ania")
    _post_form(client, "/cash/movements", {"kind": "paid_in", "amount": "33,33", "reason": "Drobne z sejfu"})
    page = client.get("/cash/count").get_data(as_text=True)
    assert "233,33" not in page and "Powinno" not in page
    drawer = client.get("/cash/").get_data(as_text=True)
    assert "233,33" not in drawer
    response = _post_form(client, "/cash/count", {"d10000": "2", "d2000": "1", "d1000": "1", "d200": "1",
                                                  "d100": "1", "d20": "1", "d10": "1", "d2": "1", "d1": "1"})
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "233,33" in result and "Oczekiwano" in result


@pytest.mark.parametrize("data, message", [
    ({"d10000": "-1"}, "od 0 do"),
    ({"d10000": "dużo"}, "od 0 do"),
    ({"d10000": "1", "kept": "500"}, "więcej niż policzono"),
    ({"d10000": "1", "card_terminal": "abc"}, "kwot"),
])
def test_bad_counts_are_refused_with_a_message_and_nothing_written(app, client, sign_in, shop, data, message):
    sign_in("Ania")
    response = client.post("/cash/count", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).lower()
    with in_app(app):
        assert db.session.scalar(select(TillSession)).status is SessionStatus.OPEN


def test_one_open_session_per_till(app, ctx, shop):
    ania = db.session.get(User, shop["Ania"])
    with pytest.raises(cash.DomainError):
        cash.open_session(1, ania, counts={"100": 1})
    db.session.rollback()
    db.session.add(TillSession(till_id=1, business_date=shop_today(), opened_by_id=ania.id, float_minor=0))
    with pytest.raises(Exception) as info:
        db.session.flush()
    assert "unique" in str(info.value).lower()
    db.session.rollback()
    with pytest.raises(cash.InvalidInput):
        cash.parse_counts({"300": 1})  # no 3 zł coin


def test_a_correction_shows_in_the_next_report_and_the_journal(app, client, sign_in, make_item, shop):
    sign_in("Marek", password=True)
    _post_form(client, "/cash/count", {"d10000": "2"})
    _post_form(client, f"/cash/day/{shop_today().isoformat()}", {"confirm": "y", **MANAGER_PIN})
    with in_app(app):
        yesterday = shop_today()
    refused = client.post("/reports/adjustments", data={"affects_day": (yesterday + timedelta(days=5)).isoformat(),
                                                         "method": "cash", "amount": "10", "reason": "x",
                                                         "category_id": "0"})
    assert refused.status_code == 422
    _post_form(client, "/reports/adjustments", {"affects_day": yesterday.isoformat(), "method": "card",
                                                "amount": "-12,50", "reason": "Płatność kartą policzona dwa razy",
                                                "category_id": "0"})
    _post_form(client, "/reports/adjustments", {"affects_day": yesterday.isoformat(), "method": "cash",
                                                "amount": "0,01", "reason": "=HYPERLINK(\"x\")", "category_id": "0"})
    with in_app(app):
        data = zreport.build(yesterday + timedelta(days=1))  # the day is closed: the next one reports it
        assert data["adjustments_minor"] == -1250 + 1
        assert data["adjustments"][0]["reason"] == "Płatność kartą policzona dwa razy"
        journal = {line["account"]: line["debit_minor"] - line["credit_minor"] for line in exports.journal(data)}
        assert journal == {"145": -1250, "100-01": 1, "240-03": 1249}
        # Typed text that looks like a formula stays text in the spreadsheet files.
        table = exports.Table("x", ["Kto", "Kwota"], [["=HYPERLINK(\"x\")", exports.Money(-150)]])
        assert exports.to_csv(table).decode("utf-8-sig").splitlines()[1] == "\"'=HYPERLINK(\"\"x\"\")\";-1,50"
        cell = load_workbook(io.BytesIO(exports.to_xlsx([table]))).active["A2"]
        assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"x\")"
        assert zreport.build(yesterday)["adjustments"] == []  # the closed day itself is unchanged


def test_fiscal_register_figures_are_compared(app, client, sign_in, make_item, shop):
    with in_app(app):
        db.session.scalar(select(Shop)).fiscal_mode = FiscalMode.REGISTER
        db.session.commit()
    sign_in("Ania")
    _add(client, code=make_item(price_minor=2000)["code"])
    _pay(client, "fiscal-0001", [{"method": "cash", "tendered": "20"}])
    _post_form(client, "/cash/count", {"d10000": "2", "d2000": "1"})
    page = client.get(f"/cash/day/{shop_today().isoformat()}").get_data(as_text=True)
    assert "urządzenia fiskalnego" in page and 'name="vat_zw"' in page
    missing = client.post(f"/cash/day/{shop_today().isoformat()}", data={"vat_zw": "19,00", "confirm": "y", **MANAGER_PIN})
    assert missing.status_code == 422
    _post_form(client, f"/cash/day/{shop_today().isoformat()}", {"vat_zw": "19,00", "receipts": "1", "confirm": "y", **MANAGER_PIN})
    with in_app(app):
        fiscal = zreport.build(shop_today())["fiscal"]
        assert fiscal["by_vat"]["zw"] == {"register_minor": 1900, "system_minor": 2000, "difference_minor": -100}
        assert fiscal["receipts_difference"] == 0


def test_exports_need_a_manager_or_a_token_and_follow_the_dialect(app, client, sign_in, shop):
    day = shop_today().isoformat()
    sign_in("Ania")
    assert client.get(f"/reports/days/{day}/report.csv").status_code == 403
    with in_app(app):
        from lukluk_pos.auth import service as auth

        _row, token = auth.create_token(name="Biuro rachunkowe", scope="reports:read")
        db.session.scalar(select(Shop)).csv_dialect = "en"
        db.session.commit()
    bookkeeper = app.test_client()
    response = bookkeeper.get(f"/reports/days/{day}/report.csv", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Sekcja,Pozycja,Wartość"
    assert "200.00" in text  # the float, with a decimal point in the English dialect
    assert bookkeeper.get(f"/reports/days/{day}/report.csv").status_code in (302, 401)


def test_the_backup_taken_at_closing_restores_into_a_new_file(app, client, sign_in, make_item, shop, backend,
                                                              tmp_path):
    sign_in("Ania")
    _add(client, code=make_item(price_minor=1500)["code"])
    _pay(client, "backup-0001", [{"method": "cash", "tendered": "15"}])
    _post_form(client, "/cash/count", {"d10000": "2", "d1000": "1", "d500": "1"})
    response = _post_form(client, f"/cash/day/{shop_today().isoformat()}", {"confirm": "y", **MANAGER_PIN})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # Said once, on the page (#28 point 6): closed, where the Z report is (no printer: below), the backup.
    assert page.count("Dzień jest zamknięty") == 1 and "drukuje się" not in page
    assert "nic się nie wydrukowało: raport Z jest poniżej" in page
    assert "Kopia zapasowa się robi" in page or "Kopia zapasowa jest zapisana" in page
    app.extensions["lukluk_backup"].join(30)  # the copy runs after the answer, on its own thread
    from pathlib import Path

    dashboard = _manager_dashboard(app, client)
    assert "Ostatnia kopia" in dashboard and "nie powiodła" not in dashboard
    if backend == "postgresql":  # pg_dump's copy, read whole by pg_restore before it counts
        import subprocess

        [dump] = (Path(app.instance_path) / "backups").glob("lukluk-*.dump")
        listed = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
        assert "TABLE DATA public z_report " in listed.stdout
        return
    backups = sorted((Path(app.instance_path) / "backups").glob("lukluk-*.db"))
    assert backups
    restored = tmp_path / "restored.db"
    source, target = sqlite3.connect(backups[-1]), sqlite3.connect(restored)
    source.backup(target)
    source.close()
    assert target.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert target.execute("SELECT number, day FROM z_report").fetchall() == [(1, shop_today().isoformat())]
    assert target.execute("SELECT total_minor FROM sale WHERE number = 1").fetchone() == (1500,)
    target.close()


def _manager_dashboard(app, client) -> str:
    manager = app.test_client()
    manager.post("/sign-in/manager", data={"user_id": "2", "password": "haslomarka1"})
    return manager.get("/reports/").get_data(as_text=True)


def test_closing_answers_before_the_backup_and_a_failed_backup_is_shown(app, client, sign_in, shop, backend,
                                                                        monkeypatch):
    import threading

    from lukluk_pos.core import backup

    started, release = threading.Event(), threading.Event()

    def slow_failing_backup(*args, **kwargs):
        started.set()
        release.wait(30)
        raise backup.BackupError("dysk pełny")

    monkeypatch.setattr(backup, "make_backup", slow_failing_backup)
    sign_in("Ania")
    _post_form(client, "/cash/count", {"d10000": "2"})
    response = _post_form(client, f"/cash/day/{shop_today().isoformat()}", {"confirm": "y", **MANAGER_PIN})
    # The close has answered while the backup is still at work: the person does not wait for it.
    assert response.status_code == 302 and started.wait(10) and not release.is_set()
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(ZReport)) == 1
    assert "Trwa kopia zapasowa po zamknięciu dnia" in _manager_dashboard(app, client)
    release.set()
    app.extensions["lukluk_backup"].join(30)
    dashboard = _manager_dashboard(app, client)
    assert f"Kopia zapasowa po zamknięciu dnia {shop_today():%d.%m.%Y} nie powiodła się: dysk pełny" in dashboard
    with in_app(app):  # the day stays closed
        assert db.session.scalar(select(func.count()).select_from(ZReport)) == 1
    # A copy still "running" an hour on never finished (the program stopped during it): said as a failure.
    status = Path(app.instance_path) / "backups" / backup.STATUS_FILE
    started = (datetime.now() - timedelta(hours=2)).isoformat(timespec="seconds")
    status.write_text(json.dumps({"day": "2026-11-23", "state": "running", "at": started}))
    assert "Kopia zapasowa po zamknięciu dnia 23.11.2026 nie powiodła się: nie została dokończona" in \
        _manager_dashboard(app, client)


def test_restore_is_refused_while_a_till_is_open(app, shop, backend, tmp_path):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup"])
    assert made.exit_code == 0, made.output
    from lukluk_pos.core.backup import taken

    backup = taken(app.instance_path)[-1][0]
    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code != 0 and "Kasa jest otwarta" in refused.output


def test_the_audit_log_shows_the_day_for_managers(app, client, sign_in, shop):
    sign_in("Ania")
    _post_form(client, "/cash/movements", {"kind": "paid_out", "amount": "4,50", "reason": "Mleko do kawy"})
    assert client.get("/reports/audit").status_code in (302, 403)
    sign_in("Marek", password=True)
    page = client.get("/reports/audit?group=cash")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Wypłata" in html and "Mleko do kawy" in html and "Ania" in html
    assert "Kasa otwarta" in html  # the fixture opened the till
    # Read as words: amounts in złoty, records by name, no raw keys, grosze or None.
    assert "Kwota: 4,50 zł" in html and "<td>Wypłata 4,50 zł</td>" in html
    for raw in ("amount=", "450", "=None", "cashmovement", "approved_by", "Zapisz</th>"):
        assert raw not in html, raw
    assert "<th scope=\"col\">Dotyczy</th>" in html
    assert "Mleko do kawy" not in client.get("/reports/audit?group=stock").get_data(as_text=True)
    assert client.get("/reports/audit?start=nonsense").status_code == 422


def test_a_till_left_open_overnight_starts_no_new_sale(app, client, sign_in, make_item, shop):
    """Its sales would land in yesterday's report: count it, close yesterday, open for today."""
    yesterday = shop_today() - timedelta(days=1)
    with in_app(app):
        magda = db.session.get(User, shop["Magda"])
        cash.close_session(1, magda, counts={"10000": 2})
        cash.open_session(1, magda, counts={"10000": 1},
                          at=datetime.combine(yesterday, datetime.min.time().replace(hour=12)))
        db.session.commit()
    sign_in("Ania")
    dress = make_item(price_minor=2000)
    refused = client.post("/api/v1/till/basket/lines", json={"code": dress["code"]})
    assert refused.status_code == 409 and refused.json["error"] == "till_from_another_day"
    assert f"{yesterday:%d.%m.%Y}" in refused.json["message"]
    assert f"{yesterday:%d.%m.%Y}" in client.get("/till").get_data(as_text=True)
    _post_form(client, "/cash/count", {"d10000": "1"})
    _post_form(client, f"/cash/day/{yesterday.isoformat()}", {"confirm": "y", **MANAGER_PIN})
    _post_form(client, "/cash/open", {"carry_over": "y"})
    _add(client, code=dress["code"])
    _pay(client, "overnight-01", [{"method": "card"}])
    with in_app(app):
        assert zreport.build(shop_today())["net_minor"] == 2000 and zreport.build(yesterday)["net_minor"] == 0


@pytest.mark.parametrize("typed, stored", [("-32,50", -3250), ("\u221232,50", -3250), ("- 5", -500), ("0", 0)])
def test_the_card_terminals_total_may_be_below_zero(app, client, sign_in, shop, typed, stored):
    """More card refunds than card sales in a day: the terminal's report ends below zero, and the count says so."""
    sign_in("Ania")
    _post_form(client, "/cash/count", {"d10000": "2", "card_terminal": typed})
    with in_app(app):
        assert db.session.scalar(select(TillSession)).card_terminal_minor == stored


@pytest.mark.parametrize("typed", ["--5", "-abc", "-", "−-1"])
def test_a_signed_card_total_is_still_checked(app, client, sign_in, shop, typed):
    sign_in("Ania")
    assert client.post("/cash/count", data={"d10000": "2", "card_terminal": typed}).status_code == 422


def test_a_volunteer_cannot_lock_a_day_alone(app, client, sign_in, shop):
    client2 = app.test_client()
    _second_till(app, shop, client2)  # Ania at Kasa 2, not opened yet
    drawer = client2.get("/cash/").get_data(as_text=True)
    assert "Otwórz kasę" in drawer and "Zamknij dzień" not in drawer  # nothing to close before the till opens
    empty_day = (shop_today() - timedelta(days=1)).isoformat()
    page = client2.get(f"/cash/day/{empty_day}").get_data(as_text=True)
    assert "W tym dniu nic się nie wydarzyło" in page and 'name="pin"' in page and 'name="confirm"' in page
    # An empty PIN is refused as missing, never counted as a wrong PIN towards the manager's lockout.
    for _ in range(6):
        refused = client2.post(f"/cash/day/{empty_day}", data={"confirm": "y", "manager_id": shop["Marek"], "pin": ""})
        assert refused.status_code == 422 and "Kierownik wpisuje swój PIN" in refused.get_data(as_text=True)
    with in_app(app):
        from lukluk_pos.auth.models import Throttle

        assert db.session.scalars(select(Throttle)).all() == []
        assert cash.day_status(shop_today() - timedelta(days=1)) is cash.DayStatus.OPEN
    wrong = client2.post(f"/cash/day/{empty_day}", data={"confirm": "y", "manager_id": shop["Marek"], "pin": "9999"})
    assert wrong.status_code == 422 and "Nieprawidłowy PIN" in wrong.get_data(as_text=True)
    _post_form(client2, f"/cash/day/{empty_day}", {"confirm": "y", **MANAGER_PIN})
    with in_app(app):
        event = db.session.scalar(select(cash.audit.AuditEvent).where(cash.audit.AuditEvent.action == "day.close"))
        assert event.user_id == shop["Ania"] and event.details["approved_by"] == shop["Marek"]
        paper = db.session.scalars(select(PrintJob.document).where(PrintJob.kind == JobKind.REPORT)).one()
    # The Z report names both, with their roles (#28 point 6); no receipts is said as "none".
    closed = client2.get(f"/cash/day/{empty_day}").get_data(as_text=True)
    assert "Ania (wolontariusz), zatwierdził(a) Marek (kierownik)" in closed
    assert "brak" in closed and "—–—" not in closed
    texts = [block.get("text", "") for block in paper]
    on_paper = " ".join(" ".join(texts).split())
    assert "Ania, wolontariusz" in on_paper and "Zatwierdził(a): Marek, kierownik" in on_paper, texts
    assert any(t.startswith("Paragony") and t.endswith("brak") for t in texts)


def test_an_empty_day_with_goods_taken_in_says_so(app, client, sign_in, shop, make_item, clock):
    """#28 point 6: a day with no till opened but goods taken in is not "a day when nothing happened"."""
    clock.shift(timedelta(days=-1))
    make_item()
    clock.shift(timedelta(days=1))
    sign_in("Marek", password=True)
    yesterday = (shop_today() - timedelta(days=1)).isoformat()
    page = client.get(f"/cash/day/{yesterday}").get_data(as_text=True)
    assert "nic się nie wydarzyło" not in page and "przyjęto 1 towar" in page


def test_a_manager_cancels_a_basket_left_open_at_another_till(app, client, sign_in, make_item, shop):
    client2 = app.test_client()
    till2 = _second_till(app, shop, client2)
    _post_form(client2, "/cash/open", {"d5000": "2"})
    coat = make_item(price_minor=4000, description="Płaszcz")
    _add(client2, code=coat["code"])  # …and the browser at Kasa 2 is closed: the coat stays reserved
    sign_in("Ania")
    assert client.post("/api/v1/till/basket/lines", json={"code": coat["code"]}).status_code == 409
    assert client.get("/till/baskets").status_code in (302, 403)  # a manager's page
    sign_in("Marek", password=True)
    page = client.get("/till/baskets").get_data(as_text=True)
    assert "Kasa 2" in page and "40,00" in page and "minut" in page
    assert "1 koszyk otwarty" in client.get("/reports/").get_data(as_text=True)
    with in_app(app):
        basket = db.session.scalar(select(till_models.Sale).where(till_models.Sale.till_id == till2))
    refused = client.post(f"/till/baskets/{basket.id}/void", data={"reason": ""})
    assert refused.status_code == 302 and "wymagane" in client.get("/till/baskets").get_data(as_text=True)
    _post_form(client, f"/till/baskets/{basket.id}/void", {"reason": "Kasa 2 zamknięta bez sprzedaży"})
    with in_app(app):
        voided = db.session.get(till_models.Sale, basket.id)
        assert voided.status is till_models.SaleStatus.VOIDED and voided.void_reason == "Kasa 2 zamknięta bez sprzedaży"
        event = db.session.scalar(select(cash.audit.AuditEvent).where(cash.audit.AuditEvent.action == "sale.void_left"))
        assert event.user_id == shop["Marek"] and event.details["till"] == "Kasa 2"
    sign_in("Ania")
    assert client.post("/api/v1/till/basket/lines", json={"code": coat["code"]}).status_code == 201  # free again
    assert _post_form(client, f"/till/baskets/{basket.id}/void", {"reason": "x"}, status=403)
