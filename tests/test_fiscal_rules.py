"""The Polish rules around the fiscal printer that issue #25 found bent: a refund before the sale's receipt,
the returns register's content, the exempt mode's guards and a category whose VAT rate changes."""
from datetime import date

import pytest
from sqlalchemy import func, select

from lukluk_pos.catalog.models import Category
from lukluk_pos.core.models import FiscalMode, Shop
from lukluk_pos.extensions import db
from lukluk_pos.fiscal import service as fiscal
from lukluk_pos.fiscal.models import FiscalRegisterEntry
from lukluk_pos.till.models import Sale, SaleKind
from tests.conftest import in_app, shop_today
from tests.fake_posnet import FakePosnet
from tests.fiscal_support import sell, use_printer
from tests.invoicing_support import issue


@pytest.fixture
def posnet(app, shop):
    with FakePosnet() as device:
        use_printer(app, device.spec)
        with in_app(app):
            db.session.get(Category, 13).vat_code = "23"  # AGD i elektronika at 23 %
            db.session.commit()
        yield device


def _refund(client, sale, key, buyer="Jan Kowalski"):
    line = client.get(f"/api/v1/sales/by-number/{sale['number']}").json["lines"][0]["id"]
    return client.post(f"/api/v1/sales/{sale['id']}/refunds", json={
        "key": key, "lines": [{"line_id": line, "quantity": 1}], "method": "cash", "reason": "Nie działa",
        "fiscal_register": "return", "buyer_name": buyer})


def test_a_refund_waits_for_the_sales_fiscal_receipt(app, client, sign_in, posnet):
    """Finding 6: no returns-register row without the fiscal receipt's number; the till says why."""
    sign_in("Marek")
    posnet.refuse()
    sale = sell(client, "refund-waits-0001", ((13, "30"),), [{"method": "cash", "tendered": "30"}])
    assert sale["fiscal"]["status"] == "pending"
    refused = _refund(client, sale, "refund-waits-r001")
    assert refused.status_code == 409 or refused.status_code == 422, refused.json
    assert "jeszcze się nie wydrukował" in refused.json["message"]
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(FiscalRegisterEntry)) == 0
        assert db.session.scalar(select(func.count()).select_from(Sale).where(Sale.kind == SaleKind.REFUND)) == 0
    posnet.refuse(False)
    assert client.post(f"/api/v1/sales/{sale['id']}/fiscal").json["fiscal"]["status"] == "registered"
    done = _refund(client, sale, "refund-waits-r002")
    assert done.status_code == 201, done.json
    again = _refund(client, sale, "refund-waits-r002")  # the same key again: the same refund, one entry
    assert again.status_code == 201 and again.json["id"] == done.json["id"]
    with in_app(app):
        [entry] = db.session.scalars(select(FiscalRegisterEntry))
        assert entry.receipt_number == 1


def test_the_returns_register_holds_what_the_regulation_lists(app, client, sign_in, posnet):
    """Finding 7: goods as named on the fiscal receipt, quantity, amount with its VAT rate and tax, the sale's
    date and receipt number, the return's date; the same on the printable protocol."""
    sign_in("Marek")
    sale = sell(client, "register-content-1", ((13, "30"),), [{"method": "cash", "tendered": "30"}])
    done = _refund(client, sale, "register-content-r")
    assert done.status_code == 201, done.json
    with in_app(app):
        [entry] = db.session.scalars(select(FiscalRegisterEntry))
        assert entry.goods == [{"name": "Sprzęt AGD/RTV używany", "quantity": 1, "amount_minor": 3000,
                                "vat_code": "23", "tax_minor": 561}]  # 30 zł × 23/123 = 5,61 zł
        assert (entry.receipt_number, entry.receipt_date, entry.business_date) == (1, shop_today(), shop_today())
        entry_id = entry.id
        # The category's name on receipts changes later: the register still quotes the receipt.
        db.session.get(Category, 13).fiscal_name = "Elektronika używana"
        db.session.commit()
    protocol = client.get(f"/fiscal/returns/{entry_id}").get_data(as_text=True)
    assert "Sprzęt AGD/RTV używany" in protocol and "23 %" in protocol and "5,61" in protocol
    assert "Data sprzedaży" in protocol and "Data zwrotu" in protocol and "Jan Kowalski" in protocol
    assert [printed["lines"][0]["name"] for printed in posnet.printed] == ["Sprzęt AGD/RTV używany"]


def test_vat_contained_in_a_gross_amount():
    assert [fiscal.vat_in(amount, code) for amount, code in [(3000, "23"), (12300, "23"), (1080, "8"), (105, "5"),
                                                             (999, "zw"), (500, "0"), (-3000, "23")]] == \
        [561, 2300, 80, 5, 0, 0, -561]


def _settings(client, mode: str):
    return client.post("/admin/settings", data={"shop_name": "LukLuk", "address": "ul. Morska 1, Sopot",
                                                "nip": "5851234568", "receipt_footer": "", "discount_limit_percent": "20",
                                                "fiscal_mode": mode})


def test_switching_to_exempt_mode_with_flagged_goods_in_a_basket_is_refused(app, client, sign_in, posnet):
    """Finding 9: jewellery rung up while the till printed fiscal receipts must not leave on a non-fiscal one."""
    sign_in("Magda")
    assert client.post("/api/v1/till/basket/lines", json={"category_id": 6, "price": "25"}).status_code == 201
    sign_in("Magda", password=True)
    refused = _settings(client, "exempt")
    assert refused.status_code == 422
    assert "W otwartym koszyku są towary" in refused.get_data(as_text=True)
    with in_app(app):
        assert db.session.scalar(select(Shop.fiscal_mode)) is FiscalMode.PRINTER


@pytest.mark.now("2026-06-30T10:00:00+00:00")
def test_a_nip_typed_at_the_till_does_not_take_a_sale_out_of_the_exemption_limit(app, client, sign_in, shop):
    """Finding 9: only a sale invoiced to a business is outside the 20 000 zł; a NIP on a receipt is not."""
    sign_in("Ania")
    client.post("/api/v1/till/basket/lines", json={"category_id": 1, "price": "100"})
    with_nip = client.post("/api/v1/till/basket/complete", json={
        "key": "exempt-nip-000001", "payments": [{"method": "card"}], "buyer_nip": "5851234568"})
    assert with_nip.status_code == 200, with_nip.json
    invoiced = sell(client, "exempt-invoice-01", ((1, "40"),), [{"method": "card"}])
    issue(app, shop, invoiced["id"])
    with in_app(app):
        assert fiscal.exemption(date(2026, 6, 30))["turnover_minor"] == 10000  # the NIP sale counts, not the invoiced


def test_changing_a_sold_categorys_vat_rate_gives_it_a_new_fiscal_name(app, client, sign_in, posnet):
    """Finding 10: the device locks a name to its first rate (2106); the category gets a name for the new one."""
    sign_in("Marek")
    assert sell(client, "vat-change-00001", ((7, "5"),), [{"method": "card"}])["fiscal"]["status"] == "registered"
    sign_in("Marek", password=True)
    page = client.post("/manage/categories/7", data={"name": "Książki", "default_price": "5", "vat_code": "5",
                                                      "active": "y", "fiscal_name": "Książki używane"},
                       follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Stawka VAT się zmieniła" in text and "Książki używane (5%)" in text
    with in_app(app):
        assert db.session.get(Category, 7).fiscal_name == "Książki używane (5%)"
    sign_in("Marek")
    after = sell(client, "vat-change-00002", ((7, "5"),), [{"method": "card"}])
    assert after["fiscal"]["status"] == "registered", after["fiscal"]
    assert [p["lines"][0]["name"] for p in posnet.printed] == ["Książki używane", "Książki używane (5%)"]


def test_the_migration_turns_the_json_mark_into_two_integers(app, client, sign_in, shop):
    """The in-flight mark was a JSON column whose "settled" value was the JSON literal null (finding 1): the
    migration keeps a real mark as its two integers and makes null, JSON or SQL, SQL NULL; and back."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from lukluk_pos.fiscal.emulator import FILE_NAME, EmulatedPrinter

    use_printer(app, "emulator")
    sign_in("Ania")
    EmulatedPrinter(f"{app.instance_path}/{FILE_NAME}").set_fault("drop")
    lost = sell(client, "migrate-mark-0001")  # printed, answer lost: in flight
    EmulatedPrinter(f"{app.instance_path}/{FILE_NAME}").set_fault("refuse")
    refused = sell(client, "migrate-mark-0002")  # nothing sent: no mark
    with in_app(app):
        db.session.remove()
        downgrade(revision="9e2b7c4d1a05")
        with db.engine.begin() as conn:
            rows = dict(conn.execute(text("SELECT sale_id, in_flight FROM fiscal_registration")).all())
            marked = rows[lost["id"]]
            assert (marked if isinstance(marked, list) else __import__("json").loads(marked)) == [0, 0]
            assert rows[refused["id"]] is None
            # What the old code wrote when it settled a mark: the JSON literal null, not SQL NULL.
            conn.execute(text("UPDATE fiscal_registration SET in_flight = 'null' WHERE sale_id = :id"),
                         {"id": refused["id"]})
        upgrade()
        with db.engine.begin() as conn:
            after = {row[0]: (row[1], row[2]) for row in conn.execute(text(
                "SELECT sale_id, in_flight_reports, in_flight_receipt FROM fiscal_registration"))}
        assert after == {lost["id"]: (0, 0), refused["id"]: (None, None)}
