"""A whole shop day in fiscal-printer mode on each device — the built-in emulator, the fake Posnet and the
fake NoviAPI printer: sales (one stopped by the paper running out and retried), a return and a correction,
and the day close. Every sale has exactly one fiscal receipt, the returns and corrections registers hold
the refunds, and the Z report's fiscal section is the device's own daily report."""
from pathlib import Path

import pytest
from sqlalchemy import select

from lukluk_pos.catalog.models import Category
from lukluk_pos.extensions import db
from lukluk_pos.fiscal.emulator import FILE_NAME, EmulatedPrinter
from lukluk_pos.fiscal.models import FiscalRegisterEntry, FiscalRegistration, RegisterKind, RegistrationStatus
from lukluk_pos.till.models import Sale, SaleKind
from tests.conftest import MANAGER_PIN, in_app, shop_today
from tests.fake_noviapi import FakeNoviApi
from tests.fake_posnet import FakePosnet
from tests.fiscal_support import sell, use_printer


class Emulator:
    def __init__(self, app):
        self.device = EmulatedPrinter(Path(app.instance_path) / FILE_NAME)
        self.spec = "emulator"

    def receipts(self) -> int:
        return self.device.memory()["last_receipt"]

    def reports(self) -> list[dict]:
        return [report["by_slot"] for report in self.device.memory()["daily_reports"]]

    def paper_out(self):
        self.device.set_fault("paper")

    def paper_in(self):
        self.device.put_in_paper()


class Fake:
    def __init__(self, device):
        self.device = device
        self.spec = device.spec

    def receipts(self) -> int:
        return len(self.device.printed)

    def reports(self) -> list[dict]:
        return [report["totals"] for report in self.device.daily_reports]

    def paper_out(self):
        self.device.faults.add("paper")

    def paper_in(self):
        self.device.put_in_paper()


@pytest.fixture(params=["emulator", "posnet", "novitus"])
def printer(request, app, shop):
    if request.param == "emulator":
        handle, stack = Emulator(app), None
    else:
        stack = (FakePosnet if request.param == "posnet" else FakeNoviApi)()
        handle = Fake(stack.__enter__())
    use_printer(app, handle.spec)
    with in_app(app):
        db.session.get(Category, 13).vat_code = "23"  # AGD i elektronika at 23 %
        db.session.commit()
    yield handle
    if stack is not None:
        stack.__exit__(None, None, None)


def _refund(client, sale, key, kind, buyer=None, reason="Za mała"):
    line = client.get(f"/api/v1/sales/by-number/{sale['number']}").json["lines"][0]["id"]
    body = {"key": key, "lines": [{"line_id": line, "quantity": 1}], "method": "cash", "reason": reason,
            "fiscal_register": kind}
    if buyer:
        body["buyer_name"] = buyer
    response = client.post(f"/api/v1/sales/{sale['id']}/refunds", json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_a_fiscal_day_on_each_device(app, client, sign_in, printer):
    from lukluk_pos.cash import zreport

    sign_in("Marek")
    dress = sell(client, "day-sale-000001", ((1, "40"),), [{"method": "cash", "tendered": "50"}])
    sell(client, "day-sale-000002", ((13, "30"),), [{"method": "card"}])
    printer.paper_out()
    book = sell(client, "day-sale-000003", ((7, "5"),), [{"method": "cash", "tendered": "5"}])
    assert book["fiscal"]["status"] == "pending" and book["fiscal"]["message"] == "Brak papieru: włóż nową rolkę."
    printer.paper_in()
    assert client.post(f"/api/v1/sales/{book['id']}/fiscal").json["fiscal"]["status"] == "registered"
    assert printer.receipts() == 3
    # The dress comes back (a return, confirmed by the buyer); the book was rung up by mistake (a correction).
    _refund(client, dress, "day-refund-00001", "return", buyer="Jan Kowalski")
    _refund(client, book, "day-refund-00002", "correction", reason="Nabity zły towar")
    assert printer.receipts() == 3  # a refund is never a fiscal receipt

    day = shop_today().isoformat()
    # Cash: 200 float + 40 + 5 − 40 − 5 refunded = 200 zł.
    assert client.post("/cash/count", data={"d10000": "2"}).status_code == 302
    closed = client.post(f"/cash/day/{day}", data={"confirm": "y", **MANAGER_PIN})
    assert closed.status_code == 302, closed.get_data(as_text=True)[:2000]

    with in_app(app):
        sales = list(db.session.scalars(select(Sale).where(Sale.kind == SaleKind.SALE)))
        rows = {row.sale_id: row for row in db.session.scalars(select(FiscalRegistration))}
        assert len(sales) == 3 and all(rows[s.id].status is RegistrationStatus.REGISTERED for s in sales)
        assert len({rows[s.id].receipt_number for s in sales}) == 3
        entries = list(db.session.scalars(select(FiscalRegisterEntry).order_by(FiscalRegisterEntry.id)))
        assert [(e.kind, e.original_sale_id, e.receipt_number, e.refund.total_minor, e.buyer_name) for e in entries] == [
            (RegisterKind.RETURN, dress["id"], rows[dress["id"]].receipt_number, 4000, "Jan Kowalski"),
            (RegisterKind.CORRECTION, book["id"], rows[book["id"]].receipt_number, 500, "")]
        section = zreport.build(shop_today())["fiscal"]
    [device_report] = printer.reports()
    assert device_report == {"A": 3000, "E": 4500}
    assert section["source"] == "device" and section["report_number"] == 1
    assert {code: entry["register_minor"] for code, entry in section["by_vat"].items()} == {"23": 3000, "zw": 4500}
    assert all(entry["difference_minor"] == 0 for entry in section["by_vat"].values())
