"""The Novitus driver (NoviAPI through novitus-noviapi) against a fake NoviAPI printer on 127.0.0.1."""
from datetime import date

import pytest

from lukluk_pos.extensions import db
from lukluk_pos.fiscal.device import parse
from lukluk_pos.fiscal.novitus import NovitusPrinter, slot_rate
from tests.conftest import MANAGER_PIN, in_app, shop_today
from tests.fake_noviapi import FakeNoviApi
from tests.fiscal_support import (
    ANSWER_LOST,
    FAULT_MESSAGES,
    SPLIT_PAYMENTS,
    fill_discounted_basket,
    retry_twice,
    sell,
    use_printer,
)


@pytest.fixture
def novitus(app, shop):
    with FakeNoviApi() as device:
        use_printer(app, device.spec)
        yield device


def test_a_sale_with_discounts_split_payment_change_and_nip(app, client, sign_in, novitus):
    sign_in("Marek")
    fill_discounted_basket(client)
    sale = client.post("/api/v1/till/basket/complete", json={
        "key": "novitus-sale-0001", "payments": SPLIT_PAYMENTS, "buyer_nip": "PL 585-123-45-68"}).json
    assert sale["total_minor"] == 3800
    assert sale["fiscal"] == {"status": "registered", "receipt_number": 1001, "message": None, "check": False}
    [printed] = novitus.printed
    assert printed["total"] == 3800 and printed["nip"] == "5851234568"
    assert [(line["name"], line["slot"]) for line in printed["lines"]] == [
        ("Odzież damska używana", "E"), ("Książki używane", "E")]
    assert sum(line["total"] for line in printed["lines"]) == 3800
    # Card 10 zł, cash 50 zł handed over, 22 zł change; the drawer opens with the receipt.
    assert printed["payments"] == [("card", 1000), ("cash", 5000)] and printed["change"] == 2200
    assert printed["system_number"] == f"Nr sprzedaży: {sale['number']}" and printed["cashier"] == "Marek"
    assert novitus.totals == {"E": 3800} and novitus.drawer_opened == 1
    # More sales share the one token the device handed out (it gives only a few an hour).
    for n in range(3):
        sell(client, f"novitus-more-{n:04d}", payments=[{"method": "card"}])
    assert len(novitus.printed) == 4 and novitus.tokens_minted == 1 and novitus.drawer_opened == 1


@pytest.mark.parametrize("fault", ["paper", "drop", "hang", "refuse", "error"])
def test_each_fault_ends_in_exactly_one_receipt(app, client, sign_in, novitus, fault):
    sign_in("Ania")
    if fault == "refuse":
        novitus.refuse()
    elif fault == "error":
        novitus.error_next = (1202, "Błąd stawki PTU: nazwa towaru zablokowana w innej stawce")
    else:
        novitus.faults.add(fault)
    sale = sell(client, f"novitus-{fault}-0001")
    assert sale["fiscal"]["status"] == "pending", sale["fiscal"]
    # A receipt confirmed and never carried out may still print: the answer counts as lost ("Sprawdź").
    assert sale["fiscal"]["message"] == (ANSWER_LOST if fault == "hang" else FAULT_MESSAGES[fault])
    assert len(novitus.printed) == (1 if fault == "drop" else 0)
    # The volunteer fixes the printer and presses "Spróbuj ponownie" (twice, to be sure). New paper lets the
    # device finish the receipt it held; the till learns that from the counters and never sends it again.
    novitus.put_in_paper()
    if fault == "refuse":
        novitus.refuse(False)
    assert retry_twice(client, sale["id"]) == {"status": "registered", "receipt_number": 1001, "message": None,
                                               "check": False}
    assert len(novitus.printed) == 1 and novitus.last_jpkid == 1001 and novitus.queue == []
    assert novitus.totals == {"E": 1250}


def test_a_held_receipt_taken_back_is_sent_once_more(app, client, sign_in, novitus):
    """Out of paper and the receipt taken back from the device's queue: nothing printed, sent again."""
    sign_in("Ania")
    novitus.faults.add("paper")
    sale = sell(client, "novitus-taken-0001")
    assert sale["fiscal"]["message"] == "Brak papieru: włóż nową rolkę."
    with in_app(app):
        from lukluk_pos.fiscal import service as fiscal

        dev = fiscal.open_device(parse(novitus.spec))
        dev.cancel_open()
        dev.close()
    assert novitus.cancelled == 1 and novitus.queue == []
    novitus.put_in_paper()
    again = client.post(f"/api/v1/sales/{sale['id']}/fiscal").json["fiscal"]
    assert again["status"] == "registered" and len(novitus.printed) == 1


def test_rates_map_by_the_programmed_rate_not_by_letter(app, client, sign_in, novitus):
    novitus.rates.update({"A": "ZW", "E": "23.00"})  # this shop's exempt rate sits in slot A
    sign_in("Ania")
    sell(client, "novitus-rates-0001")
    assert novitus.printed[0]["lines"][0]["slot"] == "A"


def test_a_rate_the_device_lacks_blocks_fiscal_sales(app, client, sign_in, novitus):
    del novitus.rates["E"]
    sign_in("Ania")
    sale = sell(client, "novitus-norate-01")
    assert sale["fiscal"]["status"] == "pending" and "zw" in sale["fiscal"]["message"] and not novitus.printed


def test_the_driver_reads_status_counters_and_the_daily_report(novitus, tmp_path):
    printer = NovitusPrinter(parse(novitus.spec), io_timeout=1.0, token_folder=tmp_path)
    assert printer.vat_table() == {"A": "23", "B": "8", "C": "5", "D": "0", "E": "zw", "F": None, "G": None}
    assert printer.status().ready and printer.status().model == "FAKE NOVITUS POINT 1.00"
    novitus.device_error = (3, "Brak papieru")
    state = printer.status()
    assert not state.ready and state.problem == "Out of paper: put in a new roll."
    novitus.device_error = None
    novitus.totals, novitus.last_jpkid = {"E": 1250, "A": 300}, 1002
    counters = printer.counters()
    assert (counters.daily_reports, counters.last_receipt, counters.transaction_open) == (0, 1002, False)
    report = printer.daily_report(date(2026, 11, 24))
    assert (report.number, report.by_slot, report.receipts) == (1, {"A": 300, "E": 1250}, None)
    assert novitus.daily_reports[0]["date"] == "24-11-2026" and novitus.totals == {}
    assert printer.counters().daily_reports == 1
    # A second driver (another request, another process) reuses the token kept in the instance folder.
    printer.close()
    second = NovitusPrinter(parse(novitus.spec), io_timeout=1.0, token_folder=tmp_path)
    second.counters()
    second.close()
    assert novitus.tokens_minted == 1


@pytest.mark.parametrize("value, code", [("23.00", "23"), ("8,00", "8"), ("0.00", "0"), ("ZW", "zw"),
                                         ("SP.ZW.PTU", "zw"), ("", None), ("-", None), ("101", None)])
def test_the_devices_rate_values_are_read(value, code):
    assert slot_rate(value) == code


def test_the_day_close_prints_the_daily_report_and_sets_it_beside_the_system(app, client, sign_in, novitus):
    from lukluk_pos.cash import zreport
    from lukluk_pos.catalog.models import Category

    with in_app(app):
        db.session.get(Category, 13).vat_code = "23"  # AGD i elektronika: VAT 23 %, slot A on the device
        db.session.commit()
    sign_in("Marek")
    sell(client, "novitus-day-00001", lines=(("1", "12,50"),))
    sell(client, "novitus-day-00002", lines=(("13", "30"),), payments=[{"method": "card"}])
    day = shop_today().isoformat()
    assert client.post("/cash/count", data={"d10000": "2", "d1000": "1", "d200": "1", "d50": "1"}).status_code == 302
    closed = client.post(f"/cash/day/{day}", data={"confirm": "y", **MANAGER_PIN})
    assert closed.status_code == 302, closed.get_data(as_text=True)
    assert novitus.daily_reports == [{"totals": {"A": 3000, "E": 1250}, "date": shop_today().strftime("%d-%m-%Y"),
                                      "receipts": 2}]
    with in_app(app):
        section = zreport.build(shop_today())["fiscal"]
    assert section["source"] == "device" and section["report_number"] == 1
    assert section["by_vat"] == {"23": {"register_minor": 3000, "system_minor": 3000, "difference_minor": 0},
                                 "zw": {"register_minor": 1250, "system_minor": 1250, "difference_minor": 0}}
    # NoviAPI gives no receipt count: shown as unknown, never as a false difference.
    assert (section["register_receipts"], section["receipts_difference"]) == (None, None)
    sign_in("Marek", password=True)
    page = client.get(f"/reports/days/{day}").get_data(as_text=True)
    assert "Raport dobowy drukarki fiskalnej nr 1" in page
