"""Invoices on request: the rules (FP, the consumer deadline, once per sale), gapless numbers under two
issuers, the FA(3) XML against the ministry's XSD, and the page, PDF and XML saying the same."""
import io
import threading
from datetime import date

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from lukluk_pos.auth.models import User
from lukluk_pos.catalog.models import Category
from lukluk_pos.core.errors import DomainError
from lukluk_pos.extensions import db
from lukluk_pos.invoicing import fa3, service
from lukluk_pos.invoicing.models import Invoice, KsefStatus
from tests.conftest import PINS, in_app, shop_today
from tests.fiscal_support import use_printer
from tests.invoicing_support import PARISH, invoice, issue, sale

NS = {"f": fa3.NS}
PERSON = {"kind": "person", "name": "Jan Kowalski", "address1": "ul. Polna 3", "address2": "81-750 Sopot"}


def _xml(found: Invoice):
    document = etree.fromstring(found.xml.encode())
    fa3.validate(found.xml.encode())  # the ministry's FA(3) schema, as shipped by ksef-client
    return document


def _text(document, path):
    return document.findtext(path, namespaces=NS)


def _set_vat(app, **codes):
    with in_app(app):
        for name, code in codes.items():
            db.session.scalar(select(Category).where(Category.name == name)).vat_code = code
        db.session.commit()


def test_an_exempt_sale_with_discounts_makes_an_invoice_whose_page_pdf_and_xml_agree(app, client, sign_in, shop):
    sign_in("Ania")
    client.post("/api/v1/till/basket/lines", json={"category_id": 1, "price": "40"})
    client.post("/api/v1/till/basket/lines", json={"category_id": 7, "price": "3", "quantity": 3})
    client.post("/api/v1/till/basket/discount", json={"kind": "amount", "value": "1,00", "reason": "Stały klient"})
    done = client.post("/api/v1/till/basket/complete", json={
        "key": "inv-exempt-1", "payments": [{"method": "card", "amount": "10"}, {"method": "cash", "tendered": "50"}]})
    assert done.status_code == 200
    invoice_id = issue(app, shop, done.json["id"])
    found = invoice(app, invoice_id)
    assert found.number == f"FV/1/{shop_today().year}" and found.total_minor == 4800
    document = _xml(found)
    assert _text(document, "f:Fa/f:P_2") == found.number
    assert _text(document, "f:Fa/f:P_15") == "48.00" and _text(document, "f:Fa/f:P_13_7") == "48.00"
    assert _text(document, "f:Fa/f:Adnotacje/f:Zwolnienie/f:P_19A") == "art. 43 ust. 1 pkt 2 ustawy o VAT"
    assert _text(document, "f:Podmiot2/f:DaneIdentyfikacyjne/f:NIP") == "5260001246"
    assert document.find("f:Fa/f:FP", NS) is None  # a non-fiscal receipt
    rows = document.findall("f:Fa/f:FaWiersz", NS)
    assert [(_text(r, "f:P_7"), _text(r, "f:P_8B"), _text(r, "f:P_9B"), _text(r, "f:P_10"), _text(r, "f:P_11A"))
            for r in rows] == [("Odzież damska", "1", "40.00", "0.82", "39.18"),
                               ("Książki", "3", "3.00", "0.18", "8.82")]
    # Cash and card: FA(3)'s structured partial payments, paid in full in parts.
    assert _text(document, "f:Fa/f:Platnosc/f:ZnacznikZaplatyCzesciowej") == "2"
    assert [(_text(r, "f:KwotaZaplatyCzesciowej"), _text(r, "f:FormaPlatnosci"))
            for r in document.findall("f:Fa/f:Platnosc/f:ZaplataCzesciowa", NS)] == [("10.00", "2"), ("38.00", "1")]

    page = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    reader = PdfReader(io.BytesIO(client.get(f"/invoices/{invoice_id}.pdf").data))
    pdf_text = " ".join(p.extract_text() for p in reader.pages)
    for expected in (found.number, "Parafia św. Jerzego", "5260001246", "39,18", "8,82", "Razem: 48,00 zł",
                     "art. 43 ust. 1 pkt 2 ustawy o VAT", "karta płatnicza 10,00 zł", "gotówka 38,00 zł"):
        assert expected in page, expected
        assert expected in pdf_text, expected
    downloaded = client.get(f"/invoices/{invoice_id}.xml")
    assert downloaded.data == found.xml.encode() and fa3.sha256_b64(downloaded.data) == found.xml_sha256


def test_a_vat_active_shop_splits_net_and_tax_per_code_from_the_gross(app, client, sign_in, shop):
    _set_vat(app, **{"Odzież damska": "23", "Książki": "5"})
    sign_in("Ania")
    done = sale(client, "inv-vat-1", lines=(("1", "12,30"), ("1", "10,00"), ("7", "10,50")))
    found = invoice(app, issue(app, shop, done["id"]))
    document = _xml(found)
    # 23 %: 22,30 gross → 4,17 tax (22,30 × 23/123 = 4,170), 18,13 net; 5 %: 10,50 → 0,50 tax, 10,00 net.
    assert [_text(document, f"f:Fa/f:{name}") for name in ("P_13_1", "P_14_1", "P_13_3", "P_14_3", "P_15")] == [
        "18.13", "4.17", "10.00", "0.50", "32.80"]
    assert document.find("f:Fa/f:Adnotacje/f:Zwolnienie/f:P_19N", NS) is not None
    assert [_text(r, "f:P_12") for r in document.findall("f:Fa/f:FaWiersz", NS)] == ["23", "23", "5"]
    page = client.get(f"/invoices/{found.id}").get_data(as_text=True)
    assert "18,13" in page and "4,17" in page and "Zwolnienie" not in page


def test_a_fiscal_receipt_is_invoiced_to_a_business_only_with_its_nip_and_carries_fp(app, client, sign_in, shop):
    use_printer(app, "emulator")
    sign_in("Ania")
    plain = sale(client, "inv-fp-1")
    with pytest.raises(DomainError) as refused:
        issue(app, shop, plain["id"])
    assert "does not carry the NIP 5260001246" in str(refused.value.describe())
    response = client.post("/invoices/new", data=dict(receipt=str(plain["number"]), action="issue", **PARISH))
    assert response.status_code == 422
    assert "nie zawiera NIP 5260001246" in response.get_data(as_text=True)
    with_nip = sale(client, "inv-fp-2", buyer_nip="5260001246")
    document = _xml(invoice(app, issue(app, shop, with_nip["id"])))
    assert _text(document, "f:Fa/f:FP") == "1"
    # A private person's invoice for a fiscal receipt is marked FP too (no NIP needed).
    document = _xml(invoice(app, issue(app, shop, plain["id"], PERSON)))
    assert _text(document, "f:Fa/f:FP") == "1"
    assert _text(document, "f:Podmiot2/f:DaneIdentyfikacyjne/f:BrakID") == "1"


def test_a_sale_is_invoiced_once_and_a_private_person_within_three_months(app, client, sign_in, shop):
    sign_in("Ania")
    first = sale(client, "inv-once-1")
    number = invoice(app, issue(app, shop, first["id"])).number
    with pytest.raises(DomainError) as again:
        issue(app, shop, first["id"], PERSON)
    assert number in again.value.describe()
    page = client.post("/invoices/new", data=dict(receipt=str(first["number"]), action="issue", **PARISH))
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/invoices/{first['id']}")
    second = sale(client, "inv-once-2")
    sold = shop_today()
    deadline = service.consumer_deadline(sold)
    assert deadline.day >= 28 and (deadline.year * 12 + deadline.month) - (sold.year * 12 + sold.month) == 3
    with pytest.raises(DomainError) as late:
        issue(app, shop, second["id"], PERSON, today=date.fromordinal(deadline.toordinal() + 1))
    assert deadline.strftime("%d.%m.%Y") in late.value.describe()
    assert invoice(app, issue(app, shop, second["id"], PERSON, today=deadline)).data["buyer"]["nip"] == ""


def test_the_consumer_deadline_runs_to_the_end_of_the_third_month():
    assert service.consumer_deadline(date(2026, 11, 15)) == date(2027, 2, 28)
    assert service.consumer_deadline(date(2027, 11, 1)) == date(2028, 2, 29)
    assert service.consumer_deadline(date(2026, 1, 31)) == date(2026, 4, 30)


def test_numbers_have_no_gaps_with_two_issuers_at_once(app, client, sign_in, shop):
    sign_in("Ania")
    sales = [sale(client, f"inv-race-{n:02d}")["id"] for n in range(10)]
    errors = []

    def issuer(mine):
        try:
            with app.app_context():
                for sale_id in mine:
                    person = db.session.get(User, shop["Ania"])
                    buyer = service.save_buyer(**PERSON, user=person)
                    service.issue(sale_id=sale_id, buyer_id=buyer.id, user=person, today=shop_today())
                    db.session.commit()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=issuer, args=(sales[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    with in_app(app):
        numbers = sorted(db.session.scalars(select(Invoice.sequence)))
        # A refused issue gives its number back: the next one continues the series.
        person = db.session.get(User, shop["Ania"])
        buyer = service.save_buyer(**PERSON, user=person)
        with pytest.raises(DomainError):
            service.issue(sale_id=sales[0], buyer_id=buyer.id, user=person, today=shop_today())
        db.session.rollback()
    assert numbers == list(range(1, 11))
    extra = sale(client, "inv-race-extra")
    assert invoice(app, issue(app, shop, extra["id"])).sequence == 11


def test_a_refund_of_an_invoiced_sale_makes_a_correcting_invoice(app, client, sign_in, shop):
    sign_in("Marek")
    done = sale(client, "inv-refund-1", lines=(("1", "20,00"), ("7", "5,00")))
    original = invoice(app, issue(app, shop, done["id"], user="Marek"))
    lines = client.get(f"/api/v1/sales/by-number/{done['number']}").json["lines"]
    refund = client.post(f"/api/v1/sales/{done['id']}/refunds", json={
        "key": "inv-refund-r1", "method": "cash", "reason": "Za mały rozmiar",
        "lines": [{"line_id": lines[0]["id"], "quantity": 1, "restock": True}]})
    assert refund.status_code == 201, refund.json
    with in_app(app):
        correction = db.session.scalar(select(Invoice).where(Invoice.corrects_id == original.id))
        assert correction.number == f"KOR/1/{shop_today().year}" and correction.total_minor == -2000
        assert correction.ksef_status is KsefStatus.LOCAL
        document = _xml(correction)
    assert _text(document, "f:Fa/f:RodzajFaktury") == "KOR"
    assert _text(document, "f:Fa/f:P_15") == "-20.00" and _text(document, "f:Fa/f:P_13_7") == "-20.00"
    assert _text(document, "f:Fa/f:DaneFaKorygowanej/f:NrFaKorygowanej") == original.number
    assert _text(document, "f:Fa/f:DaneFaKorygowanej/f:NrKSeFN") == "1"
    assert _text(document, "f:Fa/f:PrzyczynaKorekty") == "Za mały rozmiar"
    # The line before and after the correction as two rows (StanPrzed): no negative quantity or discount.
    rows = document.findall("f:Fa/f:FaWiersz", NS)
    assert [(_text(r, "f:P_8B"), _text(r, "f:P_11A"), _text(r, "f:P_10"), _text(r, "f:StanPrzed")) for r in rows] == [
        ("1", "20.00", None, "1"), ("0", "0.00", None, None)]
    page = client.get(f"/invoices/{correction.id}").get_data(as_text=True)
    assert "Faktura korygująca" in page and original.number in page and "-20,00" in page
    assert "przed korektą: Odzież damska" in page and "po korekcie: Odzież damska" in page


@pytest.mark.parametrize("nip, message", [("526-000-12-47", "To nie jest prawidłowy NIP"),
                                          ("", "To nie jest prawidłowy NIP")])
def test_a_bad_nip_or_missing_name_is_refused_with_a_message_and_nothing_saved(app, client, sign_in, shop, nip, message):
    sign_in("Ania")
    done = sale(client, "inv-bad-1")
    response = client.post("/invoices/new", data=dict(PARISH, receipt=str(done["number"]), action="issue", nip=nip))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = client.post("/invoices/new", data=dict(PARISH, receipt=str(done["number"]), action="issue",
                                                      name="\x1b\x7f "))
    assert response.status_code == 422 and "To pole jest wymagane" in response.get_data(as_text=True)
    response = client.post("/invoices/new", data=dict(PARISH, receipt=str(done["number"]), action="issue",
                                                      name="Parafia\x00"))
    assert response.status_code == 422 and "niedozwolony znak (NUL)" in response.get_data(as_text=True)
    for receipt in ("²", "99999999999999999999", "1\n2", "x" * 20):
        response = client.post("/invoices/new", data=dict(PARISH, receipt=receipt, action="issue"))
        assert response.status_code == 422, receipt
    with in_app(app):
        assert db.session.scalar(select(Invoice.id)) is None


def test_the_buyer_is_found_again_by_nip(app, client, sign_in, shop):
    sign_in("Ania")
    first = sale(client, "inv-find-1")
    issue(app, shop, first["id"])
    second = sale(client, "inv-find-2")
    response = client.post("/invoices/new", data={"receipt": str(second["number"]), "kind": "business",
                                                  "nip": "PL 526 000 12 46", "action": "find"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Parafia św. Jerzego"' in page and 'value="ul. Kościuszki 1"' in page


def test_the_invoice_pages_answer_by_role(app, client, sign_in, shop):
    sign_in("Ania")
    done = sale(client, "inv-role-1")
    invoice_id = issue(app, shop, done["id"])
    assert client.get(f"/invoices/{invoice_id}").status_code == 200
    assert client.get("/invoices").status_code == 403
    assert client.get("/admin/invoicing").status_code == 403
    client.post("/sign-out")
    sign_in("Magda", password=True)
    assert client.get("/invoices").status_code == 200 and client.get("/buyers").status_code == 200
    settings = client.post("/admin/invoicing", data={
        "series": "FS", "correction_series": "FK", "place": "Sopot", "exemption_basis": "art. 113 ust. 1",
        "ksef_environment": "test", "ksef_token": "secret-token", "offline_certificate": "nonsense"})
    assert settings.status_code == 422 and "To nie jest certyfikat PEM" in settings.get_data(as_text=True)
    settings = client.post("/admin/invoicing", data={
        "series": "FS", "correction_series": "FK", "place": "Sopot", "exemption_basis": "art. 113 ust. 1",
        "ksef_environment": "off", "ksef_token": ""})
    assert settings.status_code == 302
    month = client.get(f"/invoices/month.csv?month={shop_today():%Y-%m}").get_data(as_text=True)
    assert "FV/1/" in month and "Parafia św. Jerzego" in month
    assert PINS  # the shop's people sign in by the PINs of conftest


def test_the_bookkeepers_token_downloads_the_month_of_invoices(app, client, sign_in, shop):
    from lukluk_pos.auth import service as auth

    sign_in("Ania")
    issue(app, shop, sale(client, "inv-token-1")["id"])
    with in_app(app):
        _row, token = auth.create_token(name="Biuro rachunkowe", scope="reports:read")
        db.session.commit()
    bookkeeper = app.test_client()
    month = f"{shop_today():%Y-%m}"
    response = bookkeeper.get(f"/invoices/month.xlsx?month={month}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype.endswith("sheet")
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert any(row and row[0] == f"FV/1/{shop_today().year}" for row in rows)
    assert bookkeeper.get(f"/invoices/month.csv?month={month}").status_code in (302, 401, 403)


def test_without_a_font_with_polish_letters_the_pdf_says_why_and_the_page_still_prints(app, client, sign_in, shop):
    sign_in("Ania")
    invoice_id = issue(app, shop, sale(client, "inv-font-1")["id"])
    app.config["PDF_FONT"] = "/nonexistent/font.ttf"
    response = client.get(f"/invoices/{invoice_id}.pdf")
    assert response.status_code == 503 and "LUKLUK_PDF_FONT" in response.get_data(as_text=True)
    assert client.get(f"/invoices/{invoice_id}").status_code == 200
