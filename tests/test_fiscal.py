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
from tests.conftest import in_app


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
    assert sale["fiscal"] == {"status": "registered", "receipt_number": 1, "message": None}
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
    assert retried["fiscal"] == {"status": "registered", "receipt_number": 1, "message": None}
    memory = emulator.memory()
    assert memory["open"] is None and memory["last_receipt"] == 1 and memory["totals"] == {"E": 1250}


@pytest.mark.parametrize("fault", ["drop", "refuse", "hang"])
def test_a_lost_answer_or_an_unreachable_device_never_prints_twice(app, client, sign_in, emulator, fault):
    sign_in("Ania")
    emulator.set_fault(fault)
    sale = _sell(client, f"fiscal-{fault}-0001")
    assert sale["fiscal"]["status"] == "pending"
    assert "drukarka fiskalna nie odpowiada" in sale["fiscal"]["message"].lower()
    printed_before_retry = emulator.memory()["last_receipt"]
    assert printed_before_retry == (1 if fault == "drop" else 0)
    retried = client.post(f"/api/v1/sales/{sale['id']}/fiscal").json
    assert retried["fiscal"] == {"status": "registered", "receipt_number": 1, "message": None}
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
            fiscal.registration_of(sale_id).in_flight = None
        first = fiscal.registration_of(printed["id"])
        first.in_flight = emulator.counters().mark  # ... committed, then the receipt came out, then SIGKILL
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
        row.in_flight = emulator.counters().mark
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
