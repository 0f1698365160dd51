"""Fiscal-printer mode on the built-in emulator: every sale registered exactly once, whatever fails."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lukluk_pos.catalog.models import Category
from lukluk_pos.core.models import FiscalMode, Shop
from lukluk_pos.extensions import db
from lukluk_pos.fiscal import service as fiscal
from lukluk_pos.fiscal.emulator import FILE_NAME, EmulatedPrinter
from lukluk_pos.fiscal.models import FiscalRegistration
from lukluk_pos.printing.models import JobKind, PrintJob
from tests.conftest import MANAGER_PIN, in_app


@pytest.fixture
def emulator(app, shop):
    """The shop in fiscal-printer mode with the built-in emulator; returns the emulated device."""
    with in_app(app):
        current = db.session.scalar(select(Shop))
        current.fiscal_mode, current.fiscal_printer = FiscalMode.PRINTER, "emulator"
        db.session.commit()
    return EmulatedPrinter(Path(app.instance_path) / FILE_NAME)


def _sell(client, key, price="12,50", category_id=1, payments=None):
    client.post("/api/v1/till/basket/lines", json={"category_id": category_id, "price": price})
    response = client.post("/api/v1/till/basket/complete",
                           json={"key": key, "payments": payments or [{"method": "cash", "tendered": "20"}]})
    assert response.status_code == 200, response.json
    return response.json


def _registrations(app):
    with in_app(app):
        return [(r.status.value, r.receipt_number, r.in_flight)
                for r in db.session.scalars(select(FiscalRegistration).order_by(FiscalRegistration.id))]


def test_a_sale_prints_one_fiscal_receipt_and_no_escpos_receipt(app, client, sign_in, emulator):
    sign_in("Ania")
    sale = _sell(client, "fiscal-sale-0001")
    assert sale["fiscal"] == {"status": "registered", "receipt_number": 1, "message": None, "check": False}
    memory = emulator.memory()
    assert memory["last_receipt"] == 1 and memory["receipts_since_report"] == 1
    # Odzież damska is VAT-exempt ("zw"): the device's exempt slot is E in its programmed table.
    assert memory["totals"] == {"E": 1250}
    receipt = memory["journal"][0]
    assert receipt["lines"] == [["Odzież damska używana", "E", 1, 1250]]
    assert ["Nr sprzedaży", str(sale["number"])] in receipt["info"] and ["Kasjer", "Ania"] in receipt["info"]
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(PrintJob).where(
            PrintJob.kind == JobKind.RECEIPT)) == 0
    # Asking again (a repeated completion, a retry) never prints a second receipt.
    again = client.post("/api/v1/till/basket/complete", json={"key": "fiscal-sale-0001", "payments": []})
    assert again.json["fiscal"]["receipt_number"] == 1
    assert client.post(f"/api/v1/sales/{sale['id']}/fiscal").json["fiscal"]["receipt_number"] == 1
    assert emulator.memory()["last_receipt"] == 1


def test_out_of_paper_mid_receipt_then_fixed_and_retried_prints_once(app, client, sign_in, emulator):
    sign_in("Ania")
    emulator.set_fault("paper")
    sale = _sell(client, "fiscal-paper-001")
    assert sale["fiscal"]["status"] == "pending"
    assert sale["fiscal"]["message"] == "Brak papieru: włóż nową rolkę."
    assert emulator.memory()["open"] is not None and emulator.memory()["last_receipt"] == 0
    # The sale is stored and paid; the till cannot start another until this one is settled or retried.
    retried = client.post(f"/api/v1/sales/{sale['id']}/fiscal").json
    assert retried["fiscal"]["status"] == "pending"  # still no paper
    emulator.put_in_paper()
    retried = client.post(f"/api/v1/sales/{sale['id']}/fiscal").json
    assert retried["fiscal"] == {"status": "registered", "receipt_number": 1, "message": None, "check": False}
    memory = emulator.memory()
    assert memory["open"] is None and memory["last_receipt"] == 1 and memory["totals"] == {"E": 1250}


@pytest.mark.parametrize("fault", ["drop", "refuse", "hang"])
def test_a_lost_answer_or_an_unreachable_device_never_prints_twice(app, client, sign_in, emulator, fault):
    sign_in("Ania")
    emulator.set_fault(fault)
    sale = _sell(client, f"fiscal-{fault}-0001")
    assert sale["fiscal"]["status"] == "pending"
    if fault == "drop":  # the receipt came out and its answer was lost: "Sprawdź", the counters decide
        assert "nie dotarła" in sale["fiscal"]["message"] and sale["fiscal"]["check"] is True
    else:
        assert "drukarka fiskalna nie odpowiada" in sale["fiscal"]["message"].lower()
        assert sale["fiscal"]["check"] is False
    printed_before_retry = emulator.memory()["last_receipt"]
    assert printed_before_retry == (1 if fault == "drop" else 0)
    retried = client.post(f"/api/v1/sales/{sale['id']}/fiscal").json
    assert retried["fiscal"] == {"status": "registered", "receipt_number": 1, "message": None, "check": False}
    assert emulator.memory()["last_receipt"] == 1 and len(emulator.memory()["journal"]) == 1


def test_a_crash_after_the_mark_is_settled_by_the_counters(app, client, sign_in, emulator):
    """The server died after committing the mark: whether the device printed decides, nothing else."""
    sign_in("Ania")
    emulator.set_fault("refuse")
    printed = _sell(client, "fiscal-crash-0001")  # stays pending, nothing sent
    emulator.set_fault("refuse")
    unprinted = _sell(client, "fiscal-crash-0002")
    with in_app(app):
        for sale_id in (printed["id"], unprinted["id"]):
            fiscal.registration_of(sale_id).mark(None)
        first = fiscal.registration_of(printed["id"])
        first.mark(emulator.counters().mark)  # ... committed, then the receipt came out, then SIGKILL
        sale = db.session.get(type(first.sale), printed["id"])
        emulator.send_receipt(fiscal.receipt_for(sale, {"zw": "E"}))
        db.session.commit()
    # After the restart the till asks for the second sale: the first is settled from the counters first.
    assert client.post(f"/api/v1/sales/{unprinted['id']}/fiscal").json["fiscal"]["receipt_number"] == 2
    assert _registrations(app) == [("registered", 1, None), ("registered", 2, None)]
    assert emulator.memory()["last_receipt"] == 2


def test_counters_that_moved_too_far_ask_a_person(app, client, sign_in, emulator):
    sign_in("Ania")
    emulator.set_fault("refuse")
    sale = _sell(client, "fiscal-uncert-01")
    with in_app(app):
        row = fiscal.registration_of(sale["id"])
        row.mark(emulator.counters().mark)
        db.session.commit()
        someone_else = fiscal.receipt_for(row.sale, {"zw": "E"})
    emulator.send_receipt(someone_else)
    emulator.send_receipt(someone_else)  # two receipts came out since the mark: which one is ours?
    assert client.post(f"/api/v1/sales/{sale['id']}/fiscal").json["fiscal"]["status"] == "uncertain"
    with in_app(app):
        assert [r.sale_id for r in fiscal.waiting()] == [sale["id"]]


def test_a_rate_the_device_lacks_blocks_fiscal_sales_with_a_message(app, client, sign_in, emulator):
    sign_in("Ania")
    memory = emulator.memory()
    memory["rates"]["E"] = None  # the device has no exempt rate programmed
    emulator._write(memory)
    sale = _sell(client, "fiscal-rates-001")
    assert sale["fiscal"]["status"] == "pending"
    assert "nie ma stawki dla VAT zw" in sale["fiscal"]["message"]
    assert emulator.memory()["last_receipt"] == 0


def test_the_device_refuses_a_name_at_a_higher_rate(app, client, sign_in, emulator):
    sign_in("Ania")
    assert _sell(client, "fiscal-lock-0001")["fiscal"]["status"] == "registered"
    with in_app(app):
        db.session.get(Category, 1).vat_code = "23"
        db.session.commit()
    refused = _sell(client, "fiscal-lock-0002")
    assert refused["fiscal"]["status"] == "pending"
    assert "zablokowana" in refused["fiscal"]["message"]


def _count_and_close(client, day, expect=302):
    assert client.post("/cash/count", data={"d10000": "2", "d2000": "1"}).status_code == 302
    response = client.post(f"/cash/day/{day}", data={"confirm": "y", **MANAGER_PIN})
    assert response.status_code == expect, response.get_data(as_text=True)[:3000]
    return response


def test_the_day_close_prints_the_daily_report_and_sets_it_beside_the_system(app, client, sign_in, emulator):
    from lukluk_pos.cash import zreport
    from tests.conftest import shop_today

    with in_app(app):
        db.session.get(Category, 13).vat_code = "23"  # AGD i elektronika: VAT 23 %, slot A on the device
        db.session.commit()
    sign_in("Marek")
    _sell(client, "fiscal-day-00001", price="12,50")
    _sell(client, "fiscal-day-00002", price="30", category_id=13, payments=[{"method": "card"}])
    emulator.set_fault("paper")
    stuck = _sell(client, "fiscal-day-00003", price="5")
    day = shop_today().isoformat()
    # A sale still waiting for its fiscal receipt keeps the day open.
    page = _count_and_close(client, day, expect=422).get_data(as_text=True)
    assert "1 sprzedaż czeka jeszcze na paragon fiskalny" in page
    assert len(emulator.memory()["daily_reports"]) == 0
    emulator.put_in_paper()
    assert client.post(f"/api/v1/sales/{stuck['id']}/fiscal").json["fiscal"]["status"] == "registered"
    closed = client.post(f"/cash/day/{day}", data={"confirm": "y", **MANAGER_PIN})
    assert closed.status_code == 302
    memory = emulator.memory()
    assert memory["daily_reports"] == [{"number": 1, "day": day, "by_slot": {"A": 3000, "E": 1750}, "receipts": 3}]
    with in_app(app):
        fiscal_section = zreport.build(shop_today())["fiscal"]
    assert fiscal_section["source"] == "device" and fiscal_section["report_number"] == 1
    assert fiscal_section["by_vat"] == {
        "23": {"register_minor": 3000, "system_minor": 3000, "difference_minor": 0},
        "zw": {"register_minor": 1750, "system_minor": 1750, "difference_minor": 0}}
    assert (fiscal_section["register_receipts"], fiscal_section["receipts_difference"]) == (3, 0)
    sign_in("Marek", password=True)
    api = client.get(f"/api/v1/days/{day}").json
    assert api["fiscal"]["by_vat"]["23"]["register_minor"] == 3000
    assert "Raport dobowy drukarki fiskalnej nr 1" in client.get(f"/reports/days/{day}").get_data(as_text=True)


def test_a_manager_settles_or_voids_a_waiting_sale_with_a_reason(app, client, sign_in, emulator):
    sign_in("Ania")
    emulator.set_fault("paper")
    first = _sell(client, "fiscal-wait-0001")
    second = _sell(client, "fiscal-wait-0002")
    assert client.get("/fiscal/waiting").status_code == 403  # a volunteer sees the till's dialog, not the list
    sign_in("Marek", password=True)
    page = client.get("/fiscal/waiting").get_data(as_text=True)
    assert f"Sprzedaż nr {first['number']}" in page and "Brak papieru" in page
    refused = client.post(f"/fiscal/waiting/{first['id']}/settle", data={"action": "void", "reason": ""})
    assert refused.status_code == 302
    assert client.post(f"/fiscal/waiting/{first['id']}/settle",
                       data={"action": "void", "reason": "Klient zrezygnował, towar wrócił"}).status_code == 302
    assert client.post(f"/fiscal/waiting/{second['id']}/settle",
                       data={"action": "printed", "number": "abc", "reason": "Jest na rolce"}).status_code == 302
    assert _registrations(app)[1][0] == "pending"  # a number that is not a number settles nothing
    client.post(f"/fiscal/waiting/{second['id']}/settle",
                data={"action": "printed", "number": "7", "reason": "Jest na rolce"})
    assert [row[:2] for row in _registrations(app)] == [("voided", None), ("registered", 7)]
    with in_app(app):
        from lukluk_pos.core.models import AuditEvent

        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "fiscal.void" in actions and "fiscal.settled_by_hand" in actions


def test_the_admin_sees_the_device_its_vat_table_and_a_rate_it_lacks(app, client, sign_in, emulator):
    sign_in("Magda", password=True)
    page = client.get("/admin/fiscal").get_data(as_text=True)
    assert "Gotowa do pracy" not in page and "Zapytaj drukarkę fiskalną" in page  # not asked until asked
    page = client.get("/admin/fiscal?ask=1").get_data(as_text=True)
    assert "LukLuk emulator" in page and "Gotowa do pracy" in page and "zwolniona (zw)" in page
    memory = emulator.memory()
    memory["rates"]["E"] = None
    emulator._write(memory)
    assert "nie ma stawki dla VAT zw" in client.get("/admin/fiscal?ask=1").get_data(as_text=True)
    bad = client.post("/admin/fiscal", data={"fiscal_printer": "posnet:"})
    assert bad.status_code == 422 and "posnet:HOST[:PORT]" in bad.get_data(as_text=True)
    assert client.post("/admin/fiscal", data={"fiscal_printer": "posnet:10.0.0.5"}).status_code == 302
    with in_app(app):
        assert db.session.scalar(select(Shop)).fiscal_printer == "posnet:10.0.0.5"


def test_a_machine_set_fiscal_printer_is_shown_read_only(app, client, sign_in, shop):
    """#28 point 9: when LUKLUK_FISCAL_PRINTER sets the device, the admin sees it, read-only, and cannot
    type over it; the device beside the till is never called "kasa" (the glossary's till)."""
    app.config["FISCAL_PRINTER"] = "posnet:10.0.0.9"
    sign_in("Magda", password=True)
    page = client.get("/admin/fiscal").get_data(as_text=True)
    assert 'value="posnet:10.0.0.9"' in page and "readonly" in page and "LUKLUK_FISCAL_PRINTER" in page
    refused = client.post("/admin/fiscal", data={"fiscal_printer": "emulator"}, follow_redirects=True)
    assert "zmienia się tam" in refused.get_data(as_text=True)
    with in_app(app):
        assert db.session.scalar(select(Shop)).fiscal_printer != "emulator"
    settings = client.get("/admin/settings").get_data(as_text=True)
    assert "kasa fiskalna" not in settings.lower() and "urządzenie fiskalne" in settings.lower()


def test_the_cli_reads_the_device_and_prints_nothing(app, emulator):
    result = app.test_cli_runner().invoke(args=["fiscal", "status"])
    assert result.exit_code == 0, result.output
    assert "emulator" in result.output and "E: zw" in result.output
    assert emulator.memory()["last_receipt"] == 0 and emulator.memory()["daily_reports"] == []


def test_refunds_go_into_the_returns_and_corrections_registers(app, client, sign_in, emulator):
    import csv
    import io

    from openpyxl import load_workbook

    from tests.conftest import shop_today

    sign_in("Marek")
    sale = _sell(client, "fiscal-refund-001", price="40", payments=[{"method": "cash", "tendered": "50"}])
    found = client.get(f"/api/v1/sales/by-number/{sale['number']}").json
    line = found["lines"][0]["id"]
    # A return needs the buyer's confirming name; nothing is written without it.
    refused = client.post(f"/api/v1/sales/{sale['id']}/refunds", json={
        "key": "fiscal-ref-0001", "lines": [{"line_id": line, "quantity": 1}], "method": "cash", "reason": "Za mała"})
    assert refused.status_code == 422 and refused.json["field"] == "buyer_name"
    done = client.post(f"/api/v1/sales/{sale['id']}/refunds", json={
        "key": "fiscal-ref-0002", "lines": [{"line_id": line, "quantity": 1}], "method": "cash", "reason": "Za mała",
        "buyer_name": "Jan Kowalski"})
    assert done.status_code == 201, done.json
    # A correction of an obvious mistake, through the refund page.
    second = _sell(client, "fiscal-refund-002", price="8")
    form_line = client.get(f"/api/v1/sales/by-number/{second['number']}").json["lines"][0]["id"]
    page = client.get(f"/till/refund?number={second['number']}").get_data(as_text=True)
    assert 'name="buyer_name"' in page and 'value="correction"' in page
    posted = client.post(f"/till/refund/{second['id']}", data={
        "key": "fiscal-ref-form-01", "number": second["number"], f"qty-{form_line}": "1", "method": "card",
        "reason": "Nabity zły towar", "fiscal_register": "correction"})
    assert posted.status_code == 303 and "/fiscal/returns/" in posted.headers["Location"]
    protocol = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "Protokół korekty" in protocol and "Nabity zły towar" in protocol
    # No refund is a fiscal receipt: the device printed only the two sales.
    assert emulator.memory()["last_receipt"] == 2
    sign_in("Marek", password=True)
    month = shop_today().strftime("%Y-%m")
    returns = client.get(f"/fiscal/registers?month={month}").get_data(as_text=True)
    assert "Jan Kowalski" in returns and "Za mała" in returns
    rows = list(csv.reader(io.StringIO(client.get(f"/fiscal/registers.csv?month={month}").data.decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[0][:9] == ["Nr", "Data zwrotu", "Nr paragonu fiskalnego", "Data sprzedaży", "Towar (jak na paragonie)",
                           "Ilość", "Kwota", "Stawka VAT", "VAT"]
    assert rows[1][2:] == ["1", shop_today().isoformat(), "Odzież damska używana", "1", "40,00", "zw", "0,00",
                           "gotówka", "Jan Kowalski", "Za mała"]
    book = load_workbook(io.BytesIO(client.get(f"/fiscal/registers.xlsx?month={month}&kind=correction").data))
    sheet = book.active
    assert sheet.cell(2, 5).value == "Odzież damska używana" and sheet.cell(2, 6).value == 1
    assert sheet.cell(2, 7).value == 8 and sheet.cell(2, 11).value == "Marek"


def test_exempt_mode_refuses_goods_that_need_a_fiscal_receipt_from_the_first_sale(app, client, sign_in, make_item):
    sign_in("Ania")
    radio = make_item(price_minor=4000, description="Radio Unitra", category="AGD i elektronika")
    refused = client.post("/api/v1/till/basket/lines", json={"code": radio["code"]})
    assert refused.status_code == 409
    assert refused.json["message"].startswith("Towary z kategorii „AGD i elektronika” trzeba rejestrować na urządzeniu")
    vinyl = client.post("/api/v1/till/basket/lines", json={"category_id": 8, "price": "20"})  # Płyty i winyle
    assert vinyl.status_code == 409
    assert client.get("/api/v1/till/basket").json["lines"] == []
    with in_app(app):
        from lukluk_pos.catalog.models import Item, ItemStatus

        assert db.session.get(Item, radio["id"]).status is ItemStatus.IN_STOCK  # nothing reserved
    # Books are not on the list; in fiscal-printer mode the radio sells.
    assert client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "3"}).status_code == 201
    with in_app(app):
        db.session.scalar(select(Shop)).fiscal_mode = FiscalMode.PRINTER
        db.session.commit()
    assert client.post("/api/v1/till/basket/lines", json={"code": radio["code"]}).status_code == 201


def test_a_manager_names_a_category_for_fiscal_receipts(app, client, sign_in, shop):
    sign_in("Marek", password=True)
    page = client.get("/manage/categories/1").get_data(as_text=True)
    assert 'value="Odzież damska używana"' in page
    saved = client.post("/manage/categories/1", data={"name": "Odzież damska", "default_price": "15", "vat_code": "zw",
                                                       "active": "y", "fiscal_name": "Sukienka \x1b damska używana"})
    assert saved.status_code == 302
    with in_app(app):
        cat = db.session.get(Category, 1)
        assert (cat.fiscal_name, cat.fiscal_from_first_sale) == ("Sukienka damska używana", False)


def test_an_unsupported_or_missing_device_leaves_the_sale_to_register_with_a_message(app, client, sign_in, emulator):
    sign_in("Ania")
    for setting, words in (("novitus:http://127.0.0.1:9", "Drukarka fiskalna nie odpowiada"),
                           ("", "Nie ustawiono drukarki fiskalnej")):
        with in_app(app):
            db.session.scalar(select(Shop)).fiscal_printer = setting
            db.session.commit()
        sale = _sell(client, f"fiscal-none-{len(setting):04d}")
        assert sale["fiscal"]["status"] == "pending" and words in sale["fiscal"]["message"]


@pytest.mark.now("2026-06-30T10:00:00+00:00")
def test_the_dashboard_shows_the_years_sales_against_the_exemption_limit(app, client, sign_in, make_item, shop):
    from datetime import date

    from lukluk_pos.till.models import Sale

    sign_in("Ania")
    _sell(client, "exempt-limit-0001", price="12,50")
    with in_app(app):
        # The shop's first sale was on 30 June of this year: the limit is pro rata, 185 of 365 days.
        assert fiscal.exemption(date(2026, 6, 30))["limit_minor"] == 2_000_000 * 185 // 365
        sale = db.session.scalar(select(Sale).where(Sale.number == 1))
        sale.total_minor = 900_000
        db.session.commit()
        status = fiscal.exemption(date(2026, 6, 30))
    assert (status["turnover_minor"], status["percent"], status["level"]) == (900_000, 88, "near")
    sign_in("Marek", password=True)
    page = client.get("/reports/").get_data(as_text=True)
    assert 'id="exemption-percent">88 %' in page and "Wykorzystano 88% limitu" in page
